"""Aleppo's city context, offline: built-up area, the Queiq, neighbourhoods and landmarks.

The files are in ``geo/data/aleppo_city/`` with ``SOURCES.md`` naming each one's origin
and licence (``scripts/build_city_context.py`` wrote them from those origins).  Everything
here is EPSG:4326.

Two kinds of thing are read here:

- :func:`city_context`: what the map draws under the story (one GeoDataFrame, a row per
  feature, with its source and whether the project drew it);
- :func:`neighbourhoods` and :func:`neighbourhood_control`: the outlines and the project's
  table of which side held each one and the day it was lost, from which
  ``scripts/build_story.py`` draws the east Aleppo zones.
"""

from __future__ import annotations

import csv
from functools import cache, lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.problems import DataError
from geo.schema import CRS

CITY_DIR = Path(__file__).resolve().parent / "data" / "aleppo_city"
NEIGHBOURHOODS = CITY_DIR / "neighbourhoods.geojson"
CONTROL = CITY_DIR / "neighbourhood_control.csv"

#: The columns of :func:`city_context`, in order.
CONTEXT_COLUMNS = ["kind", "name", "name_ar", "source", "drawn_by_project", "priority", "symbol"]

#: Label priority (1 is shown first; a label engine drops the higher numbers first).
PRIORITY_LANDMARK = 1
PRIORITY_STORY_NEIGHBOURHOOD = 2
PRIORITY_NEIGHBOURHOOD = 3
PRIORITY_UNLABELLED = 9

CSR = (
    "Columbia Center for Spatial Research, 'Conflict Urbanism: Aleppo' neighbourhoods "
    "(github.com/CenterForSpatialResearch/aleppo_test, map/data/Neighborhoods.geojson, "
    "commit 3f750b9), MIT licence"
)
NATURAL_EARTH_URBAN = (
    "Natural Earth 1:50m urban areas (public domain), via "
    "github.com/martynafford/natural-earth-geojson 50m/cultural/ne_50m_urban_areas.json "
    "(commit 0b9a6ce, CC0)"
)
PROJECT = "drawn by conflict-atlas (schematic)"

#: Who may hold a neighbourhood in the control table, and how a split outline is cut.
SIDES = ("opposition", "ypg")
PARTS = ("north", "south", "east", "west")


@cache  # a handful of bundled files, each read once per process
def _read(name: str) -> gpd.GeoDataFrame:
    path = CITY_DIR / name
    if not path.exists():
        raise DataError(path, "missing: the city context ships with the package")
    frame = gpd.read_file(path)
    return frame.set_crs(CRS) if frame.crs is None else frame.to_crs(CRS)


def _text(value) -> str:
    """A cell as text, "" for a missing one (GeoJSON null reads as NaN)."""
    return "" if value is None or pd.isna(value) else str(value)


def neighbourhoods() -> gpd.GeoDataFrame:
    """Aleppo's 133 neighbourhood outlines (CSR, MIT), EPSG:4326.

    Columns: ``name`` (English transliteration as the source spells it), ``name_ar``
    (Arabic), ``csr_id`` (the source's id; a few outlines share a name and an id) and
    ``geometry`` (Polygon or MultiPolygon).
    """
    return _read("neighbourhoods.geojson").copy()


def story_neighbourhood_names() -> set[str]:
    """The outlines the story's sources name: control rows citing a capture date by name.

    Rows that stand for a group ("Old City") or are the project's assignment are left out:
    their labels come at closer zooms.
    """
    control = neighbourhood_control()
    named = control["basis"].str.startswith("capture_dates.csv") & ~control["basis"].str.endswith(
        ": Old City"
    )
    return set(control.loc[named, "neighbourhood"])


def city_context() -> gpd.GeoDataFrame:
    """The city's context as one GeoDataFrame (EPSG:4326), a row per feature.

    Built once per process (every map draws it) and handed out as a copy.

    Columns: ``kind`` (``urban_area``, ``built_up``, ``river``, ``neighbourhood``,
    ``landmark``), ``name`` (English), ``name_ar`` (Arabic where the source has it, else
    ""), ``source`` (origin and licence, in words), ``drawn_by_project`` (True where no
    source could be used and the project drew it), ``priority`` (label priority, 1 first;
    see ``PRIORITY_*``), ``symbol`` (a landmark's symbol: ``citadel``, ``airport``,
    ``junction``; else "") and ``geometry``.
    """
    return _city_context().copy()


