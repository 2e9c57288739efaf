"""Where the bundled folders are: the demo data and the page templates.

An installed wheel has ``registry/data`` and ``registry/templates``; a checkout (and an editable
install) has them beside the package, at the top of the repository, as the project is laid out.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def _bundled(name: str) -> Path:
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


DATA_DIR = _bundled("data")
TEMPLATES_DIR = _bundled("templates")
