"""Stories: an ordered list of steps, each a view of the data with a title and a short text.

A story file is YAML (JSON is YAML too), read with ``yaml.safe_load`` only: a file is data,
never code.  It holds a ``title``, an optional ``subtitle`` and ``id`` (the name a link
gives it), and its ``steps``; each step has

- ``title`` and ``text`` (Markdown; the pages that show it escape any HTML in it),
- ``view``: the filters, by the field names of ``geo.filters.FILTER_FIELDS`` (``start``,
  ``end``, ``as_of``, ``actors``, ``event_types`` ...: each parsed by its own declaration,
  so a filter is still declared once), the ``layers`` drawn, and the ``extent`` the map
  flies to (``W,S,E,N`` in degrees, or a list of the four numbers),
- ``highlight``: the ids of the events the step is about,
- ``annotations``: a ``label`` at a position (``at: [lat, lon]``), or an ``arrow`` (its
  label, possibly empty) ``from: [lat, lon]`` ``to: [lat, lon]``.

Every error names the file, the step (its number from 1 and its title) and the field.  The
functions here are pure: text or paths in, dataclasses or text out; positions and extents
are EPSG:4326 degrees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from geo.dataset import Dataset
from geo.filters import FILTER_FIELD, BoundingBox, Filters, filter_dataset, filters_from_text
from geo.parsing import decode_json_list
from geo.schema import DATASET_LAYERS, Column, Layer

#: The map layers a step may name when the caller gives none (the app passes its registry).
DEFAULT_LAYERS: tuple[str, ...] = ("events", "places", "zones", "routes")
#: The filters a step's view may set: every declared filter but the datasets (a story is
#: told on one dataset) and the bounding box (a step's area is its extent, not a filter).
VIEW_FILTERS: tuple[str, ...] = tuple(
    name for name in FILTER_FIELD if name not in ("datasets", "bbox")
)
STORY_FIELDS = ("id", "title", "subtitle", "steps")
STEP_FIELDS = ("title", "text", "view", "highlight", "annotations")
VIEW_FIELDS = (*VIEW_FILTERS, "layers", "extent")
#: The longest title and text a step may have (a step is read beside a map, not a page).
MAX_TITLE = 200
MAX_TEXT = 5_000


class StoryError(ValueError):
    """A story file that cannot be used: the message names the file, step and field."""

    def __init__(self, source: str, message: str, *, step: int | None = None, title: str = ""):
        self.source, self.step, self.reason = source, step, message
        where = source
        if step is not None:
            where += f", step {step}" + (f" ({title!r})" if title else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Annotation:
    """A label at a position, or an arrow (with its label) from one position to another.

    Positions are (latitude, longitude) in degrees.
    """

    kind: str  # "label" or "arrow"
    text: str
    at: tuple[float, float]
    to: tuple[float, float] | None = None


@dataclass(frozen=True)
class StepView:
    """What a step shows: its filters (as texts by field name), layers and extent."""

    filters: Mapping[str, Any] = field(default_factory=dict)
    layers: tuple[str, ...] = DEFAULT_LAYERS
    #: The extent the map flies to (None: fitted to what the step shows).
    extent: BoundingBox | None = None

    def as_filters(self) -> Filters:
        """The data-layer filters of the step."""
        return filters_from_text(self.filters)

    def bounds(self) -> list[list[float]] | None:
        """Leaflet's ``[[south, west], [north, east]]`` of the extent (None: fit the data)."""
        if self.extent is None:
            return None
        box = self.extent
        return [[box.south, box.west], [box.north, box.east]]


@dataclass(frozen=True)
class Step:
    """One step of a story."""

    title: str
    text: str = ""
    view: StepView = field(default_factory=StepView)
    highlight: tuple[str, ...] = ()
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class Story:
    """A story: its title, the name links give it, and its steps in order."""

    title: str
    steps: tuple[Step, ...]
    subtitle: str = ""
    id: str = "story"

    def step(self, number: int) -> Step:
        """The step numbered from 1 (clamped to the first and last)."""
        return self.steps[min(max(number, 1), len(self.steps)) - 1]

    def with_steps(self, steps: Iterable[Step]) -> Story:
        """The same story with other steps."""
        return replace(self, steps=tuple(steps))


