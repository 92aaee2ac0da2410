"""The map's layers are registered in one place, and everything that lists them follows it.

The toy layer (``tests/toy_layer.py``: one module) is registered by one line in a fresh
process, as ``dashboard/maps/layers.py`` registers the real ones before anything reads the
registry; it must then be drawn, explained in the legend, offered in the sidebar, accepted
in links, and drawn by default in snapshots and by ``atlas snapshot``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dashboard.maps import MAP_LAYERS, MapLayer, Palette, build_data_layers, legend_html
from dashboard.state import ALL_LAYERS
from geo.schema import DATASET_LAYERS

ROOT = Path(__file__).resolve().parents[1]

TOY_RUN = textwrap.dedent(
    """
    import datetime as dt
    import json
    import sys
    from pathlib import Path

    from dashboard.maps import MAP_LAYERS
    from tests import toy_layer

    MAP_LAYERS.register(toy_layer.LAYER)  # the one registration line

    import dashboard.maps
    from streamlit.testing.v1 import AppTest

    from dashboard import state
    from dashboard.cli import main
    from dashboard.components.export import geojson_bytes
    from dashboard.maps import Palette, build_data_layers, legend_html, map_html
    from dashboard.snapshot import SnapshotRequest, provenance
    from geo.filters import Filters
    from geo.story import load_story

    out = Path(sys.argv[1])
    story = load_story()
    palette = Palette.for_dataset(story)
    groups, _ = build_data_layers(story, palette=palette, as_of=None)
    holder = __import__("folium").Map(tiles=None)
    for group in groups:
        group.add_to(holder)
    first, last = dt.date(2015, 11, 24), dt.date(2017, 1, 23)
    linked, warnings = state.parse_query(
        {"layers": ["events,toy"]},
        state.Choices(first_day=first, last_day=last, actors=(), types=()),
        state.ViewState(start=first, end=last),
    )
    app = AppTest.from_file(str(Path("dashboard/app.py").resolve()), default_timeout=120).run()
    request = SnapshotRequest(dataset=story, filters=Filters(), bounds=[[35, 36], [37, 38]])
    assert main(["snapshot", "--out", str(out / "toy.html")]) == 0
    print(json.dumps({
        "all_layers": list(state.ALL_LAYERS),
        "old_names": list(dashboard.maps.DATA_LAYERS),
        "old_titles": dashboard.maps.LAYER_TITLES,
        "groups": [g.layer_name for g in groups],
        "drawn": map_html(holder).count('"className": "atlas-toy"'),
        "legend": legend_html(palette),
        "linked": list(linked.layers),
        "warnings": warnings,
        "query": state.to_query(linked)["layers"],
        "app_errors": [str(e.value) for e in app.exception],
        "checkbox": app.checkbox(key=state.layer_key("toy")).label,
        "checkboxes": [box.label for box in app.sidebar.checkbox],
        "snapshot_layers": list(request.layers),
        "snapshot_shown": provenance(request, story, "")["shown"],
        "snapshot_html": (out / "toy.html").read_text().count('"className": "atlas-toy"'),
        "geojson": len(json.loads(geojson_bytes(story, state.ALL_LAYERS))["features"]),
    }))
    """
)


def test_the_registry_lists_the_dataset_layers_and_the_state_follows_it():
    # the dataset's layers, then the layers drawn from bundled context (no table of their own)
    dataset = tuple(str(layer) for layer in DATASET_LAYERS)
    assert MAP_LAYERS.names() == (*dataset, "context", "city") == ALL_LAYERS
    assert MAP_LAYERS.labels() == {
        "events": "Events",
        "places": "Places",
        "zones": "Control zones",
        "routes": "Routes",
        "context": "Context",
        "city": "City context",
    }


def test_a_toy_layer_registered_by_one_line_is_drawn_and_listed_everywhere(tmp_path, story):
    done = subprocess.run(
        [sys.executable, "-c", TOY_RUN, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    names = ["events", "places", "zones", "routes", "context", "city", "toy"]
    assert seen["all_layers"] == seen["old_names"] == seen["snapshot_layers"] == names
    assert seen["old_titles"]["toy"] == "Toy rings"
    # drawn by default, stacked by its draw_order (above places, under events)
    assert seen["groups"] == [
        "Context",
        "City context",
        "Control zones",
        "Routes",
        "Places",
        "Toy rings",
        "Events",
    ]
    assert seen["drawn"] == len(story.places) > 0
    assert seen["legend"].endswith("toy ring</div>"), "its legend entry comes last"
    # a link may name it, and a link of the state names it again
    assert seen["linked"] == ["events", "toy"] and not seen["warnings"]
    assert seen["query"] == ["events,toy"]
    # the sidebar offers it, under its label, after the others
    assert not seen["app_errors"]
    assert seen["checkbox"] == "Toy rings"
    assert seen["checkboxes"][-7:] == [
        "Events",
        "Places",
        "Control zones",
        "Routes",
        "Context",
        "City context",
        "Toy rings",
    ]
    # snapshots draw it by default (atlas snapshot too); it has no table to count or export
    assert seen["snapshot_html"] == len(story.places)
    assert (
        "toy" not in seen["snapshot_shown"]
        and f"{len(story.events)} events" in seen["snapshot_shown"]
    )
    assert seen["geojson"] == sum(len(story.layer(layer)) for layer in DATASET_LAYERS)


def _toy(name: str = "toy") -> MapLayer:
    from tests import toy_layer

    return MapLayer(name, "Toy", toy_layer.draw, toy_layer.legend, draw_order=1, legend_order=1)


@pytest.mark.parametrize("name", ["Toy", "a,b", "", "1st", "with space"])
def test_a_layer_name_fit_for_links_and_session_keys_is_required(name):
    with pytest.raises(ValueError, match="lower case, with no commas"):
        _toy(name)


def test_a_name_is_registered_once():
    with pytest.raises(ValueError, match="'events' is registered already"):
        MAP_LAYERS.register(_toy("events"))


def test_an_unknown_layer_is_refused_when_drawing_and_ignored_by_the_legend(story):
    palette = Palette.for_dataset(story)
    with pytest.raises(ValueError, match=r"unknown map layer\(s\) 'clouds'"):
        build_data_layers(story, palette=palette, as_of=None, layers=["events", "clouds"])
    assert legend_html(palette, layers=["zones", "clouds"]) == legend_html(
        palette, layers=["zones"]
    )
