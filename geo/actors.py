"""Actor names and their aliases ("Assad regime" is the Syrian government).

The alias table is data (``geo/data/actor_aliases.csv``: ``alias,actor``), so a newsroom can
extend it without touching code.  Matching is case-insensitive.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path


@cache
def default_aliases() -> Mapping[str, str]:
    """The bundled alias table, keyed by the case-folded alias."""
    table = resources.files("geo") / "data" / "actor_aliases.csv"
    with table.open(encoding="utf-8") as f:
        return _aliases_from_rows(csv.DictReader(f))


def read_aliases(path: str | Path) -> Mapping[str, str]:
    """Read an alias table (CSV with ``alias`` and ``actor`` columns), keyed case-folded."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return _aliases_from_rows(csv.DictReader(f))


def _aliases_from_rows(rows: Iterable[dict[str, str]]) -> dict[str, str]:
    aliases = {}
    for row in rows:
        actor = row["actor"].strip()
        aliases[row["alias"].strip().casefold()] = actor
        aliases[actor.casefold()] = actor
    return aliases


def canonical_actor(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The canonical name of an actor: its alias table entry, or the name itself, trimmed."""
    table = default_aliases() if aliases is None else aliases
    trimmed = name.strip()
    return table.get(trimmed.casefold(), trimmed)


def actor_key(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The case-folded canonical name: two names are the same actor when their keys match."""
    return canonical_actor(name, aliases).casefold()
