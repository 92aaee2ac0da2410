"""Story mode's parts: the session's story, a step as the app's state, and its authoring.

The story a session tells is the file of ``atlas run --story`` (``ATLAS_STORY``), else the
bundled one, until the user opens another by upload.  Edits (a view added as a step, a title
or text changed, steps moved or deleted) stay in the session until saved: to the story file
(atomically) when there is one, or downloaded.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import streamlit as st

from dashboard import state as S
from dashboard.components.text import md_text
from dashboard.maps import MAP_LAYERS
from dashboard.settings import STORY
from dashboard.state import Choices, ViewState
from dashboard.views import FIT
from geo.filters import BoundingBox
from geo.narrative import Step, StepView, Story, StoryError, parse_story, story_yaml, write_story
from geo.story import story_file

K_STORY = "story"
K_STORY_PATH = "story_path"  # the file Save writes (None: download only)
K_STORY_NAME = "story_file_name"
K_STORY_ERROR = "story_error"
K_UPLOAD = "story_upload"
K_EDIT_TITLE, K_EDIT_TEXT = "story_edit_title", "story_edit_text"
K_SAVED = "story_saved_note"  # (note, the story it is about): shown until the story changes


def _read(path: Path) -> Story:
    return parse_story(
        path.read_text(encoding="utf-8"), source=path.name, layers=MAP_LAYERS.names()
    )


def session_story() -> Story:
    """The story this session tells (read once per session from ``--story`` or the bundle).

    Raises
    ------
    geo.narrative.StoryError
        When the ``--story`` file is not a valid story (the page shows the message).
    """
    ss = st.session_state
    if K_STORY not in ss:
        path = STORY.value()
        ss[K_STORY] = _read(Path(path) if path else story_file())
        ss[K_STORY_PATH] = str(path) if path else None
        ss[K_STORY_NAME] = Path(path).name if path else "story.yaml"
    return ss[K_STORY]


def step_state(step: Step, choices: Choices) -> ViewState:
    """The app's state for a step: its filters and layers (the dates clamped to the data).

    A window the step leaves open is the data's; the map's extent is the step's (the
    story map flies there), so the state keeps no centre of its own.
    """
    filters = step.view.as_filters()

    def day(value, fallback: dt.date) -> dt.date:
        return fallback if value is None else S.displayable(value.date())

    start = max(day(filters.start, choices.first_day), choices.first_day)
    end = min(day(filters.end, choices.last_day), choices.last_day)
    if end < start:
        start, end = choices.first_day, choices.last_day
    as_of = day(filters.as_of, end) if filters.as_of is not None else None
    if as_of is not None and not start <= as_of <= end:
        as_of = None
    known_types = {t.casefold(): t for t in choices.types}
    return ViewState(
        start=start,
        end=end,
        as_of=None if as_of == end else as_of,
        actors=tuple(filters.actors),
        types=tuple(known_types.get(t.casefold(), t) for t in filters.event_types),
        view=FIT,
        layers=tuple(name for name in MAP_LAYERS.names() if name in step.view.layers),
    )


def view_of(state: ViewState, bounds: list[list[float]] | None) -> StepView:
    """A step's view from the app's state and the map's extent (``[[s, w], [n, e]]``)."""
    filters: dict[str, object] = {
        "start": f"{state.start:%Y-%m-%d}",
        "end": f"{state.end:%Y-%m-%d}",
    }
    if state.as_of is not None:
        filters["as_of"] = f"{state.as_of:%Y-%m-%d}"
    if state.actors:
        filters["actors"] = list(state.actors)
    if state.types:
        filters["event_types"] = list(state.types)
    extent = None
    if bounds is not None:
        (south, west), (north, east) = bounds
        extent = BoundingBox(
            round(max(west, -180), 4),
            round(max(south, -90), 4),
            round(min(east, 180), 4),
            round(min(north, 90), 4),
        )
    return StepView(filters=filters, layers=state.layers, extent=extent)


def go(story: Story, number: int, choices: Choices) -> None:
    """Show step ``number`` of ``story`` (before the widgets are drawn)."""
    number = min(max(number, 1), len(story.steps))
    S.go_to_step(number, step_state(story.step(number), choices), story.id)
    st.session_state.pop(K_EDIT_TITLE, None)
    st.session_state.pop(K_EDIT_TEXT, None)


