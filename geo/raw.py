"""The readers' contract with the validator: a table as read from a file, not yet checked.

Every reader (:mod:`geo.io`) makes a :class:`RawTable`; :mod:`geo.placement` fills in
positions by place name; :mod:`geo.validation` turns it into a layer and a report.  It
lives here, beneath all three, so that none of them imports another for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from geo.problems import Problem
from geo.schema import OUR_LAYOUT


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file, before validation.

    ``cells`` holds the attribute columns as found (text, or typed values from typed
    formats); ``geometry`` holds shapely geometries (None where missing or unreadable) for
    formats that carry geometry; ``problems`` are those found while reading (for example a
    GeoJSON feature whose geometry could not be parsed, or a CSV row with too many cells:
    a problem without a column rejects its record whatever else is wrong with it).
    ``encoding`` and ``delimiter`` say how a text file was read.

    A table in a known layout (ACLED, ...) holds our columns in ``cells``; ``as_read`` keeps
    the file's own cells (a user's mapping is applied to those), ``unread_columns`` the
    file's columns the layout does not read, and ``notes`` what the reading decided (date
    forms, coarser dates).  Where only the layout's columns were read (Parquet reads
    columns apart), ``read_every_column`` reads all of the file's own cells, for a mapping
    that names others.
    """

    path: str
    cells: pd.DataFrame
    geometry: pd.Series | None = None
    record_label: str = "line"
    first_row: int = 2
    problems: tuple[Problem, ...] = ()
    layout: str = OUR_LAYOUT
    encoding: str | None = None
    delimiter: str | None = None
    as_read: pd.DataFrame | None = None
    unread_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    read_every_column: Callable[[], pd.DataFrame] | None = field(default=None, compare=False)


__all__ = ["RawTable"]
