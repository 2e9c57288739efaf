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


def test_a_big_load_into_an_empty_table_keeps_every_index_and_key(session, monkeypatch):
    before = _schema(session)
    monkeypatch.setattr(spatial_bulk, "REBUILD_MIN_ROWS", 2)
    set_aside = []
    original = spatial_bulk._set_aside_spatial_indexes
    monkeypatch.setattr(
        spatial_bulk,
        "_set_aside_spatial_indexes",
        lambda *args: set_aside.append(original(*args)) or set_aside[-1],
    )
    records = [_site(i, f"จุดตรวจ {i}") for i in range(5)]
    result = upsert_facilities(session, records, ACTOR, tolerance_m=5_000)
    assert result.counts["created"] == 5
    assert _schema(session) == before
    assert session.scalar(select(func.count()).select_from(CreatedBlock)) == 1
    assert session.scalar(select(func.count()).select_from(FacilityChange)) == 0
    if session.connection().dialect.name == "sqlite":
        assert ["geom"] in set_aside  # the facility table's R*Tree was built after the rows
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
