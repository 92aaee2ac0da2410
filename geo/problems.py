"""What goes wrong with input: one problem per bad cell, a report per load, one error type.

A *problem* is a rejected row's reason; a :class:`DataError` is a file that cannot be read
at all.  Rows are numbered as a spreadsheet numbers them: the header is row 1, the first
record row 2.  GeoJSON has no rows, so its records are numbered as features from 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path


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
    GeoJSON the feature's 1-based number; ``record_label`` says which.
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
        return f"{self.path}:{self.where}: {self.column}: {self.message}"


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
    layout: str = "conflict-atlas"

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

    def extend(self, other: LoadReport) -> None:
        """Add another load's layer reports to this one."""
        self.layers.extend(other.layers)

    def summary(self) -> str:
        """One line per layer: ``path [layer]: N read, N accepted, N rejected``."""
        lines = []
        for r in self.layers:
            layout = "" if r.layout == "conflict-atlas" else f", {r.layout} layout"
            line = (
                f"{r.path} [{r.layer}{layout}]: {r.rows_read} read, {r.rows_accepted} accepted, "
                f"{r.rows_rejected} rejected"
            )
            if r.ignored_columns:
                line += f"; columns not loaded: {', '.join(r.ignored_columns)}"
            lines.append(line)
        return "\n".join(lines)

    def problems_csv(self) -> str:
        """Every problem as CSV text (path, layer, row, column, message), for download."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["path", "layer", "row", "column", "message"])
        for p in self.problems:
            writer.writerow([p.path, p.layer, p.where, p.column, p.message])
        return buffer.getvalue()
