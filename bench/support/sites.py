"""Synthetic facilities for ``upsert_facilities``: real MOPH points, drawn and moved, each
kept only where it still lies inside a Thai subdistrict (the importers' own area locator).

Types follow the kind of the real point, statuses are mostly open and every status is
confirmed within the day before loading, so that every open site is "open now" for two days
(docs/benchmarks.md, "How the data is made").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np

from importers.vocabulary import AGE_GROUPS, DOSES, TEST_METHODS, VACCINE_BRANDS
from registry.paths import DATA_DIR

HOSPITALS = DATA_DIR / "moph_hospitals_geojson_health.geojson"
CLINICS = Path("/work/shared/data/facilities/moph_clinics_geojson_clinic.geojson")
THAILAND_BBOX = (97.3, 5.6, 105.7, 20.5)  # west, south, east, north
SOURCE = "bench_nearest"
STATUS_CHOICES = (("open", 0.85), ("full", 0.07), ("temporarily_closed", 0.05), ("closed", 0.03))
# Which types a jittered copy of each kind of real point becomes.
TYPES_BY_KIND = {
    "hospital": (
        ("hospital", 0.35),
        ("vaccination_site", 0.35),
        ("covid_test_point", 0.20),
        ("field_hospital", 0.10),
    ),
    "clinic": (
        ("vaccination_site", 0.40),
        ("covid_test_point", 0.35),
        ("waiting_centre", 0.15),
        ("hospital", 0.10),
    ),
}


def read_points(path: Path, kind: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """(lon, lat, names, kinds) of the named points of one MOPH list."""
    with path.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    lon, lat, names = [], [], []
    for feature in features:
        coords = (feature.get("geometry") or {}).get("coordinates")
        name = (feature["properties"].get("name") or "").strip()
        if not coords or not name or str(feature["properties"].get("main_code")) == "0":
            continue
        lon.append(float(coords[0]))
        lat.append(float(coords[1]))
        names.append(name)
    return np.array(lon), np.array(lat), names, [kind] * len(names)


def base_points(clinics: Path, locator) -> dict:
    """The real hospital and clinic points that lie inside a Thai subdistrict."""
    parts = [read_points(HOSPITALS, "hospital"), read_points(clinics, "clinic")]
    lon = np.concatenate([p[0] for p in parts])
    lat = np.concatenate([p[1] for p in parts])
    names = [n for p in parts for n in p[2]]
    kinds = [k for p in parts for k in p[3]]
    inside = locator.locate(lon, lat).inside
    keep = np.flatnonzero(inside)
    return {
        "lon": lon[keep],
        "lat": lat[keep],
        "names": [names[i] for i in keep],
        "kinds": [kinds[i] for i in keep],
        "read": len(names),
    }


def keep_inside(locator, want: int, draw: Callable[[int], tuple]) -> tuple[np.ndarray, ...]:
    """Candidates from ``draw(still_wanted)`` (arrays whose first two are lon and lat), kept
    where they lie inside a Thai subdistrict, until ``want`` are kept; in draw order."""
    kept: list[list[np.ndarray]] = []
    have = 0
    while have < want:
        arrays = draw(want - have)
        inside = np.flatnonzero(locator.locate(arrays[0], arrays[1]).inside)[: want - have]
        kept.append([array[inside] for array in arrays])
        have += inside.size
    return tuple(np.concatenate(column) for column in zip(*kept, strict=True))


def jittered_sites(
    clinics: Path, count: int, jitter_km: float, locator, rng
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """``count`` jittered copies of real points, each inside a Thai subdistrict:
    (the real points, which one each copy came from, lon, lat)."""
    bases = base_points(clinics, locator)

    def draw(still: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = int(still * 1.2) + 100
        pick = rng.integers(0, len(bases["lon"]), m)
        # Uniform in a disc of radius jitter_km around the real point.
        radius = jitter_km * 1000 * np.sqrt(rng.random(m))
        angle = rng.random(m) * 2 * np.pi
        lat = bases["lat"][pick] + radius * np.cos(angle) / 110_574.0
        lon = bases["lon"][pick] + radius * np.sin(angle) / (
            111_320.0 * np.cos(np.radians(bases["lat"][pick]))
        )
        return np.round(lon, 7), np.round(lat, 7), pick

    lon, lat, pick = keep_inside(locator, count, draw)
    return bases, pick, lon, lat


def land_points(locator, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniformly spread over Thailand's land (inside a subdistrict)."""
    west, south, east, north = THAILAND_BBOX

    def draw(_still: int) -> tuple[np.ndarray, np.ndarray]:
        lon = np.round(rng.uniform(west, east, 4 * n), 6)
        lat = np.round(rng.uniform(south, north, 4 * n), 6)
        return lon, lat

    return keep_inside(locator, n, draw)


def _pick(rng, weighted) -> str:
    values = [v for v, _ in weighted]
    return values[rng.choice(len(values), p=[w for _, w in weighted])]


def _subset(rng, values, p_each: float) -> list[str]:
    chosen = [v for v in values if rng.random() < p_each]
    return chosen or [values[int(rng.integers(len(values)))]]


def site_record(number: int, base_name: str, kind: str, lon: float, lat: float, rng, now) -> dict:
    """One facility as ``upsert_facilities`` takes it, its type and attributes drawn."""
    facility_type = _pick(rng, TYPES_BY_KIND[kind])
    record = {
        "row": number,
        "type": facility_type,
        "name_th": f"{base_name} จุดที่ {number}",
        "lon": float(lon),
        "lat": float(lat),
        "source": SOURCE,
        "source_id": str(number),
        "status": _pick(rng, STATUS_CHOICES),
        # Confirmed within a day, so every open site stays "open now" for the next two days
        # (FRESHNESS_TTL_HOURS is 72 h for every type), as the KNN comparison assumes.
        "status_confirmed_at": now - timedelta(hours=float(rng.random() * 24)),
        "status_confirmed_by": "bench-loader",
    }
    if facility_type == "vaccination_site":
        record.update(
            vaccine_brands=_subset(rng, VACCINE_BRANDS, 0.35),
            doses=_subset(rng, DOSES, 0.6),
            age_groups=_subset(rng, AGE_GROUPS, 0.5),
            walk_in=bool(rng.random() < 0.5),
            appointment=bool(rng.random() < 0.7),
            daily_capacity=int(rng.integers(50, 2_000)),
        )
    elif facility_type == "covid_test_point":
        record.update(
            test_methods=_subset(rng, TEST_METHODS, 0.6),
            walk_in=bool(rng.random() < 0.6),
            appointment=bool(rng.random() < 0.4),
            daily_capacity=int(rng.integers(20, 1_000)),
        )
    elif facility_type == "hospital":
        beds = int(rng.integers(10, 800))
        covid = int(beds * rng.uniform(0.05, 0.3))
        record.update(
            beds_total=beds,
            covid_beds_total=covid,
            covid_beds_occupied=int(covid * rng.random()),
        )
    else:  # field hospital, waiting centre
        green = int(rng.integers(20, 400))
        yellow = int(rng.integers(0, 60))
        record.update(
            beds_total=green + yellow,
            beds_green_total=green,
            beds_green_available=int(green * rng.random()),
            beds_yellow_total=yellow,
            beds_yellow_available=int(yellow * rng.random()),
            oxygen=bool(rng.random() < 0.5),
        )
    return record
