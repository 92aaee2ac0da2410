"""The story file: its schema, every error message a user can see, and the bundled story."""

from __future__ import annotations

import textwrap

import pytest

from geo.filters import FILTER_FIELD
from geo.narrative import (
    Annotation,
    StoryError,
    check_story,
    parse_story,
    read_story,
    step_data,
    step_sources,
    story_yaml,
    write_story,
)
from geo.schema import Column
from geo.story import story_file

GOOD = """
title: A test story
steps:
- title: First
  text: Some *Markdown*.
  view:
    start: 2016-12-13
    end: 2016-12-16
    as_of: 2016-12-14
    actors: [Russia]
    event_types: Battles
    layers: [events, zones]
    extent: 37.03,36.12,37.26,36.27
  highlight: [a, b, a]
  annotations:
  - label: Here
    at: [36.2, 37.1]
  - arrow: ''
    from: [36.1, 37.0]
    to: [36.2, 37.2]
- title: Second
"""


def story_text(step: str) -> str:
    """A one-step story whose step is ``step`` (YAML, indented as a list item)."""
    body = textwrap.indent(textwrap.dedent(step).strip(), "  ")
    return f"title: T\nsteps:\n- {body.lstrip()}\n"


def test_a_story_file_is_read_into_steps_with_their_views():
    story = parse_story(GOOD, source="good.yaml")
    first, second = story.steps
    assert (story.title, first.title, second.title) == ("A test story", "First", "Second")
    assert first.view.filters == {
        "start": "2016-12-13",
        "end": "2016-12-16",
        "as_of": "2016-12-14",
        "actors": ["Russia"],
        "event_types": ["Battles"],
    }
    filters = first.view.as_filters()
    assert (f"{filters.start:%Y-%m-%d}", filters.actors) == ("2016-12-13", ("Russia",))
    assert first.view.layers == ("events", "zones")
    assert first.view.bounds() == [[36.12, 37.03], [36.27, 37.26]]
    assert first.highlight == ("a", "b")  # repeated ids once
    assert first.annotations == (
        Annotation("label", "Here", (36.2, 37.1)),
        Annotation("arrow", "", (36.1, 37.0), (36.2, 37.2)),
    )
    assert second.view.bounds() is None and second.view.filters == {}


def test_a_step_views_filters_are_those_of_the_filter_registry():
    """Each filter of a step is parsed by its FilterField: no second declaration."""
    from geo.narrative import VIEW_FILTERS

    assert set(VIEW_FILTERS) <= set(FILTER_FIELD)
    assert {"start", "end", "as_of", "actors", "event_types"} <= set(VIEW_FILTERS)


