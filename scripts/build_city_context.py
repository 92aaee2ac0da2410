"""Build Aleppo's city context (geo/data/aleppo_city/) from its upstream files.

    python scripts/build_city_context.py --neighbourhoods Neighborhoods.geojson \
        --urban ne_50m_urban_areas.json [--reference ../shared/reference]

The upstream files are not kept in this repository (SOURCES.md names each one's repository,
path and commit); what this script writes from them is, so the story builds offline.
  - ``--neighbourhoods``: ``map/data/Neighborhoods.geojson`` of
    CenterForSpatialResearch/aleppo_test (MIT).
  - ``--urban``: ``50m/cultural/ne_50m_urban_areas.json`` of
    martynafford/natural-earth-geojson (Natural Earth, public domain; the repository CC0).
The Queiq's line is drawn by the project (the vertices below): no source we may use holds it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.io.write import atomic_path  # noqa: E402

OUT = ROOT / "geo" / "data" / "aleppo_city"
#: Aleppo's window, degrees (west, south, east, north): the urban area is cut to it.
WINDOW = (37.0, 36.05, 37.35, 36.35)
DECIMALS = 6

#: The Queiq through the city, north to south, as (longitude, latitude).  Drawn by the
#: project along the open corridor that the neighbourhood outlines leave for the river
#: (the Public Park; west of Bustan al-Qasr; between al-Ansari/al-Sukkari and Karm
#: al-Daadaa/Sheikh Saeed; past al-Ramouseh).  Schematic: about ±300 m.
QUEIQ = [
    (37.14464, 36.21251),
    (37.14679, 36.20675),
    (37.14729, 36.20099),
    (37.14357, 36.19857),
    (37.13750, 36.19523),
    (37.13786, 36.19062),
    (37.13964, 36.18717),
    (37.14286, 36.18429),
    (37.14550, 36.18227),
    (37.14621, 36.17795),
    (37.14629, 36.17421),
    (37.14357, 36.17162),
    (37.14107, 36.16845),
    (37.14214, 36.16413),
    (37.14393, 36.15894),
    (37.14464, 36.15376),
]


def _rounded(geometry):
    return shapely.set_precision(geometry, 10**-DECIMALS)


def _collection(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _feature(properties: dict, geometry) -> dict:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": json.loads(shapely.to_geojson(_rounded(geometry))),
    }


def neighbourhoods(path: Path) -> list[dict]:
    frame = gpd.read_file(path).to_crs("EPSG:4326")
    features = []
    for _, row in frame.sort_values(["NAME", "Id"]).iterrows():
        geometry = shapely.make_valid(row.geometry)
        features.append(
            _feature(
                {
                    "name": str(row["NAME"]).strip(),
                    "name_ar": str(row["NAME_A"]).strip(),
                    "csr_id": int(row["Id"]),
                },
                geometry,
            )
        )
    return features


def urban_area(path: Path) -> list[dict]:
    frame = gpd.read_file(path).to_crs("EPSG:4326")
    window = shapely.box(*WINDOW)
    parts = frame[frame.intersects(window)]
    if len(parts) != 1:
        raise SystemExit(f"{path}: expected one urban area around Aleppo, found {len(parts)}")
    geometry = parts.geometry.iloc[0].intersection(window)
    return [_feature({"name": "Aleppo", "area_sqkm": float(parts["area_sqkm"].iloc[0])}, geometry)]


def landmarks(hoods: list[dict], reference: Path) -> list[dict]:
    by_name = {f["properties"]["name"]: shapely.geometry.shape(f["geometry"]) for f in hoods}
    with open(reference / "geodata" / "story_places.csv", encoding="utf-8") as f:
        places = {row["id"]: row for row in csv.DictReader(f)}
    ramouseh = places["ramouseh_crossing"]
    return [
        _feature(
            {
                "name": "Citadel",
                "name_ar": "قلعة حلب",
                "symbol": "citadel",
                "from": "the centre of the Aleppo Citadel outline (neighbourhoods.geojson)",
            },
            by_name["Aleppo Citadel"].centroid,
        ),
        _feature(
            {
                "name": "Aleppo airport",
                "name_ar": "مطار حلب الدولي",
                "symbol": "airport",
                "from": "the centre of the Aleppo International Airport outline "
                "(neighbourhoods.geojson)",
            },
            by_name["Aleppo International Airport"].centroid,
        ),
        _feature(
            {
                "name": "Ramouseh",
                "name_ar": "الراموسة",
                "symbol": "junction",
                "from": "story_places.csv 'ramouseh_crossing' (researcher estimate, ±1.5 km)",
            },
            shapely.Point(float(ramouseh["lon"]), float(ramouseh["lat"])),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neighbourhoods", type=Path, required=True)
    parser.add_argument("--urban", type=Path, required=True)
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "reference")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    hoods = neighbourhoods(args.neighbourhoods)
    river = [_feature({"name": "Queiq", "name_ar": "نهر قويق"}, shapely.LineString(QUEIQ))]
    outputs = {
        "neighbourhoods.geojson": hoods,
        "built_up.geojson": urban_area(args.urban),
        "queiq.geojson": river,
        "landmarks.geojson": landmarks(hoods, args.reference),
    }
    for name, features in outputs.items():
        with atomic_path(OUT / name) as tmp:
            tmp.write_text(_collection(features) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name} ({len(features)} features)")


if __name__ == "__main__":
    main()
