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
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.io.write import atomic_path  # noqa: E402

OUT = ROOT / "geo" / "data" / "aleppo_city"
#: Aleppo's window, degrees (west, south, east, north): the urban area is cut to it.
WINDOW = (37.0, 36.05, 37.35, 36.35)
DECIMALS = 6

#: The Queiq through the city, north to south, as (longitude, latitude).  Drawn by the
#: project along the open corridor that the neighbourhood outlines leave for the river:
#: from the Public Park south-west between al-Muhafaza and al-Jamiliyeh, south between
#: al-Kawakbi and al-Feid, down the wide valley west of Bustan al-Zahra and Bustan
#: al-Qasr, through the narrow gap between al-Ansari/al-Sukkari and Karm al-Daadaa, past
#: Sheikh Saeed and between the Ramouseh industrial districts.  Where the corridor is a
#: street-wide gap (al-Sukkari/Karm al-Daadaa, al-Kawakbi/al-Feid) the line takes its middle.
#: Schematic: about ±100 m across the corridor; no source we may use holds the river's line.
QUEIQ = [
    (37.14661, 36.21503),
    (37.14313, 36.21107),
    (37.13997, 36.20801),
    (37.13649, 36.20495),
    (37.13444, 36.20214),
    (37.13458, 36.20049),
    (37.13519, 36.19908),
    (37.13665, 36.19602),
    (37.13680, 36.19296),
    (37.13744, 36.18990),
    (37.13870, 36.18735),
    (37.14028, 36.18505),
    (37.14533, 36.18269),
    (37.14617, 36.18242),
    (37.14710, 36.18151),
    (37.14753, 36.18053),
    (37.14743, 36.17900),
    (37.14730, 36.17726),
    (37.14720, 36.17600),
    (37.14700, 36.17454),
    (37.14620, 36.17300),
    (37.14565, 36.17200),
    (37.14533, 36.17019),
    (37.14300, 36.16584),
    (37.14350, 36.16095),
    (37.14267, 36.15850),
    (37.14083, 36.15555),
    (37.13950, 36.15145),
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
                    # one outline (al-Besel) has no Arabic name in the source
                    "name_ar": "" if pd.isna(row["NAME_A"]) else str(row["NAME_A"]).strip(),
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
