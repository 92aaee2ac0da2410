"""The app, driven through Streamlit's AppTest: filters, counts, links, warnings.

The map itself (a streamlit-folium component) is tested in the browser; here it is an
unknown element, and everything around it is checked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.filters import Filters, filter_events

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


def _app(**query: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def _status(at: AppTest) -> str:
    """The map page's one-line status (counts of events, zones and routes shown)."""
    return next(m.value for m in at.markdown if " events** shown" in m.value)


def _shown(at: AppTest) -> str:
    """The events shown, "N of M", as the status line says it."""
    found = re.match(r"\*\*([\d,]+ of [\d,]+) events\*\* shown", _status(at))
    return found.group(1).replace(",", "")


def _expected(story, **filters) -> int:
    return len(filter_events(story.events, Filters.make(**filters)))


@pytest.fixture(scope="module")
def at():
    return _app()


def test_the_app_opens_on_the_story_without_an_exception(at, story):
    assert not at.exception
    assert at.title[0].value.startswith("Aleppo, December 2016")
    expected = _expected(story, start="2016-11-15", end="2016-12-22")
    assert _shown(at) == f"{expected} of {len(story.events)}"
    assert at.slider(key="as_of").value == dt.date(2016, 12, 15)
    assert not at.warning


def test_choosing_an_actor_changes_the_count(story):
    at = _app()
    at.multiselect(key="actors").set_value(["Turkey"]).run()
    expected = _expected(story, start="2016-11-15", end="2016-12-22", actors=["Turkey"])
    assert _shown(at) == f"{expected} of {len(story.events)}"
    assert 0 < expected < _expected(story, start="2016-11-15", end="2016-12-22")
    assert at.query_params["actor"] == ["Turkey"] or at.query_params["actor"] == "Turkey"


def test_changing_the_date_window_changes_the_count(story):
    at = _app()
    at.date_input(key="window").set_value((dt.date(2016, 12, 13), dt.date(2016, 12, 16))).run()
    expected = _expected(story, start="2016-12-13", end="2016-12-16")
    assert _shown(at) == f"{expected} of {len(story.events)}"
    assert expected == 9  # 13-16 Dec: counted by hand from the story
    assert at.query_params["start"] == "2016-12-13"


def test_actor_and_window_together(story):
    at = _app()
    at.date_input(key="window").set_value((dt.date(2015, 11, 24), dt.date(2016, 12, 31)))
    at.multiselect(key="actors").set_value(["Russia", "Iran"]).run()
    expected = _expected(story, start="2015-11-24", end="2016-12-31", actors=["Russia", "Iran"])
    assert _shown(at) == f"{expected} of {len(story.events)}"


def test_a_link_restores_the_state(story):
    at = _app(
        start="2016-12-01",
        end="2016-12-20",
        as_of="2016-12-17",
        actor=["Turkey", "Russia"],
        type="Strategic developments",
        view="region",
        layers="events,zones",
    )
    assert not at.exception and not at.warning
    assert at.date_input(key="window").value == (dt.date(2016, 12, 1), dt.date(2016, 12, 20))
    assert at.slider(key="as_of").value == dt.date(2016, 12, 17)
    assert at.multiselect(key="actors").value == ["Turkey", "Russia"]
    assert at.multiselect(key="types").value == ["Strategic developments"]
    assert at.selectbox(key="view").value == "region"
    assert at.checkbox(key="layer_events").value and not at.checkbox(key="layer_places").value
    expected = _expected(
        story,
        start="2016-12-01",
        end="2016-12-20",
        actors=["Turkey", "Russia"],
        event_types=["Strategic developments"],
    )
    assert _shown(at) == f"{expected} of {len(story.events)}"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "yesterday"}, "'start=yesterday' is not a date"),
        ({"view": "moon"}, "Unknown view 'moon'"),
        ({"actor": "Nobody"}, "No actor 'Nobody'"),
    ],
)
def test_a_bad_link_value_shows_a_warning_and_the_default(story, query, message):
    at = _app(**query)
    assert not at.exception
    assert any(message in w.value for w in at.warning)
    expected = _expected(story, start="2016-11-15", end="2016-12-22")
    assert _shown(at) == f"{expected} of {len(story.events)}"


