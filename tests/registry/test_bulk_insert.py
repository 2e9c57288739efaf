"""The bulk write under the importer: exact values through COPY, the big-load path, overlap."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select

from registry import audit, spatial, spatial_bulk
from registry.facilities.service import Actor
from registry.imports import bulk
from registry.imports.bulk import upsert_facilities
from registry.models import CreatedBlock, Facility, FacilityChange, utcnow

ACTOR = Actor("bulk-test", "import", "test")
AWKWARD = [
    "tab\there",
    "line\nbreak",
    "back\\slash",
    "\\N",
    'quote " and \\"',
    "carriage\rreturn",
    "ไทย ๑๒๓ \u200b",
]


def _site(i: int, name: str, **extra) -> dict:
    return {
        "type": "covid_test_point",
        "name_th": name,
        "lat": 18.79 + i / 1000,
        "lon": 98.98,
        "source": "bulk-test",
        "source_id": f"S{i}",
        **extra,
    }


def _schema(session) -> tuple:
    """Every index and foreign key of the two tables a load writes."""
    inspector = inspect(session.connection())
    described = []
    for table in ("facility", "facility_change"):
        described.append(sorted(str(sorted(i.items())) for i in inspector.get_indexes(table)))
        keys = inspector.get_foreign_keys(table)
        described.append(sorted(str(sorted(k.items())) for k in keys))
    dialect = spatial.spatial_dialect(session.connection().dialect.name)
    return (*described, sorted(dialect.spatial_indexes(session.connection())))


def test_awkward_text_arrives_exactly(session):
    records = [_site(i, name, address=name) for i, name in enumerate(AWKWARD)]
    records.append(_site(99, "ตรวจ", test_methods=["atk", "rt_pcr"], walk_in=True))
    result = upsert_facilities(session, records, ACTOR, tolerance_m=5_000)
    assert result.counts["created"] == len(records)
    session.expire_all()
    stored = {f.source_id: f for f in session.scalars(select(Facility))}
    for i, name in enumerate(AWKWARD):
        assert stored[f"S{i}"].name_th == name.strip()
        assert stored[f"S{i}"].address == name.strip()
    assert stored["S99"].test_methods == ["rt_pcr", "atk"]  # vocabulary order
    assert stored["S99"].walk_in is True
    logged = {f.id: audit.first_values(session, f.id) for f in stored.values()}
    for i, name in enumerate(AWKWARD):
        first = logged[stored[f"S{i}"].id]
        assert first["name_th"] == name.strip()
        assert first["location"] == [98.98, round(18.79 + i / 1000, 7)]
        assert "stated_province_code" not in first  # nothing stated, nothing logged
    assert logged[stored["S99"].id]["walk_in"] is True


def _found_through_the_spatial_index(session) -> int:
    """Facilities a search over Thailand's box finds by the spatial index (R*Tree or GiST)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return connection.exec_driver_sql(
            "SELECT count(*) FROM facility WHERE ROWID IN (SELECT ROWID FROM SpatialIndex "
            "WHERE f_table_name = 'facility' AND search_frame = BuildMbr(97, 5, 106, 21))"
        ).scalar()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return connection.exec_driver_sql(
        "SELECT count(*) FROM facility WHERE geom && ST_MakeEnvelope(97, 5, 106, 21, 4326)"
    ).scalar()


def _captured_plans(monkeypatch) -> list:
    """The SpatiaLite load plans made from now on, in order (the first: the first insert's)."""
    plans = []
    original = spatial_bulk._spatialite_load_plan
    monkeypatch.setattr(
        spatial_bulk,
        "_spatialite_load_plan",
        lambda *args: plans.append(original(*args)) or plans[-1],
    )
    return plans


def test_a_big_load_into_an_empty_table_keeps_every_index_and_key(session, monkeypatch):
    before = _schema(session)
    monkeypatch.setattr(spatial_bulk, "REBUILD_MIN_ROWS", 2)
    plans = _captured_plans(monkeypatch)
    records = [_site(i, f"จุดตรวจ {i}") for i in range(5)]
    result = upsert_facilities(session, records, ACTOR, tolerance_m=5_000)
    assert result.counts["created"] == 5
    assert _schema(session) == before
    assert session.scalar(select(func.count()).select_from(CreatedBlock)) == 1
    assert session.scalar(select(func.count()).select_from(FacilityChange)) == 0
    if session.connection().dialect.name == "sqlite":
        # The facility table's R*Tree trigger was set aside and the R*Tree filled after the rows.
        set_aside = [sql for plan in plans for sql, _ in plan.before]
        assert 'DROP TRIGGER "gii_facility_geom"' in set_aside
    # The spatial index was built with every row, and keeps itself current again afterwards.
    assert _found_through_the_spatial_index(session) == 5
    upsert_facilities(session, [_site(9, "จุดตรวจ 9")], ACTOR, tolerance_m=5_000)
    assert _found_through_the_spatial_index(session) == 6


