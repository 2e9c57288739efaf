"""Pieces of the fault tests and of bench/faults.py: a throwaway PostgreSQL cluster,
an API token, a large import file, counts that show what a fault left behind.

The PostgreSQL server the suite shares (127.0.0.1:5432) is never stopped: faults that stop
or restart a server use a cluster of their own (scripts/pg-throwaway).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from registry.db import make_engine
from tests.serving import CHECKOUT, free_port

PG_THROWAWAY = CHECKOUT / "scripts" / "pg-throwaway"


@dataclass
class ThrowawayPostgres:
    folder: Path
    port: int

    @classmethod
    def start(cls) -> ThrowawayPostgres:
        """A new cluster in a folder of /tmp the postgres user can reach (pytest's is 0700)."""
        parent = Path(tempfile.mkdtemp(prefix="registry-pg-"))
        parent.chmod(0o755)
        cluster = cls(parent / "cluster", free_port())
        cluster._run("start", str(cluster.port))
        return cluster

    @property
    def server(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, action: str, *extra: str) -> None:
        result = subprocess.run(
            [PG_THROWAWAY, action, str(self.folder), *extra],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg-throwaway {action} failed: {result.stderr}{result.stdout}")

    def stop(self) -> None:
        self._run("stop")

    def resume(self) -> None:
        self._run("start", str(self.port))

    def restart(self) -> None:
        self._run("restart")

    def destroy(self) -> None:
        self._run("destroy")
        shutil.rmtree(self.folder.parent, ignore_errors=True)


def add_token(database_url: str, username: str = "feeder") -> str:
    """A national administrator with an API token, written straight to the database."""
    from registry.accounts.service import create_token
    from registry.app import create_app
    from registry.db import db
    from registry.models import User, utcnow

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    with app.app_context():
        user = User(
            username=username,
            display_name=username,
            password_hash="!",  # no password sign-in
            role="national_admin",
            area_code=None,
            active=True,
            created_at=utcnow(),
            created_by="fault tests",
        )
        db.session.add(user)
        db.session.flush()
        _token, secret = create_token(db.session, user, "fault tests")
        db.session.commit()
    db.state(app).engine.dispose()
    return secret


def hospital_csv(path: Path, rows: int, *, seed: int = 15, prefix: str = "fault") -> Path:
    """``rows`` hospitals at points inside Chiang Mai province's box, each its own source id."""
    rng = random.Random(seed)
    lines = ["source_id,type,name_th,lat,lon"]
    for number in range(rows):
        lat = rng.uniform(18.6, 18.9)
        lon = rng.uniform(98.9, 99.1)
        lines.append(
            f"{prefix}-{number},hospital,โรงพยาบาลทดสอบ {prefix} {number},{lat:.6f},{lon:.6f}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def counts(database_url: str) -> dict[str, int]:
    """Facilities, import batches and the change logs: what a fault must leave as it was."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("facility", "import_batch", "facility_change", "created_block")
            }
    finally:
        engine.dispose()
