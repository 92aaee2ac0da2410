"""The benchmark keeps working (run once, tiny); it asserts no time."""

from __future__ import annotations

import json

import pytest

import bench.__main__ as bench

pytestmark = pytest.mark.browser  # it times the PNG snapshots, rendered in Chromium


def test_the_benchmark_runs_and_writes_its_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    bench.main(["--repeat", "1", "--frames", "2"])
    results = json.loads((tmp_path / "latest.json").read_text())["results"]
    assert {"read story .gpkg", "filter story", "build story map (html)"} <= set(results)
    assert results["story map html bytes"] > 10_000
    assert any(name.startswith("snapshot PNG") and "per frame" in name for name in results)
    assert "| filter story |" in (tmp_path / "latest.md").read_text()
