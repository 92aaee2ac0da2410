"""Actors as analysts search them: aliases of the region's main actors, GED's multi-party
sides, and the sidebar's actor list with each actor once."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo.actors import actor_key, canonical_actor
from geo.dataset import actor_counts, split_ucdp_side, ucdp_side_parties
from geo.filters import ActorMatch
from geo.schema import Column

GED = "tests/data/real/ged_syria_places.csv"


@pytest.mark.parametrize(
    ("names", "actor"),
    [
        (["Islamic State", "ISIS", "ISIL", "Daesh", "IS", "isis"], "Islamic State"),
        (
            [
                "HTS",
                "Hayat Tahrir al-Sham",
                "Jabhat al-Nusra",
                "al-Nusra Front",
                "Jabhat Fatah al-Sham",
                "Jabhat Fateh al-Sham",
            ],
            "Hayat Tahrir al-Sham",
        ),
        (["SDF", "Syrian Democratic Forces", "SDF: Syrian Democratic Forces"], "SDF"),
        (["YPG", "People's Protection Units", "YPG: People's Protection Units"], "YPG"),
        (
            [
                "Assad regime",
                "Government of Syria",
                "Military Forces of Syria",
                "Military Forces of Syria (2000-)",
            ],
            "Syrian government",
        ),
    ],
)
def test_common_names_of_one_actor_find_each_other(names, actor):
    assert {canonical_actor(n) for n in names} == {actor}


def test_the_sdf_and_the_ypg_stay_two_actors():
    # the YPG is one component of the SDF coalition, not another name for it
    assert actor_key("YPG") != actor_key("SDF")


def test_a_different_group_with_a_similar_name_is_not_hts():
    # GED's "Tahrir al- Sham Army" (Jaysh Tahrir al-Sham) is not Hayat Tahrir al-Sham
    assert canonical_actor("Tahrir al- Sham Army") == "Tahrir al- Sham Army"


def test_a_ged_side_is_split_into_its_parties():
    assert split_ucdp_side("National Front for Liberation, SNA") == [
        "National Front for Liberation",
        "SNA",
    ]


def events(**columns) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    base = {Column.ACTOR1: [None] * n, Column.ACTOR2: [None] * n, Column.ASSOC_ACTORS: [None] * n}
    base.update(columns)
    return gpd.GeoDataFrame(pd.DataFrame(base), geometry=gpd.points_from_xy([0] * n, [0] * n))


def test_a_filter_on_one_party_finds_every_event_of_its_multi_party_sides():
    ged = pd.read_csv(GED, keep_default_na=False)
    table = events(
        **{
            Column.ACTOR1: ged["side_a"],
            Column.ACTOR2: ged["side_b"],
            Column.ASSOC_ACTORS: ucdp_side_parties(ged["side_a"], ged["side_b"]),
        }
    )
    for party, alias in (("Sham Legion", "Sham Legion"), ("HTS", "al-Nusra Front")):
        in_a_side = ged["side_a"].str.split(", ").apply(lambda s, p=party: p in s) | ged[
            "side_b"
        ].str.split(", ").apply(lambda s, p=party: p in s)
        alone = (ged["side_a"] == party) | (ged["side_b"] == party)
        assert in_a_side.sum() > alone.sum(), "the sample has multi-party sides with it"
        found = ActorMatch((alias,)).mask(table)
        assert found[in_a_side].all()


def test_single_party_rows_get_no_extra_actors():
    parties = ucdp_side_parties(pd.Series(["IS", "Ahrar al-Sham, HTS"]), pd.Series(["SDF", "IS"]))
    assert pd.isna(parties[0]) and parties[1] == "Ahrar al-Sham; HTS; IS"


def test_the_actor_list_shows_each_actor_once_under_its_canonical_name():
    table = events(
        **{
            Column.ACTOR1: ["ISIS", "Daesh", "IS", "Assad regime"],
            Column.ACTOR2: ["Government of Syria", "HTS", None, "Jabhat Fateh al-Sham"],
            Column.ASSOC_ACTORS: ["ISIL", None, None, "Military Forces of Syria"],
        }
    )
    counts = actor_counts(table)
    assert counts == {"Islamic State": 4, "Syrian government": 3, "Hayat Tahrir al-Sham": 2}
    assert next(iter(counts)) == "Islamic State", "most frequent first"
