"""Series of snapshots, one per as-of day: the days, and the GIF and MP4 made of the frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from dashboard.settings import SECONDS_PER_FRAME


def parse_series(text: str) -> list[dt.date]:
    """``START:END[:STEP]`` (dates, step in days, default 1) as the list of days.

    Raises
    ------
    ValueError
        For a malformed range, an end before the start, or a step below 1.
    """
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"expected START:END[:STEP] for a series, got {text!r}")
    try:
        start, end = (dt.date.fromisoformat(p.strip()) for p in parts[:2])
        step = int(parts[2]) if len(parts) == 3 else 1
    except ValueError:
        raise ValueError(
            f"expected START:END[:STEP] with dates as YYYY-MM-DD and a whole step, got {text!r}"
        ) from None
    if end < start:
        raise ValueError(f"the series ends ({end}) before it starts ({start})")
    if step < 1:
        raise ValueError(f"the series step must be at least 1 day, got {step}")
    days = []
    day = start
    while day <= end:
        days.append(day)
        day += dt.timedelta(days=step)
    return days


def write_gif(
    frames: Sequence[Path], out: Path, *, seconds_per_frame: float = SECONDS_PER_FRAME
) -> Path:
    """An animated GIF of the frames, looping; written atomically."""
    from geo.io import atomic_path

    images = [Image.open(f).convert("RGB") for f in frames]
    with atomic_path(out) as tmp:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=int(seconds_per_frame * 1000),
            loop=0,
            optimize=False,
        )
    for image in images:
        image.close()
    return out


def write_mp4(
    frames: Sequence[Path | bytes],
    out: Path,
    *,
    seconds_per_frame: float = SECONDS_PER_FRAME,
) -> Path:
    """An H.264 MP4 (yuv420p, what every player and social site takes), one frame per image.

    ``frames`` are PNG files or PNG bytes, all of one size; an odd width or height is padded
    with one white pixel (yuv420p halves the colour resolution, so both must be even).  The
    encoder is the ffmpeg that the ``imageio-ffmpeg`` package ships.  Written atomically.

    Raises
    ------
    ValueError
        With no frames, or frames of different sizes.
    """
    import io

    import imageio_ffmpeg

    from geo.io import atomic_path

    if not frames:
        raise ValueError("a video needs at least one frame")

    def opened(frame: Path | bytes) -> Image.Image:
        return Image.open(io.BytesIO(frame) if isinstance(frame, bytes) else frame)

    with opened(frames[0]) as first:
        size = first.size
    even = (size[0] + size[0] % 2, size[1] + size[1] % 2)
    with atomic_path(out) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            even,
            fps=1 / seconds_per_frame,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            macro_block_size=2,
            ffmpeg_log_level="error",  # not its note that a few frames give no rate estimate
            # the MP4 container whatever the temporary file is called; the index first, so
            # that a browser starts playing before the whole file is in
            output_params=["-f", "mp4", "-movflags", "+faststart"],
        )
        writer.send(None)  # start the encoder
        try:
            for number, frame in enumerate(frames, start=1):
                with opened(frame) as image:
                    if image.size != size:
                        raise ValueError(
                            f"frame {number} is {image.size[0]}×{image.size[1]}, "
                            f"the first is {size[0]}×{size[1]}: a video's frames share one size"
                        )
                    canvas = Image.new("RGB", even, "white")
                    canvas.paste(image.convert("RGB"), (0, 0))
                    writer.send(canvas.tobytes())
        finally:
            writer.close()
    return out