def test_a_failed_big_load_leaves_tables_and_schema_as_they_were(session, monkeypatch):
    before = _schema(session)
    monkeypatch.setattr(spatial_bulk, "REBUILD_MIN_ROWS", 2)

    def failing(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(bulk, "_outcomes", failing)  # while the writes are under way
    records = [_site(i, f"จุดตรวจ {i}") for i in range(5)]
    with pytest.raises(RuntimeError, match="injected"), session.begin_nested():
        upsert_facilities(session, records, ACTOR, tolerance_m=5_000)
    assert _schema(session) == before
    assert session.scalar(select(func.count()).select_from(Facility)) == 0
    assert session.scalar(select(func.count()).select_from(CreatedBlock)) == 0
    monkeypatch.undo()
    upsert_facilities(session, [_site(9, "จุดตรวจ 9")], ACTOR, tolerance_m=5_000)
    assert _found_through_the_spatial_index(session) == 1  # its index and triggers are back


def test_a_foreign_key_broken_in_a_big_load_is_refused(session, monkeypatch):
    monkeypatch.setattr(spatial_bulk, "REBUILD_MIN_ROWS", 2)
    connection = session.connection()
    rows = spatial_bulk.ColumnRows(
        {"facility_id": [10**9, 10**9 + 1], "new_value": [{}, {}]},
        {
            "change_set": 1,
            "facility_version": 1,
            "field": "x",
            "changed_by": "t",
            "changed_at": utcnow(),
            "source": "import",
        },
    )
    insert = spatial.spatial_dialect(connection.dialect.name).bulk_insert
    with pytest.raises(Exception, match=r"(?i)foreign key"), session.begin_nested():
        insert(connection, FacilityChange.__table__, rows, False)


@pytest.mark.parametrize(
    "confirmed",
    [
        datetime(2021, 6, 8, 17, 0, tzinfo=UTC),
        datetime(2021, 6, 8, 17, 0, 0, 120000, tzinfo=UTC),
        datetime(2021, 6, 9, 0, 0, 0, 5, tzinfo=ZoneInfo("Asia/Bangkok")),
    ],
    ids=["utc", "utc-microseconds", "bangkok"],
)
def test_the_created_entry_logs_a_time_as_a_single_write_would(session, confirmed):
    records = [_site(i, f"จุดตรวจ {i}", status_confirmed_at=confirmed) for i in range(3)]
    result = upsert_facilities(session, records, ACTOR, tolerance_m=5_000)
    logged = [audit.first_values(session, o.facility_id) for o in result.outcomes]
    assert [entry["status_confirmed_at"] for entry in logged] == [confirmed.isoformat()] * 3


def test_rows_streamed_in_pieces_arrive_whole_and_in_order(session, monkeypatch):
    monkeypatch.setattr(spatial_bulk, "_COPY_ROWS", 2)
    records = [_site(i, AWKWARD[i % len(AWKWARD)]) for i in range(7)]
    result = upsert_facilities(session, records, ACTOR, tolerance_m=5_000)
    ids = [o.facility_id for o in result.outcomes]
    connection = session.connection()
    texts = spatial_bulk.JSONTexts(f'{{"n": {i}, "s": "a\\tb"}}' for i in range(5))
    rows = spatial_bulk.ColumnRows(
        {"facility_id": ids[:5], "new_value": texts},
        {"change_set": 9, "facility_version": 1, "field": "x", "changed_by": "t"}
        | {"changed_at": utcnow(), "source": "import"},
    )
    spatial.spatial_dialect(connection.dialect.name).bulk_insert(
        connection, FacilityChange.__table__, rows, False
    )
    stored = session.execute(
        select(FacilityChange.facility_id, FacilityChange.new_value)
        .where(FacilityChange.change_set == 9)
        .order_by(FacilityChange.id)
    ).all()
    assert [tuple(row) for row in stored] == [(ids[i], {"n": i, "s": "a\tb"}) for i in range(5)]
    names = session.scalars(select(Facility.name_th).order_by(Facility.id)).all()
    assert names == [AWKWARD[i % len(AWKWARD)].strip() for i in range(7)]


def test_stored_times_differ_exactly_when_their_logged_texts_do():
    """The re-run's comparison of date-times skips writing them out, and must agree with the
    change log's texts: another instant, or the same instant in another offset, is a change."""
    from datetime import UTC, datetime, timedelta, timezone

    from registry.audit import logged
    from registry.imports.bulk import _times_differ

    utc = datetime(2021, 6, 3, 1, 0, tzinfo=UTC)
    values = [
        None,
        utc,
        utc.replace(microsecond=5),
        utc.astimezone(timezone(timedelta(hours=7))),  # same instant, Bangkok's offset
        utc + timedelta(hours=1),
        utc.replace(tzinfo=timezone(timedelta(0))),  # UTC under another tzinfo object
    ]
    for a in values:
        for b in values:
            assert _times_differ(a, b) == (logged(a) != logged(b)), (a, b)


def _spatialite_schema(session) -> list[tuple]:
    """Every index, trigger and table SQLite holds for the facility table, with its SQL."""
    return (
        session.connection()
        .exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE tbl_name IN ('facility', 'idx_facility_geom') ORDER BY type, name"
        )
        .all()
    )


