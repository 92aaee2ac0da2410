"""The app's export panel, clicked as a person clicks it: SVG, a social-card PNG and an MP4.

At the laptop's 1280×720 and the desktop's 1600×1000.  Each download is opened: the SVG
parsed and shown in the browser (tests/artifacts/snapshots/app-*.png is what it drew), the
PNG measured, the MP4's frames counted.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest
from PIL import Image

from dashboard.snapshot import read_metadata
from tests.test_browser import map_frame, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).parent / "artifacts" / "snapshots"
SVG = "{http://www.w3.org/2000/svg}"
TIMEOUT_MS = 120_000
VIEW = "/?start=2016-12-10&end=2016-12-13&as_of=2016-12-13&view=aleppo"


@pytest.fixture(params=[(1280, 720), (1600, 1000)], ids=["1280x720", "1600x1000"])
def page(browser, server, request):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.size = f"{width}x{height}"
    page.goto(f"{server.url}{VIEW}")
    map_frame(page)
    yield page
    context.close()


def _open_panel(page) -> None:
    page.get_by_text("Export this view").click()
    page.get_by_text("Link to this view").wait_for()
    wait_until_idle(page)


def _download(page, button: str) -> bytes:
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name=button).click()
    return Path(download.value.path()).read_bytes()


def test_the_export_buttons_label_is_shown_whole(page):
    # at 1280x720 it read "Export this vi…": a person must see what the button does
    button = page.get_by_test_id("stPopover").filter(has_text="Export this view")
    button.wait_for()
    # Streamlit cuts a long label with an ellipsis on a wrapper that overflows its box
    cut = button.evaluate(
        "(root) => [...root.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"export-button-{page.size}.png"))
    assert not cut, "the label is cut short"


def test_the_export_panel_downloads_an_svg_that_opens_with_its_text(page, story):
    _open_panel(page)
    data = _download(page, "SVG (vector, for print)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = ARTIFACTS / f"app-{page.size}.svg"
    saved.write_bytes(data)
    root = ET.fromstring(data)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert story.name.split(":")[0] + ":" in " ".join(texts), "the headline as text"
    assert "Aleppo" in texts, "the place label as text"
    assert any(t.startswith("Sources:") for t in texts)
    assert len(list(root.iter(f"{SVG}path"))) > 50
    node = root.find(".//{https://github.com/conflict-atlas/conflict-atlas#}state")
    assert json.loads(node.text)["as_of"] == "2016-12-13", "the view's state in its metadata"
    # and it opens: the browser draws it, headline and map
    viewer = page.context.new_page()
    viewer.goto(saved.as_uri())
    assert viewer.locator("text").count() == len(texts)
    headline = viewer.evaluate(
        "() => { const t = document.querySelector('text'); const b = t.getBBox();"
        " return [t.textContent, b.x, b.y, b.width]; }"
    )
    assert headline[0] == story.name and headline[3] > 300, "the headline drawn at the top left"
    assert headline[1] < 40 and headline[2] < 40
    viewer.screenshot(path=ARTIFACTS / f"app-{page.size}-svg.png")
    viewer.close()


def test_the_export_panel_social_preset_and_video(page):
    _open_panel(page)
    page.get_by_role("combobox", name="Size").click()
    page.get_by_role("option", name="Social card, 1200×675").click()
    # the PNG button holds the image of the run that drew it: wait for the run of the choice
    size = page.get_by_role("combobox", name="Size")
    page.wait_for_function("(el) => el.value.startsWith('Social card')", arg=size.element_handle())
    wait_until_idle(page)
    png = _download(page, "PNG image")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1200, 675)
    assert "as_of=2016-12-13" in read_metadata(png)["atlas:link"]
    video = _download(page, "Video of 4 days (MP4)")
    out = ARTIFACTS / f"app-{page.size}.mp4"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out.write_bytes(video)
    import imageio_ffmpeg

    frames = imageio_ffmpeg.read_frames(str(out))
    meta = next(frames)
    assert sum(1 for _ in frames) == 4, "10 to 13 December, a frame each"
    assert meta["codec"] == "h264" and meta["size"] == (1200, 676), "the social card, even"
