"""Text from data is data, never code: template payloads planted in every field of every layer
go through every server-side way in (building the map, the app's map, the HTML and PNG
snapshots, exports, imports, links) and come out as text, with nothing evaluated.

The browser side (script payloads in Chromium) is in test_browser_injection.py.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import rendering
from dashboard.maps import Palette, basemap_geojson, build_event_map, map_html
from dashboard.snapshot import SnapshotRequest, read_metadata, snapshot_html
from dashboard.views import VIEWS
from geo.filters import Filters
from geo.io import read_dataset
from geo.story import load_basemap, story_path
from tests.payloads import EVALUATED, SCRIPT_PAYLOADS, poisoned_story, template_payloads

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
#: A word planted in the data: no template the server compiles may contain it.
CANARY = "zqxcanaryjv"


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "PWNED"


@pytest.fixture
def poisoned(tmp_path, marker) -> Path:
    payloads = [f"{CANARY} {p}" for p in template_payloads(marker) + SCRIPT_PAYLOADS]
    return poisoned_story(tmp_path / "poisoned", payloads)


@pytest.fixture(scope="module")
def basemap_json() -> str:
    return basemap_geojson(load_basemap())


@pytest.fixture
def compiled_sources(monkeypatch) -> list[str]:
    """Every Jinja template source compiled while the test runs (folium's, branca's, ours)."""
    sources: list[str] = []
    original = jinja2.Environment._parse

    def recording(self, source, name, filename):
        sources.append(source)
        return original(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "_parse", recording)
    return sources


def assert_not_evaluated(text: str, marker: Path) -> None:
    assert not marker.exists(), "a command planted in the data ran on the server"
    assert EVALUATED not in text, "a template expression planted in the data was evaluated"
    assert "LOOPLOOP" not in text, "a template loop planted in the data ran"
    assert "<Config" not in text and "__builtins__': " not in text


def test_every_text_field_of_the_poisoned_story_is_read_unchanged(poisoned, marker):
    dataset, report = read_dataset(poisoned)
    assert report.ok, report.problems
    planted = [
        value
        for layer in ("events", "places", "zones", "routes")
        for column in dataset.layer(layer).columns
        for value in dataset.layer(layer)[column].astype("string").dropna()
        if CANARY in value
    ]
    for payload in template_payloads(marker) + SCRIPT_PAYLOADS:
        assert any(payload in value for value in planted), payload


def test_a_map_of_payloads_compiles_no_data_as_template_and_evaluates_nothing(
    poisoned, marker, basemap_json, compiled_sources
):
    dataset, _ = read_dataset(poisoned)
    m = build_event_map(
        dataset,
        basemap_json,
        bounds=VIEWS["aleppo"].bounds,
        palette=Palette.for_dataset(dataset),
        as_of=None,
    )
    page = map_html(m)
    assert not [s for s in compiled_sources if CANARY in s]
    assert_not_evaluated(page, marker)
    assert CANARY in page


def test_the_html_snapshot_of_payloads_evaluates_nothing_and_shows_them(
    poisoned, marker, basemap_json, compiled_sources
):
    dataset, _ = read_dataset(poisoned)
    request = SnapshotRequest(
        dataset=dataset.renamed(f"{CANARY} {{{{lipsum.__name__}}}}"),
        filters=Filters(),
        bounds=VIEWS["aleppo"].bounds,
        link=f"http://127.0.0.1:8501/?actor={CANARY}{{{{lipsum.__name__}}}}",
    )
    page = snapshot_html(request, basemap_json, attribution="{{lipsum.__name__}}")
    assert not [s for s in compiled_sources if CANARY in s]
    assert_not_evaluated(page, marker)
    # the caption shows the title and the link as text
    assert html.escape(f"{CANARY} {{{{lipsum.__name__}}}}") in page


def test_the_guard_refuses_to_render_when_text_would_become_a_template(monkeypatch):
    rendering.check()  # in force
    monkeypatch.setattr("branca.element.Element.__init__", rendering._branca_init, raising=True)
    with pytest.raises(rendering.TemplateInjection, match="refusing to render"):
        rendering.check()


def atlas(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.mark.browser  # its PNG snapshots are rendered in Chromium
def test_the_command_line_evaluates_nothing_planted_in_a_file(poisoned, marker, tmp_path):
    for argv, out in (
        (["export", "--data", str(poisoned)], tmp_path / "out.geojson"),
        (["export", "--data", str(poisoned)], tmp_path / "out.csv"),
        (["snapshot", "--data", str(poisoned), "--view", "aleppo"], tmp_path / "out.html"),
        (["snapshot", "--data", str(poisoned), "--view", "aleppo"], tmp_path / "out.png"),
        (["import", str(poisoned / "events.geojson")], tmp_path / "out.gpkg"),
        (["info", "--data", str(poisoned), "--json"], None),
        (["validate", str(poisoned)], None),
    ):
        done = atlas(*argv, *(["--out", str(out)] if out else []), cwd=tmp_path)
        assert done.returncode == 0, (argv, done.stderr)
        if out is not None and out.suffix == ".png":
            text = done.stderr + json.dumps(read_metadata(out), ensure_ascii=False)
        else:
            text = done.stdout + done.stderr + (out.read_text(errors="replace") if out else "")
        assert_not_evaluated(text, marker)
        assert CANARY in text or out is None or out.suffix in (".gpkg", ".png")
    # a series of PNGs and its GIF, rendered by one browser
    frames = tmp_path / "frames"
    done = atlas(
        "snapshot", "--data", str(poisoned), "--as-of", "2016-12-13:2016-12-14",
        "--out", f"{frames}/", "--gif", str(tmp_path / "series.gif"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    metadata = [read_metadata(f) for f in sorted(frames.glob("*.png"))]
    assert len(metadata) == 2
    assert_not_evaluated(done.stderr + json.dumps(metadata, ensure_ascii=False), marker)


def test_headers_file_and_layer_names_and_mapping_files_are_never_templates(tmp_path, marker):
    payload = "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"
    table = tmp_path / "{{lipsum.__name__}}.csv"
    table.write_text(
        f"When,Lat,Lon,Who,What,Link,{payload}\n"
        f"2016-12-15,36.2,37.1,{{{{lipsum.__name__}}}},{{% for x in range(3) %}}LOOP{{% endfor %}},"
        "Reuters,x\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {
                "atlas_mapping": 1,
                "columns": {
                    "date_start": "When",
                    "latitude": "Lat",
                    "longitude": "Lon",
                    "actor1": "Who",
                    "event_type": "What",
                    "sources": "Link",
                    "description": payload,
                },
                "constants": {"notes": "{{lipsum.__name__}} " + payload},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.html"
    done = atlas(
        "snapshot", "--data", str(table), "--mapping", str(mapping), "--out", str(out), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert_not_evaluated(done.stderr + out.read_text(encoding="utf-8"), marker)
    assert "{{lipsum.__name__}}" in out.read_text(encoding="utf-8")


def test_a_layer_name_that_is_a_payload_is_refused_as_text(tmp_path, marker):
    payload = "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"
    story = json.loads((story_path() / "events.geojson").read_text(encoding="utf-8"))
    good, bad = (json.loads(json.dumps(story["features"][0])) for _ in range(2))
    good["properties"]["layer"] = "events"
    bad["properties"]["layer"] = payload
    bad["properties"]["id"] = "other"
    tagged = tmp_path / "tagged.geojson"
    tagged.write_text(
        json.dumps({"type": "FeatureCollection", "features": [good, bad]}), encoding="utf-8"
    )
    done = atlas("validate", str(tagged), cwd=tmp_path)
    assert_not_evaluated(done.stdout + done.stderr, marker)
    assert "cycler" in done.stdout + done.stderr, "the refused layer name is shown as text"


def test_the_app_on_a_poisoned_dataset_and_link_evaluates_nothing(poisoned, marker, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA", str(poisoned))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["actor"] = "{{lipsum.__name__}}"
    at.query_params["type"] = "{{ cycler.__init__.__globals__.os.popen('touch x').read() }}"
    at.query_params["view"] = "${7*191}"
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(str(w.value) for w in at.warning) + " ".join(str(m.value) for m in at.markdown)
    assert_not_evaluated(shown, marker)
    assert not marker.exists()


def _everything_shown(at: AppTest) -> str:
    parts = [at.title, at.caption, at.markdown, at.warning, at.error, at.info, at.text]
    return " ".join(str(e.value) for group in parts for e in group)


def test_uploads_named_and_filled_with_payloads_evaluate_nothing(poisoned, marker, tmp_path):
    import openpyxl

    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("screens/data_page.py").run()
    at.file_uploader[0].set_value(
        (
            "{{lipsum.__name__}} ${7*191}.geojson",
            (poisoned / "events.geojson").read_bytes(),
            "application/geo+json",
        )
    ).run()
    assert not at.exception, at.exception
    # a workbook whose sheet and headers are payloads
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "{{lipsum.__name__}}"
    sheet.append(["date_start", "latitude", "longitude", "actor1", "{% for x in range(3) %}"])
    sheet.append(["2016-12-15", 36.2, 37.1, "{{lipsum.__name__}}", "{{ config }}"])
    workbook = tmp_path / "book.xlsx"
    book.save(workbook)
    at.file_uploader[0].set_value(
        ("{{ config }}.xlsx", workbook.read_bytes(), "application/octet-stream")
    ).run()
    assert not at.exception, at.exception
    shown = _everything_shown(at)
    at.switch_page("screens/map_page.py").run()  # the map is rendered on the server here
    assert not at.exception, at.exception
    shown += _everything_shown(at)
    assert_not_evaluated(shown, marker)
    assert "lipsum" in shown  # the names are shown, as text


def test_the_timeline_spec_holds_payloads_only_as_data_values(marker):
    import pandas as pd

    from dashboard.components.timeline import events_chart

    payloads = template_payloads(marker) + SCRIPT_PAYLOADS + ["datum.x", "a.b[0]", "'; x"]
    counts = pd.DataFrame(
        {
            "day": pd.to_datetime(["2016-12-15"] * len(payloads)),
            "actor": payloads,
            "events": range(1, len(payloads) + 1),
        }
    )
    spec = events_chart(counts, *[pd.Timestamp("2016-12-15").date()] * 3)
    values = json.dumps(
        {name: frame.to_dict("records") for name, frame in spec.pop("datasets").items()},
        default=str,
    )
    structure = json.dumps(spec)
    assert all(json.dumps(p)[1:-1] in values for p in payloads)
    assert not [p for p in payloads if json.dumps(p)[1:-1] in structure], (
        "a data value became part of the chart's fields or expressions"
    )