@lru_cache(maxsize=1)
def _city_context() -> gpd.GeoDataFrame:
    hoods = neighbourhoods()
    story = story_neighbourhood_names()
    urban = _read("built_up.geojson")
    rows = [
        {
            "kind": "urban_area",
            "name": "Aleppo",
            "name_ar": "حلب",
            "source": NATURAL_EARTH_URBAN,
            "drawn_by_project": False,
            "priority": PRIORITY_UNLABELLED,
            "symbol": "",
            "geometry": urban.geometry.iloc[0],
        },
        {
            "kind": "built_up",
            "name": "Aleppo (built-up)",
            "name_ar": "",
            "source": "the union of the neighbourhood outlines: " + CSR,
            "drawn_by_project": False,
            "priority": PRIORITY_UNLABELLED,
            "symbol": "",
            "geometry": built_up_area(),
        },
    ]
    river = _read("queiq.geojson")
    rows.append(
        {
            "kind": "river",
            "name": "Queiq",
            "name_ar": str(river["name_ar"].iloc[0]),
            "source": PROJECT + " along the gap the neighbourhood outlines leave for the river",
            "drawn_by_project": True,
            "priority": PRIORITY_STORY_NEIGHBOURHOOD,
            "symbol": "",
            "geometry": river.geometry.iloc[0],
        }
    )
    for _, hood in hoods.iterrows():
        rows.append(
            {
                "kind": "neighbourhood",
                "name": str(hood["name"]),
                "name_ar": _text(hood["name_ar"]),
                "source": CSR,
                "drawn_by_project": False,
                "priority": (
                    PRIORITY_STORY_NEIGHBOURHOOD
                    if hood["name"] in story
                    else PRIORITY_NEIGHBOURHOOD
                ),
                "symbol": "",
                "geometry": hood.geometry,
            }
        )
    for _, mark in _read("landmarks.geojson").iterrows():
        rows.append(
            {
                "kind": "landmark",
                "name": str(mark["name"]),
                "name_ar": _text(mark["name_ar"]),
                "source": f"placed by conflict-atlas at {mark['from']}",
                "drawn_by_project": True,
                "priority": PRIORITY_LANDMARK,
                "symbol": str(mark["symbol"]),
                "geometry": mark.geometry,
            }
        )
    return gpd.GeoDataFrame(rows, columns=[*CONTEXT_COLUMNS, "geometry"], crs=CRS)


#: Streets between outlines narrower than twice this are closed when outlines are joined
#: (the river's corridor, 100-300 m wide, is not).
CLOSE_GAPS_M = 40.0
#: Joined outlines are simplified to this tolerance: finer than a street at zoom 16.
SIMPLIFY_M = 5.0


def close_gaps(geometry, *, metres: float = CLOSE_GAPS_M):
    """``geometry`` (EPSG:4326) with gaps narrower than ``2 * metres`` between parts filled.

    A morphological closing (grow, then shrink) in UTM zone 37N, where Aleppo lies: joined
    outlines then read as one district, streets included, as reported areas count them.
    The result is simplified to ``SIMPLIFY_M``.
    """
    series = gpd.GeoSeries([geometry], crs=CRS).to_crs("EPSG:32637")
    closed = series.buffer(metres, join_style="mitre").buffer(-metres, join_style="mitre")
    # drop the vertices a map at street scale cannot show (the outlines carry ~1 m detail)
    closed = closed.simplify(SIMPLIFY_M)
    return shapely.make_valid(closed.to_crs(CRS).iloc[0])


#: Holes smaller than this left inside the joined outlines (squares, wide junctions) are
#: filled: the built-up area is one fabric, not lace.
FILL_HOLES_M2 = 40_000.0


