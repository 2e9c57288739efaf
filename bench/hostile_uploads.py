"""Memory and time of an import preview for each hostile upload, one fresh process per file.

    PYTHONPATH=$PWD .venv/bin/python bench/hostile_uploads.py [--limit-gb 4] [--timeout 300]
        [--size "16 MB newline file=4194304" ...] [--only LABEL ...]

The files come from tests/hostile_files.py (sizes overridable: bytes, or rows for the
identical-row files). Each preview runs in its own process on a copy of one SpatiaLite
database with the real boundaries, under an address-space limit (``--limit-gb``) so a
runaway file ends in MemoryError instead of taking the machine; the peak resident size is
the child's own high-water mark minus its size before the call. Run it with PYTHONPATH
pointing at any checkout to measure that code (the "before" numbers of came from
a copy of the unchanged tree).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(path: Path, database: Path, limit_gb: float) -> None:
    limit = int(limit_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from sqlalchemy.orm import Session

    from registry.areas.service import locators
    from registry.db import make_engine
    from registry.errors import RegistryError
    from registry.imports.service import preview_import
    from tests.hostile_files import measure

    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        locators.get(session)  # the area index is built before the clock starts, as in a server
        data = path.read_bytes()
        measured = measure(
            lambda: preview_import(session, data, path.name, actor_name="bench"),
            catch=(RegistryError, MemoryError),
        )
        session.rollback()
    if measured.error is not None:
        outcome = f"{type(measured.error).__name__}: {str(measured.error)[:200]}"
    else:
        result = measured.result
        outcome = f"previewed: {result.counts}, {len(result.duplicates)} duplicate pairs"
    print(
        json.dumps({"seconds": measured.seconds, "peak_mb": measured.peak_mb, "outcome": outcome})
    )


def _template(folder: Path) -> Path:
    from bench.support.databases import with_areas

    path = folder / "template.sqlite"
    with_areas(f"sqlite:///{path}").dispose()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-gb", type=float, default=4.0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--size", action="append", default=[], help="LABEL=N (bytes or rows)")
    parser.add_argument("--only", action="append", default=[], help="labels to run")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent))
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]), args.limit_gb)
        return
    from bench.support.machine import load_average
    from tests.hostile_files import HOSTILE

    sizes = dict(item.rsplit("=", 1) for item in args.size)
    print(f"cores: {os.cpu_count()}, load: {load_average()}, limit: {args.limit_gb} GB per preview")
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        folder = Path(tmp)
        template = _template(folder)
        for label, make in HOSTILE.items():
            if args.only and label not in args.only:
                continue
            size = sizes.get(label)
            if size is not None:
                parameter = next(iter(inspect.signature(make).parameters))
                name, data = make(**{parameter: int(size)})
            else:
                name, data = make()
            path = folder / name
            path.write_bytes(data)
            database = folder / "run.sqlite"
            shutil.copy(template, database)
            start = time.perf_counter()
            try:
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--limit-gb",
                        str(args.limit_gb),
                        "--child",
                        str(path),
                        str(database),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                lines = done.stdout.strip().splitlines()
                if done.returncode == 0 and lines:
                    row = json.loads(lines[-1])
                else:
                    tail = (done.stderr.strip().splitlines() or ["?"])[-1]
                    row = {
                        "seconds": time.perf_counter() - start,
                        "peak_mb": float("nan"),
                        "outcome": f"child died ({done.returncode}): {tail[:200]}",
                    }
            except subprocess.TimeoutExpired:
                row = {
                    "seconds": args.timeout,
                    "peak_mb": float("nan"),
                    "outcome": f"still running after {args.timeout:.0f} s; stopped",
                }
            shown = f" ({size})" if size else ""
            print(
                f"{label}{shown}: upload {len(data) / 1024:,.0f} KB, "
                f"{row['seconds']:.2f} s, peak +{row['peak_mb']:,.0f} MB; {row['outcome']}",
                flush=True,
            )
            database.unlink()
            path.unlink()


if __name__ == "__main__":
    main()