# --- reading ----------------------------------------------------------------------------


class _StoryLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader, reading dates as the text they are.

    YAML would read ``2016-12-13`` as a date itself, and fail on ``2016-13-01`` with no
    word of where; the filter's own parser reads the text, with its own message.
    """


_StoryLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _text(value: Any) -> str:
    """A scalar read from YAML as text (YAML reads 2016-12-13 as a date, 3 as a number)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _position(value: Any, what: str) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(f"{what}: expected [latitude, longitude] in degrees, got {value!r}")
    lat, lon = float(value[0]), float(value[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(
            f"{what}: expected a latitude from -90 to 90 and a longitude from -180 to 180, "
            f"got {value!r}"
        )
    return lat, lon


def _unknown(data: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        prefix = f"{where}: " if where else ""
        raise ValueError(
            f"{prefix}unknown field {unknown[0]!r} (expected one of: {', '.join(known)})"
        )


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{what}: expected a mapping of fields, got {type(value).__name__}")
    return value


def _string_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | dt.date | int | float):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"{what}: expected a list of names, got {type(value).__name__}")
    return [_text(v) for v in value if v is not None and _text(v).strip()]


def _read_view(raw: Any, layers: Sequence[str]) -> StepView:
    data = _mapping(raw, "view")
    _unknown(data, VIEW_FIELDS, "view")
    filters: dict[str, Any] = {}
    for name in VIEW_FILTERS:
        if data.get(name) is None:
            continue
        spec = FILTER_FIELD[name]
        texts = _string_list(data[name], f"view.{name}") if spec.many else [_text(data[name])]
        for text in texts:
            try:
                spec.parse(text)
            except ValueError as error:
                raise ValueError(f"view.{name}: {error}") from None
        filters[name] = texts if spec.many else texts[0]
    try:
        filters_from_text(filters)  # the window as a whole (its end after its start)
    except ValueError as error:
        raise ValueError(f"view: {error}") from None
    as_of, start, end = filters.get("as_of"), filters.get("start"), filters.get("end")
    if as_of and ((start and as_of < start) or (end and as_of > end)):
        raise ValueError(f"view.as_of: {as_of} is outside the date window ({start} to {end})")
    chosen = tuple(layers)
    if data.get("layers") is not None:
        chosen = tuple(_string_list(data["layers"], "view.layers"))
        wrong = [name for name in chosen if name not in layers]
        if wrong:
            raise ValueError(
                f"view.layers: unknown layer {wrong[0]!r} (expected any of: {', '.join(layers)})"
            )
    extent = None
    if data.get("extent") is not None:
        text = data["extent"]
        if isinstance(text, list | tuple):
            text = ",".join(_text(v) for v in text)
        try:
            extent = BoundingBox.parse(_text(text))
        except ValueError as error:
            raise ValueError(f"view.extent: {error}") from None
    return StepView(filters=filters, layers=chosen, extent=extent)


def _read_annotation(raw: Any, number: int) -> Annotation:
    what = f"annotations[{number}]"
    data = _mapping(raw, what)
    if "label" in data and "arrow" not in data:
        _unknown(data, ("label", "at"), what)
        return Annotation("label", _text(data["label"]), _position(data.get("at"), f"{what}.at"))
    if "arrow" in data:
        _unknown(data, ("arrow", "from", "to"), what)
        text = "" if data["arrow"] is None else _text(data["arrow"])
        return Annotation(
            "arrow",
            text,
            _position(data.get("from"), f"{what}.from"),
            _position(data.get("to"), f"{what}.to"),
        )
    raise ValueError(f"{what}: expected a 'label' with 'at', or an 'arrow' with 'from' and 'to'")


def _read_step(raw: Any, layers: Sequence[str]) -> Step:
    data = _mapping(raw, "step")
    _unknown(data, STEP_FIELDS, "")
    title = _text(data.get("title") or "").strip()
    if not title:
        raise ValueError("title: every step needs a title")
    if len(title) > MAX_TITLE:
        raise ValueError(f"title: at most {MAX_TITLE} characters, got {len(title)}")
    text = "" if data.get("text") is None else _text(data["text"])
    if len(text) > MAX_TEXT:
        raise ValueError(f"text: at most {MAX_TEXT} characters, got {len(text)}")
    annotations = data.get("annotations") or []
    if not isinstance(annotations, list):
        raise ValueError("annotations: expected a list")
    return Step(
        title=title,
        text=text.strip(),
        view=_read_view(data.get("view"), layers),
        highlight=tuple(dict.fromkeys(_string_list(data.get("highlight"), "highlight"))),
        annotations=tuple(_read_annotation(a, n) for n, a in enumerate(annotations, start=1)),
    )


def parse_story(
    text: str, *, source: str = "story", layers: Sequence[str] = DEFAULT_LAYERS
) -> Story:
    """A story from the text of a story file (YAML or JSON).

    ``layers``: the map layers a step may name.

    Raises
    ------
    StoryError
        Naming ``source``, the step (number and title) and the field that is wrong.
    """
    try:
        data = yaml.load(text, Loader=_StoryLoader)  # a SafeLoader: no objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or "cannot be read"
        raise StoryError(source, f"{where}not valid YAML ({problem})") from None
    if not isinstance(data, Mapping):
        raise StoryError(source, "expected a mapping with a 'title' and its 'steps'")
    try:
        _unknown(data, STORY_FIELDS, "")
    except ValueError as error:
        raise StoryError(source, str(error)) from None
    title = _text(data.get("title") or "").strip()
    if not title:
        raise StoryError(source, "title: a story needs a title")
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise StoryError(source, "steps: expected a list of at least one step")
    steps = []
    for number, raw in enumerate(steps_raw, start=1):
        raw_title = raw.get("title") if isinstance(raw, Mapping) else None
        try:
            steps.append(_read_step(raw, layers))
        except ValueError as error:
            raise StoryError(
                source, str(error), step=number, title=_text(raw_title or "").strip()
            ) from None
    story_id = _text(data.get("id") or "story").strip()
    return Story(
        title=title,
        subtitle=_text(data.get("subtitle") or "").strip(),
        steps=tuple(steps),
        id=story_id,
    )


def read_story(path: str | Path, *, layers: Sequence[str] = DEFAULT_LAYERS) -> Story:
    """A story from its file (UTF-8 YAML or JSON).

    Raises
    ------
    StoryError
        When the file is missing, not UTF-8 text, or not a valid story.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoryError(str(path), "no such file") from None
    except UnicodeDecodeError:
        raise StoryError(str(path), "not UTF-8 text: a story file is YAML or JSON") from None
    return parse_story(text, source=str(path), layers=layers)


def check_story(story: Story, dataset: Dataset, *, source: str = "story") -> list[str]:
    """What in the story the dataset does not have: highlighted events, actors, types.

    A story opened on another dataset still works; these say what its steps will miss.
    """
    ids = set(dataset.events[Column.ID].astype(str))
    problems = []
    for number, step in enumerate(story.steps, start=1):
        where = f"{source}, step {number} ({step.title!r})"
        for event_id in step.highlight:
            if event_id not in ids:
                problems.append(f"{where}: highlight: no event {event_id!r} in the dataset")
    return problems


# --- writing ----------------------------------------------------------------------------


def story_data(story: Story) -> dict[str, Any]:
    """The story as plain data, in the file's layout (what :func:`parse_story` reads)."""
    steps = []
    for step in story.steps:
        view: dict[str, Any] = dict(step.view.filters)
        view["layers"] = list(step.view.layers)
        if step.view.extent is not None:
            view["extent"] = step.view.extent.text()
        entry: dict[str, Any] = {"title": step.title, "text": step.text, "view": view}
        if step.highlight:
            entry["highlight"] = list(step.highlight)
        if step.annotations:
            entry["annotations"] = [
                {"label": a.text, "at": list(a.at)}
                if a.kind == "label"
                else {"arrow": a.text, "from": list(a.at), "to": list(a.to or a.at)}
                for a in step.annotations
            ]
        steps.append(entry)
    data: dict[str, Any] = {"id": story.id, "title": story.title}
    if story.subtitle:
        data["subtitle"] = story.subtitle
    data["steps"] = steps
    return data


class _StoryDumper(yaml.SafeDumper):
    """Safe YAML with texts of several lines written as ``|`` blocks, as people write them."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_StoryDumper.add_representer(str, _represent_text)


def story_yaml(story: Story) -> str:
    """The story as a YAML file's text (block style, Unicode kept: it diffs well)."""
    return yaml.dump(
        story_data(story),
        Dumper=_StoryDumper,
        sort_keys=False,
        allow_unicode=True,
        width=92,
        default_flow_style=None,
    )


def write_story(story: Story, path: str | Path) -> Path:
    """Write the story file atomically (a failed write leaves the old file whole)."""
    from geo.io import atomic_path

    path = Path(path)
    text = story_yaml(story)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def story_hash(text: str | bytes) -> str:
    """A short SHA-256 of a story file's bytes: its version in provenance."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:12]


# --- what a step shows ------------------------------------------------------------------


def step_data(step: Step, dataset: Dataset) -> Dataset:
    """The dataset as the step shows it: filtered by its view, its layers only (EPSG:4326).

    A layer the step does not draw is empty; highlighted events are kept whatever the
    filters say (the step is about them).
    """
    shown = filter_dataset(dataset, step.view.as_filters())
    events = shown.events
    if step.highlight:
        wanted = dataset.events[dataset.events[Column.ID].isin(step.highlight)]
        extra = wanted[~wanted[Column.ID].isin(events[Column.ID])]
        if len(extra):
            events = pd.concat([events, extra])
    layers = {}
    for layer in DATASET_LAYERS:
        frame = events if layer == Layer.EVENTS else shown.layer(layer)
        layers[str(layer)] = frame if str(layer) in step.view.layers else frame.iloc[0:0]
    return shown.with_layers(**layers)


@dataclass(frozen=True)
class Citation:
    """One source a step cites: who, what, where to read it.

    ``highlighted``: cited by an event the step highlights (else by another feature shown).
    """

    publisher: str
    title: str = ""
    url: str = ""
    date: str = ""
    claim: str = ""
    highlighted: bool = False


def step_sources(step: Step, shown: Dataset) -> list[Citation]:
    """The sources of what the step shows: its highlighted events' first, then the rest.

    ``shown`` is :func:`step_data`'s.  Zones and routes cite theirs too.  One entry per
    publisher and link (the same report cited by two events is listed once).
    """
    events = shown.events
    highlighted = events[events[Column.ID].isin(step.highlight)]
    others = events[~events[Column.ID].isin(step.highlight)]
    cells = [(cell, True) for cell in highlighted[Column.SOURCES]]
    cells += [(cell, False) for cell in others[Column.SOURCES]]
    for layer in (Layer.ZONES, Layer.ROUTES):
        cells.extend((cell, False) for cell in shown.layer(layer)[Column.SOURCES])
    seen: dict[tuple[str, str], Citation] = {}
    for cell, of_highlight in cells:
        for source in decode_json_list(cell):
            publisher = str(source.get("publisher") or "").strip()
            if not publisher:
                continue
            url = str(source.get("url") or "").strip()
            key = (publisher, url or str(source.get("quote") or source.get("claim") or ""))
            if key not in seen:
                seen[key] = Citation(
                    publisher=publisher,
                    title=str(source.get("title") or "").strip(),
                    url=url,
                    date=str(source.get("date") or "").strip(),
                    claim=str(source.get("claim") or "").strip(),
                    highlighted=of_highlight,
                )
    return list(seen.values())


def story_json(story: Story) -> str:
    """The story as JSON text (the same layout as the YAML file)."""
    return json.dumps(story_data(story), ensure_ascii=False, indent=2)
