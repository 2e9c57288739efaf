"""Population layers in the database: store, list, read (cached), and the modelled demo layer.

A layer is a named set of units, each a point with a number of people, optional group counts
and the most specific area it lies in. Three ways to make one:

* counts per area (a CSV by DOPA code, any level). By default each area's people form one
  unit at the area's *representative point* (a point inside its polygon, shapely's
  ``point_on_surface``), and the layer's finest level is the level of the codes: a layer of
  province counts answers by province only, since placing its people inside the province
  would be a model. Province counts may instead be *spread* over points inside every
  subdistrict with :func:`geo.population.spread_population` (an equal share per subdistrict;
  see that module), which makes the layer modelled and answerable at every level.
* points with counts (villages, households; CSV or GeoJSON): each point is a unit, placed in
  the subdistrict containing it (or the nearest within the coast tolerance; points farther
  out are left out and counted).
* a raster grid (GeoTIFF, e.g. WorldPop): one unit per non-empty cell centre, then as points.

Loading is idempotent: a layer's checksum covers its units, so loading the same content again
under the same name changes nothing; different content under an existing name needs
``replace``. A layer kept current by its source (the survey layer of) instead has the
units of the areas that changed replaced (:func:`replace_area_units`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
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
    spread_population,
)
from registry.areas.service import locators
from registry.coverage.population_files import AreaCounts, PointCounts
from registry.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from registry.models import Area, PopulationLayer, PopulationUnit, utcnow
from registry.spatial import spatial_dialect

KINDS = ("measured", "modelled")
PLACEMENTS = ("point", "within", "spread")
LEVEL_NAMES = {1: "province", 2: "district", 3: "subdistrict"}

DEMO_LAYER = "dopa-2020-modelled"
DEMO_FILES = ("th-census-data.json", "th-census-age-group.json")
DEMO_POINTS_PER_SUBDISTRICT = 8
DEMO_SEED = 0

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
_AS_OF = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# Output columns of a coverage table; a group may not take these names.
_RESERVED = {"population", "covered", "uncovered", "share_covered", "code", "median_m", "p90_m"}
# Units written per statement. A layer of up to this many units goes in at once, so that on
# SpatiaLite a first layer's R*Tree is built once after the rows, not per row by trigger
# (registry.spatial_bulk); bigger layers are written in pieces to bound memory.
_INSERT_CHUNK = 100_000
# Layers kept in memory per process, least recently used dropped first.
_CACHED_LAYERS = 4


@dataclass(frozen=True)
class LayerInfo:
    """A layer's description, detached from the session."""

    id: int
    name: str
    title: str
    source: str
    as_of: str | None
    kind: str
    method: str | None
    group_columns: tuple[str, ...]
    finest_level: int
    unit_count: int
    total_population: int
    checksum: str
    measured_level: int | None = None

    @property
    def modelled(self) -> bool:
        return self.kind == "modelled"

    @property
    def year(self) -> int | None:
        return int(self.as_of[:4]) if self.as_of else None

    @property
    def measure(self) -> str:
        """What is measured and what is placed, in one phrase every page and file repeats:
        ``modelled``, ``measured`` or ``measured by subdistrict, placed within it``."""
        if self.modelled:
            return "modelled"
        if self.measured_level:
            return f"measured by {LEVEL_NAMES[self.measured_level]}, placed within it"
        return "measured"

    @classmethod
    def of(cls, layer: PopulationLayer) -> LayerInfo:
        return cls(
            id=layer.id,
            name=layer.name,
            title=layer.title,
            source=layer.source,
            as_of=layer.as_of,
            kind=layer.kind,
            method=layer.method,
            group_columns=tuple(layer.group_columns or ()),
            finest_level=layer.finest_level,
            unit_count=layer.unit_count,
            total_population=layer.total_population,
            checksum=layer.checksum,
            measured_level=layer.measured_level,
        )

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "modelled": self.modelled,
            "measure": self.measure,
            "measured_level": LEVEL_NAMES.get(self.measured_level),
            "source": self.source,
            "as_of": self.as_of,
            "year": self.year,
            "method": self.method,
            "groups": list(self.group_columns),
            "finest_level": LEVEL_NAMES[self.finest_level],
            "units": self.unit_count,
            "total_population": self.total_population,
        }


@dataclass(frozen=True)
class StoreOutcome:
    layer: LayerInfo
    action: str  # created, replaced, updated (description only), unchanged
    left_out: int = 0  # units outside Thailand
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        layer = self.layer
        text = (
            f"population layer {layer.name!r} ({layer.kind}): {self.action}; "
            f"{layer.unit_count:,} units, {layer.total_population:,} people"
        )
        if self.left_out:
            text += f"; {self.left_out:,} units outside Thailand left out"
        return text


# -- building units ---------------------------------------------------------------------------


