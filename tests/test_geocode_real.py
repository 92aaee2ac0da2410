"""Place names as real files write them: descriptors, transliterations, a real GED file.

The real sample is UCDP GED for Syria (``tests/data/real/ged_syria_places.csv``, CC BY 4.0,
origin in its ``.source.md``).  Its thresholds are data quality, not timing.
"""

from __future__ import annotations

import pytest

from bench.geocoding import SAMPLE, measure_accuracy
from geo.geocode import AMBIGUOUS, FUZZY_NAME, MATCHED, NOT_FOUND, Gazetteer
from tests.test_geocode import COUNTRIES, record
from tests.test_geocode import gazetteer as gazetteer  # the module's fixture, shared

# --- descriptors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "geonameid", "dropped"),
    [
        ("Aleppo town", 170063, "town"),
        ("Harem district", 169866, "district"),
        ("al-Bab city", 174018, "city"),
        ("Idlib governorate", 169389, "governorate"),
        ("Jisr al-Shughur subdistrict", 169023, "subdistrict"),
        ("Deir ez Zor Governorate", 170794, "governorate"),
        ("Manbij village", 167357, "village"),
        ("محافظة إدلب", 169389, "محافظه"),
        ("qaryat Saraqib", 164816, "qaryat"),
    ],
)
def test_a_descriptor_is_dropped_and_said_when_the_bare_name_matches(
    gazetteer, name, geonameid, dropped
):
    match = gazetteer.lookup(name, "Syria")
    assert match.status == MATCHED, match.describe()
    assert match.chosen.geonameid == geonameid
    assert match.dropped == dropped
    assert f"after dropping '{dropped}'" in match.describe()
    assert match.query == name


def test_an_administrative_descriptor_lowers_the_confidence_and_says_what_was_placed(gazetteer):
    town, unit = gazetteer.lookup("Idlib town", "SY"), gazetteer.lookup("Idlib governorate", "SY")
    assert (town.confidence, unit.confidence) == ("high", "medium")
    assert "placed at the place of that name, not the governorate as a whole" in unit.describe()


def test_a_name_that_matches_as_written_keeps_its_leading_word(gazetteer):
    # "Madinat ath Thawrah" (Thawrah city) is Al-Tabqa's alternate name: nothing is dropped
    match = gazetteer.lookup("Madinat ath Thawrah", "SY")
    assert match.chosen.geonameid == 172374 and match.dropped == ""


def test_a_descriptor_alone_is_not_a_place(gazetteer):
    assert gazetteer.lookup("district", "SY").status == NOT_FOUND


# --- transliterations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "geonameid"),
    [
        ("Saraqab", 164816),
        ("Ras Al Ain", 165509),
        ("Tal Tamer", 163434),
        ("Ain al-Arab", 172256),
        ("Jisr al-Shughur", 169023),
    ],
)
def test_a_transliteration_is_found_by_fuzzy_matching_with_its_score(gazetteer, name, geonameid):
    match = gazetteer.lookup(name, "Syria")
    assert match.status == MATCHED and match.chosen.geonameid == geonameid, match.describe()
    assert match.how == FUZZY_NAME and match.score is not None and match.score >= 95
    assert match.confidence == "low"
    assert f"fuzzy name, score {match.score}" in match.describe()


@pytest.mark.parametrize(
    ("name", "geonameid"),
    [("Menbij", 167357), ("Dayr az Zawr", 170794), ("Tell Tamer", 163434), ("Saraqib", 164816)],
)
def test_spellings_geonames_lists_need_no_fuzzy_match(gazetteer, name, geonameid):
    match = gazetteer.lookup(name, "SY")
    assert match.chosen.geonameid == geonameid and match.how != FUZZY_NAME


def test_two_places_as_close_in_score_are_ambiguous_with_their_candidates():
    small = Gazetteer(
        [
            record(1, "Tall Tamr", 36.65, 40.37),
            record(2, "Tell Tamr", 35.00, 38.00),  # 250 km away
            record(3, "Kafr Nabl", 35.61, 36.56),
        ],
        COUNTRIES,
    )
    match = small.lookup("Tal Tamr", "SY")
    assert match.status == AMBIGUOUS and match.how == FUZZY_NAME
    assert {c.geonameid for c in match.candidates} == {1, 2}
    assert "fuzzy name, score 100" in match.describe()


def test_fuzzy_matching_stays_in_the_rows_country():
    small = Gazetteer(
        [record(1, "Tall Tamr", 36.65, 40.37, country="TR"), record(2, "Kafr Nabl", 35.6, 36.5)],
        COUNTRIES,
    )
    assert small.lookup("Tal Tamr", "SY").status == NOT_FOUND
    assert small.lookup("Tal Tamr", "TR").chosen.geonameid == 1
    assert small.lookup("Tal Tamr").chosen.geonameid == 1, "no hint: every country"


def test_an_unrelated_village_is_not_forced_onto_a_town(gazetteer):
    # GED's "Ash Shafah town" (Deir ez-Zor) is not "Al Haffah" (Latakia), 460 km away
    assert gazetteer.lookup("Ash Shafah", "SY").status == NOT_FOUND


# --- the real GED file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ged_accuracy():
    return measure_accuracy(SAMPLE)


def test_ged_rows_are_placed_by_their_names_with_descriptors(ged_accuracy):
    # measured 869 of 2000 (43.5 %) within 5 km; 0 before descriptors were understood.
    # Issue 13's target is 80 %: out of reach while the gazetteer is cities500 (GED names
    # ~2,000 villages it lacks); this guard holds what is reached.
    assert ged_accuracy.share_within_near >= 0.43


def test_ged_rows_are_not_placed_far_from_where_ged_puts_them(ged_accuracy):
    # With the adm_1 hint, and governorate/district names left unplaced: 5 rows over 25 km
    # (two villages GeoNames lacks, taken for namesakes 44 and 54 km away), worst 54.4 km;
    # before: 56 rows, worst 463 km.
    assert ged_accuracy.placed_beyond(25.0) <= 5
    assert ged_accuracy.max_error_km <= 60.0


def test_the_held_out_half_does_as_well_as_the_tuning_half(ged_accuracy):
    # the odd ids were never looked at while tuning: measured 43.9 % within 5 km, none over
    # 25 km (worst 25.0 km)
    held_out = ged_accuracy.half("held-out")
    assert held_out.rows == 1000
    assert held_out.share_within_near >= 0.43
    assert held_out.placed_beyond(25.0) == 0
