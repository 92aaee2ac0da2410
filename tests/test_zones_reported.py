"""The bundled east Aleppo zones match what was reported (issue 14).

The figures are the reference timeline's (shared/reference/geodata/timeline.csv, each with
its sources): the government's share of the former rebel-held east on 2, 6, 7 and 12 Dec,
and the pocket's area on 13 and 14 Dec.  Areas are measured in EPSG:6933 (WGS 84 / NSIDC
EASE-Grid 2.0 Global, equal-area), from the bundled zones file as the app loads it; the share
is the part of the enclave's drawn area on 15 Nov (the offensive's start) no longer in the
enclave on the day.  A redrawing that drifts past 30 % of an area or 10 points of a share
fails here.
"""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from geo.context import built_up_area
from geo.filters import zones_as_of
from geo.schema import Column
from geo.zones import EQUAL_AREA_CRS, equal_area_km2

ENCLAVE = "east-aleppo-enclave-"
START = pd.Timestamp("2016-11-15")

#: day -> reported government share of the former rebel-held east, in per cent
REPORTED_SHARE = {"2016-12-02": 60, "2016-12-06": 70, "2016-12-07": 75, "2016-12-12": 90}
#: day -> reported area of the opposition's pocket, km²
REPORTED_AREA = {"2016-12-13": 3.5, "2016-12-14": 2.5}


def _enclave_on(story, day: pd.Timestamp):
    held = zones_as_of(story.zones, day)
    enclave = held[held[Column.ID].str.startswith(ENCLAVE)]
    assert len(enclave) == 1, f"one enclave shape on {day:%Y-%m-%d}, got {len(enclave)}"
    return enclave.geometry.iloc[0]


def test_areas_are_measured_in_an_equal_area_crs():
    assert EQUAL_AREA_CRS == "EPSG:6933"
    # a 0.01° cell at Aleppo's latitude: 1.113 km x cos(36°) east-west by 1.11 km north-south
    square = shapely.box(37.0, 36.0, 37.01, 36.01)
    assert equal_area_km2(square) == pytest.approx(1.113 * 1.113 * 0.8090, rel=0.01)


@pytest.mark.parametrize("day, reported", REPORTED_AREA.items())
def test_the_pocket_is_within_30_percent_of_the_reported_area(story, day, reported):
    area = equal_area_km2(_enclave_on(story, pd.Timestamp(day)))
    assert abs(area - reported) <= 0.3 * reported, f"{day}: drawn {area:.2f} km²"


@pytest.mark.parametrize("day, reported", REPORTED_SHARE.items())
def test_the_government_share_is_within_10_points_of_the_reported_share(story, day, reported):
    first = equal_area_km2(_enclave_on(story, START))
    now = equal_area_km2(_enclave_on(story, pd.Timestamp(day)))
    share = 100 * (1 - now / first)
    assert abs(share - reported) <= 10, f"{day}: drawn {share:.1f} %"


def test_the_13_december_pocket_is_no_longer_the_old_13_km2_blob(story):
    assert equal_area_km2(_enclave_on(story, pd.Timestamp("2016-12-13"))) < 5


def test_every_aleppo_zone_lies_within_the_built_up_area(story):
    city = built_up_area().buffer(1e-6)
    aleppo = story.zones[
        story.zones[Column.ID].str.startswith(("east-aleppo", "aleppo-government", "sheikh-"))
    ]
    assert len(aleppo) > 20
    for zone in aleppo.itertuples():
        outside = zone.geometry.difference(city)
        assert equal_area_km2(outside) < 0.01, zone.id


def test_the_government_west_is_the_built_up_area_not_a_hexagon(story):
    government = story.zones.set_index(Column.ID).loc["aleppo-government-2016-11-15"].geometry
    city = built_up_area()
    # most of the city, and nothing like the old 1.5 km margin over open country
    assert equal_area_km2(government) > 0.5 * equal_area_km2(city)
    assert equal_area_km2(government.difference(city.buffer(1e-6))) < 0.01
    assert government.geom_type in ("Polygon", "MultiPolygon")
    assert len(shapely.get_coordinates(government)) > 200


def test_the_method_text_states_the_neighbourhood_method(story):
    enclaves = story.zones[story.zones[Column.ID].str.startswith(ENCLAVE)]
    for method in enclaves[Column.METHOD]:
        assert "neighbourhood" in method.lower()
        assert "EPSG:6933" in method
        assert "Voronoi" not in method
    reported = enclaves[enclaves[Column.VALID_FROM] == pd.Timestamp("2016-12-13")]
    assert "3.5 km²" in reported[Column.NOTES].iloc[0]


def test_the_apps_area_chart_has_each_dated_shape_measured_as_the_story_measures_it(story):
    from dashboard.cache import zone_areas

    areas = zone_areas(story, story.content_hash())
    zones = story.zones
    dated = zones[zones[Column.NAME].duplicated(keep=False)]
    assert len(areas) == len(dated) > 2, "one row per shape of a zone drawn in several"
    assert list(areas["name"]) == list(dated[Column.NAME])
    expected = [round(equal_area_km2(g), 2) for g in dated.geometry]
    assert list(areas["area_km2"]) == pytest.approx(expected, abs=0.006)
    enclave = areas[areas["controller"] == "Syrian opposition"].sort_values("valid_from")
    assert enclave["area_km2"].is_monotonic_decreasing and enclave["area_km2"].iloc[0] > 30
