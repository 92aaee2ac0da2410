"""Every setting of the app: the environment variables it reads, and Streamlit's options.

The app's variables are declared here as :class:`geo.settings.Setting` (a name, the
variable, its default, its parser, one line of doc); the data layer's (the upload limits)
in ``geo/settings.py``, which never imports the app.  :func:`all_settings` lists both, and
the README's table (:func:`settings_table`) and ``atlas --help`` (:func:`settings_help`)
are made from that list.  Reading them is :meth:`Setting.value`, when the value is needed.

:data:`STREAMLIT_OPTIONS` are the options every Streamlit server of the dashboard runs with.
``.streamlit/config.toml`` (for ``streamlit run dashboard/app.py`` from the project folder)
is generated from them: ``make config``, i.e. ``python -m dashboard.settings config``; a
test fails when the file in the repository is not what that writes.

To add a setting: one ``Setting(...)`` here (or in ``geo/settings.py`` if the data layer
reads it), listed in :data:`APP_SETTINGS`; a Streamlit option: one ``StreamlitOption(...)``
in :data:`STREAMLIT_OPTION_LIST`, then ``make config``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from geo.settings import DATA_SETTINGS, UPLOAD_SIZE_MB, Setting, text

# --- what atlas run tells the server it starts (each from the option of the same name) ----

DATA = Setting(
    "data",
    "ATLAS_DATA",
    None,
    Path,
    "the dataset the app opens (atlas run --data); unset: the bundled story",
)
MAPPING = Setting(
    "mapping",
    "ATLAS_MAPPING",
    None,
    Path,
    "the mapping file that reads ATLAS_DATA's table (atlas run --mapping)",
)
COUNTRY = Setting(
    "country",
    "ATLAS_COUNTRY",
    None,
    text,
    "the country of ATLAS_DATA's rows that name none (atlas run --country)",
)
#: A name that is no view is ignored, as a link's ``view=`` is (the app checks it).
VIEW = Setting(
    "view",
    "ATLAS_VIEW",
    None,
    text,
    "the preset view the app opens on (atlas run --view); a link's view= still wins",
)
STORY = Setting(
    "story",
    "ATLAS_STORY",
    None,
    Path,
    "the story file the Story page opens and saves to (atlas run --story); unset: the bundled "
    "story, saved by download only",
)
PUBLIC_URL = Setting(
    "public_url",
    "ATLAS_PUBLIC_URL",
    None,
    text,
    "the address people use, for share links and the default of atlas run --public-url "
    "and atlas snapshot --link-base",
)


def label_language(value: str) -> str:
    """The labels' language from its text: en or ar.

    >>> label_language(" AR ")
    'ar'
    """
    language = value.strip().lower()
    if language not in {"en", "ar"}:
        raise ValueError(f"must be en or ar, got {value!r}")
    return language


#: Arabic labels are drawn where the data has the name (the context's towns), else English.
LABELS = Setting(
    "labels",
    "ATLAS_LABELS",
    "en",
    label_language,
    "the map labels' language: en, or ar (Arabic where the data has the name)",
)

# --- the programs the app starts ---------------------------------------------------------

CHROMIUM = Setting(
    "chromium",
    "ATLAS_CHROMIUM",
    None,
    text,
    "the Chromium that renders PNGs; unset: the system's, else Playwright's own download",
)
HAPROXY = Setting(
    "haproxy",
    "ATLAS_HAPROXY",
    None,
    text,
    "the haproxy that atlas run --users/--tls-cert/--workers starts; unset: on PATH, else "
    "/usr/sbin",
)

#: Every setting only the app reads.
APP_SETTINGS: tuple[Setting, ...] = (
    DATA,
    MAPPING,
    COUNTRY,
    VIEW,
    STORY,
    PUBLIC_URL,
    LABELS,
    CHROMIUM,
    HAPROXY,
)


def all_settings() -> tuple[Setting, ...]:
    """Every environment variable the project reads: the app's, then the data layer's."""
    return APP_SETTINGS + DATA_SETTINGS


def settings_table(settings: Sequence[Setting] | None = None) -> str:
    """The settings as the README's Markdown table: variable, default, meaning.

    >>> print(settings_table([Setting("port", "PORT", 8501, int, "where it listens")]))
    | variable | default | meaning |
    |---|---|---|
    | `PORT` | 8501 | where it listens |
    """
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [
        f"| `{s.variable}` | {s.default_text} | {s.doc} |"
        for s in (all_settings() if settings is None else settings)
    ]
    return "\n".join(rows)


def settings_help(width: int = 79) -> str:
    """The settings as ``atlas --help`` ends with them: each variable, its doc and default.

    >>> print(settings_help(60).splitlines()[1])
      ATLAS_DATA                   the dataset the app opens
    """
    column = max(len(s.variable) for s in all_settings()) + 4
    lines = ["environment variables:"]
    for s in all_settings():
        doc = s.doc if s.default is None else f"{s.doc} (default: {s.default})"
        lines += textwrap.wrap(
            doc,
            width,
            initial_indent=f"  {s.variable}".ljust(column),
            subsequent_indent=" " * column,
        )
    return "\n".join(lines)


# --- snapshot sizes (the CLI's --preset and the export panel's choice) -------------------

#: CSS pixels per millimetre: a browser lays out a page at 96 CSS pixels per inch.
CSS_PX_PER_MM = 96 / 25.4
#: A snapshot's default size in CSS pixels, and the density the PNG is rendered at.
DEFAULT_SNAPSHOT_SIZE = (1600, 1000)


@dataclass(frozen=True)
class SnapshotPreset:
    """A named snapshot size: a page in CSS pixels at a pixel density, or a sheet of paper.

    ``paper_mm`` (width, height) makes the page that sheet, laid out at 96 CSS pixels per
    inch; ``dpi`` then sets the PNG's pixel density (300 dpi: 3.125 device pixels per CSS
    pixel).  Without paper, ``width`` × ``height`` CSS pixels at ``scale``.
    """

    name: str
    label: str
    width: int = 0
    height: int = 0
    scale: float = 1.0
    paper_mm: tuple[float, float] | None = None
    dpi: int | None = None

    def page(self) -> tuple[int, int, float]:
        """(width, height) in CSS pixels and the pixel density.

        >>> SNAPSHOT_PRESETS["print"].page()
        (1123, 794, 3.123776)
        """
        if self.paper_mm is None:
            return self.width, self.height, self.scale
        width, height = (round(mm * CSS_PX_PER_MM) for mm in self.paper_mm)
        # the density that makes the sheet's width exactly its dots (A4 at 300 dpi: 3508)
        dots = round(self.paper_mm[0] / 25.4 * (self.dpi or 96))
        return width, height, round(dots / width, 6)


SNAPSHOT_PRESETS: dict[str, SnapshotPreset] = {
    preset.name: preset
    for preset in (
        SnapshotPreset("social", "Social card, 1200×675", width=1200, height=675),
        SnapshotPreset("print", "Print, A4 landscape at 300 dpi", paper_mm=(297.0, 210.0), dpi=300),
        SnapshotPreset(
            "letter", "Print, US letter landscape at 300 dpi", paper_mm=(279.4, 215.9), dpi=300
        ),
    )
}
#: The longest series the app's export panel turns into a video (one frame per day).
VIDEO_MAX_FRAMES = 92
#: How long each day of a series stays on screen in a GIF or MP4.
SECONDS_PER_FRAME = 0.8


# --- Streamlit's options ------------------------------------------------------------------


@dataclass(frozen=True)
class StreamlitOption:
    """One Streamlit option the dashboard sets: its dotted name, its value, and why."""

    name: str
    value: str | bool | int
    why: str = ""


STREAMLIT_OPTION_LIST: tuple[StreamlitOption, ...] = (
    StreamlitOption(
        "server.headless",
        True,
        "headless: no first-run email prompt, no browser opened by Streamlit (atlas run "
        "opens one itself, once the dashboard answers)",
    ),
    StreamlitOption("server.showEmailPrompt", False),
    StreamlitOption(
        "server.enableStaticServing", True, "the offline Leaflet copies, under /app/static"
    ),
    StreamlitOption("browser.gatherUsageStats", False),
    StreamlitOption("global.developmentMode", False),
    StreamlitOption("client.toolbarMode", "viewer"),
    StreamlitOption(
        "client.showErrorDetails",
        "none",
        "a failing page says that it failed, never with a traceback naming the server's files",
    ),
    StreamlitOption(
        "logger.hideWelcomeMessage",
        True,
        "atlas run prints its own banner: no welcome, no URLs that the allow-list would refuse",
    ),
    StreamlitOption("logger.level", "warning"),
    StreamlitOption(
        "runner.magicEnabled",
        False,
        "the pages draw with st. calls only: no bare expression is drawn, and no page is "
        "rewritten to look for them (~30 ms a page, once per script cache)",
    ),
)

#: Every Streamlit option the dashboard sets, by dotted name (as ``st.App.run`` takes them).
STREAMLIT_OPTIONS: dict[str, str | bool | int] = {
    option.name: option.value for option in STREAMLIT_OPTION_LIST
}

#: Why ``server.maxUploadSize`` is what it is, in the generated config file.
UPLOAD_SIZE_WHY = (
    f"MB: {UPLOAD_SIZE_MB.variable}'s default (atlas run passes the variable's value when set)"
)


def upload_size_option(limit_mb: float) -> dict[str, int]:
    """``server.maxUploadSize`` for LIMIT_MB: the upload widget refuses what the reader would.

    >>> upload_size_option(1.5)
    {'server.maxUploadSize': 2}
    """
    return {"server.maxUploadSize": math.ceil(limit_mb)}


def config_file_options() -> dict[str, str | bool | int]:
    """The options ``.streamlit/config.toml`` holds: ours, and the default upload limit."""
    return {**STREAMLIT_OPTIONS, **upload_size_option(UPLOAD_SIZE_MB.default)}


def _toml_value(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's


def streamlit_config_toml() -> str:
    """The text of ``.streamlit/config.toml``: :func:`config_file_options`, with why."""
    reasons = {option.name: option.why for option in STREAMLIT_OPTION_LIST}
    reasons["server.maxUploadSize"] = UPLOAD_SIZE_WHY
    sections: dict[str, list[str]] = {}
    for name, value in config_file_options().items():
        section, _, key = name.partition(".")
        lines = sections.setdefault(section, [])
        if reasons.get(name):
            lines += textwrap.wrap(reasons[name], 90, initial_indent="# ", subsequent_indent="# ")
        lines.append(f"{key} = {_toml_value(value)}")
    header = [
        "# Generated from dashboard/settings.py by `make config`: edit that file, not this one.",
        "# Used when Streamlit is started from the project folder (`streamlit run",
        "# dashboard/app.py`); `atlas run` and `make run` pass the same options themselves.",
    ]
    body = [f"[{section}]\n" + "\n".join(lines) for section, lines in sections.items()]
    return "\n".join(header) + "\n" + "\n\n".join(body) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m dashboard.settings config|table``: print the config file or the table."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.settings",
        description="Print .streamlit/config.toml (config) or the README's settings table.",
    )
    parser.add_argument("what", choices=["config", "table"])
    args = parser.parse_args(argv)
    sys.stdout.write(streamlit_config_toml() if args.what == "config" else settings_table() + "\n")


if __name__ == "__main__":
    main()
