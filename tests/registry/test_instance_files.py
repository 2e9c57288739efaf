"""What the app writes to its instance folder when it starts (the generated secret key, the
compiled translations) is made whole and read whole, although gunicorn workers and
pytest-xdist workers start side by side."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
from types import SimpleNamespace

import pytest
from babel.messages.mofile import read_mo
from flask import Flask

from registry.auth import _secret_key
from registry.i18n import compile_catalogues
from registry.imports import uploads

PROCESSES = 6
ROUNDS = 25


def _start_together(start, folder, barrier, results):
    barrier.wait()
    try:
        results.put(start(folder))
    except Exception as error:  # report it to the test rather than die quietly
        results.put(f"{type(error).__name__}: {error}")


def _in_processes_at_once(start, folder) -> list:
    """What ``start(folder)`` returns in PROCESSES processes let go at the same moment."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(target=_start_together, args=(start, folder, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return answers


def _key(instance_path):
    return _secret_key(SimpleNamespace(instance_path=instance_path))


def _catalogue_sizes(target):
    """Compile into ``target`` and read every catalogue back: its number of messages."""
    sizes = {}
    for mo_path in sorted(compile_catalogues(target).glob("*/LC_MESSAGES/messages.mo")):
        with mo_path.open("rb") as mo_file:
            sizes[mo_path.parent.parent.name] = len(read_mo(mo_file))
    return sizes


def test_processes_starting_together_all_get_the_same_whole_key(tmp_path):
    for round_ in range(ROUNDS):
        instance = tmp_path / f"instance{round_}"
        keys = _in_processes_at_once(_key, str(instance))
        assert len(set(keys)) == 1, f"round {round_}: {keys}"
        assert len(keys[0]) == 64 and int(keys[0], 16) >= 0, keys[0]
        assert os.listdir(instance) == ["secret_key"]  # no drafts left behind
        assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600


def test_a_kept_key_is_read_back_and_an_empty_one_is_refused_by_name(tmp_path):
    app = SimpleNamespace(instance_path=str(tmp_path))
    first = _secret_key(app)
    assert _secret_key(app) == first
    (tmp_path / "secret_key").write_text("  \n")
    with pytest.raises(RuntimeError, match="secret_key is empty"):
        _secret_key(app)


def test_processes_starting_together_all_read_whole_catalogues(tmp_path):
    alone = _catalogue_sizes(tmp_path / "alone")
    assert alone.get("th", 0) > 100, alone  # the Thai catalogue, compiled by one process
    for round_ in range(ROUNDS):
        target = tmp_path / f"translations{round_}"
        sizes = _in_processes_at_once(_catalogue_sizes, target)
        assert all(size == alone for size in sizes), f"round {round_}: {sizes}"
        leftovers = [p.name for p in target.rglob("*") if p.is_file() and p.name != "messages.mo"]
        assert leftovers == []  # no drafts left behind


def _sweep(instance_path):
    """Open the import uploads folder, which sweeps out expired previews on the way."""
    with Flask(__name__, instance_path=instance_path).app_context():
        return uploads._folder("imports").name


def test_processes_sweeping_expired_uploads_at_once_all_succeed(tmp_path):
    for round_ in range(5):
        instance = tmp_path / f"instance{round_}"
        folder = instance / "imports"
        folder.mkdir(parents=True)
        expired = time.time() - uploads.KEEP_UPLOADS_S - 60
        for number in range(400):
            for suffix in (".json", ".bin"):
                path = folder / f"token{number:04d}{suffix}"
                path.write_text("{}")
                os.utime(path, (expired, expired))
        (folder / "fresh.json").write_text("{}")
        (folder / "fresh.bin").write_bytes(b"x")
        answers = _in_processes_at_once(_sweep, str(instance))
        assert answers == ["imports"] * PROCESSES, f"round {round_}: {answers}"
        assert sorted(path.name for path in folder.iterdir()) == ["fresh.bin", "fresh.json"]
