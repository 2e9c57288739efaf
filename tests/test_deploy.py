"""The built wheel is a complete service, and docs/deploy.md works as written.

Builds the wheel from this checkout and installs it (not editable, with its dependencies from
the package index or pip's cache) into a fresh virtual environment outside the checkout, made
by Debian's python3 as the guide does. Then:

- the demo load and `registry serve` from that environment: pages in both languages, static
  files and the bundled Leaflet, API answers, the map's features, health, readiness, metrics;
- scripts/deploy-check with that environment: every `sh` block of docs/deploy.md, in order
  (nginx with TLS in front of gunicorn in front of a throwaway PostGIS cluster, logrotate, an
  upgrade, a dump restored into a fresh database with the same API answers, a SpatiaLite
  online backup); and every such block is in the script word for word.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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
    for repository_file in (CHECKOUT / "data").rglob("*"):
        if repository_file.is_file():
            assert f"registry/data/{repository_file.relative_to(CHECKOUT / 'data')}" in names
    for folder in ("translations", "migrations", "static"):
        source = CHECKOUT / "registry" / folder
        for path in source.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"registry/{path.relative_to(CHECKOUT / 'registry')}" in names
    assert "importers/data/province_mapping.csv" in names
    assert not [name for name in names if "__pycache__" in name or name.startswith("tests/")]


DEBIAN_PYTHON = Path("/usr/bin/python3")


@pytest.fixture(scope="module")
def home(wheel):
    """An install folder in /tmp (the guide's service user must reach it) with venv/ holding
    the wheel; removed after the module."""
    root = Path(tempfile.mkdtemp(prefix="registry-home-"))
    root.chmod(0o755)
    python = DEBIAN_PYTHON if DEBIAN_PYTHON.exists() else Path(sys._base_executable)
    try:
        _run([python, "-m", "venv", str(root / "venv")])
        _run([root / "venv" / "bin" / "pip", "install", "-q", str(wheel)], env=base_env())
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def installed(home, tmp_path) -> tuple[Path, Path]:
    """The installed venv's bin and an empty work folder outside the checkout."""
    work = tmp_path / "work"
    work.mkdir()
    return home / "venv" / "bin", work


def test_installed_registry_runs_the_demo_and_serves_it(installed):
    bin_dir, work = installed
    assert not work.is_relative_to(CHECKOUT)
    env = base_env()  # no PYTHONPATH: only the installed wheel can be imported
    version = _run([bin_dir / "registry", "--version"], env=env, cwd=work).stdout
    assert version.strip() == f"registry {_project_version()}"
    where = _run(
        [bin_dir / "python", "-c", "import importers, registry.paths as p; print(p.DATA_DIR)"],
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


SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
GUIDE = CHECKOUT / "docs" / "deploy.md"
SCRIPT = CHECKOUT / "scripts" / "deploy-check"


def test_every_command_of_the_guide_is_in_the_deploy_check():
    blocks = SH_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 12
    script = SCRIPT.read_text(encoding="utf-8")
    missing = [block for block in blocks if block not in script]
    assert not missing, f"run these in scripts/deploy-check, as written: {missing}"
    # Files the guide installs exist and are what the script installs.
    for name in ("registry.service", "nginx.conf", "logrotate"):
        assert f"docs/deploy/{name}" in script
        assert (CHECKOUT / "docs" / "deploy" / name).is_file()


@pytest.mark.postgis
@pytest.mark.skipif(os.geteuid() != 0, reason="the guide's commands run as root")
def test_the_deployment_guide_runs_on_this_machine(home, wheel):
    for tool in ("nginx", "openssl", "logrotate", "sqlite3", "systemd-analyze", "curl"):
        assert shutil.which(tool), f"{tool} is missing: scripts/test installs it"
    result = subprocess.run(
        [SCRIPT, str(wheel)],
        env=base_env(DEPLOY_CHECK_HOME=str(home)),
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "deploy-check passed" in output
    assert "the restored database gave the same 4 API answers" in output


def _project_version() -> str:
    from registry import __version__

    return __version__
