"""The scale benchmark keeps working: run tiny (a few thousand events, two viewers, seconds).

It asserts no time: only that every measurement is made and written.
"""

from __future__ import annotations

import json

import pytest

import bench.scale as scale
from bench.runs import first_open_key, memory_key
from bench.targets import TARGETS

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_the_scale_benchmark_runs_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "RESULTS", tmp_path)
    monkeypatch.setattr(scale, "SCRATCH", tmp_path / "scratch")
    scale.main(
        [
            "--sizes",
            "1500",
            "--repeat",
            "1",
            "--folium-sizes",
            "1500",
            "--folium-paint",
            "1500",
            "--viewers",
            "2",
            "--viewer-seconds",
            "6",
            "--viewer-rows",
            "1500",
            "--run-sizes",
            "1500",
            "--run-workers",
            "1,2",
            "--throughput-seconds",
            "4",
        ]
    )
    results = json.loads((tmp_path / "scale.json").read_text())
    entry = results["1500"]
    for name in (
        "read CSV (s)",
        "read GeoParquet (s)",
        "filter (s)",
        "build map, filtered (s)",
        "page open to painted map (s)",
        "filter change to updated map (s)",
        "bytes sent for the filter change",
        "app peak memory (MB)",
        "plain folium: page open to painted map (s)",
        "speed-up to painted map (×)",
    ):
        assert entry[name] > 0, name
    assert results["viewers"]["errors"] == 0
    assert "| page open to painted map (s) |" in (tmp_path / "scale.md").read_text()
    # atlas run, as a user starts it: the first open after a start, and all its memory
    assert entry[first_open_key(1)] > 0
    assert entry[memory_key(1)] > 100, "the parent and the server: well over 100 MB"
    assert entry[memory_key(2)] > entry[memory_key(1)], "a second server, and HAProxy"
    # the viewers speak Streamlit's protocol: every change made, none failed
    assert results["viewers"]["filter changes made"] > 0
    assert results["viewers"]["2 workers vs 1 (×)"] > 0
    assert results["viewers"]["2 workers, 8 viewers at once: errors"] == 0
    # every target is judged on a measurement this run makes (at its own sizes)
    made = set(entry) | set(results["viewers"])
    assert {t.measure for t in TARGETS} <= made
    assert "| first open after start |" in (tmp_path / "targets.md").read_text()