def test_a_filter_that_matches_nothing_says_so_and_offers_a_reset(story):
    at = _app()
    at.multiselect(key="types").set_value(["Violence against civilians"])
    at.date_input(key="window").set_value((dt.date(2016, 11, 15), dt.date(2016, 11, 20))).run()
    assert _shown(at) == f"0 of {len(story.events)}"
    assert any("No event matches these filters" in i.value for i in at.info)
    at.button(key="reset_empty").click().run()
    assert at.multiselect(key="types").value == []
    assert _shown(at) != f"0 of {len(story.events)}"


def test_the_day_buttons_step_the_as_of_day():
    at = _app()
    at.button(key="day_forward").click().run()
    assert at.slider(key="as_of").value == dt.date(2016, 12, 16)
    at.button(key="day_back").click().run()
    at.button(key="day_back").click().run()
    assert at.slider(key="as_of").value == dt.date(2016, 12, 14)
    assert "zones on 14 Dec 2016" in _status(at)


def test_moving_the_window_end_carries_the_as_of_day_when_it_followed_it():
    at = _app(as_of="2016-12-22")
    at.date_input(key="window").set_value((dt.date(2016, 11, 15), dt.date(2016, 12, 18))).run()
    assert at.slider(key="as_of").value == dt.date(2016, 12, 18)


def test_the_as_of_day_follows_the_window_even_when_a_rerun_from_the_browser_interrupts(
    monkeypatch,
):
    """The browser's rerun carries the slider's old day: the day that followed the end wins.

    In the browser, the run the calendar's second click starts can be interrupted before
    the sidebar is drawn (the calendar closing, the map reporting its view); the rerun
    that follows brings the new window but the slider's old day, which Streamlit would
    let win and count as the user's move.  Here the window's run stops before the sidebar,
    and the next run is sent the widget values the browser holds then.
    """
    import streamlit as st

    from dashboard import state as S
    from dashboard.components import sidebar

    at = _app()
    assert at.slider(key="as_of").value == dt.date(2016, 12, 15), "the story's default day"
    at.date_input(key="window").set_value((dt.date(2016, 12, 13), dt.date(2016, 12, 16)))
    held_by_the_browser = at._tree.get_widget_states()  # private API: a browser's rerun
    with monkeypatch.context() as interrupted:
        interrupted.setattr(sidebar, "render_filters", lambda *args, **kwargs: st.stop())
        at.run()
    at._run(held_by_the_browser)
    assert not at.exception
    assert at.slider(key="as_of").value == dt.date(2016, 12, 16)
    assert "zones on 16 Dec 2016" in _status(at)
    assert not at.session_state[S.K_AS_OF_MOVED], "nobody moved it: it follows the end still"
    at.date_input(key="window").set_value((dt.date(2016, 12, 13), dt.date(2016, 12, 18))).run()
    assert at.slider(key="as_of").value == dt.date(2016, 12, 18)


def test_the_about_page_lists_sources_and_methods(story):
    at = _app()
    at.switch_page("screens/about_page.py").run()
    assert not at.exception
    assert at.title[0].value == "About the data"
    cited = at.dataframe[-1].value
    assert "Story source article" in set(cited["publisher"])
    assert any("Natural Earth" in t.value for t in at.text)


def test_atlas_run_view_sets_the_view_it_opens_on(monkeypatch):
    monkeypatch.setenv("ATLAS_VIEW", "border")
    at = _app()
    assert at.selectbox(key="view").value == "border"
    at = _app(view="corridor")
    assert at.selectbox(key="view").value == "corridor", "a link's view wins"


def test_the_app_opens_another_dataset_on_its_whole_span(monkeypatch, tmp_path, story):
    from geo.io import write_dataset

    path = write_dataset(story.with_layers(events=story.events.iloc[:5]), tmp_path / "mine.gpkg")
    monkeypatch.setenv("ATLAS_DATA", str(path))
    at = _app()
    assert not at.exception
    assert _shown(at) == "5 of 5"
    assert at.selectbox(key="view").value == "fit"


