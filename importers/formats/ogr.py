"""GeoPackage and zipped Shapefile, read through pyogrio (GDAL).

A shapefile travels as a .zip holding the .shp, .shx, .dbf and, ideally, the .prj (its CRS)
and .cpg (its text encoding). Thai shapefiles often lack the .cpg and store TIS-620 text, which
GDAL would read as Latin-1 mojibake; without a .cpg the attribute bytes are checked, and text
that is not UTF-8 is read as cp874. A GeoPackage is UTF-8 by definition.
"""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from collections.abc import Collection
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from importers import file_rules
from importers.errors import ImportFormatError
from importers.formats.base import RawTable, Reader, cell_text, choice_note, frame_of_stripped
from importers.limits import WEB_LIMITS, Budget
from importers.report import ERROR, WARNING, Problem


class GeoPackageReader(Reader):
    name = "gpkg"
    extensions = (".gpkg",)
    label = "GeoPackage"

    def read_bytes(
        self,
        data: bytes,
        file_name: str,
        *,
        sheet: str | None = None,
        extra_headers: Collection[str] = (),
        budget: Budget | None = None,
    ) -> RawTable:
        import pyogrio

        budget = budget or Budget(WEB_LIMITS, file_name)
        budget.add_bytes(len(data))
        if not data.startswith(b"SQLite format 3\x00"):
            raise ImportFormatError(file_rules.NOT_A_GEOPACKAGE(), file_name=file_name)
        with tempfile.TemporaryDirectory(prefix="import-gpkg-") as folder:
            path = Path(folder) / "data.gpkg"
            path.write_bytes(data)
            try:
                layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
            except Exception as exc:  # GDAL reports damage as several error types
                raise ImportFormatError(
                    file_rules.GEOPACKAGE_UNREADABLE(why=str(exc)), file_name=file_name
                ) from None
            if not layers:
                raise ImportFormatError(file_rules.NO_LAYERS(), file_name=file_name)
            layer, problems = _choose_layer(layers, sheet, file_name)
            _check_size(path, layer, budget)
            return read_ogr(
                path, layer=layer, format=self.name, file_name=file_name, problems=problems
            )


class ShapefileReader(Reader):
    """A zip archive holding one or more shapefiles."""

    name = "shapefile"
    extensions = ()
    label = file_rules.SHAPEFILE_LABEL()

    def read_bytes(
        self,
        data: bytes,
        file_name: str,
        *,
        sheet: str | None = None,
        extra_headers: Collection[str] = (),
        budget: Budget | None = None,
    ) -> RawTable:
        budget = budget or Budget(WEB_LIMITS, file_name)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise ImportFormatError(file_rules.ZIP_DAMAGED(), file_name=file_name) from None
        with archive:
            entries = budget.open_zip(archive)
            members = {
                PurePosixPath(e.filename): e for e in entries if "__MACOSX" not in e.filename
            }
            shapes = [p for p in members if p.suffix.lower() == ".shp"]
            if not shapes:
                raise ImportFormatError(file_rules.NO_SHP(), file_name=file_name)
            layers = [(p.stem, "") for p in shapes]
            layer, problems = _choose_layer(layers, sheet, file_name)
            shape = next(p for p in shapes if p.stem == layer)
            parts = {
                p.suffix.lower(): info
                for p, info in members.items()
                if p.parent == shape.parent and p.stem == shape.stem
            }
            for needed in (".shx", ".dbf"):
                if needed not in parts:
                    raise ImportFormatError(
                        file_rules.SHAPEFILE_PART_MISSING(
                            shp=shape.name, missing=f"{shape.stem}{needed}"
                        ),
                        file_name=file_name,
                    )
            if ".prj" not in parts:
                problems.append(
                    Problem(
                        None,
                        None,
                        shape.name,
                        file_rules.NO_PRJ(),
                        WARNING,
                    )
                )
            # Every part is refused on its declared size before a byte is inflated.
            for info in parts.values():
                budget.check_declared(info.file_size, info.filename)
            with tempfile.TemporaryDirectory(prefix="import-shp-") as folder:
                try:
                    for suffix, info in parts.items():
                        with (Path(folder) / f"layer{suffix}").open("wb") as target:
                            budget.copy_member(archive, info, target)
                except (zipfile.BadZipFile, EOFError, OSError) as exc:
                    raise ImportFormatError(
                        file_rules.CANNOT_UNPACK(why=str(exc)), file_name=file_name
                    ) from None
                _check_counts(Path(folder), budget)
                encoding = None
                if ".cpg" not in parts:
                    encoding = _dbf_encoding((Path(folder) / "layer.dbf").read_bytes())
                return read_ogr(
                    Path(folder) / "layer.shp",
                    layer=None,
                    format=self.name,
                    file_name=file_name,
                    problems=problems,
                    encoding=encoding,
                    layer_label=layer,
                )


