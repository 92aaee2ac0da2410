"""What goes wrong with input: one problem per bad cell, a report per load, one error type.

A *problem* is a rejected row's reason; a :class:`DataError` is a file that cannot be read
at all.  Rows are numbered as a spreadsheet numbers them: the header is row 1, the first
record row 2.  GeoJSON has no rows, so its records are numbered as features from 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from geo.parsing import neutralise_formula
from geo.schema import OUR_LAYOUT


class DataError(Exception):
    """A file that cannot be read at all (missing, not the format it claims, no usable columns).

    The message always starts with the file's path.
    """

    def __init__(self, path: str | Path, message: str):
        self.path = str(path)
        self.reason = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True, order=True)
class Problem:
    """One reason one record was rejected.

    ``row`` is the record's position as a spreadsheet numbers rows (header = 1), or for
    GeoJSON the feature's 1-based number; ``record_label`` says which.  An empty ``column``
    means the record as a whole (a CSV row with more cells than the header has).
    """

    path: str
    row: int
    column: str
    message: str
    layer: str = ""
    record_label: str = "line"

    @property
    def where(self) -> str:
        """``12`` for a table row, ``feature 3`` for a GeoJSON feature."""
        return str(self.row) if self.record_label == "line" else f"{self.record_label} {self.row}"

    def __str__(self) -> str:
        column = f" {self.column}:" if self.column else ""
        return f"{self.path}:{self.where}:{column} {self.message}"


@dataclass
class LayerReport:
    """What happened to one layer of one file: rows read, accepted, and why the rest were not."""

    path: str
    layer: str
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: Columns in the file that the layer does not have; they are not loaded.
    ignored_columns: list[str] = field(default_factory=list)
    #: The layout the file was recognised as (ours, or ACLED, ...).
    layout: str = OUR_LAYOUT
    #: The text encoding a text file was read in (a Python codec name), else None.
    encoding: str | None = None
    #: The delimiter a CSV file was read with, else None.
    delimiter: str | None = None
    #: Rows placed from their place name (offline GeoNames), not from coordinates.
    geocoded: int = 0
    #: How many rows placed by name lie in each country (ISO code).
    placed_countries: dict[str, int] = field(default_factory=dict)
    #: Place names, in rows naming no country, that several countries have: name -> ISO
    #: codes; and how many rows they left unplaced.
    names_in_several_countries: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rows_in_several_countries: int = 0
    #: What the user should know about how the file was read (an ambiguous date form...).
    notes: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """How many distinct rows were rejected."""
        return len({p.row for p in self.problems})

    @property
    def rows_accepted(self) -> int:
        """How many rows were kept."""
        return self.rows_read - self.rows_rejected


@dataclass
class LoadReport:
    """The reports of every layer read in one load."""

    layers: list[LayerReport] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Every problem, in file then row order."""
        return sorted(p for layer in self.layers for p in layer.problems)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not any(layer.problems for layer in self.layers)

    @property
    def notes(self) -> list[str]:
        """Every layer's notes, each naming its file."""
        return [f"{r.path}: {note}" for r in self.layers for note in r.notes]

    @property
    def names_in_several_countries(self) -> dict[str, tuple[str, ...]]:
        """Place names given no country that several countries have (rows left unplaced)."""
        return {n: c for r in self.layers for n, c in r.names_in_several_countries.items()}

    @property
    def rows_in_several_countries(self) -> int:
        """How many rows name no country and a place that several countries have."""
        return sum(r.rows_in_several_countries for r in self.layers)

    @property
    def placed_countries(self) -> list[str]:
        """The countries rows were placed in by name (ISO codes), most rows first."""
        counts: dict[str, int] = {}
        for r in self.layers:
            for code, rows in r.placed_countries.items():
                counts[code] = counts.get(code, 0) + rows
        return sorted(counts, key=lambda code: (-counts[code], code))

    @property
    def rows_read(self) -> int:
        """How many rows every layer read."""
        return sum(r.rows_read for r in self.layers)

    @property
    def rows_accepted(self) -> int:
        """How many rows every layer kept."""
        return sum(r.rows_accepted for r in self.layers)

    def commonest_problem(self) -> tuple[str, int] | None:
        """The reason most rows were rejected for, and how many rows it rejected.

        The reason reads ``column: message``, without the cell's own value; None when no
        row was rejected.

        >>> report = LoadReport([LayerReport("t.csv", "events", 2, [
        ...     Problem("t.csv", 2, "date_start", "expected a date (got 'x')"),
        ...     Problem("t.csv", 3, "date_start", "expected a date (got 'y')")])])
        >>> report.commonest_problem()
        ('date_start: expected a date', 2)
        """
        rows: dict[str, set[tuple[str, int]]] = {}
        for p in self.problems:
            reason = _WITHOUT_VALUE.sub("", p.message)
            rows.setdefault(f"{p.column}: {reason}" if p.column else reason, set()).add(
                (p.path, p.row)
            )
        if not rows:
            return None
        reason = max(rows, key=lambda r: len(rows[r]))
        return reason, len(rows[reason])

    def nothing_kept(self) -> str | None:
        """Why a non-empty load kept no row, in one line (None: it kept some, or read none)."""
        if self.rows_read == 0 or self.rows_accepted > 0:
            return None
        line = f"holds {self.rows_read:,} rows and keeps none"
        commonest = self.commonest_problem()
        if commonest is not None:
            reason, count = commonest
            line += f": the commonest reason ({count:,} rows): {reason}"
        return line

    def extend(self, other: LoadReport) -> None:
        """Add another load's layer reports to this one."""
        self.layers.extend(other.layers)

    def summary(self) -> str:
        """One line per layer: ``path [layer]: N read, N accepted, N rejected``.

        A text file's line goes on with how it was read (``; read as windows-1256,
        semicolon-separated``): a wrong guess shows there before it shows as garbled names.
        """
        lines = []
        for r in self.layers:
            layout = "" if r.layout == OUR_LAYOUT else f", {r.layout} layout"
            line = (
                f"{r.path} [{r.layer}{layout}]: {r.rows_read} read, {r.rows_accepted} accepted, "
                f"{r.rows_rejected} rejected"
            )
            if r.geocoded:
                line += f", {r.geocoded} placed by name"
            read_as = [encoding_label(r.encoding)] if r.encoding else []
            if r.delimiter:
                read_as.append(delimiter_label(r.delimiter))
            if read_as:
                line += f"; read as {', '.join(read_as)}"
            if r.ignored_columns:
                line += f"; columns not loaded: {', '.join(r.ignored_columns)}"
            lines.append(line)
        return "\n".join(lines)

    def problems_csv(self) -> str:
        """Every problem as CSV text (path, layer, row, column, message), for download.

        Like every CSV the atlas writes, no cell is one a spreadsheet would run as a
        formula: a file named ``=1+2.csv``, or a reason quoting a cell that starts with
        ``=``, ``+``, ``-`` or ``@``, gets a leading apostrophe
        (:func:`~geo.parsing.neutralise_formula`).
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["path", "layer", "row", "column", "message"])
        for p in self.problems:
            cells = [p.path, p.layer, p.where, p.column, p.message]
            writer.writerow([neutralise_formula(cell) for cell in cells])
        return buffer.getvalue()


#: A problem's message without the cell it quotes: "(got '31 November 2021')".
_WITHOUT_VALUE = re.compile(r"\s*\(got .*\)$")

_DELIMITERS = {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated"}


def encoding_label(codec: str) -> str:
    """A codec's name as spreadsheet programs show it: ``cp1256`` is ``windows-1256``.

    >>> [encoding_label(c) for c in ("utf_8", "utf-8-sig", "cp1252", "latin-1", "utf-16")]
    ['UTF-8', 'UTF-8 with BOM', 'windows-1252', 'ISO-8859-1', 'UTF-16']
    """
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return codec
    if name == "utf-8-sig":
        return "UTF-8 with BOM"
    if name.startswith("utf"):
        return name.upper()
    if windows := re.fullmatch(r"cp(125\d)", name):
        return f"windows-{windows[1]}"
    if name.startswith("iso8859-"):
        return "ISO-8859-" + name.removeprefix("iso8859-")
    return name


def delimiter_label(delimiter: str) -> str:
    """``comma-separated``, ``semicolon-separated``, ``tab-separated``, or the character."""
    return _DELIMITERS.get(delimiter, f"separated by {delimiter!r}")