def test_the_app_reads_a_table_in_another_layout_through_its_mapping_file(monkeypatch, tmp_path):
    from geo.mapping import ColumnMapping, suggest_mapping

    newsroom = Path(__file__).parent / "data" / "newsroom_log.csv"
    guess = suggest_mapping(newsroom.read_text(encoding="utf-8").splitlines()[0].split(","))
    mapping = tmp_path / "newsroom.mapping.json"
    mapping.write_text(ColumnMapping(guess.columns, {"sources": "Newsroom log"}).to_json())
    monkeypatch.setenv("ATLAS_DATA", str(newsroom))
    monkeypatch.setenv("ATLAS_MAPPING", str(mapping))
    at = _app()
    assert not at.exception
    assert _shown(at) == "3 of 3"
    at.switch_page("screens/about_page.py").run()
    assert "5 read, 3 accepted, 2 rejected, 2 placed by name" in at.text[0].value


def test_a_large_acled_table_opens_with_a_point_per_event_and_a_capped_table(monkeypatch, tmp_path):
    from dashboard.cli import main

    path = tmp_path / "acled.parquet"
    assert main(["synth", "--rows", "5000", "--out", str(path)]) == 0
    monkeypatch.setenv("ATLAS_DATA", str(path))
    at = _app(view="region")
    assert not at.exception
    assert _shown(at) == "5000 of 5000"
    assert "5,000 drawn as points: click one for its details" in _status(at)
    assert any("The 1,000 latest of 5,000 events are listed" in c.value for c in at.caption)
    # counts per cell are the user's choice, in the sidebar, and in the link
    drawing = at.sidebar.radio(key="draw")
    assert drawing.options == [
        "A point for each event",
        "Counts per square",
        "Counts per hexagon (H3)",
    ]
    drawing.set_value("counts").run()
    assert not at.exception
    assert re.search(r"[\d,]+ in view, counted per [\d.]+° cell", _status(at))
    assert at.query_params["draw"] == "counts"
    at.sidebar.radio(key="draw").set_value("hexagons").run()
    assert not at.exception
    assert re.search(
        r"[\d,]+ in view, counted per H3 hexagon \(resolution \d+, about [\d.,]+ km²\)",
        _status(at),
    )
    assert at.query_params["draw"] == "hexagons"
    at.multiselect(key="actors").set_value(["Houthi Movement"]).run()
    assert not at.exception


def test_a_link_asks_for_counts_per_cell_and_the_story_offers_no_such_choice(monkeypatch, tmp_path):
    from dashboard.cli import main

    path = tmp_path / "acled.parquet"
    assert main(["synth", "--rows", "2000", "--out", str(path)]) == 0
    monkeypatch.setenv("ATLAS_DATA", str(path))
    at = _app(view="region", draw="counts")
    assert not at.exception and "counted per" in _status(at)
    at = _app(view="region", draw="hexagons")
    assert not at.exception and "counted per H3 hexagon" in _status(at)
    at = _app(view="region", draw="triangles")
    assert "drawn as points" in _status(at)
    assert any("Unknown drawing 'triangles'" in w.value for w in at.warning)
    monkeypatch.delenv("ATLAS_DATA")
    story = _app()
    assert not [radio for radio in story.sidebar.radio if radio.key == "draw"]


# --- bringing one's own table -------------------------------------------------------------

DATA = Path(__file__).parent / "data"


def _data_page() -> AppTest:
    at = _app()
    return at.switch_page("screens/data_page.py").run()


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def test_an_acled_upload_opens_beside_the_story_and_the_map_shows_it(story):
    at = _upload(_data_page(), "acled old.csv", (DATA / "acled_old_layout.csv").read_bytes())
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Accepted"], metrics["Rejected"]) == ("6", "6", "0")
    assert "ACLED (older upper-case layout)" in at.text[0].value
    at.switch_page("screens/map_page.py").run()
    assert not at.exception
    assert at.multiselect(key="datasets").value == ["acled old.csv"]
    assert _shown(at) == f"6 of {len(story.events) + 6}"
    assert "acled old\\.csv" in at.title[0].value
    assert "1 other open dataset is hidden" in at.caption[0].value
    # one click back to every open dataset; the hidden ones are named in its help, as text
    show_all = next(b for b in at.button if b.label == "Show all 2 datasets")
    assert show_all.help.startswith("Also open: Aleppo, December 2016")
    show_all.click().run()
    assert at.multiselect(key="datasets").value == []
    assert not any(b.label == "Show all 2 datasets" for b in at.button)
    window = at.date_input(key="window").value
    assert _shown(at) == (
        f"{6 + _expected(story, start=window[0], end=window[1])} of {len(story.events) + 6}"
    )