def test_a_story_written_and_read_back_is_the_same_story(tmp_path):
    story = parse_story(GOOD)
    path = write_story(story, tmp_path / "out.yaml")
    assert read_story(path) == story
    assert "text: Some *Markdown*." in path.read_text(encoding="utf-8")
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_failed_write_leaves_the_old_story_file_whole(tmp_path, monkeypatch):
    import geo.narrative as narrative

    path = tmp_path / "story.yaml"
    path.write_text("old", encoding="utf-8")

    def broken(story):
        raise RuntimeError("disk full")

    monkeypatch.setattr(narrative, "story_yaml", broken)
    with pytest.raises(RuntimeError):
        write_story(parse_story(GOOD), path)
    assert path.read_text(encoding="utf-8") == "old"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "title: ''",
            "s.yaml, step 1: title: every step needs a title",
        ),
        (
            "title: Siege\ntxt: oops",
            "s.yaml, step 1 ('Siege'): unknown field 'txt' (expected one of: title, text, "
            "view, highlight, annotations)",
        ),
        (
            "title: Siege\nview: {start: 2016-13-01}",
            "s.yaml, step 1 ('Siege'): view.start: expected a date as YYYY-MM-DD, got '2016-13-01'",
        ),
        (
            "title: Siege\nview: {start: 2016-12-20, end: 2016-12-10}",
            "s.yaml, step 1 ('Siege'): view: the date window ends (2016-12-10) before it "
            "starts (2016-12-20)",
        ),
        (
            "title: Siege\nview: {start: 2016-12-10, end: 2016-12-20, as_of: 2016-12-25}",
            "s.yaml, step 1 ('Siege'): view.as_of: 2016-12-25 is outside the date window "
            "(2016-12-10 to 2016-12-20)",
        ),
        (
            "title: Siege\nview: {layers: [events, tanks]}",
            "s.yaml, step 1 ('Siege'): view.layers: unknown layer 'tanks' (expected any of: "
            "events, places, zones, routes)",
        ),
        (
            "title: Siege\nview: {extent: '37,36'}",
            "s.yaml, step 1 ('Siege'): view.extent: expected a bounding box as W,S,E,N in "
            "degrees, got '37,36'",
        ),
        (
            "title: Siege\nview: {zoom: 3}",
            "s.yaml, step 1 ('Siege'): view: unknown field 'zoom' (expected one of: start, "
            "end, as_of, actors, event_types, layers, extent)",
        ),
        (
            "title: Siege\nview: [1, 2]",
            "s.yaml, step 1 ('Siege'): view: expected a mapping of fields, got list",
        ),
        (
            "title: Siege\nannotations: [{label: Here, at: [95, 37]}]",
            "s.yaml, step 1 ('Siege'): annotations[1].at: expected a latitude from -90 to 90 "
            "and a longitude from -180 to 180, got [95, 37]",
        ),
        (
            "title: Siege\nannotations: [{label: Here, at: here}]",
            "s.yaml, step 1 ('Siege'): annotations[1].at: expected [latitude, longitude] in "
            "degrees, got 'here'",
        ),
        (
            "title: Siege\nannotations: [{arrow: x, from: [36, 37]}]",
            "s.yaml, step 1 ('Siege'): annotations[1].to: expected [latitude, longitude] in "
            "degrees, got None",
        ),
        (
            "title: Siege\nannotations: [{text: x}]",
            "s.yaml, step 1 ('Siege'): annotations[1]: expected a 'label' with 'at', or an "
            "'arrow' with 'from' and 'to'",
        ),
        (
            "title: Siege\nhighlight: {a: 1}",
            "s.yaml, step 1 ('Siege'): highlight: expected a list of names, got dict",
        ),
        (
            f"title: Siege\ntext: '{'x' * 5001}'",
            "s.yaml, step 1 ('Siege'): text: at most 5000 characters, got 5001",
        ),
    ],
)
def test_each_error_in_a_step_names_the_file_the_step_and_the_field(step, message):
    with pytest.raises(StoryError) as caught:
        parse_story(story_text(step), source="s.yaml")
    assert str(caught.value) == message


def test_the_second_step_is_named_by_its_number_and_title():
    text = "title: T\nsteps:\n- title: One\n- title: Two\n  view: {end: soon}\n"
    with pytest.raises(StoryError) as caught:
        parse_story(text, source="s.yaml")
    assert str(caught.value) == (
        "s.yaml, step 2 ('Two'): view.end: expected a date as YYYY-MM-DD, got 'soon'"
    )
    assert caught.value.step == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "title: [unclosed",
            "s.yaml: line 1, column 17: not valid YAML (expected ',' or ']', but got '<stream end>')",
        ),
        ("- a\n- b\n", "s.yaml: expected a mapping with a 'title' and its 'steps'"),
        ("steps: [{title: x}]", "s.yaml: title: a story needs a title"),
        ("title: T\nsteps: []", "s.yaml: steps: expected a list of at least one step"),
        (
            "title: T\nchapters: []",
            "s.yaml: unknown field 'chapters' (expected one of: id, title, subtitle, steps)",
        ),
    ],
)
def test_errors_in_the_story_itself_name_the_file_and_the_field(text, message):
    with pytest.raises(StoryError) as caught:
        parse_story(text, source="s.yaml")
    assert str(caught.value) == message


def test_a_yaml_tag_that_would_build_an_object_is_refused():
    """safe_load only: a story file is data, never code."""
    text = "title: !!python/object/apply:os.system ['echo hacked']\nsteps: [{title: x}]\n"
    with pytest.raises(StoryError, match=r"s\.yaml: line 1, column 8: not valid YAML"):
        parse_story(text, source="s.yaml")


def test_a_missing_or_binary_story_file_is_named(tmp_path):
    with pytest.raises(StoryError, match=r"nope\.yaml: no such file"):
        read_story(tmp_path / "nope.yaml")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00title")
    with pytest.raises(StoryError, match=r"b\.yaml: not UTF-8 text: a story file is YAML or JSON"):
        read_story(binary)


def test_check_story_names_highlighted_events_the_dataset_lacks(story):
    told = parse_story(
        story_text("title: Siege\nhighlight: [2016-12-13-bustan-al-qasr-captured, gone]")
    )
    assert check_story(told, story, source="s.yaml") == [
        "s.yaml, step 1 ('Siege'): highlight: no event 'gone' in the dataset"
    ]