@lru_cache(maxsize=1)
def built_up_area():
    """Aleppo's built-up area (EPSG:4326): every neighbourhood outline joined, streets closed.

    Holes under ``FILL_HOLES_M2`` (in UTM 37N) are filled; larger ones (the Queiq's valley
    where it is wide, open land) stay open.
    """
    closed = close_gaps(shapely.union_all(neighbourhoods().geometry.to_numpy()))
    metric = gpd.GeoSeries([closed], crs=CRS).to_crs("EPSG:32637").iloc[0]
    polygons = []
    for polygon in shapely.get_parts(metric):
        holes = [r for r in polygon.interiors if shapely.Polygon(r).area >= FILL_HOLES_M2]
        polygons.append(shapely.Polygon(polygon.exterior, holes))
    filled = shapely.union_all(polygons)
    return shapely.make_valid(gpd.GeoSeries([filled], crs="EPSG:32637").to_crs(CRS).iloc[0])


def neighbourhood_control(path: Path = CONTROL) -> pd.DataFrame:
    """The control table: which side held each neighbourhood on 15 Nov 2016 and when it fell.

    Columns: ``neighbourhood`` (an outline's ``name``), ``held_by`` (``opposition`` or
    ``ypg``; outlines not listed were government-held), ``lost_on`` (Timestamp, or NaT for
    held throughout), ``lost_to`` (``government`` or ``ypg``; "" when never lost),
    ``part`` ("" for the whole outline, or ``north``/``south``/``east``/``west``: the half
    cut at the outline's middle parallel or meridian) and ``basis`` (the capture_dates.csv
    row it follows, or the project's reason).  A bad cell is a
    :class:`DataError` naming the file, the row (spreadsheet numbering) and the column.
    """
    known = set(neighbourhoods()["name"])
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    records = []
    for number, row in enumerate(rows, start=2):
        name = row["neighbourhood"].strip()

        def bad(column: str, expected: str, got: str, number: int = number) -> DataError:
            return DataError(path, f"row {number}: {column}: expected {expected} (got {got!r})")

        if name not in known:
            raise bad("neighbourhood", "a name in neighbourhoods.geojson", name)
        if row["held_by"] not in SIDES:
            raise bad("held_by", "one of " + ", ".join(SIDES), row["held_by"])
        lost_on = pd.NaT
        if row["lost_on"].strip():
            try:
                lost_on = pd.Timestamp(row["lost_on"].strip())
            except ValueError:
                raise bad("lost_on", "a date as YYYY-MM-DD, or empty", row["lost_on"]) from None
        lost_to = row["lost_to"].strip()
        if pd.isna(lost_on) != (lost_to == ""):
            raise bad("lost_to", "government or ypg when lost_on is set, else empty", lost_to)
        if lost_to and lost_to not in ("government", "ypg"):
            raise bad("lost_to", "government or ypg", lost_to)
        if row["part"] and row["part"] not in PARTS:
            raise bad("part", "empty or one of " + ", ".join(PARTS), row["part"])
        if not row["basis"].strip():
            raise bad("basis", "the capture_dates.csv row or the project's reason", "")
        records.append(
            {
                "neighbourhood": name,
                "held_by": row["held_by"],
                "lost_on": lost_on,
                "lost_to": lost_to,
                "part": row["part"],
                "basis": row["basis"].strip(),
            }
        )
    return pd.DataFrame.from_records(
        records, columns=["neighbourhood", "held_by", "lost_on", "lost_to", "part", "basis"]
    )


def outline_part(geometry, part: str):
    """The ``part`` half of an outline (EPSG:4326), cut at its bounds' middle line.

    ``north``/``south`` cut at the middle parallel, ``east``/``west`` at the middle meridian;
    "" is the whole outline.
    """
    if not part:
        return geometry
    west, south, east, north = geometry.bounds
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    box = {
        "north": (west, mid_y, east, north),
        "south": (west, south, east, mid_y),
        "east": (mid_x, south, east, north),
        "west": (west, south, mid_x, north),
    }[part]
    return shapely.intersection(geometry, shapely.box(*box))
