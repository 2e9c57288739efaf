"""The in-memory facility catalog: stored features, catch-up by changed rows, cached masks."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from pyproj import Geod

from registry.facilities.service import deactivate_facility, update_facility
from registry.models import utcnow
from registry.nearest import catalog as catalog_module
from registry.nearest.catalog import SiteFilter, catalogs, filter_mask, nearest_in
from registry.nearest.catalog_rows import FeatureStore, feature_json
from registry.presentation import resident_status
from registry.serialize import facility_feature
from tests.registry.helpers import OFFICIAL, make_facility

GEOD = Geod(ellps="WGS84")
ORIGIN = (98.9934, 18.7877)
TTL = {"hospital": 72, "vaccination_site": 72, "covid_test_point": 72}


def _at(km: float, bearing: float = 0.0) -> dict[str, float]:
    lon, lat, _ = GEOD.fwd(*ORIGIN, bearing, km * 1000)
    return {"lon": lon, "lat": lat}


def _snapshot(session):
    return catalogs.get(session).snapshot(session)


def _nearest_ids(snapshot, k=10, site_filter=None, point=ORIGIN, **rules):
    result = nearest_in(
        snapshot, *point, k=k, site_filter=site_filter or SiteFilter(), now=utcnow(), **rules
    )
    return [] if result is None else result.ids


def _brute_force_ids(snapshot, mask, k, point=ORIGIN):
    positions = np.flatnonzero(mask)
    n = positions.size
    _, _, dist = GEOD.inv(
        np.full(n, point[0]), np.full(n, point[1]), snapshot.lon[positions], snapshot.lat[positions]
    )
    ids = snapshot.ids[positions]
    return ids[np.lexsort((ids, dist))][:k].tolist()


@pytest.fixture
def mixed(session):
    """One site of each kind, with the text and list fields a feature has to carry."""
    made = [
        make_facility(
            session,
            name_th='โรงพยาบาล "คำพูด" \\ ทับ\nบรรทัดใหม่',
            name_en="Quote's <hospital>",
            phone="053-000-000",
            beds_total=120,
            covid_beds_total=20,
            covid_beds_occupied=3,
            **_at(1),
        ),
        make_facility(
            session,
            type="vaccination_site",
            name_th="ฉีดวัคซีน",
            walk_in=True,
            appointment=False,
            vaccine_brands=["pfizer", "sinovac"],
            doses=["1", "booster"],
            age_groups=["12-18"],
            daily_capacity=300,
            **_at(2, 90),
        ),
        make_facility(
            session,
            type="covid_test_point",
            name_th="ตรวจ ATK",
            test_methods=["atk"],
            walk_in=None,
            **_at(3, 180),
        ),
        make_facility(
            session,
            type="waiting_centre",
            name_th="จุดพักคอย",
            beds_green_total=40,
            oxygen=True,
            status="full",
            **_at(4, 270),
        ),
    ]
    session.commit()
    return made


def test_stored_features_are_facility_feature(session, mixed):
    snapshot = _snapshot(session)
    for facility in mixed:
        position = int(np.flatnonzero(snapshot.ids == facility.id)[0])
        expected = facility_feature(facility)
        expected["properties"].update(distance_m=12.3, bearing_deg=45.6, resident_status="open")
        stored = feature_json(snapshot.features[position], 12.34, 45.6, "open")
        assert json.loads(stored) == json.loads(json.dumps(expected))
        # Key order too: GeoJSON reads best as facility_feature builds it.
        assert list(json.loads(stored)["properties"]) == list(expected["properties"])


def test_a_deactivated_site_keeps_its_reason_in_its_feature(session, mixed):
    _snapshot(session)
    site = mixed[0]
    deactivate_facility(session, site.id, OFFICIAL, reason="ปิดถาวร", expected_version=1)
    session.commit()
    snapshot = _snapshot(session)
    position = int(np.flatnonzero(snapshot.ids == site.id)[0])
    stored = json.loads(snapshot.features[position] + b"}}")
    assert stored == json.loads(json.dumps(facility_feature(site)))
    assert stored["properties"]["deleted_reason"] == "ปิดถาวร"
    assert not snapshot.active[position]
    assert site.id not in _nearest_ids(snapshot)


def test_status_change_is_applied_without_reloading(session, mixed):
    before = _snapshot(session)
    site = mixed[0]
    update_facility(session, site.id, {"status": "closed"}, OFFICIAL, expected_version=1)
    session.commit()
    after = _snapshot(session)
    assert after.data_version > before.data_version
    # The same main index and the same block of features: only the changed row was applied.
    assert after.index is before.index
    position = int(np.flatnonzero(after.ids == site.id)[0])
    assert json.loads(after.features[position] + b"}}")["properties"]["status"] == "closed"
    assert site.id in _nearest_ids(before, site_filter=SiteFilter(open_now=True))
    assert site.id not in _nearest_ids(after, site_filter=SiteFilter(open_now=True))


def test_new_and_moved_sites_are_found_exactly_before_a_rebuild(session, mixed):
    before = _snapshot(session)
    new = make_facility(session, name_th="ใหม่", **_at(0.5, 45))
    moved = mixed[3]
    update_facility(session, moved.id, _at(0.2, 300), OFFICIAL, expected_version=1)
    session.commit()
    after = _snapshot(session)
    assert after.index is before.index
    assert sorted(after.ids[after.extra_positions].tolist()) == sorted([new.id, moved.id])
    ids = _nearest_ids(after, k=3)
    assert ids == [moved.id, new.id, mixed[0].id]
    assert ids == _brute_force_ids(after, after.active, 3)
    # Away from the new place, the moved site is ranked by where it is now.
    far = GEOD.fwd(*ORIGIN, 270, 4000)[:2]
    assert _nearest_ids(after, k=5, point=far) == _brute_force_ids(after, after.active, 5, far)


def test_the_main_index_is_rebuilt_past_the_extra_limit(session, mixed, monkeypatch):
    monkeypatch.setattr(catalog_module, "EXTRA_LIMIT_MIN", 2)
    monkeypatch.setattr(catalog_module, "EXTRA_LIMIT_SHARE", 0.0)
    before = _snapshot(session)
    for i in range(3):
        make_facility(session, name_th=f"เพิ่ม {i}", **_at(5 + i, 10 * i))
    session.commit()
    after = _snapshot(session)
    assert after.index is not before.index
    assert len(after.index) == len(after)
    assert after.extra_positions.size == 0
    assert _nearest_ids(after, k=7) == _brute_force_ids(after, after.active, 7)


def test_random_changes_keep_the_answer_exact(session):
    rng = np.random.default_rng(11)
    sites = [
        make_facility(session, name_th=f"s{i}", **_at(rng.uniform(0, 20), rng.uniform(0, 360)))
        for i in range(40)
    ]
    session.commit()
    _snapshot(session)
    for step in range(6):
        site = sites[int(rng.integers(len(sites)))]
        change = _at(rng.uniform(0, 20), rng.uniform(0, 360))
        if step % 3 == 2:
            change = {"status": "closed"}
        update_facility(session, site.id, change, OFFICIAL, expected_version=site.version)
        sites.append(make_facility(session, name_th=f"n{step}", **_at(rng.uniform(0, 20))))
        session.commit()
        snapshot = _snapshot(session)
        open_now = filter_mask(snapshot, SiteFilter(open_now=True), now=utcnow())
        for point in (ORIGIN, GEOD.fwd(*ORIGIN, 45, 9000)[:2]):
            got = _nearest_ids(snapshot, k=8, site_filter=SiteFilter(open_now=True), point=point)
            assert got == _brute_force_ids(snapshot, open_now, 8, point)


def test_cached_mask_holds_until_the_next_confirmation_runs_out(session):
    now = utcnow()
    soon = make_facility(session, name_th="หมดเวลาเร็ว", **_at(1))
    update_facility(
        session,
        soon.id,
        {"status_confirmed_at": now - timedelta(hours=72) + timedelta(minutes=10)},
        OFFICIAL,
        expected_version=1,
    )
    later = make_facility(session, name_th="ยังใหม่", **_at(2))
    session.commit()
    snapshot = _snapshot(session)
    open_now = SiteFilter(open_now=True)
    first = snapshot.eligible(open_now, now=now, ttl_hours=TTL)
    assert snapshot.eligible(open_now, now=now + timedelta(minutes=9), ttl_hours=TTL) is first
    assert _nearest_ids(snapshot, site_filter=open_now, ttl_hours=TTL) == [soon.id, later.id]
    after = snapshot.eligible(open_now, now=now + timedelta(minutes=11), ttl_hours=TTL)
    assert after is not first
    position = {int(i): p for p, i in enumerate(snapshot.ids)}
    assert first.mask[position[soon.id]] and not after.mask[position[soon.id]]
    assert after.mask[position[later.id]]
    # A time before the cached span is answered afresh, not from the later mask.
    assert snapshot.eligible(open_now, now=now, ttl_hours=TTL).mask[position[soon.id]]


def test_cached_masks_are_not_changed_by_callers(session, mixed):
    snapshot = _snapshot(session)
    mask = filter_mask(snapshot, SiteFilter(), now=utcnow())
    mask[:] = False
    assert filter_mask(snapshot, SiteFilter(), now=utcnow()).all()
    cached = snapshot.eligible(SiteFilter(), now=utcnow()).mask
    with pytest.raises(ValueError):
        cached[0] = False


@pytest.mark.parametrize("hours_ago", [None, 1, 71.9, 72.1, 500])
def test_resident_statuses_match_the_page_rule(app, session, hours_ago):
    site = make_facility(session, **_at(1))
    confirmed = None if hours_ago is None else utcnow() - timedelta(hours=hours_ago)
    update_facility(
        session, site.id, {"status_confirmed_at": confirmed}, OFFICIAL, expected_version=1
    )
    session.commit()
    snapshot = _snapshot(session)
    position = int(np.flatnonzero(snapshot.ids == site.id)[0])
    now = utcnow()
    with app.app_context():
        expected = resident_status(site, now)
        ttl = app.config["FRESHNESS_TTL_HOURS"]
        assert snapshot.resident_statuses([position], now, ttl) == [expected]
    assert snapshot.resident_statuses([position], now, None) == ["open"]


def test_feature_store_keeps_changes_beside_the_block_then_compacts(monkeypatch):
    store = FeatureStore.of([b"a", b"bb", b"ccc"])
    changed = store.updated({1: b"B", 3: b"dddd"})
    assert [changed[i] for i in range(len(changed))] == [b"a", b"B", b"ccc", b"dddd"]
    assert [store[i] for i in range(len(store))] == [b"a", b"bb", b"ccc"]
    monkeypatch.setattr(FeatureStore, "COMPACT_AFTER", 1)
    compacted = changed.updated({0: b"A"})
    assert [compacted[i] for i in range(len(compacted))] == [b"A", b"B", b"ccc", b"dddd"]
    assert compacted.nbytes == len(b"ABcccdddd")


# -- reading committed data on the application's engine ------------------------------------------


def _cleanup(engine, ids):
    from sqlalchemy.orm import Session

    from registry.models import Facility, FacilityChange

    with Session(engine) as session:
        session.query(FacilityChange).filter(FacilityChange.facility_id.in_(ids)).delete()
        session.query(Facility).filter(Facility.id.in_(ids)).delete()
        session.commit()


def test_uncommitted_writes_of_a_session_never_enter_the_catalog(engine):
    from sqlalchemy.orm import Session

    catalogs.clear()
    made = []
    try:
        with Session(engine, expire_on_commit=False) as writer:
            site = make_facility(writer, name_th="ยังไม่บันทึก", lon=100.0, lat=15.0)
            made.append(site.id)
            writer.flush()
            # The writer's own session asks: it must see the registry as committed.
            assert site.id not in _snapshot(writer).ids.tolist()
            writer.commit()
        with Session(engine) as reader:
            assert site.id in _snapshot(reader).ids.tolist()
    finally:
        catalogs.clear()
        _cleanup(engine, made)


def test_the_version_read_is_one_statement_outside_any_transaction(engine, backend):
    from sqlalchemy import create_engine, text

    from registry.db import autocommit_int
    from registry.nearest.catalog import read_data_version

    with engine.connect() as conn:
        committed = conn.scalar(text("SELECT data_version FROM registry_state WHERE id = 1"))
    assert read_data_version(engine) == committed
    if backend != "postgis":
        return
    pid = autocommit_int(engine, "SELECT pg_backend_pid()")
    observer = create_engine(engine.url)  # another connection than the pooled one
    try:
        with observer.connect() as conn:
            state = conn.scalar(
                text("SELECT state FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
            )
    finally:
        observer.dispose()
    assert state == "idle"  # not "idle in transaction": no BEGIN was sent


def test_a_connection_the_server_dropped_is_replaced(engine, backend):
    from sqlalchemy import text

    from registry.db import autocommit_int, make_engine

    if backend != "postgis":
        pytest.skip("only a server can drop a connection")
    own = make_engine(engine.url)  # a pool of its own, holding one connection after this
    try:
        pid = autocommit_int(own, "SELECT pg_backend_pid()")
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            conn.commit()
        assert autocommit_int(own, "SELECT 41 + 1") == 42
        assert autocommit_int(own, "SELECT pg_backend_pid()") != pid
    finally:
        own.dispose()