def test_a_step_shows_its_layers_only_and_its_highlighted_events_whatever_the_filters(story):
    told = parse_story(
        story_text(
            """
            title: Two days
            view: {start: 2016-12-13, end: 2016-12-14, layers: [events]}
            highlight: [2017-01-23-astana-talks-open]
            """
        )
    )
    shown = step_data(told.steps[0], story)
    ids = set(shown.events[Column.ID])
    assert "2017-01-23-astana-talks-open" in ids
    assert "2016-12-13-aleppo-ceasefire-evacuation-deal" in ids
    assert "2016-12-22-evacuation-completed" not in ids
    assert shown.zones.empty and shown.places.empty and shown.routes.empty


def test_a_steps_sources_are_those_of_what_it_shows_its_highlights_first(story):
    told = parse_story(
        story_text(
            """
            title: Visit
            view: {start: 2016-12-05, end: 2016-12-06, layers: [events, zones]}
            highlight: [2016-12-05-yildirim-visit-to-moscow]
            """
        )
    )
    shown = step_data(told.steps[0], story)
    cited = step_sources(told.steps[0], shown)
    highlighted = [c.publisher for c in cited if c.highlighted]
    assert highlighted == [
        "Story source article",
        "Embassy of the Russian Federation in Turkey",
        "Turkish Minute",
        "Echo Turkey",
    ]
    assert cited[: len(highlighted)] == [c for c in cited if c.highlighted]
    # the other events shown that day and the zones drawn cite theirs too
    others = {c.publisher for c in cited if not c.highlighted}
    assert "Middle East Observer" in others  # al-Shaar, 6 December
    assert "Syrian Observer (citing SANA)" in others  # the enclave's drawn zone


# --- the bundled story ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled():
    return read_story(story_file())


def test_the_bundled_story_has_about_eight_steps_each_with_a_valid_view(bundled, story):
    assert 7 <= len(bundled.steps) <= 10
    first, last = story.events[Column.DATE_START].min(), story.events[Column.DATE_START].max()
    for number, step in enumerate(bundled.steps, start=1):
        filters = step.view.as_filters()  # parses: the view is valid
        assert filters.start is not None and filters.end is not None, number
        assert first <= filters.start <= filters.end <= last, number
        assert step.view.extent is not None, f"step {number} has no extent to fly to"
        assert step.text.strip(), number
        assert len(step_data(step, story).events) >= len(step.highlight), number


def test_the_bundled_storys_highlighted_events_exist_and_fall_in_their_steps_window(bundled, story):
    assert check_story(bundled, story) == []
    events = story.events.set_index(Column.ID)
    for number, step in enumerate(bundled.steps, start=1):
        assert step.highlight, f"step {number} highlights no event"
        filters = step.view.as_filters()
        for event_id in step.highlight:
            day = events.loc[event_id, Column.DATE_START]
            assert filters.start <= day <= filters.end, (number, event_id)
            lat, lon = events.loc[event_id].geometry.y, events.loc[event_id].geometry.x
            box = step.view.extent
            assert box.south <= lat <= box.north and box.west <= lon <= box.east, (
                f"step {number}: {event_id} lies outside the step's extent"
            )


def test_every_bundled_step_cites_sources_with_links(bundled, story):
    for number, step in enumerate(bundled.steps, start=1):
        cited = step_sources(step, step_data(step, story))
        own = [c for c in cited if c.highlighted]
        assert own, f"step {number} cites no source"
        assert any(c.url.startswith("https://") for c in own), f"step {number}: no link"


def test_the_bundled_story_tells_the_disputed_and_rescheduled_facts_as_such(bundled, story):
    by_title = {step.title: step for step in bundled.steps}
    visit = next(s for t, s in by_title.items() if "Yıldırım" in t)
    assert "8 December" in visit.text and "5–6 December" in visit.text
    assert "disputed" in visit.text
    statuses = story.events.set_index(Column.ID)[Column.STATUS]
    assert statuses["2016-12-05-yildirim-visit-to-moscow"] == "disputed"
    moscow = next(s for t, s in by_title.items() if "27 to 20" in t)
    assert "2016-12-27-trilateral-meeting-as-announced" in moscow.highlight
    assert "rescheduled" in moscow.text


def test_the_bundled_story_file_is_what_the_writer_would_read_back(bundled):
    assert parse_story(story_yaml(bundled)) == bundled
