"""mod_spatialite and the wheels that bundle GEOS/PROJ/GDAL can live in one process."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_geopackage_written_and_read_after_spatialite_is_loaded(tmp_path):
    # A fresh interpreter: the crash happens only when mod_spatialite is loaded before the
    # wheels are imported, which the test process itself may already have done the safe way.
    script = textwrap.dedent(
        f"""
        from registry.db import make_engine
        engine = make_engine("sqlite:///{tmp_path / "x.sqlite"}")
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT spatialite_version()").scalar()
        import geopandas, shapely
        frame = geopandas.GeoDataFrame({{"a": [1]}}, geometry=[shapely.Point(100, 13)], crs=4326)
        frame.to_file("{tmp_path / "x.gpkg"}", layer="sites")
        print(len(geopandas.read_file("{tmp_path / "x.gpkg"}")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "1"
