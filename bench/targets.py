"""Issue 15's targets, each declared once, and the table ``make bench`` prints of them.

A target names the measurement it is judged on (a key of ``bench/results/scale.json``, the
section being the size), its limit, and whether the limit is an upper or a lower bound.
:func:`target_table` lays the targets out as the issue does (a row per target, a column per
size) and says, for each, the value measured and whether it met its limit, or by how much
it missed.  A target whose measurement is absent says so: it was not measured in this run.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.runs import first_open_key, memory_key

#: The sizes of the targets' columns: the result section each is read from, and its head.
SIZES = {"100000": "100k", "1000000": "1M"}


@dataclass(frozen=True)
class Target:
    """One cell of the targets' table: at SIZE, MEASURE must be at most (or least) LIMIT."""

    row: str
    size: str  # a key of SIZES
    measure: str  # the result's name within its size's section
    limit: float
    unit: str  # "s", "MB", "GB" or "×" (MB and GB decimal, as the issue writes them)
    at_least: bool = False
    #: The results section, when not the size's own (the viewers are measured apart).
    section: str | None = None
    #: The result times this is the value in ``unit`` (bytes to MB; MiB, as /proc counts
    #: memory, to GB).
    scale: float = 1.0

    def value(self, results: dict) -> float | None:
        """The measured value in the target's unit, or None when it was not measured."""
        value = results.get(self.section or self.size, {}).get(self.measure)
        if value is None or value != value:  # NaN: a measurement that could not be made
            return None
        return float(value) * self.scale

    def met(self, value: float) -> bool:
        """Whether VALUE (the target's unit) meets the limit."""
        return value >= self.limit if self.at_least else value <= self.limit


#: Bytes to MB; MiB to GB.
BYTES_TO_MB = 1e-6
MIB_TO_GB = 2**20 / 1e9


TARGETS: tuple[Target, ...] = (
    Target("page open → painted map, warm", "100000", "page open to painted map (s)", 2, "s"),
    Target("page open → painted map, warm", "1000000", "page open to painted map (s)", 2.5, "s"),
    Target("first open after start", "1000000", first_open_key(1), 5, "s"),
    Target(
        "filter change → updated map, all events in view drawn",
        "100000",
        "filter change to every event drawn (s)",
        0.5,
        "s",
    ),
    Target(
        "filter change → updated map, all events in view drawn",
        "1000000",
        "filter change to every event drawn (s)",
        1.5,
        "s",
    ),
    # the update that brings every event is the page open's: a filter change back to the
    # same events finds them in the browser's cache (see bench.scale.app_measures)
    *(
        Target(
            "bytes per update with every event drawn",
            size,
            "bytes sent for page open",
            limit,
            "MB",
            scale=BYTES_TO_MB,
        )
        for size, limit in (("100000", 1.5), ("1000000", 12))
    ),
    *(
        Target(
            f"memory, all processes of `atlas run`, {workers} worker{'s' * (workers > 1)}",
            "1000000",
            memory_key(workers),
            limit,
            "GB",
            scale=MIB_TO_GB,
        )
        for workers, limit in ((1, 1.5), (2, 2))
    ),
    Target(
        "2 workers vs 1: filter changes per second at equal p95",
        "100000",
        "2 workers vs 1 (×)",
        1.7,
        "×",
        at_least=True,
        section="viewers",  # measured at the viewers' size (--viewer-rows, 100k)
    ),
    Target(
        "20 viewers, one change per 5 s each: p95 vs a single viewer",
        "100000",
        "p95 ratio (target ≤ 2)",
        2,
        "×",
        section="viewers",
    ),
)


def _number(value: float, unit: str, digits: str = ".2f") -> str:
    return f"{value:{digits}}×" if unit == "×" else f"{value:{digits}} {unit}"


def verdict(target: Target, results: dict) -> str:
    """One cell: the value and whether it met its limit ("0.81 s ✓ (≤ 2 s)")."""
    bound = "≥" if target.at_least else "≤"
    limit = f"{bound} {_number(target.limit, target.unit, 'g')}"
    value = target.value(results)
    if value is None:
        return f"not measured ({limit})"
    if target.met(value):
        return f"{_number(value, target.unit)} ✓ ({limit})"
    by = abs(value - target.limit)
    return f"{_number(value, target.unit)} ✗ ({limit}: missed by {_number(by, target.unit)})"


def target_table(results: dict) -> str:
    """The targets as a Markdown table: a row per target, a column per size."""
    rows = list(dict.fromkeys(t.row for t in TARGETS))
    lines = ["| target | " + " | ".join(SIZES.values()) + " |", "|---|" + "---|" * len(SIZES)]
    for row in rows:
        cells = {t.size: verdict(t, results) for t in TARGETS if t.row == row}
        lines.append(f"| {row} | " + " | ".join(cells.get(size, "—") for size in SIZES) + " |")
    missed = [t for t in TARGETS if (v := t.value(results)) is not None and not t.met(v)]
    absent = [t for t in TARGETS if t.value(results) is None]
    lines += [
        "",
        f"{len(TARGETS) - len(missed) - len(absent)} of {len(TARGETS)} targets met, "
        f"{len(missed)} missed, {len(absent)} not measured in this run.",
    ]
    return "\n".join(lines) + "\n"
