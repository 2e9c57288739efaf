"""Population layers in the database: what a layer is, listing and reading them (cached).

Units are built in :mod:`registry.coverage.population_units` and stored (with the modelled
demo layer) by :mod:`registry.coverage.population_store`.

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

"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from registry.coverage import messages as say
from registry.errors import ForbiddenError, NotFoundError
from registry.models import PopulationLayer, PopulationUnit

KINDS = ("measured", "modelled")
PLACEMENTS = ("point", "within", "spread")
LEVEL_NAMES = {1: "province", 2: "district", 3: "subdistrict"}

DEMO_LAYER = "dopa-2020-modelled"
DEMO_FILES = ("th-census-data.json", "th-census-age-group.json")
DEMO_POINTS_PER_SUBDISTRICT = 8
DEMO_SEED = 0

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


def empty_units(groups: tuple[str, ...]) -> pd.DataFrame:
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
        raise ForbiddenError(say.PRIVATE_LAYER(layer=repr(info.name)), field="layer")


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
            known = ", ".join(info.name for info in list_layers(session)) or say.NONE_LOADED()
            raise NotFoundError(say.NO_SUCH_LAYER(name=repr(name), known=known), field="layer")
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
        raise NotFoundError(say.NO_LAYER(), field="layer")
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
        return empty_units(info.group_columns)
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
