"""Tables the tests write: the events layer's CSV header, and a valid row to vary.

A plain module for the tests to import: ``conftest.py`` holds only fixtures and hooks,
which pytest loads itself (imported as a module too, it would be loaded a second time).
"""

from __future__ import annotations

from pathlib import Path

EVENT_HEADER = (
    "id,date_start,date_end,date_precision,event_type,actor1,actor2,assoc_actors,"
    "latitude,longitude,location_precision,estimate,fatalities,status,sources"
)


def event_row(**overrides: str) -> str:
    """One valid CSV events row (in EVENT_HEADER's order), with some cells replaced."""
    cells = {
        "id": "e1",
        "date_start": "2016-12-15",
        "date_end": "",
        "date_precision": "day",
        "event_type": "Battles",
        "actor1": "Syrian government",
        "actor2": "",
        "assoc_actors": "",
        "latitude": "36.2",
        "longitude": "37.15",
        "location_precision": "locality",
        "estimate": "false",
        "fatalities": "",
        "status": "reported",
        "sources": "Reuters",
    }
    cells.update(overrides)
    return ",".join(cells[name] for name in EVENT_HEADER.split(","))


def nothing_valid_csv(folder: Path) -> Path:
    """A non-empty table in our layout none of whose rows can be kept (month 13)."""
    path = folder / "bad.csv"
    rows = [f"e{n},16/13/2016,Battles,Russia,https://example.org/{n},36.2,37.1" for n in range(3)]
    path.write_text(
        "id,date_start,event_type,actor1,sources,latitude,longitude\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path
