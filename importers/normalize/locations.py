"""The step that gives every row its point: from the file's geometry, from latitude and
longitude columns, or from one "lat, lon" cell, in WGS 84 inside Thailand (see
:mod:`importers.coords` for how each reading is chosen)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from importers import coords, rules
from importers.errors import ImportOptionError
from importers.normalize.state import Normaliser
from importers.report import WARNING, Problem, quote


def read_locations(table: Normaliser) -> None:
    """``lon`` and ``lat`` (NaN where a row has no point), and the CRS they were read in."""
    lon = np.full(table.n, np.nan)
    lat = np.full(table.n, np.nan)
    done = np.zeros(table.n, dtype=bool)  # located, or already reported
    crs_used: list[str] = []
    points = _Points(lon, lat, crs_used)
    geometry = table.raw.geometry
    if geometry is not None:
        has_point = np.isfinite(geometry).all(axis=1)
        file_crs = table.raw.crs
        if table.declared_crs and file_crs and not _same_crs(table.declared_crs, file_crs):
            table.add(
                Problem(
                    None,
                    "geometry",
                    str(file_crs)[:80],
                    rules.CRS_OVERRIDDEN(crs=table.declared_crs),
                    WARNING,
                )
            )
        points.place(
            table,
            has_point,
            geometry[:, 0],
            geometry[:, 1],
            None,
            None,
            "geometry",
            "geometry",
            table.declared_crs or file_crs,
        )
        done |= has_point
        # Non-point geometries were reported by the reader.
        for problem in table.raw.problems:
            if problem.column == "geometry" and problem.is_error and problem.row is not None:
                done[table.position_of(problem.row)] = True

    lat_cells, lon_cells = table.cells("lat"), table.cells("lon")
    if (lat_cells is None) != (lon_cells is None) and geometry is None:
        if lon_cells is None:
            table.reject_all(table.plan.column("lat"), rules.NO_LONGITUDE_COLUMN())
        else:
            table.reject_all(table.plan.column("lon"), rules.NO_LATITUDE_COLUMN())
        lat_cells = lon_cells = None
        half_columns = True
    else:
        half_columns = False
    if lat_cells is not None and lon_cells is not None:
        _from_columns(table, lat_cells, lon_cells, done, points)
    pair_cells = table.cells("coordinates")
    if pair_cells is not None:
        _from_pairs(table, pair_cells, done, points)

    missing = ~done & ~np.isfinite(lon)
    if half_columns:
        pass  # reported once for the file above
    elif geometry is None and lat_cells is None and pair_cells is None:
        table.reject_all(None, rules.NO_LOCATION_COLUMN())
    elif missing.any():
        column = (
            table.plan.column("lat")
            or table.plan.column("coordinates")
            or ("geometry" if geometry is not None else None)
        )
        for i in np.flatnonzero(missing):
            table.at(i, column, None, rules.LOCATION_MISSING())
    table.out["lon"], table.out["lat"] = lon, lat
    table.crs = crs_used[0] if crs_used else (table.declared_crs or coords.WGS84)


class _Points:
    """The longitudes and latitudes found so far, and the CRS each batch was read in."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray, crs_used: list[str]) -> None:
        self.lon, self.lat, self.crs_used = lon, lat, crs_used

    def place(self, table: Normaliser, mask, x, y, x_text, y_text, x_column, y_column, crs):
        if not mask.any():
            return
        index = np.flatnonzero(mask)
        located = coords.locate_points(
            x[index],
            y[index],
            rows=table.rows[index],
            x_column=x_column,
            y_column=y_column,
            x_text=None if x_text is None else np.asarray(x_text, dtype=object)[index],
            y_text=None if y_text is None else np.asarray(y_text, dtype=object)[index],
            crs=crs,
        )
        for problem in located.problems:
            table.add(problem)
        self.lon[index] = np.where(located.ok, located.lon, np.nan)
        self.lat[index] = np.where(located.ok, located.lat, np.nan)
        self.crs_used.append(located.crs)


def _from_columns(table: Normaliser, lat_cells, lon_cells, done, points: _Points) -> None:
    lat_column, lon_column = table.plan.column("lat"), table.plan.column("lon")
    todo = ~done
    y, bad_y = coords.parse_coordinate_column(pd.Series(lat_cells, dtype=object))
    x, bad_x = coords.parse_coordinate_column(pd.Series(lon_cells, dtype=object))
    for bad, column, cells in ((bad_y, lat_column, lat_cells), (bad_x, lon_column, lon_cells)):
        for i, rule in bad.items():
            if todo[i]:
                table.at(i, column, cells[i], rule)
                done[i] = True
    has_y, has_x = pd.notna(lat_cells), pd.notna(lon_cells)
    for i in np.flatnonzero(todo & ~done & (has_x != has_y)):
        if has_y[i]:
            table.at(
                i, lon_column or lat_column, None, rules.LONGITUDE_EMPTY(value=quote(lat_cells[i]))
            )
        else:
            table.at(
                i, lat_column or lon_column, None, rules.LATITUDE_EMPTY(value=quote(lon_cells[i]))
            )
        done[i] = True
    use = todo & ~done & np.isfinite(x) & np.isfinite(y)
    points.place(
        table,
        use,
        x,
        y,
        lon_cells,
        lat_cells,
        lon_column or "lon",
        lat_column or "lat",
        table.declared_crs,
    )
    done |= use


def _from_pairs(table: Normaliser, cells, done, points: _Points) -> None:
    column = table.plan.column("coordinates")
    todo = ~done & pd.notna(cells)
    if not todo.any():
        return
    parsed = table.parse_cells(np.where(todo, cells, None), column, coords.parse_coordinate_pair)
    ok = np.array([p is not None for p in parsed])
    done |= todo & ~ok
    first = np.array([p[0] if p is not None else np.nan for p in parsed], dtype=float)
    second = np.array([p[1] if p is not None else np.nan for p in parsed], dtype=float)
    # Written "lat, lon" (as Google Maps copies it): y first. Swaps are detected anyway.
    points.place(table, ok, second, first, cells, cells, column, column, table.declared_crs)
    done |= ok


def _same_crs(a: str, b: str) -> bool:
    try:
        return coords.resolve_crs(a).equals(coords.resolve_crs(b))
    except ImportOptionError:
        return False
