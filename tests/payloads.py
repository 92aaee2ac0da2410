"""Hostile text for the injection tests: template payloads and script payloads, and a copy of
the bundled story with them planted in every free-text field of every layer.

The payloads are those of the red-team report (issue 10): Jinja expressions, statements and
comments, the ``cycler`` route to ``os.popen`` (spelled with and without quotes), JavaScript
template-literal expressions, backticks, Leaflet's ``{x}`` placeholders, and HTML that runs
script.  Each command payload would create a marker file if it ever ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geo.schema import LAYER_SPECS, FieldType, Layer
from geo.story import story_path

#: What an evaluated ``{{ lipsum.__name__ }}`` leaves where the payload stood.
EVALUATED = "generate_lorem_ipsum"


def _spelled(command: str) -> str:
    """``command`` as a Python bytes literal of numbers: no quote survives HTML escaping."""
    return "bytes([" + ",".join(str(b) for b in command.encode()) + "]).decode()"


def template_payloads(marker: Path) -> list[str]:
    """Server-side template payloads; each command one would ``touch marker``."""
    command = f"touch {marker}"
    return [
        "{{7*191}}",
        "{{ lipsum.__name__ }}",
        "{% for x in range(3) %}LOOP{% endfor %}",
        "{# comment #}",
        "{{ config }}",
        "{{ cycler.__init__.__globals__.os.popen(" + _spelled(command) + ").read() }}",
        '{{ cycler.__init__.__globals__.os.popen("' + command + '").read() }}',
        "{{ self.__init__.__globals__.__builtins__ }}",
        "${7*191}",
        "{x} {z}/{y} {s}",
        "{% raw %}",
        "{{",
    ]


#: Script payloads: each would set ``window.__pwned`` or open a dialog if it ran.
SCRIPT_PAYLOADS = [
    "<img src=x onerror=window.__pwned=1;alert(1)>",
    "${window.__pwned=1}",
    "`+(window.__pwned=1)+`",
    "\\`;window.__pwned=1;`",
    "</script><script>window.__pwned=1</script>",
    "<svg onload=window.__pwned=1>",
    "'-(window.__pwned=1)-'",
    '"-(window.__pwned=1)-"',
    "<a href=javascript:window.__pwned=1>x</a>",
]


def all_payloads(marker: Path) -> list[str]:
    """Template and script payloads together."""
    return template_payloads(marker) + SCRIPT_PAYLOADS


_JSON_TYPES = {FieldType.SOURCES, FieldType.PERIODS, FieldType.PEOPLE_MOVED}
#: Keys of the JSON fields that are dates or numbers, kept so that validation accepts the row.
_TYPED_KEYS = {"date", "start", "end", "as_of", "count", "status", "url"}


def _free_text_columns(layer: Layer) -> tuple[set[str], set[str]]:
    spec = LAYER_SPECS[layer]
    text = {f.column.value for f in spec.fields if f.type == FieldType.TEXT}
    nested = {f.column.value for f in spec.fields if f.type in _JSON_TYPES}
    return text, nested


def _plant_nested(value: Any, payload: str) -> Any:
    if isinstance(value, dict):
        return {k: (v if k in _TYPED_KEYS else _plant_nested(v, payload)) for k, v in value.items()}
    if isinstance(value, list):
        return [_plant_nested(v, payload) for v in value]
    if isinstance(value, str):
        return f"{value} {payload}"
    return value


def poisoned_story(folder: Path, payloads: list[str]) -> Path:
    """The bundled story's layer files, written to ``folder`` with a payload appended to every
    free-text field (ids, names, actors, types, places, notes, methods, every source's
    publisher, title, quote, claim and note, route periods' notes, counts' qualifiers...).

    Payloads rotate from feature to feature and field to field, so every payload reaches
    every kind of field.  Returns ``folder``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    turn = 0
    for layer in (Layer.EVENTS, Layer.PLACES, Layer.ZONES, Layer.ROUTES):
        text, nested = _free_text_columns(layer)
        collection = json.loads((story_path() / f"{layer}.geojson").read_text(encoding="utf-8"))
        for feature in collection["features"]:
            properties = feature["properties"]
            for key, value in list(properties.items()):
                payload = payloads[turn % len(payloads)]
                turn += 1
                if key in text and isinstance(value, str) and value:
                    properties[key] = f"{value} {payload}"
                elif key in nested and value:
                    decoded = json.loads(value) if isinstance(value, str) else value
                    properties[key] = _plant_nested(decoded, payload)
        (folder / f"{layer}.geojson").write_text(
            json.dumps(collection, ensure_ascii=False), encoding="utf-8"
        )
    return folder