def units_from_area_counts(
    session: Session,
    counts: AreaCounts,
    *,
    placement: str = "point",
    points_per_subdistrict: int = DEMO_POINTS_PER_SUBDISTRICT,
    seed: int = DEMO_SEED,
) -> tuple[pd.DataFrame, int, str]:
    """Units for counts per area, the layer's finest level and a sentence on the method."""
    if placement not in ("point", "spread"):
        raise ValidationError(
            f"placement {placement!r} is not 'point' or 'spread' (placement 'within' is "
            "registry.coverage.population_measured)",
            field="placement",
        )
    known = set(
        session.scalars(select(Area.code).where(Area.code.in_([str(c) for c in counts.codes])))
    )
    unknown = [str(code) for code in counts.codes if code not in known]
    if unknown:
        raise ValidationError(
            f"{len(unknown)} area code(s) are not in the registry's boundaries, e.g. "
            f"{', '.join(unknown[:5])}",
            field="code",
        )
    if placement == "spread":
        if counts.level != 1:
            raise ValidationError(
                "placement 'spread' spreads province counts over their subdistricts; these "
                f"are {LEVEL_NAMES[counts.level]} counts: use placement 'point'",
                field="placement",
            )
        totals = pd.DataFrame(
            {"province_code": counts.codes.astype(str), "population": counts.population}
        )
        for name, values in counts.groups.items():
            totals[name] = values
        units = spread_units(
            session,
            totals,
            group_columns=tuple(counts.groups),
            points_per_subdistrict=points_per_subdistrict,
            seed=seed,
        )
        return units, 3, MODEL_DESCRIPTION
    rows = session.execute(
        select(Area.code, Area.geom).where(Area.code.in_([str(c) for c in counts.codes]))
    ).all()
    point_of = {row.code: shapely.point_on_surface(to_shape(row.geom)) for row in rows}
    points = [point_of[str(code)] for code in counts.codes]
    units = pd.DataFrame(
        {
            "lon": np.array([p.x for p in points], dtype=np.float64),
            "lat": np.array([p.y for p in points], dtype=np.float64),
            "population": counts.population.astype(np.int64),
            "area_code": counts.codes.astype(str),
        }
    )
    for name, values in counts.groups.items():
        units[name] = values.astype(np.int64)
    method = (
        f"counts per {LEVEL_NAMES[counts.level]}, each area's people at one point inside it "
        "(its representative point); coverage is answered at that level and above"
    )
    return units, counts.level, method


def spread_units(
    session: Session,
    province_totals: pd.DataFrame,
    *,
    group_columns: Sequence[str],
    points_per_subdistrict: int = DEMO_POINTS_PER_SUBDISTRICT,
    seed: int = DEMO_SEED,
) -> pd.DataFrame:
    """Province totals spread over the registry's subdistricts by geo.population (modelled)."""
    rows = session.execute(select(Area.code, Area.geom).where(Area.level == 3)).all()
    if not rows:
        raise ValidationError(
            "no subdistrict boundaries are loaded; run `registry load-areas` first"
        )
    provinces = set(province_totals["province_code"])
    rows = [row for row in rows if row.code[:4] in provinces]
    subdistricts = gpd.GeoDataFrame(
        {"adm3_pcode": [row.code for row in rows]},
        geometry=[to_shape(row.geom) for row in rows],
        crs="EPSG:4326",
    )
    try:
        layer = spread_population(
            subdistricts,
            province_totals,
            points_per_subdistrict=points_per_subdistrict,
            seed=seed,
            group_columns=tuple(group_columns),
        )
    except ValueError as error:
        raise ValidationError(f"cannot spread these counts: {error}") from None
    units = pd.DataFrame(layer.drop(columns="geometry"))
    units.attrs = {}
    return units[["lon", "lat", "population", "area_code", *group_columns]]


def units_at_points(
    session: Session, counts: PointCounts, *, tolerance_m: float
) -> tuple[pd.DataFrame, int]:
    """Units at the given points in the subdistrict holding each; how many were left out."""
    if counts.lon.size == 0:
        return _empty_units(tuple(counts.groups)), 0
    match = locators.get(session).locate(counts.lon, counts.lat, tolerance_m=tolerance_m)
    found = ~match.unmatched
    units = pd.DataFrame(
        {
            "lon": counts.lon[found].astype(np.float64),
            "lat": counts.lat[found].astype(np.float64),
            "population": counts.population[found].astype(np.int64),
            "area_code": match.codes[found].astype(str),
        }
    )
    for name, values in counts.groups.items():
        units[name] = values[found].astype(np.int64)
    return units, int((~found).sum())


def _empty_units(groups: tuple[str, ...]) -> pd.DataFrame:
    units = pd.DataFrame(
        {
            "lon": np.empty(0),
            "lat": np.empty(0),
            "population": np.empty(0, dtype=np.int64),
            "area_code": np.empty(0, dtype=object),
        }
    )
    for name in groups:
        units[name] = np.empty(0, dtype=np.int64)
    return units


# -- storing ----------------------------------------------------------------------------------


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


# -- reading ----------------------------------------------------------------------------------


