"""50 writers over real HTTP on the same facilities: stale versions refused, nothing lost.

The live threaded server and the committed e2e database of tests/e2e/conftest.py; each
writer reads a facility, waits until every writer has read (so their versions collide),
then PATCHes beds_total + 1 with the version it read, rereading and retrying on 409. In the
end each facility has exactly one increment per writer, and its change log is one unbroken
chain of old -> new values ending at the final value.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from registry.db import db
from registry.facilities.service import Actor, create_facility
from registry.models import Facility, FacilityChange
from tests.e2e.accounts import api_token, ensure_user

WRITERS = 50
FACILITIES = 3
# Nan province (TH55), far from the places the resident tests search.
NAN = {"lon": 100.7730, "lat": 18.7756}


def _request(method: str, url: str, token: str, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_fifty_parallel_writers_lose_nothing(e2e_app, live_server):
    ensure_user(e2e_app, "nan-official", "official", "TH55")
    token = api_token(e2e_app, "nan-official")
    with e2e_app.app_context():
        ids = [
            create_facility(
                db.session,
                {"type": "hospital", "name_th": f"รพ.น่าน {i}", "beds_total": 0, **NAN},
                Actor("e2e", "cli"),
            ).facility.id
            for i in range(FACILITIES)
        ]
        db.session.commit()
    barrier = threading.Barrier(WRITERS)
    conflicts = [0] * WRITERS

    def writer(number: int) -> int:
        facility_id = ids[number % FACILITIES]
        url = f"{live_server.url}/api/v1/facilities/{facility_id}"
        first = True
        for _attempt in range(500):
            status, feature = _request("GET", url, token)
            assert status == 200, feature
            version, beds = feature["properties"]["version"], feature["properties"]["beds_total"]
            if first:
                barrier.wait(timeout=60)
                first = False
            status, body = _request(
                "PATCH", url, token, {"version": version, "beds_total": beds + 1}
            )
            if status == 200:
                return body["feature"]["properties"]["version"]
            assert status == 409, body
            assert body["changed_since"], body  # the refusal says what changed
            conflicts[number] += 1
        raise AssertionError(f"writer {number} never got its write in")

    with ThreadPoolExecutor(WRITERS) as pool:
        versions = list(pool.map(writer, range(WRITERS)))

    assert sum(conflicts) >= WRITERS - FACILITIES  # the first round collides by construction
    per_facility = {
        i: WRITERS // FACILITIES + (1 if n < WRITERS % FACILITIES else 0) for n, i in enumerate(ids)
    }
    with e2e_app.app_context():
        for facility_id, writes in per_facility.items():
            facility = db.session.get(Facility, facility_id)
            assert facility.beds_total == writes  # no update lost
            assert facility.version == 1 + writes
            chain = db.session.scalars(
                select(FacilityChange)
                .where(
                    FacilityChange.facility_id == facility_id, FacilityChange.field == "beds_total"
                )
                .order_by(FacilityChange.facility_version)
            ).all()
            assert [c.facility_version for c in chain] == list(range(2, writes + 2))
            assert [(c.old_value, c.new_value) for c in chain] == [
                (n, n + 1) for n in range(writes)
            ]
            assert {c.changed_by for c in chain} == {"nan-official"}
    # Each writer's successful write produced a distinct version of its facility.
    assert len(set(zip([i % FACILITIES for i in range(WRITERS)], versions, strict=True))) == WRITERS
