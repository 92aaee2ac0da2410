"""Seeded synthetic events in ACLED's current layout, for benchmarks and tests.

Events cluster around real cities (weighted by size), actors and event types follow skewed
frequencies like ACLED's, dates span several years with a seasonal swing, and most events
have no fatalities.  Every row says it is synthetic (``source`` and ``notes``): nothing
here is a fact about any real event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: ACLED's current export layout (31 columns, in order).
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

# (city, country, ISO numeric, admin1, latitude, longitude, weight): approximate centres.
CITIES = (
    ("Aleppo", "Syria", 760, "Aleppo", 36.20, 37.16, 10),
    ("Idlib", "Syria", 760, "Idleb", 35.93, 36.63, 9),
    ("Damascus", "Syria", 760, "Damascus", 33.51, 36.29, 6),
    ("Homs", "Syria", 760, "Homs", 34.73, 36.72, 4),
    ("Hama", "Syria", 760, "Hama", 35.13, 36.75, 4),
    ("Ar-Raqqa", "Syria", 760, "Ar-Raqqa", 35.95, 39.01, 4),
    ("Deir-ez-Zor", "Syria", 760, "Deir-ez-Zor", 35.33, 40.14, 5),
    ("Daraa", "Syria", 760, "Dara", 32.62, 36.10, 4),
    ("Mosul", "Iraq", 368, "Ninewa", 36.34, 43.13, 5),
    ("Baghdad", "Iraq", 368, "Baghdad", 33.31, 44.37, 5),
    ("Kirkuk", "Iraq", 368, "Kirkuk", 35.47, 44.39, 3),
    ("Sanaa", "Yemen", 887, "Amanat al Asimah", 15.37, 44.19, 6),
    ("Taiz", "Yemen", 887, "Taizz", 13.58, 44.02, 7),
    ("Hodeidah", "Yemen", 887, "Al Hudaydah", 14.80, 42.95, 5),
    ("Aden", "Yemen", 887, "Aden", 12.79, 45.02, 3),
    ("Gaza", "Palestine", 275, "Gaza Strip", 31.50, 34.47, 6),
    ("Beirut", "Lebanon", 422, "Beirut", 33.89, 35.50, 2),
    ("Diyarbakir", "Turkey", 792, "Diyarbakir", 37.91, 40.24, 2),
    ("Tehran", "Iran", 364, "Tehran", 35.69, 51.39, 2),
    ("Tripoli", "Libya", 434, "Tripoli", 32.89, 13.19, 3),
)

ACTORS = (
    ("Military Forces of Syria (2000-)", 1),
    ("Hayat Tahrir al Sham", 2),
    ("Islamic State (Syria)", 2),
    ("SDF: Syrian Democratic Forces", 2),
    ("Military Forces of Russia (2000-)", 8),
    ("Military Forces of Turkey (2016-)", 8),
    ("Houthi Movement", 3),
    ("Military Forces of Yemen (2016-) Hadi", 1),
    ("Protesters (Iraq)", 6),
    ("Military Forces of Iraq (2020-)", 1),
    ("Hamas Movement", 2),
    ("Military Forces of Israel (2022-)", 8),
    ("Civilians (Syria)", 7),
    ("Civilians (Yemen)", 7),
    ("Unidentified Armed Group", 3),
)
EVENT_TYPES = {
    "Explosions/Remote violence": (
        0.38,
        ("Shelling/artillery/missile attack", "Air/drone strike", "Remote explosive/landmine/IED"),
    ),
    "Battles": (
        0.27,
        ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    ),
    "Violence against civilians": (0.12, ("Attack", "Abduction/forced disappearance")),
    "Protests": (0.12, ("Peaceful protest", "Protest with intervention")),
    "Strategic developments": (0.08, ("Agreement", "Looting/property destruction", "Other")),
    "Riots": (0.03, ("Violent demonstration", "Mob violence")),
}
SOURCES = (
    "SYNTHETIC: Local media",
    "SYNTHETIC: Wire service",
    "SYNTHETIC: Monitoring group",
    "SYNTHETIC: Local media; SYNTHETIC: Wire service",
)


def synth_acled(
    rows: int, *, seed: int = 2016, first_year: int = 2017, last_year: int = 2024
) -> pd.DataFrame:
    """``rows`` synthetic events in ACLED's current layout (columns: ``ACLED_COLUMNS``).

    The same seed gives the same table.  Coordinates are WGS84 degrees.
    """
    rng = np.random.default_rng(seed)
    cities = pd.DataFrame(CITIES, columns=["city", "country", "iso", "admin1", "lat", "lon", "w"])
    city = rng.choice(len(cities), size=rows, p=cities["w"] / cities["w"].sum())
    spread = rng.choice([0.02, 0.08, 0.3], size=rows, p=[0.5, 0.35, 0.15])
    lat = cities["lat"].to_numpy()[city] + rng.normal(0, 1, rows) * spread
    lon = cities["lon"].to_numpy()[city] + rng.normal(0, 1, rows) * spread

    days = (pd.Timestamp(f"{last_year}-12-31") - pd.Timestamp(f"{first_year}-01-01")).days + 1
    # a seasonal swing: more events in the warmer half of the year
    offsets = rng.integers(0, days, size=rows * 2)
    season = 1 + 0.4 * np.sin(2 * np.pi * (offsets % 365) / 365 - np.pi / 2)
    keep = rng.random(rows * 2) < season / 1.4
    offsets = offsets[keep][:rows]
    if len(offsets) < rows:
        offsets = np.concatenate([offsets, rng.integers(0, days, rows - len(offsets))])
    dates = pd.Timestamp(f"{first_year}-01-01") + pd.to_timedelta(np.sort(offsets), unit="D")

    actor_names = np.array([a for a, _ in ACTORS], dtype=object)
    inter = np.array([i for _, i in ACTORS])
    zipf = 1 / np.arange(1, len(ACTORS) + 1) ** 1.1
    a1 = rng.choice(len(ACTORS), size=rows, p=zipf / zipf.sum())
    a2 = rng.choice(len(ACTORS), size=rows, p=zipf / zipf.sum())
    no_second = rng.random(rows) < 0.35
    types = list(EVENT_TYPES)
    type_index = rng.choice(len(types), size=rows, p=[EVENT_TYPES[t][0] for t in types])
    sub = np.empty(rows, dtype=object)
    for i, name in enumerate(types):
        subs = EVENT_TYPES[name][1]
        mask = type_index == i
        sub[mask] = np.array(subs, dtype=object)[rng.integers(0, len(subs), mask.sum())]
    fatalities = np.where(rng.random(rows) < 0.7, 0, rng.geometric(0.25, rows))
    country = cities["country"].to_numpy()[city]
    frame = pd.DataFrame(
        {
            "event_id_cnty": [f"SYN{i:08d}" for i in range(1, rows + 1)],
            "event_date": dates.strftime("%Y-%m-%d"),
            "year": dates.year,
            "time_precision": rng.choice([1, 2, 3], size=rows, p=[0.85, 0.12, 0.03]),
            "disorder_type": np.where(
                np.array(types, dtype=object)[type_index] == "Protests",
                "Demonstrations",
                "Political violence",
            ),
            "event_type": np.array(types, dtype=object)[type_index],
            "sub_event_type": sub,
            "actor1": actor_names[a1],
            "assoc_actor_1": np.where(rng.random(rows) < 0.1, "Unidentified Militia", ""),
            "inter1": inter[a1],
            "actor2": np.where(no_second, "", actor_names[a2]),
            "assoc_actor_2": "",
            "inter2": np.where(no_second, 0, inter[a2]),
            "interaction": inter[a1] * 10 + np.where(no_second, 0, inter[a2]),
            "civilian_targeting": "",
            "iso": cities["iso"].to_numpy()[city],
            "region": "Middle East",
            "country": country,
            "admin1": cities["admin1"].to_numpy()[city],
            "admin2": "",
            "admin3": "",
            "location": cities["city"].to_numpy()[city],
            "latitude": np.round(lat, 4),
            "longitude": np.round(lon, 4),
            "geo_precision": rng.choice([1, 2, 3], size=rows, p=[0.8, 0.15, 0.05]),
            "source": np.array(SOURCES, dtype=object)[rng.integers(0, len(SOURCES), rows)],
            "source_scale": "National",
            "notes": "SYNTHETIC event made by conflict-atlas for benchmarks; not a real event.",
            "fatalities": fatalities,
            "tags": "",
            "timestamp": 1_700_000_000,
        }
    )
    return frame[list(ACLED_COLUMNS)]