# The buttons' callbacks below read the session's story and step when they are called,
# not the ones their button was drawn with: Streamlit passes a callback the arguments of
# the run that drew the button, and a second click can land before that run is redone
# (*Keep these changes* then *Save* at once saved the story without the kept changes).


def go_to(number: int, choices: Choices) -> None:
    """Show step ``number`` of the session's story."""
    go(session_story(), number, choices)


def step_by(offset: int, choices: Choices) -> None:
    """Show the step ``offset`` after (or before) the one on screen now."""
    go(session_story(), S.current_step() + offset, choices)


def enter(story: Story, choices: Choices) -> bool:
    """On entering story mode: the link's step, or the step the session was on.

    True when it set a step's state: this run's filters were settled before, so the page
    reruns rather than draw the map of the state it came with.
    """
    _, asked = S.take_link_story()
    if asked is not None:
        go(story, asked, choices)
        return True
    if S.K_STEP not in st.session_state:
        go(story, 1, choices)
        return True
    return False


# --- authoring --------------------------------------------------------------------------


def _set_story(story: Story, number: int, choices: Choices) -> None:
    st.session_state[K_STORY] = story
    go(story, number, choices)


def add_current_view(choices: Choices) -> None:
    """Insert the view on screen (filters, layers, extent) as a new step after this one."""
    story = session_story()
    number = S.current_step()
    step = Step(
        title=f"New step {len(story.steps) + 1}",
        view=view_of(S.session_state(), S.story_map_extent()),
    )
    steps = list(story.steps)
    steps.insert(number, step)
    _set_story(story.with_steps(steps), number + 1, choices)
    _note("Added this view as a step: give it a title and a text.")


def save_edits(choices: Choices) -> None:
    """Keep the edited title and text of this step."""
    story = session_story()
    number = S.current_step()
    ss = st.session_state
    title = str(ss.get(K_EDIT_TITLE, "")).strip() or story.step(number).title
    text = str(ss.get(K_EDIT_TEXT, story.step(number).text))
    steps = list(story.steps)
    steps[number - 1] = replace(steps[number - 1], title=title, text=text.strip())
    _set_story(story.with_steps(steps), number, choices)


def move(offset: int, choices: Choices) -> None:
    """Move this step up (-1) or down (+1)."""
    story = session_story()
    number = S.current_step()
    target = number + offset
    if not 1 <= target <= len(story.steps):
        return
    steps = list(story.steps)
    steps[number - 1], steps[target - 1] = steps[target - 1], steps[number - 1]
    _set_story(story.with_steps(steps), target, choices)


def delete(choices: Choices) -> None:
    """Delete this step (a story keeps at least one)."""
    story = session_story()
    if len(story.steps) <= 1:
        return
    number = S.current_step()
    steps = [step for n, step in enumerate(story.steps, start=1) if n != number]
    _set_story(story.with_steps(steps), min(number, len(steps)), choices)


def save() -> None:
    """Write the session's story to its file, atomically."""
    path = st.session_state.get(K_STORY_PATH)
    if path:
        story = session_story()
        write_story(story, path)
        _note(f"Saved {len(story.steps)} steps to {Path(path).name}.")


def _note(text: str) -> None:
    """A note on what was just done to the session's story, until the story changes again.

    Not for one run only: a rerun that follows at once (the map reporting its view) would
    take it off the screen before anyone read it.  "Changes" is by value: the note says
    what the file holds.
    """
    st.session_state[K_SAVED] = (text, st.session_state.get(K_STORY))
    # and where it is seen at once: the note sits below the buttons, out of a laptop's view
    st.toast(md_text(text), icon=":material/check:")


def open_upload(choices: Choices) -> None:
    """Open the uploaded story file (its errors name the file, step and field)."""
    ss = st.session_state
    upload = ss.get(K_UPLOAD)
    if upload is None:
        return
    try:
        text = upload.getvalue().decode("utf-8")
        story = parse_story(text, source=upload.name, layers=MAP_LAYERS.names())
    except UnicodeDecodeError:
        ss[K_STORY_ERROR] = f"{upload.name}: not UTF-8 text: a story file is YAML or JSON"
        return
    except StoryError as error:
        ss[K_STORY_ERROR] = str(error)
        return
    ss.pop(K_STORY_ERROR, None)
    ss[K_STORY_PATH] = None  # an upload is saved by download: the server keeps no copy
    ss[K_STORY_NAME] = upload.name
    _set_story(story, 1, choices)


