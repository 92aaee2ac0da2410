"""Snapshots of many events draw them as points: the PNG's pixels, the SVG's picture.

Apart from ``tests/test_points_browser.py``: ``atlas snapshot`` starts its own Playwright,
which cannot run beside that module's.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser


def _pixels_near(image, colour, tolerance: float = 10) -> int:
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    return int((np.abs(pixels - colour).max(axis=2) <= tolerance).sum())


def test_a_png_and_an_svg_of_many_events_draw_the_points(synthetic_table, tmp_path):
    from dashboard.cli import main
    from dashboard.maps import LAND
    from dashboard.styles import EVENT_TYPE_COLOURS

    common = ["snapshot", "--data", str(synthetic_table), "--view", "fit"]
    common += ["--start", "2017-01-01", "--end", "2024-12-31", "--width", "1200"]
    common += ["--height", "800"]
    assert main([*common, "--out", str(tmp_path / "points.png")]) == 0
    assert main([*common, "--layers", "places", "--out", str(tmp_path / "none.png")]) == 0
    assert main([*common, "--out", str(tmp_path / "points.svg")]) == 0
    # a point of Battles as drawn: 90 % of its colour over the land (the map, not the legend)
    battles = np.array([int(EVENT_TYPE_COLOURS["Battles"][i : i + 2], 16) for i in (1, 3, 5)])
    land = np.array([int(LAND[i : i + 2], 16) for i in (1, 3, 5)])
    drawn = 0.9 * battles + 0.1 * land
    with Image.open(tmp_path / "points.png") as points, Image.open(tmp_path / "none.png") as none:
        map_area = (0, 80, 900, 760)
        assert _pixels_near(points.crop(map_area), drawn) > 200
        assert _pixels_near(none.crop(map_area), drawn) == 0
    svg = (tmp_path / "points.svg").read_text()
    # the points are the canvas's picture in the SVG, beside the vector outlines
    assert svg.count('<image href="data:image/png;base64,') >= 1 and "<path" in svg
