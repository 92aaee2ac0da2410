"""The targets' table says, for each target, what was measured and whether it met its limit."""

from __future__ import annotations

from bench.runs import first_open_key, memory_key
from bench.targets import TARGETS, Target, target_table, verdict

WARM = "page open to painted map (s)"


def test_a_target_met_missed_or_not_measured_says_so():
    at_most = Target("open", "100000", WARM, 2, "s")
    assert verdict(at_most, {"100000": {WARM: 1.25}}) == "1.25 s ✓ (≤ 2 s)"
    assert verdict(at_most, {"100000": {WARM: 2.5}}) == "2.50 s ✗ (≤ 2 s: missed by 0.50 s)"
    assert verdict(at_most, {}) == "not measured (≤ 2 s)"
    assert verdict(at_most, {"100000": {WARM: float("nan")}}) == "not measured (≤ 2 s)"
    at_least = Target("workers", "100000", "2 workers vs 1 (×)", 1.7, "×", at_least=True)
    assert verdict(at_least, {"100000": {"2 workers vs 1 (×)": 1.5}}).startswith("1.50× ✗")


def test_bytes_and_memory_are_judged_in_the_issues_units():
    (page_bytes,) = [t for t in TARGETS if t.size == "100000" and "bytes" in t.measure]
    assert verdict(page_bytes, {"100000": {page_bytes.measure: 1_400_000}}).startswith("1.40 MB ✓")
    (one_worker,) = [t for t in TARGETS if t.measure == memory_key(1)]
    # 1,500 MiB is 1.57 GB: over the 1.5 GB the issue allows
    assert "✗" in verdict(one_worker, {"1000000": {memory_key(1): 1500.0}})


def test_the_table_has_the_issues_rows_and_counts_what_was_met():
    results = {
        "100000": {WARM: 1.0},
        "1000000": {WARM: 3.0, first_open_key(1): 4.0},
    }
    table = target_table(results)
    assert table.splitlines()[0] == "| target | 100k | 1M |"
    rows = [line.split(" | ")[0].removeprefix("| ") for line in table.splitlines()[2:9]]
    assert rows[:2] == ["page open → painted map, warm", "first open after start"]
    assert "2 of 11 targets met, 1 missed, 8 not measured in this run." in table