def _check_counts(folder: Path, budget: Budget) -> None:
    """Refuse a shapefile whose .dbf or .shx counts more records than the limits allow.

    Read from the headers (a .dbf states its record count and, through its header length, its
    field count; a .shx holds 8 bytes per record after a 100-byte header) before GDAL reads
    anything.
    """
    with (folder / "layer.dbf").open("rb") as dbf:
        header = dbf.read(32)
    records = int.from_bytes(header[4:8], "little") if len(header) >= 12 else 0
    fields = (int.from_bytes(header[8:10], "little") - 33) // 32 if len(header) >= 12 else 0
    shapes = max(0, ((folder / "layer.shx").stat().st_size - 100) // 8)
    count = max(records, shapes)
    budget.check_rows(count)
    budget.add_cells(count * max(1, fields))


def _check_size(path: Path, layer: str, budget: Budget) -> None:
    """Refuse a layer with more features, or features times fields, than the limits allow."""
    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception:  # damage is reported by the read that follows, with its reason
        return
    count = max(int(info.get("features") or 0), 0)
    budget.check_rows(count)
    budget.add_cells(count * max(1, len(info.get("fields", ()))))


def _dbf_encoding(dbf: bytes) -> str | None:
    """'UTF-8', 'CP874' or None (plain ASCII: GDAL's default is fine) for a .dbf without .cpg."""
    header_length = int.from_bytes(dbf[8:10], "little") if len(dbf) > 10 else 0
    records = dbf[header_length:]
    if records.isascii():
        return None
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return "CP874"
    return "UTF-8"


def _choose_layer(
    layers: list[tuple[str, str]], wanted: str | None, file_name: str
) -> tuple[str, list[Problem]]:
    names = [n for n, _ in layers]
    if wanted is not None:
        for name in names:
            if name == wanted or name.casefold() == str(wanted).strip().casefold():
                return name, []
        raise ImportFormatError(
            file_rules.NO_SUCH_LAYER(layer=repr(wanted), layers=", ".join(repr(n) for n in names)),
            file_name=file_name,
        )
    if len(names) == 1:
        return names[0], []
    points = [n for n, kind in layers if "point" in kind.lower()]
    chosen = points[0] if points else names[0]
    why = file_rules.FIRST_POINT_LAYER() if points else file_rules.FIRST_LAYER()
    return chosen, [choice_note("layer", chosen, [n for n in names if n != chosen], why)]


def read_ogr(
    path: Path,
    *,
    layer: str | None,
    format: str,
    file_name: str,
    problems: list[Problem],
    encoding: str | None = None,
    layer_label: str | None = None,
) -> RawTable:
    """Read one OGR layer into a raw table: attributes as text, point x, y, declared CRS."""
    import pyogrio

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
        except Exception as exc:  # GDAL reports damage as several error types
            raise ImportFormatError(
                file_rules.OGR_UNREADABLE(why=f"{type(exc).__name__}: {exc}"),
                file_name=file_name,
            ) from None
    for warning in caught:
        problems.append(
            Problem(None, None, None, file_rules.GDAL_SAYS(message=str(warning.message)), WARNING)
        )

    geometry, crs = None, None
    attributes = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        geometry = frame.geometry.to_numpy()
        attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if frame.crs is not None:
            epsg = frame.crs.to_epsg()
            crs = f"EPSG:{epsg}" if epsg else frame.crs.to_wkt()
    columns = [str(c) for c in attributes.columns]
    values = pd.DataFrame(
        {
            name: attributes[c].map(cell_text).astype(object)
            for name, c in zip(columns, attributes.columns, strict=True)
        }
    )
    values = frame_of_stripped(values)
    xy = None
    if geometry is not None:
        xy, geometry_problems = _points(geometry)
        problems.extend(geometry_problems)
    return RawTable(
        columns=columns,
        frame=values.reset_index(drop=True),
        row_numbers=np.arange(1, len(values) + 1, dtype=np.int64),
        geometry=xy,
        crs=crs,
        format=format,
        layer=layer_label or layer,
        problems=problems,
    )


def _points(geometry: np.ndarray) -> tuple[np.ndarray, list[Problem]]:
    xy = np.full((len(geometry), 2), np.nan)
    problems = []
    kinds = shapely.get_type_id(geometry)
    parts = shapely.get_num_geometries(geometry)
    single = (kinds == 4) & (parts == 1)
    points = np.where(single, shapely.get_geometry(geometry, 0), geometry)
    is_point = (kinds == 0) | single
    empty = shapely.is_empty(points)
    ok = is_point & ~empty
    xy[ok, 0] = shapely.get_x(points[ok])
    xy[ok, 1] = shapely.get_y(points[ok])
    for i in np.flatnonzero(~is_point & (kinds >= 0)):
        kind = geometry[i].geom_type
        problems.append(Problem(int(i) + 1, "geometry", kind, file_rules.NOT_A_POINT(), ERROR))
    return xy, problems