def _grid(first: int, count: int) -> list[dict]:
    """Sites on a grid over northern Thailand, with awkward decimals (boxes are float32)."""
    return [
        _site(i, f"จุดตรวจ {i}", lon=98.5 + (i % 7) * 0.1234567, lat=17.2 + (i // 7) * 0.0987654)
        for i in range(first, first + count)
    ]


@pytest.mark.parametrize(
    ("stored", "set_aside"),
    [(0, True), (10, True), (50, False)],
    ids=["empty-table", "fewer-rows-than-the-load", "more-rows-than-the-load"],
)
def test_a_big_load_leaves_indexes_triggers_and_rtree_as_row_by_row(
    session, monkeypatch, stored, set_aside
):
    upsert_facilities(session, _grid(100, stored), ACTOR, tolerance_m=5_000)  # row by row
    sqlite = session.connection().dialect.name == "sqlite"
    before = (_schema(session), _spatialite_schema(session) if sqlite else None)
    timed = "SELECT last_insert FROM geometry_columns_time WHERE f_table_name = 'facility'"
    last_insert = session.connection().exec_driver_sql(timed).scalar() if sqlite else None
    monkeypatch.setattr(spatial_bulk, "REBUILD_MIN_ROWS", 2)
    plans = _captured_plans(monkeypatch)
    result = upsert_facilities(session, _grid(0, 40), ACTOR, tolerance_m=5_000)
    assert result.counts["created"] == 40
    assert (_schema(session), _spatialite_schema(session) if sqlite else None) == before
    everyone = 40 + stored
    connection = session.connection()
    # A box through the spatial index finds the same sites as the coordinates themselves.
    inside = session.scalars(
        select(Facility.id)
        .where(func.ST_X(Facility.geom).between(98.7, 99.0))
        .where(func.ST_Y(Facility.geom).between(17.4, 17.9))
        .order_by(Facility.id)
    ).all()
    assert 0 < len(inside) < everyone
    dialect = spatial.spatial_dialect(connection.dialect.name)
    box = (98.7, 17.4, 99.0, 17.9)
    boxed = select(Facility.id).where(
        dialect.bbox_filter(Facility.geom, "facility", Facility.id, box)
    )
    assert session.scalars(boxed.order_by(Facility.id)).all() == inside
    assert _found_through_the_spatial_index(session) == everyone
    # The b-tree indexes hold every row (PostGIS plans without sequential scans by now;
    # SQLite's integrity check below compares each index with its table).
    open_sites = Facility.type == "covid_test_point", Facility.status == "open"
    assert session.scalar(select(func.count()).where(*open_sites)) == everyone
    if not sqlite:
        return
    assert bool(plans[0].before) is set_aside  # the facility table's plan
    assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert connection.exec_driver_sql("SELECT rtreecheck('idx_facility_geom')").scalar() == "ok"
    assert connection.exec_driver_sql(timed).scalar() > last_insert
    # The R*Tree holds exactly the boxes its own trigger writes row by row.
    rtree = "SELECT pkid, xmin, xmax, ymin, ymax FROM idx_facility_geom ORDER BY pkid"
    filled_at_once = connection.exec_driver_sql(rtree).all()
    connection.exec_driver_sql("UPDATE facility SET geom = geom")  # the trigger, per row
    assert connection.exec_driver_sql(rtree).all() == filled_at_once
    assert len(filled_at_once) == everyone
    # The triggers are back: a small load is indexed row by row again.
    upsert_facilities(session, [_site(99, "จุดตรวจ 99")], ACTOR, tolerance_m=5_000)
    assert _found_through_the_spatial_index(session) == everyone + 1


def _facility_rows(count: int, **columns) -> spatial_bulk.ColumnRows:
    return spatial_bulk.ColumnRows(
        {
            "name_th": [f"จุดตรวจ {i}" for i in range(count)],
            "source_id": [f"S{i}" for i in range(count)],
            "geom": [f"SRID=4326;POINT(98.98 {18 + i / 100})" for i in range(count)],
        }
        | columns,
        {"type": "covid_test_point", "source": "bulk-test", "status": "open", "version": 1}
        | {"data_version": 0, "created_at": utcnow(), "updated_at": utcnow()},
    )


@pytest.mark.parametrize(
    ("columns", "refusal"),
    [
        ({"source_id": ["S1", "S2", "S1"]}, r"(?i)unique|duplicate key"),
        (
            {
                "geom": [
                    "SRID=4326;POINT(98 18)",
                    "SRID=3857;POINT(98 18)",
                    "SRID=4326;POINT(98 19)",
                ]
            },
            r"(?i)srid",
        ),
        (
            {"geom": ["SRID=4326;POINT(98 18)"] * 2 + ["SRID=4326;LINESTRING(98 18, 99 19)"]},
            r"(?i)geom-type|geometry type",
        ),
    ],
    ids=["repeated-source-id", "other-srid", "not-a-point"],
)
@pytest.mark.parametrize("threaded", [False, True], ids=["bulk_insert", "bulk_writes"])
def test_a_big_load_that_breaks_a_rule_is_refused_and_writes_nothing(
    session, monkeypatch, columns, refusal, threaded
):
    sqlite = session.connection().dialect.name == "sqlite"
    before = (_schema(session), _spatialite_schema(session) if sqlite else None)
    monkeypatch.setattr(spatial_bulk, "REBUILD_MIN_ROWS", 2)
    rows = _facility_rows(3, **columns)
    with pytest.raises(Exception, match=refusal), session.begin_nested():
        connection = session.connection()  # in the savepoint
        dialect = spatial.spatial_dialect(connection.dialect.name)
        if threaded:  # the error may come from the writer's thread, when the block ends
            with dialect.bulk_writes(connection) as writes:
                writes.insert(Facility.__table__, rows, True)
        else:
            dialect.bulk_insert(connection, Facility.__table__, rows, True)
    assert session.scalar(select(func.count()).select_from(Facility)) == 0
    assert (_schema(session), _spatialite_schema(session) if sqlite else None) == before


def test_readers_see_the_table_as_it_was_while_a_big_spatialite_load_runs(
    session, engine, monkeypatch
):
    if session.connection().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's readers wait for a load's DROP INDEX to commit instead")
    monkeypatch.setattr(spatial_bulk, "REBUILD_MIN_ROWS", 2)
    connection = session.connection()
    rows = _facility_rows(30)
    ids, finish = spatial_bulk._spatialite_load(connection, Facility.__table__, rows, True)
    assert finish is not None  # the rows are in; indexes, R*Tree and triggers still aside
    indexed = (
        "SELECT count(*) FROM facility INDEXED BY ix_facility_type_status "
        "WHERE type = 'covid_test_point'"
    )
    with engine.connect() as reader:
        assert reader.exec_driver_sql(indexed).scalar() == 0
        assert reader.exec_driver_sql("SELECT count(*) FROM idx_facility_geom").scalar() == 0
        finish()
        assert reader.exec_driver_sql(indexed).scalar() == 0  # still: nothing is committed
    assert connection.exec_driver_sql(indexed).scalar() == len(ids) == 30
