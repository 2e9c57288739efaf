"""Other people's requests while one long import runs, over real HTTP.

One official previews, then commits, a large facility list through the import page; all the
while 10 writers PATCH facilities through the API, 5 people sign in and 5 readers list
facilities. Every request's latency and status is kept, labelled with the import's phase.
Used by tests/e2e/test_import_contention.py and bench/import_contention.py (which also ran
it against the code before the change); it needs only HTTP and the registry's models, so it
measures any version of the service.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from werkzeug.security import generate_password_hash

PASSWORD = "contention password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')
# Chiang Mai city (TH50), where the official's area is.
WEST, EAST, SOUTH, NORTH = 98.95, 99.03, 18.74, 18.82


def import_csv(rows: int, seed: int = 11) -> bytes:
    """A facility list of ``rows`` distinct sites in Chiang Mai city."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(WEST, EAST, rows)
    lat = rng.uniform(SOUTH, NORTH, rows)
    lines = ["id,type,name_th,lat,lon,phone"]
    lines += [
        f"C{i:07d},hospital,จุดบริการแข่งขัน {i},{lat[i]:.6f},{lon[i]:.6f},053-{i % 900 + 100}-000"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def prepare(app, writers: int = 10) -> dict:
    """Accounts (one official of TH50, one sign-in account per signer) and writers' sites."""
    from registry.accounts.service import create_token
    from registry.db import db
    from registry.facilities.service import Actor, create_facility
    from registry.models import User, utcnow

    tag = secrets.token_hex(3)
    hashed = generate_password_hash(PASSWORD, method="scrypt")
    with app.app_context():
        users = {}
        for name in (f"importer-{tag}", f"writer-{tag}", *(f"signer-{tag}-{i}" for i in range(5))):
            user = User(
                username=name,
                display_name=name,
                password_hash=hashed,
                role="official",
                area_code="TH50",
                active=True,
                created_at=utcnow(),
                created_by="contention",
            )
            db.session.add(user)
            users[name] = user
        db.session.flush()
        _, secret = create_token(db.session, users[f"writer-{tag}"], "contention")
        sites = [
            create_facility(
                db.session,
                {
                    "type": "hospital",
                    "name_th": f"รพ.ทดสอบแข่งขัน {tag} {i}",
                    "beds_total": 0,
                    "lon": 98.99 + i * 0.001,
                    "lat": 18.79,
                },
                Actor("contention", "cli"),
            ).facility.id
            for i in range(writers)
        ]
        db.session.commit()
    return {
        "importer": f"importer-{tag}",
        "signers": [f"signer-{tag}-{i}" for i in range(5)],
        "token": secret,
        "sites": sites,
    }


class Browser:
    """A person's browser: a cookie jar, and the CSRF token of the last form seen."""

    def __init__(self, base: str) -> None:
        self.base = base
        # The local server is plain http: its Secure cookies still go back to it.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http"))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar(policy))
        )

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=1200) as response:
                return response.status, response.read().decode(errors="replace"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers

    def sign_in(self, username: str) -> int:
        _, page, _ = self.request("GET", "/login")
        csrf = CSRF.search(page).group(1)
        form = urllib.parse.urlencode(
            {"csrf_token": csrf, "username": username, "password": PASSWORD}
        ).encode()
        status, _, _ = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        return status

    def post_form(self, path: str, fields: dict, file: tuple[str, bytes] | None = None):
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        if file is not None:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file[0]}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                + file[1]
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


@dataclass
class Run:
    """Latencies by (phase, kind), and what went wrong."""

    latencies: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    missing_retry_after: int = 0
    import_seconds: dict[str, float] = field(default_factory=dict)
    import_status: dict[str, int] = field(default_factory=dict)

    def summary(self) -> list[str]:
        lines = []
        for (phase, kind), values in sorted(self.latencies.items()):
            statuses = self.statuses[(phase, kind)]
            errors = sum(1 for s in statuses if s >= 500)
            busy = sum(1 for s in statuses if s == 503)
            array = np.array(values)
            lines.append(
                f"{phase:>8} {kind:<8} n={len(values):4d} p50={np.median(array):6.2f} s "
                f"p95={np.percentile(array, 95):6.2f} s max={array.max():6.2f} s "
                f"5xx={errors} (503 busy: {busy})"
            )
        return lines


def run(base: str, prepared: dict, rows: int) -> Run:
    """Preview then commit a ``rows``-row list while 20 others write, sign in and read."""
    result = Run()
    phase = ["before"]
    stop = threading.Event()
    lock = threading.Lock()

    def record(kind: str, started: float, status: int, headers) -> None:
        elapsed = time.perf_counter() - started
        with lock:
            result.latencies[(phase[0], kind)].append(elapsed)
            result.statuses[(phase[0], kind)].append(status)
            if status == 503 and not headers.get("Retry-After"):
                result.missing_retry_after += 1

    def writer(site: int) -> None:
        api = Browser(base)
        auth = {"Authorization": f"Bearer {prepared['token']}"}
        while not stop.is_set():
            started = time.perf_counter()
            status, body, headers = api.request("GET", f"/api/v1/facilities/{site}", None, auth)
            if status == 200:
                version = json.loads(body)["properties"]["version"]
                patch = json.dumps({"version": version, "beds_total": version}).encode()
                status, _, headers = api.request(
                    "PATCH",
                    f"/api/v1/facilities/{site}",
                    patch,
                    {**auth, "Content-Type": "application/json"},
                )
            record("write", started, status, headers)
            time.sleep(0.05)

    def signer(username: str) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            status = Browser(base).sign_in(username)
            record("sign-in", started, status, {"Retry-After": "n/a"})
            time.sleep(0.05)

    def reader() -> None:
        browser = Browser(base)
        while not stop.is_set():
            started = time.perf_counter()
            status, _, headers = browser.request("GET", "/api/v1/facilities?limit=20")
            record("read", started, status, headers)
            time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(site,)) for site in prepared["sites"]]
    threads += [threading.Thread(target=signer, args=(name,)) for name in prepared["signers"]]
    threads += [threading.Thread(target=reader) for _ in range(5)]
    importer = Browser(base)
    assert importer.sign_in(prepared["importer"]) in (200, 302, 303)
    _, page, _ = importer.request("GET", "/official/import/")
    csrf = CSRF.search(page).group(1)
    data = import_csv(rows)
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        phase[0] = "preview"
        started = time.perf_counter()
        status, page, _ = importer.post_form(
            "/official/import/preview", {"csrf_token": csrf}, ("contention.csv", data)
        )
        result.import_seconds["preview"] = time.perf_counter() - started
        result.import_status["preview"] = status
        token = TOKEN.search(page)
        if token is not None:
            phase[0] = "commit"
            started = time.perf_counter()
            status, page, _ = importer.post_form(
                "/official/import/commit",
                {"csrf_token": csrf, "token": token.group(1), "valid_rows_only": "1"},
            )
            result.import_seconds["commit"] = time.perf_counter() - started
            result.import_status["commit"] = status
        phase[0] = "after"
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=600)
    return result