def test_an_unknown_layout_gets_a_mapping_step_then_loads_with_names_placed():
    at = _upload(_data_page(), "newsroom.csv", (DATA / "newsroom_log.csv").read_bytes())
    assert not at.exception
    assert at.subheader[0].value == "Which column is which?"
    assert at.selectbox(key="map_latitude").value == "Lat"
    assert at.selectbox(key="map_place_name").value == "Town"
    at.text_input(key="const_sources").set_value("Newsroom log, December 2016")
    next(b for b in at.button if b.label == "Load with this mapping").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Accepted"], metrics["Rejected"], metrics["Placed by name"]) == ("3", "2", "2")
    assert any(d.label == "Download the mapping used (JSON)" for d in at.get("download_button"))


def test_a_mapping_without_what_a_row_needs_says_what_is_missing():
    at = _upload(_data_page(), "newsroom.csv", (DATA / "newsroom_log.csv").read_bytes())
    at.selectbox(key="map_event_type").set_value("(not in this table)")
    next(b for b in at.button if b.label == "Load with this mapping").click().run()
    assert not at.exception
    # the words on the screen, not the names in our files
    assert at.error[0].value.startswith("Still needed: Event type (")
    assert "event_type" not in at.error[0].value


def test_the_rejected_rows_of_a_mapped_upload_name_the_files_own_columns():
    at = _upload(_data_page(), "newsroom.csv", (DATA / "newsroom_log.csv").read_bytes())
    at.text_input(key="const_sources").set_value("Newsroom log, December 2016")
    next(b for b in at.button if b.label == "Load with this mapping").click().run()
    rejected = at.dataframe[0].value
    assert list(rejected["column"]) == ["Town (Place name)", "Lat (Latitude)"]


def _palmyra_log() -> bytes:
    from tests.test_geocode import PALMYRA_LOG

    lines = PALMYRA_LOG.splitlines()  # our own layout, with an id on every row
    rows = [f"id,{lines[0]}", *(f"e{n},{line}" for n, line in enumerate(lines[1:]))]
    return "\n".join(rows).encode()


def test_names_several_countries_have_make_the_page_ask_for_a_country_then_place_them():
    at = _upload(_data_page(), "palmyra.csv", _palmyra_log())
    assert not at.exception
    assert at.subheader[0].value == "Which country are these places in?"
    assert any("**Palmyra** (" in m.value for m in at.markdown)
    country = at.selectbox(key="upload_country")
    assert country.value == "SY", "where the other rows were placed comes first"
    assert country.options[:2] == ["Syria (SY)", "Russia (RU)"]
    next(b for b in at.button if b.label == "Place them in this country").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Accepted"], metrics["Rejected"], metrics["Placed by name"]) == ("4", "0", "4")
    assert any("looked up in Syria" in i.value for i in at.info)


def test_the_country_question_is_dropped_with_the_file_it_asked_about():
    at = _upload(_data_page(), "palmyra.csv", _palmyra_log())
    assert "country_question" in at.session_state
    at.file_uploader[0].set_value(None).run()
    assert not at.exception
    assert "country_question" not in at.session_state
    assert not any(s.value == "Which country are these places in?" for s in at.subheader)


def test_the_country_question_can_be_declined_and_the_rows_stay_rejected():
    at = _upload(_data_page(), "palmyra.csv", _palmyra_log())
    next(b for b in at.button if b.label.startswith("Open without a country")).click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Accepted"], metrics["Rejected"]) == ("3", "1")


def test_an_unreadable_upload_is_one_clear_error_naming_the_file():
    at = _upload(_data_page(), "broken.csv", b"\x00\x01\x02\xff\xfe binary")
    assert not at.exception
    assert at.error[0].value.startswith("broken\\.csv\\: ")
    assert not any(m.label == "Rows read" for m in at.metric)