def render_authoring(story: Story, choices: Choices) -> None:
    """The authoring tools: add the view as a step, edit, reorder, delete, save, open."""
    ss = st.session_state
    number = S.current_step()
    step = story.step(number)
    add, up, down, drop = st.columns(4)
    add.button(
        "Add this view as a step",
        key="story_add",
        on_click=add_current_view,
        args=(choices,),
        help="The filters, layers and map extent on screen now, as a new step after this one.",
        width="stretch",
    )
    up.button(
        "Move up",
        key="story_up",
        on_click=move,
        args=(-1, choices),
        disabled=number == 1,
        width="stretch",
    )
    down.button(
        "Move down",
        key="story_down",
        on_click=move,
        args=(1, choices),
        disabled=number == len(story.steps),
        width="stretch",
    )
    drop.button(
        "Delete step",
        key="story_delete",
        on_click=delete,
        args=(choices,),
        disabled=len(story.steps) == 1,
        width="stretch",
    )
    if K_EDIT_TITLE not in ss:
        ss[K_EDIT_TITLE], ss[K_EDIT_TEXT] = step.title, step.text
    # A form: the title and text go to the server with the click on *Keep these changes*.
    # Outside one, leaving a field sends it on its own, and the rerun that starts could
    # swallow the click made in the same gesture (streamlit/streamlit#8725).
    with st.form("story_edit", border=False, enter_to_submit=False):
        st.text_input("Step title", key=K_EDIT_TITLE)
        st.text_area("Step text (Markdown)", key=K_EDIT_TEXT, height=120)
        st.form_submit_button(
            "Keep these changes", key="story_keep", on_click=save_edits, args=(choices,)
        )
    save_col, download_col = st.columns(2)
    path = ss.get(K_STORY_PATH)
    save_col.button(
        f"Save to {Path(path).name}" if path else "Save (start with --story FILE)",
        key="story_save",
        on_click=save,
        disabled=not path,
        width="stretch",
    )
    download_col.download_button(
        "Download the story file",
        data=story_yaml(story).encode("utf-8"),
        file_name=ss.get(K_STORY_NAME) or "story.yaml",
        mime="application/x-yaml",
        key="story_download",
        width="stretch",
    )
    # below the buttons: a note that comes and goes above them would move them as they
    # are clicked (a click on *Save* just after *Keep these changes* landed on nothing)
    note, about = ss.get(K_SAVED) or (None, None)
    if note and about == story:
        st.success(md_text(note))
    st.file_uploader(
        "Open a story file",
        type=["yaml", "yml", "json"],
        key=K_UPLOAD,
        on_change=open_upload,
        args=(choices,),
    )
    if ss.get(K_STORY_ERROR):
        st.error(md_text(ss[K_STORY_ERROR]))


#: The labels of the buttons that step through the story (the arrow keys press them).
PREVIOUS, NEXT = "← Previous", "Next →"
#: Arrow keys press the previous and next buttons (unless typing in a field).  A tiny
#: component: its frame shares the app's origin, so it can listen on the page itself.
KEYS_SCRIPT = """<script>
(function () {
  var doc = window.parent.document;
  if (window.parent.__atlasStoryKeys) { return; }
  window.parent.__atlasStoryKeys = true;
  doc.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target || {};
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName || "") || t.isContentEditable) { return; }
    var label = {ArrowRight: NEXT, ArrowLeft: PREVIOUS}[e.key];
    if (!label) { return; }
    var button = Array.prototype.find.call(doc.querySelectorAll("button"), function (b) {
      return b.innerText.trim() === label && !b.disabled;
    });
    if (button) { e.preventDefault(); button.click(); }
  });
})();
</script>""".replace("PREVIOUS", json.dumps(PREVIOUS)).replace("NEXT", json.dumps(NEXT))
