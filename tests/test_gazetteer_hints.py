"""Admin hints: a governorate keeps a name inside it, and far-apart namesakes are not guessed.

Small gazetteers (two Tall Hamis 300 km apart) show the rules; the real one shows them on
GED's own spellings (``adm_1`` as UCDP writes it).
"""

from __future__ import annotations

import pandas as pd
import pytest

from geo.geocode import AMBIGUOUS, MATCHED, NOT_FOUND, Gazetteer, geocode_places
from geo.placement import place_by_name
from geo.raw import RawTable
from geo.schema import Column
from tests.test_gazetteer_cache import ADMIN1, COUNTRIES, record

HINTED = [*ADMIN1, ("SY", "01", "Al-Hasakah", "Al-Hasakah"), ("SY", "13", "Dimashq", "Dimashq")]


@pytest.fixture(scope="module")
def small() -> Gazetteer:
    return Gazetteer(
        [
            record(1, "Tall Hamīs", 36.92, 41.62, "01", population=5000),  # Hasakah
            record(2, "Tall Hamīs", 36.30, 37.05, "09", population=600),  # Aleppo, 300 km
            record(3, "Ḩārim", 36.21, 36.52, "12", alternates=["Harem"]),
            record(4, "Damascus", 33.51, 36.29, "13", alternates=["Dimashq"], population=10**6),
        ],
        COUNTRIES,
        HINTED,
    )


def test_far_apart_namesakes_without_an_admin_hint_are_ambiguous(small):
    match = small.lookup("Tall Hamis", "SY")
    assert match.status == AMBIGUOUS, "the most populous must not be taken silently"
    assert {c.geonameid for c in match.candidates} == {1, 2}


@pytest.mark.parametrize(
    ("admin", "geonameid"),
    [
        ("Al Hasakah Governorate", 1),
        ("al-Hasakah", 1),
        ("Aleppo Governorate", 2),
        ("Aleppo", 2),
    ],
)
def test_an_admin_hint_picks_the_namesake_in_its_governorate(small, admin, geonameid):
    match = small.lookup("Tall Hamis", "SY", admin)
    assert match.status == MATCHED and match.chosen.geonameid == geonameid, match.describe()
    assert f"admin hint {admin!r}" in match.describe()


def test_a_lone_namesake_in_another_governorate_is_not_taken(small):
    match = small.lookup("Harem", "SY", "Aleppo Governorate")
    assert match.status == NOT_FOUND
    assert "in SY (admin1 09 Aleppo)" in match.describe()
    assert [c.geonameid for c in match.candidates] == [3], "the namesake is named for review"
    assert small.lookup("Harem", "SY", "Idlib Governorate").chosen.geonameid == 3


def test_a_unit_named_by_its_seat_is_recognised(small):
    # GeoNames calls the unit Dimashq; writers call it Damascus, after its seat
    assert small.admin1_codes("SY", "Damascus Governorate") == ("13",)


def test_an_admin_hint_that_names_no_unit_is_ignored_and_said(small):
    match = small.lookup("Harem", "SY", "Atlantis Governorate")
    assert match.status == MATCHED and match.chosen.geonameid == 3
    assert "admin hint 'Atlantis Governorate' not recognised, so not used" in match.describe()


def test_an_admin_hint_needs_a_country(small):
    assert small.lookup("Tall Hamis", None, "Aleppo").status == AMBIGUOUS


def test_geocode_places_passes_each_rows_admin_hint(small):
    names = pd.Series(["Tall Hamis", "Tall Hamis", "Tall Hamis"])
    countries = pd.Series(["SY", "SY", "SY"])
    admins = pd.Series(["Aleppo Governorate", "Al Hasakah Governorate", None])
    matches = geocode_places(names, countries, admins, gazetteer=small)
    assert [m.status for m in matches] == [MATCHED, MATCHED, AMBIGUOUS]
    assert [m.chosen.geonameid for m in matches[:2]] == [2, 1]
    with pytest.raises(ValueError, match="admins must have the same index"):
        geocode_places(names, countries, admins.set_axis([5, 6, 7]), gazetteer=small)


def test_geocode_places_gives_the_same_answers_however_it_groups_the_rows(small, monkeypatch):
    names = pd.Series(["Tall Hamis", "Harem", "Tall Hamis", None, "Tall Hamis"])
    countries = pd.Series(["SY", "SY", "SY", "SY", None])
    admins = pd.Series(["Aleppo", None, "Al Hasakah", "Aleppo", "Aleppo"])

    def answers():
        found = geocode_places(names, countries, admins, gazetteer=small)
        return [None if m is None else (m.status, m.query, m.country, m.admin) for m in found]

    combined = answers()
    monkeypatch.setattr("geo.geocode._COMBINED_LIMIT", 0)  # as for a table of many millions
    assert answers() == combined
    assert combined[3] is None and combined[0][3] == "Aleppo" and combined[4][2] is None


# --- the real gazetteer, through placing a table's rows ----------------------------------


def _table(rows: list[tuple[str, str]]) -> RawTable:
    cells = pd.DataFrame(
        {
            Column.ID: [str(i) for i in range(len(rows))],
            Column.PLACE_NAME: [name for name, _ in rows],
            Column.COUNTRY: "Syria",
            Column.LATITUDE: "",
            Column.LONGITUDE: "",
            "adm_1": [admin for _, admin in rows],
        }
    )
    return RawTable("ged.csv", cells)


def test_placing_rows_uses_the_files_adm_1_column():
    table, placement = place_by_name(
        _table([("Harem town", "Idlib Governorate"), ("Harem town", "Aleppo Governorate")])
    )
    assert placement.placed == 1
    assert "admin hint 'Idlib Governorate' (admin1 12 Idlib)" in table.cells.loc[0, Column.GEOCODE]
    (problem,) = table.problems
    assert problem.row == 3 and problem.column == Column.PLACE_NAME
    assert "no place named Harem town in SY (admin1 09 Aleppo)" in problem.message


def test_a_governorate_or_district_name_is_not_placed_at_its_namesake_town():
    table, placement = place_by_name(
        _table([("Hamah Governorate", "Hamah Governorate"), ("Aleppo town", "")])
    )
    assert placement.placed == 1, "the town is placed, the governorate is not"
    (problem,) = table.problems
    assert problem.row == 2
    assert "the place name is a governorate, not a place" in problem.message
    assert "add coordinates for the event itself" in problem.message