def test_a_hidden_datasets_name_is_shown_as_text_in_the_show_all_help(story):
    at = _upload(
        _data_page(),
        "*bold* [x](http://e.example).csv",
        (DATA / "acled_old_layout.csv").read_bytes(),
    )
    at.switch_page("screens/map_page.py").run()
    at.multiselect(key="datasets").set_value([story.name]).run()
    show_all = next(b for b in at.button if b.label == "Show all 2 datasets")
    assert "\\*bold\\*" in show_all.help and "\\[x\\]" in show_all.help


def test_closing_an_uploaded_dataset_leaves_the_story_alone(story):
    at = _upload(_data_page(), "acled old.csv", (DATA / "acled_old_layout.csv").read_bytes())
    next(b for b in at.button if b.label == "Close this dataset").click().run()
    assert not at.exception
    assert not any(m.label == "Rows read" for m in at.metric)
    at.switch_page("screens/map_page.py").run()
    assert _shown(at).endswith(f"of {len(story.events)}")
    assert not at.warning, "closing a dataset is not a bad link"


def test_an_upload_is_read_for_its_headers_once_while_its_mapping_step_is_open(monkeypatch):
    import geo.uploads

    calls = []
    read = geo.uploads.upload_preview
    monkeypatch.setattr(geo.uploads, "upload_preview", lambda *a: calls.append(a[0]) or read(*a))
    at = _upload(_data_page(), "newsroom.csv", (DATA / "newsroom_log.csv").read_bytes())
    at.run()
    at.run()
    assert at.subheader[0].value == "Which column is which?"
    assert calls == ["newsroom.csv"]


def test_the_timeline_counts_only_the_chosen_datasets(story):
    from dashboard.cache import events_per_day_for
    from geo.dataset import combine_datasets

    combined = combine_datasets(
        [story.renamed("story"), story.with_layers(events=story.events.head(5)).renamed("five")]
    )
    version = combined.content_hash()
    every = events_per_day_for(combined, version, (), ())
    chosen = events_per_day_for(combined, version, (), (), ("five",))
    assert chosen["events"].sum() == 5
    assert every["events"].sum() == len(story.events) + 5


def test_an_event_type_keeps_its_colour_when_another_upload_opens():
    header = "id,date_start,event_type,actor1,latitude,longitude,sources\n"
    first = header + "a1,2016-12-15,Shelling,Group A,36.2,37.1,Reuters\n"
    at = _upload(_data_page(), "one.csv", first.encode())
    assert not at.exception
    colour = at.session_state["palette"][1].event_types["Shelling"]
    # a second table whose type sorts first: the first one's colour stays
    second = header + "b1,2016-12-15,Airstrike,Group B,36.2,37.1,Reuters\n"
    at = _upload(at.switch_page("screens/data_page.py").run(), "two.csv", second.encode())
    assert not at.exception
    palette = at.session_state["palette"][1]
    assert "Airstrike" in palette.event_types
    assert palette.event_types["Shelling"] == colour
    assert palette.event_types["Airstrike"] != colour


def test_the_share_link_uses_the_public_address_when_one_is_set(monkeypatch):
    monkeypatch.setenv("ATLAS_PUBLIC_URL", "https://atlas.example.org")
    at = _app()
    link = next(c.value for c in at.caption if "Link to this view" in c.value)
    assert "https://atlas.example.org/?start=" in link
    assert "127.0.0.1" not in link


def _chart_data(chart) -> dict:
    import pyarrow as pa

    return {d.name: pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets}


def test_the_timeline_draws_both_charts_with_their_data_and_the_as_of_day():
    at = _app(as_of="2016-12-14")
    assert not at.exception
    events, areas = at.get("vega_lite_chart")
    for chart in (events, areas):
        assert "datasets" not in json.loads(chart.proto.spec), "the data is sent as Arrow"
        assert _chart_data(chart)["as_of"]["day"].tolist() == [pd.Timestamp("2016-12-14")]
    # every day of the data, the window shaded: the bars count every event the actor and
    # type filters keep ("29 of 38 events shown" counts the window's)
    counts = _chart_data(events)["counts"]
    total = re.search(r" of (\d+) events", _status(at)).group(1)
    assert counts["events"].sum() == int(total)
    assert set(_chart_data(areas)["areas"]["name"]) >= {"East Aleppo opposition-held enclave"}