def list_layers(session: Session) -> list[LayerInfo]:
    layers = session.scalars(select(PopulationLayer).order_by(PopulationLayer.name))
    return [LayerInfo.of(layer) for layer in layers]


def visible_layers(session: Session, config, *, signed_in: bool) -> list[LayerInfo]:
    """The layers a caller may pick: private ones (survey counts) only for accounts."""
    private = () if signed_in else set(config.get("COVERAGE_PRIVATE_LAYERS", ()))
    return [info for info in list_layers(session) if info.name not in private]


def check_layer_access(session: Session, name: str | None, config, *, signed_in: bool) -> None:
    """Refuse a private layer (counted from survey records) to a caller without an account.

    The survey layer holds unvaccinated people per village; published as it is, a village of
    three could be singled out, so only signed-in staff compute coverage on it. Public
    figures from the survey go through the statistics pages, which suppress small counts.
    """
    private = set(config.get("COVERAGE_PRIVATE_LAYERS", ()))
    if signed_in or not private:
        return
    info = configured_layer(session, name, config)
    if info.name in private:
        raise ForbiddenError(
            f"population layer {info.name!r} is counted from survey records of real people; "
            "sign in to use it (public statistics are on /stats)",
            field="layer",
        )


def configured_layer(session: Session, name: str | None, config) -> LayerInfo:
    """The layer a coverage question names, else the configured default, else the newest
    published one (a private survey layer is used only when named)."""
    return find_layer(
        session,
        name,
        config.get("COVERAGE_DEFAULT_LAYER"),
        skip=tuple(config.get("COVERAGE_PRIVATE_LAYERS", ())),
    )


def find_layer(
    session: Session, name: str | None, default: str | None = None, skip: Sequence[str] = ()
) -> LayerInfo:
    """The layer of that name; without a name the default layer, else the newest one not in
    ``skip``."""
    if name:
        layer = session.scalar(select(PopulationLayer).where(PopulationLayer.name == name))
        if layer is None:
            known = ", ".join(info.name for info in list_layers(session)) or "none loaded"
            raise NotFoundError(
                f"there is no population layer {name!r}; layers: {known}", field="layer"
            )
        return LayerInfo.of(layer)
    layer = None
    if default:
        layer = session.scalar(select(PopulationLayer).where(PopulationLayer.name == default))
    if layer is None:
        newest = select(PopulationLayer).order_by(PopulationLayer.id.desc()).limit(1)
        if skip:
            newest = newest.where(PopulationLayer.name.not_in(skip))
        layer = session.scalar(newest)
    if layer is None:
        raise NotFoundError(
            "no population layer is loaded; run `registry demo` or `registry population load-...`",
            field="layer",
        )
    return LayerInfo.of(layer)


def delete_layer(session: Session, name: str) -> LayerInfo:
    info = find_layer(session, name)
    session.execute(delete(PopulationUnit).where(PopulationUnit.layer_id == info.id))
    session.execute(delete(PopulationLayer).where(PopulationLayer.id == info.id))
    return info


class _LayerCache:
    """Units of recently used layers, keyed by database, layer id and checksum."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._frames: OrderedDict[tuple, pd.DataFrame] = OrderedDict()

    def get(self, session: Session, info: LayerInfo) -> pd.DataFrame:
        key = (str(session.get_bind().engine.url), info.id, info.checksum)
        with self._lock:
            frame = self._frames.get(key)
            if frame is not None:
                self._frames.move_to_end(key)
                return frame
        frame = _read_units(session, info)
        with self._lock:
            self._frames[key] = frame
            while len(self._frames) > self._size:
                self._frames.popitem(last=False)
        return frame

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()


layer_cache = _LayerCache(_CACHED_LAYERS)


def layer_units(session: Session, info: LayerInfo) -> pd.DataFrame:
    """The layer's units as a frame (lon, lat, population, area_code, groups); read once.

    The frame is shared between requests: callers must not change it.
    """
    return layer_cache.get(session, info)


def _read_units(session: Session, info: LayerInfo) -> pd.DataFrame:
    rows = session.execute(
        select(
            func.ST_X(PopulationUnit.geom),
            func.ST_Y(PopulationUnit.geom),
            PopulationUnit.population,
            PopulationUnit.area_code,
            PopulationUnit.groups,
        )
        .where(PopulationUnit.layer_id == info.id)
        .order_by(PopulationUnit.id)
    ).all()
    if not rows:
        return _empty_units(info.group_columns)
    lon, lat, population, codes, groups = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            "lon": np.asarray(lon, dtype=np.float64),
            "lat": np.asarray(lat, dtype=np.float64),
            "population": np.asarray(population, dtype=np.int64),
            "area_code": np.asarray(codes, dtype=object),
        }
    )
    if info.group_columns:
        matrix = np.asarray(groups, dtype=np.int64).reshape(len(rows), len(info.group_columns))
        for column, name in enumerate(info.group_columns):
            frame[name] = matrix[:, column]
    frame.attrs["modelled"] = info.modelled
    frame.attrs["layer"] = info.name
    return frame


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
