"""Storing population layers: checked, checksummed, written in chunks; the modelled demo layer.

Loading is idempotent: a layer's checksum covers its units, so loading the same content again
under the same name changes nothing; different content under an existing name needs
``replace``. A layer kept current by its source (the survey layer) instead has the units of
the areas that changed replaced (:func:`replace_area_units`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from geo.population import (
    AGE_GROUPS,
    MODEL_DESCRIPTION,
    province_totals_from_dopa,
)
from registry.coverage.population import (
    DEMO_FILES,
    DEMO_LAYER,
    DEMO_POINTS_PER_SUBDISTRICT,
    DEMO_SEED,
    KINDS,
    LEVEL_NAMES,
    LayerInfo,
    StoreOutcome,
)
from registry.coverage.population_units import spread_units
from registry.errors import ConflictError, NotFoundError, ValidationError
from registry.models import Area, PopulationLayer, PopulationUnit, utcnow
from registry.spatial import spatial_dialect

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
_AS_OF = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# Output columns of a coverage table; a group may not take these names.
_RESERVED = {"population", "covered", "uncovered", "share_covered", "code", "median_m", "p90_m"}
# Units written per statement. A layer of up to this many units goes in at once, so that on
# SpatiaLite a first layer's R*Tree is built once after the rows, not per row by trigger
# (registry.spatial_bulk); bigger layers are written in pieces to bound memory.
_INSERT_CHUNK = 100_000


def store_layer(
    session: Session,
    units: pd.DataFrame,
    *,
    name: str,
    title: str,
    source: str,
    kind: str,
    finest_level: int,
    created_by: str,
    as_of: str | None = None,
    method: str | None = None,
    group_columns: Sequence[str] = (),
    replace: bool = False,
    left_out: int = 0,
    notes: Sequence[str] = (),
    measured_level: int | None = None,
) -> StoreOutcome:
    """Write a layer and its units; the same content twice changes nothing.

    ``units`` has ``lon``, ``lat`` (degrees WGS 84), ``population``, ``area_code`` (an area
    of the registry) and one integer column per group. Flushes; the caller commits.
    """
    group_columns = _check_description(
        name, title, source, kind, finest_level, as_of, group_columns
    )
    if measured_level is not None and (kind != "measured" or measured_level not in LEVEL_NAMES):
        raise ValidationError(
            f"measured level {measured_level!r} needs kind 'measured' and a level 1, 2 or 3",
            field="measured_level",
        )
    arrays = _check_units(units, group_columns, finest_level)
    checksum = _checksum(arrays, group_columns)
    description = {
        "title": title.strip(),
        "source": source.strip(),
        "as_of": as_of,
        "kind": kind,
        "method": method,
        "group_columns": list(group_columns),
        "finest_level": finest_level,
        "measured_level": measured_level,
    }
    existing = session.scalar(select(PopulationLayer).where(PopulationLayer.name == name))
    action = "created"
    if existing is not None:
        if existing.checksum == checksum:
            same = all(getattr(existing, key) == value for key, value in description.items())
            if same:
                return StoreOutcome(LayerInfo.of(existing), "unchanged", left_out, tuple(notes))
            if not replace:
                raise ConflictError(
                    f"population layer {name!r} holds these units with another description; "
                    "load with replace to update it",
                    field="name",
                )
            for key, value in description.items():
                setattr(existing, key, value)
            session.flush()
            return StoreOutcome(LayerInfo.of(existing), "updated", left_out, tuple(notes))
        if not replace:
            raise ConflictError(
                f"a population layer named {name!r} already exists with other units; choose "
                "another name or load with replace",
                field="name",
            )
        session.execute(delete(PopulationUnit).where(PopulationUnit.layer_id == existing.id))
        session.delete(existing)
        session.flush()
        action = "replaced"
    layer = PopulationLayer(
        name=name,
        unit_count=int(arrays["population"].size),
        total_population=int(arrays["population"].sum()),
        checksum=checksum,
        created_at=utcnow(),
        created_by=created_by,
        **description,
    )
    session.add(layer)
    session.flush()
    _insert_units(session, layer.id, arrays, group_columns)
    return StoreOutcome(LayerInfo.of(layer), action, left_out, tuple(notes))


def _check_description(name, title, source, kind, finest_level, as_of, group_columns):
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(
            f"layer name {name!r} must be 1-100 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="name",
        )
    for value, what in ((title, "title"), (source, "source")):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"a population layer needs a {what}", field=what)
    if kind not in KINDS:
        raise ValidationError(
            f"kind {kind!r} is not one of {', '.join(KINDS)}: say whether the counts were "
            "measured or modelled",
            field="kind",
        )
    if finest_level not in LEVEL_NAMES:
        raise ValidationError(f"finest level {finest_level!r} is not 1, 2 or 3", field="level")
    if as_of is not None and not _valid_date(as_of):
        raise ValidationError(
            f"date {as_of!r} is not YYYY, YYYY-MM or YYYY-MM-DD between 1900 and 2100 "
            "(Gregorian years: 2564 BE is 2021)",
            field="as_of",
        )
    if isinstance(group_columns, str):
        group_columns = [group_columns]
    groups = tuple(group_columns)
    for group in groups:
        if not _GROUP.fullmatch(group) or group in _RESERVED:
            raise ValidationError(
                f"group name {group!r} must be 1-40 letters, digits, '_' or '-' and not one of "
                f"{', '.join(sorted(_RESERVED))}",
                field="groups",
            )
    if len(set(groups)) != len(groups):
        raise ValidationError(f"group names repeat: {list(groups)}", field="groups")
    return groups


def _valid_date(text: str) -> bool:
    if not isinstance(text, str) or not _AS_OF.fullmatch(text):
        return False
    parts = [int(part) for part in text.split("-")]
    try:
        date(*parts, *[1] * (3 - len(parts)))
    except ValueError:
        return False
    return 1900 <= parts[0] <= 2100


def _check_units(units: pd.DataFrame, groups: tuple[str, ...], finest_level: int) -> dict:
    missing = [c for c in ("lon", "lat", "population", "area_code", *groups) if c not in units]
    if missing:
        raise ValidationError(f"population units lack the column(s) {', '.join(missing)}")
    lon = units["lon"].to_numpy(dtype=np.float64)
    lat = units["lat"].to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        position = int(np.argmax(bad))
        raise ValidationError(
            f"unit {position}: ({lon[position]!r}, {lat[position]!r}) is not a longitude and "
            "latitude in degrees"
        )
    # A unit may be coded coarser than the finest level: people known only by district
    # (a tambon newer than the boundaries) keep a row of their own in finer tables.
    codes = units["area_code"].astype(str).to_numpy(dtype=object)
    arrays = {"lon": lon, "lat": lat, "area_code": codes}
    for column in ("population", *groups):
        values = units[column].to_numpy()
        if values.size and (values.dtype.kind not in "iu" or (values < 0).any()):
            raise ValidationError(
                f"population units: column {column!r} must hold whole numbers of people, 0 or more"
            )
        arrays[column] = values.astype(np.int64)
    return arrays


def _checksum(arrays: dict, groups: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(list(groups)).encode())
    digest.update("\n".join(arrays["area_code"]).encode())
    for column in ("lon", "lat", "population", *groups):
        digest.update(np.ascontiguousarray(arrays[column]).tobytes())
    return digest.hexdigest()


def _insert_units(session: Session, layer_id: int, arrays: dict, groups: tuple[str, ...]) -> None:
    connection = session.connection()
    insert = spatial_dialect(connection.dialect.name).bulk_insert
    count = arrays["population"].size
    group_matrix = (
        np.column_stack([arrays[g] for g in groups]).tolist() if groups else [None] * count
    )
    for start in range(0, count, _INSERT_CHUNK):
        stop = min(start + _INSERT_CHUNK, count)
        rows = [
            {
                "layer_id": layer_id,
                "area_code": arrays["area_code"][i],
                "population": int(arrays["population"][i]),
                "groups": group_matrix[i],
                # repr() of a float round-trips exactly through the databases' WKT parsers.
                "geom": f"SRID=4326;POINT({float(arrays['lon'][i])!r} {float(arrays['lat'][i])!r})",
            }
            for i in range(start, stop)
        ]
        insert(connection, PopulationUnit.__table__, rows, False)


def replace_area_units(
    session: Session,
    name: str,
    units: pd.DataFrame,
    area_codes: Sequence[str],
    *,
    as_of: str | None = None,
) -> tuple[LayerInfo, bool]:
    """Replace a stored layer's units in some areas; the units of other areas stay.

    For layers kept current by their source, one area at a time (the survey layer: a survey
    write changes one subdistrict). ``area_codes`` are unit area codes (exact, not prefixes);
    every unit of ``units`` must carry one of them. Returns the layer and whether anything
    changed: units equal to the stored ones change nothing, not even the checksum.

    The new checksum digests the previous one and the new units, so it changes whenever the
    units do (caches keyed on it refresh) but no longer equals what a full load of the same
    content would give. Flushes; the caller commits.
    """
    layer = session.scalar(select(PopulationLayer).where(PopulationLayer.name == name))
    if layer is None:
        raise NotFoundError(f"there is no population layer {name!r}", field="layer")
    groups = tuple(layer.group_columns or ())
    codes = sorted({str(code) for code in area_codes})
    arrays = _check_units(units, groups, layer.finest_level)
    strays = sorted(set(arrays["area_code"]) - set(codes))
    if strays:
        raise ValidationError(
            f"units in {', '.join(strays[:5])} lie outside the areas being replaced "
            f"({', '.join(codes[:5])})"
        )
    if as_of is not None and not _valid_date(as_of):
        raise ValidationError(f"date {as_of!r} is not YYYY, YYYY-MM or YYYY-MM-DD", field="as_of")
    old = _units_in(session, layer.id, codes, groups)
    if _unit_rows(arrays, groups) == old:
        if as_of is not None and layer.as_of != as_of:
            layer.as_of = as_of
            session.flush()
        return LayerInfo.of(layer), False
    for start in range(0, len(codes), 500):
        session.execute(
            delete(PopulationUnit).where(
                PopulationUnit.layer_id == layer.id,
                PopulationUnit.area_code.in_(codes[start : start + 500]),
            )
        )
    _insert_units(session, layer.id, arrays, groups)
    # The units replaced are known (``old``): no need to count the whole layer again.
    count = layer.unit_count - len(old) + int(arrays["population"].size)
    total = layer.total_population - sum(row[3] for row in old) + int(arrays["population"].sum())
    digest = hashlib.sha256(layer.checksum.encode())
    digest.update(json.dumps(codes).encode())
    digest.update(_checksum(arrays, groups).encode())
    layer.unit_count = int(count)
    layer.total_population = int(total)
    layer.checksum = digest.hexdigest()
    if as_of is not None:
        layer.as_of = as_of
    session.flush()
    return LayerInfo.of(layer), True


def _unit_rows(arrays: dict, groups: tuple[str, ...]) -> list[tuple]:
    """Units as sorted tuples, to compare stored and new units whatever their order."""
    rows = zip(
        arrays["area_code"].tolist(),
        np.round(arrays["lon"], 7).tolist(),
        np.round(arrays["lat"], 7).tolist(),
        arrays["population"].tolist(),
        *(arrays[g].tolist() for g in groups),
        strict=True,
    )
    return sorted(rows)


def _units_in(session: Session, layer_id: int, codes: list[str], groups) -> list[tuple]:
    rows = []
    for start in range(0, len(codes), 500):
        rows += session.execute(
            select(
                PopulationUnit.area_code,
                func.ST_X(PopulationUnit.geom),
                func.ST_Y(PopulationUnit.geom),
                PopulationUnit.population,
                PopulationUnit.groups,
            ).where(
                PopulationUnit.layer_id == layer_id,
                PopulationUnit.area_code.in_(codes[start : start + 500]),
            )
        ).all()
    return sorted(
        (code, round(lon, 7), round(lat, 7), int(people), *[int(g) for g in (counts or [])])
        for code, lon, lat, people, counts in rows
    )


def representative_points(session: Session, codes: Sequence[str]) -> dict[str, tuple[float, float]]:
    """A point inside each area (shapely's ``point_on_surface``), as (lon, lat) by code.

    Unlike a centroid, the point always lies inside the area, even a crescent-shaped one.
    """
    codes = sorted({str(code) for code in codes})
    points = {}
    for start in range(0, len(codes), 500):
        rows = session.execute(
            select(Area.code, Area.geom).where(Area.code.in_(codes[start : start + 500]))
        ).all()
        for row in rows:
            point = shapely.point_on_surface(to_shape(row.geom))
            points[row.code] = (float(point.x), float(point.y))
    return points


# -- the demo layer ---------------------------------------------------------------------------


def demo_units(session: Session, data_dir: Path) -> pd.DataFrame:
    """DOPA's 2020 province totals and age bands spread over the subdistricts (modelled)."""
    census, ages = (
        json.loads((data_dir / name).read_text(encoding="utf-8")) for name in DEMO_FILES
    )
    totals = province_totals_from_dopa(census, ages)
    return spread_units(
        session,
        totals,
        group_columns=AGE_GROUPS,
        points_per_subdistrict=DEMO_POINTS_PER_SUBDISTRICT,
        seed=DEMO_SEED,
    )


def ensure_demo_layer(session: Session, data_dir: Path) -> StoreOutcome:
    """Load (or confirm) the demo layer; a second run changes nothing."""
    return store_layer(
        session,
        demo_units(session, data_dir),
        name=DEMO_LAYER,
        title="DOPA registered population 2020, spread within provinces (modelled)",
        source=(
            "Department of Provincial Administration (DOPA), registered population by province "
            "and age band, end of 2020; via porames/the-researcher-covid-data @ b382ac1 "
            "(GPL-3.0)"
        ),
        as_of="2020-12-31",
        kind="modelled",
        method=MODEL_DESCRIPTION,
        group_columns=AGE_GROUPS,
        finest_level=3,
        created_by="demo loader",
    )
