"""The built wheel is a complete service (issue 15).

Builds the wheel from this checkout, installs it (not editable, with its dependencies from
the package index or pip's cache) into a fresh virtual environment outside the checkout, runs
the demo load there and serves it with `registry serve`: pages in both languages, static
files and the bundled Leaflet, API answers, the map's features, health, readiness and metrics.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from tests.serving import CHECKOUT, base_env, registry_serve

pytestmark = pytest.mark.slow


def _run(args, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(CHECKOUT)])
    (built,) = out.glob("thai_facility_registry-*.whl")
    return built


def test_the_wheel_carries_pages_data_translations_migrations_and_static_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for repository_file in (CHECKOUT / "templates").rglob("*.html"):
        assert f"registry/templates/{repository_file.relative_to(CHECKOUT / 'templates')}" in names
    for repository_file in (CHECKOUT / "data").iterdir():
        assert f"registry/data/{repository_file.name}" in names
    for folder in ("translations", "migrations", "static"):
        source = CHECKOUT / "registry" / folder
        for path in source.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"registry/{path.relative_to(CHECKOUT / 'registry')}" in names
    assert "importers/data/province_mapping.csv" in names
    assert not [name for name in names if "__pycache__" in name or name.startswith("tests/")]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """A fresh venv outside the checkout with the wheel installed; its bin and a work folder."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    python = getattr(sys, "_base_executable", sys.executable)
    _run([python, "-m", "venv", str(venv)])
    _run([venv / "bin" / "pip", "install", "-q", str(wheel)], env=base_env())
    work = root / "work"
    work.mkdir()
    return venv / "bin", work


def test_installed_registry_runs_the_demo_and_serves_it(installed):
    bin_dir, work = installed
    assert not work.is_relative_to(CHECKOUT)
    env = base_env()  # no PYTHONPATH: only the installed wheel can be imported
    version = _run([bin_dir / "registry", "--version"], env=env, cwd=work).stdout
    assert version.strip() == f"registry {_project_version()}"
    where = _run(
        [bin_dir / "python", "-c", "import registry, importers; print(registry.DATA_DIR)"],
        env=env,
        cwd=work,
    ).stdout.strip()
    assert "site-packages" in where and not where.startswith(str(CHECKOUT))
    demo = _run([bin_dir / "registry", "demo"], env=env, cwd=work)
    assert "loaded 8430 areas" in demo.stdout
    assert "1363 created" in demo.stdout  # the vaccination sites, through the importer

    server = registry_serve(bin_dir / "registry", env, work / "serve.log", cwd=work)
    try:
        ready = json.loads(server.wait_ready().text())
        assert ready["checks"]["catalog_sites"] > 3000
        home = server.get("/")
        assert home.status == 200 and "ค้นหา" in home.text()
        english = server.get("/map?lang=en")
        assert english.status == 200 and "/vendor/leaflet/leaflet.js" in english.text()
        for path in ("/stats", "/coverage?province=TH50", "/static/css/site.css"):
            assert server.get(path).status == 200, path
        assert b"Leaflet 1.9" in server.get("/vendor/leaflet/leaflet.js").body
        place = urllib.parse.quote("เชียงใหม่")
        nearest = json.loads(server.get(f"/api/v1/nearest?place={place}&type=hospital&k=3").body)
        assert len(nearest["features"]) == 3
        assert nearest["features"][0]["properties"]["distance_m"] >= 0
        provinces = json.loads(server.get("/api/v1/areas?level=province").body)
        assert len(provinces["features"]) == 77
        shown = json.loads(server.get("/api/v1/map/features?bbox=97,17,100,20&zoom=12").body)
        assert shown["total"] > 100 and len(shown["points"]) == shown["total"]
        assert "registry_http_requests_total" in server.get("/metrics").text()
        assert server.get("/healthz").status == 200
    finally:
        assert server.stop() == 0, server.log()[-3000:]
    assert "Traceback" not in server.log()


def _project_version() -> str:
    from registry import __version__

    return __version__
