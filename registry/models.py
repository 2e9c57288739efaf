"""Typed SQLAlchemy models: administrative areas, facilities and their field-level change log.

Times are stored in UTC (timezone-aware in Python); pages convert to Asia/Bangkok for display.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326


# PostgreSQL's integer: the type of every id and version column (SQLite's is wider).
DB_INT_MAX = 2**31 - 1


class UTCDateTime(TypeDecorator):
    """A datetime stored as UTC; naive values are refused so no local time slips in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"datetime {value.isoformat()} has no time zone; give it in UTC")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: keep the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Area(Base):
    """A province (level 1), district (level 2) or subdistrict (level 3)."""

    __tablename__ = "area"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)  # HDX pcode, 'TH' + DOPA
    level: Mapped[int] = mapped_column(Integer, index=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(10), ForeignKey("area.code"), index=True)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True))

    @property
    def dopa_code(self) -> str:
        return self.code[2:]


class Facility(Base):
    """One site of any of the five types; type-specific columns are empty for other types."""

    __tablename__ = "facility"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_facility_source"),
        Index("ix_facility_type_status", "type", "status"),
        # Rows without any identifier are matched by source, type and Thai name (bulk upsert).
        Index("ix_facility_source_type_name", "source", "type", "name_th"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name_th: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True))
    address: Mapped[str | None] = mapped_column(Text)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("area.code"), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("area.code"), index=True)
    subdistrict_code: Mapped[str | None] = mapped_column(ForeignKey("area.code"), index=True)
    # The areas the source stated, kept beside the derived ones; a mismatch is noted for people.
    stated_province_code: Mapped[str | None] = mapped_column(String(10))
    stated_district_code: Mapped[str | None] = mapped_column(String(10))
    stated_subdistrict_code: Mapped[str | None] = mapped_column(String(10))
    area_note: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(100))
    opening_hours: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(32), default="open")
    status_confirmed_by: Mapped[str | None] = mapped_column(String(200))
    status_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(String(100))
    hcode: Mapped[str | None] = mapped_column(String(10), index=True)

    # COVID test point and vaccination site
    walk_in: Mapped[bool | None] = mapped_column(Boolean)
    appointment: Mapped[bool | None] = mapped_column(Boolean)
    daily_capacity: Mapped[int | None] = mapped_column(Integer)
    test_methods: Mapped[list[str] | None] = mapped_column(JSON)
    vaccine_brands: Mapped[list[str] | None] = mapped_column(JSON)
    doses: Mapped[list[str] | None] = mapped_column(JSON)
    age_groups: Mapped[list[str] | None] = mapped_column(JSON)
    # Hospital
    beds_total: Mapped[int | None] = mapped_column(Integer)
    covid_beds_total: Mapped[int | None] = mapped_column(Integer)
    covid_beds_occupied: Mapped[int | None] = mapped_column(Integer)
    # Field hospital and waiting centre
    beds_green_total: Mapped[int | None] = mapped_column(Integer)
    beds_green_available: Mapped[int | None] = mapped_column(Integer)
    beds_yellow_total: Mapped[int | None] = mapped_column(Integer)
    beds_yellow_available: Mapped[int | None] = mapped_column(Integer)
    beds_red_total: Mapped[int | None] = mapped_column(Integer)
    beds_red_available: Mapped[int | None] = mapped_column(Integer)
    oxygen: Mapped[bool | None] = mapped_column(Boolean)
    admission_rules: Mapped[str | None] = mapped_column(Text)

    version: Mapped[int] = mapped_column(Integer, default=1)
    # The registry-wide data version of this row's last write; readers catch up from it.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_reason: Mapped[str | None] = mapped_column(Text)

    # Every UPDATE says WHERE version = <the version read>; a lost race raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class FacilityChange(Base):
    """One field of one facility changed: who, when, from which source, old and new value."""

    __tablename__ = "facility_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    # Every field changed by one write shares the write's change-set number (= data version).
    change_set: Mapped[int] = mapped_column(BigInteger, index=True)
    facility_version: Mapped[int] = mapped_column(Integer)  # the version this write produced
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[Any] = mapped_column(JSON)
    new_value: Mapped[Any] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(200))  # e.g. import batch id
    reverts_change_id: Mapped[int | None] = mapped_column(ForeignKey("facility_change.id"))


class CreatedBlock(Base):
    """The "created" entries of facilities one bulk write created, up to a few thousand in one
    row: who, when and through what once, and each facility's first values and source row
    packed together (see registry.audit, the one reader and writer of the packing).

    A block covers the consecutive ids first_facility_id..last_facility_id, every one of them
    created by that write. An import of 150,000 rows writes 30 of these instead of 150,000
    change rows; the facility_change rows of later edits refer to facilities, not to blocks.
    """

    __tablename__ = "created_block"
    __table_args__ = (
        Index("ix_created_block_facilities", "first_facility_id", "last_facility_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_set: Mapped[int] = mapped_column(BigInteger, index=True)
    first_facility_id: Mapped[int] = mapped_column(Integer)
    last_facility_id: Mapped[int] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(200), index=True)  # "batch:<id>"
    # The fields some facility of the block has a first value for ("location" among them).
    fields: Mapped[list[str]] = mapped_column(JSON)
    # zlib of one JSON object: the source rows and, per field, every facility's first value.
    packed_values: Mapped[bytes] = mapped_column(LargeBinary)


class RegistryState(Base):
    """A single row: the data version, raised by every write so caches know they are stale."""

    __tablename__ = "registry_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_version: Mapped[int] = mapped_column(BigInteger, default=0)


class ImportBatch(Base):
    """One committed import: who, when, which file (name and hash), counts and the report."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    options: Mapped[dict] = mapped_column(JSON)
    counts: Mapped[dict] = mapped_column(JSON)
    report: Mapped[list] = mapped_column(JSON)
    # The change set of the batch's writes: its changes carry source_ref "batch:<id>".
    data_version: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="committed")  # or "undone"
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(200))


class DuplicateCandidate(Base):
    """Two facilities that look like the same site, waiting for a person to decide."""

    __tablename__ = "duplicate_candidate"
    __table_args__ = (UniqueConstraint("facility_id", "other_facility_id", name="uq_duplicate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    other_facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    distance_m: Mapped[float | None] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # dismissed, merged
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class User(Base):
    """An account: a role and, except for national roles, the area code it is scoped to.

    Implements what Flask-Login asks of a user object without importing it here.
    """

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(32))
    # A province, district or subdistrict code; None for national roles.
    area_code: Mapped[str | None] = mapped_column(ForeignKey("area.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_by: Mapped[str | None] = mapped_column(String(200))
    # Carried in every session cookie of the account; moving it on (when the account is
    # disabled) ends every session issued before, with no list of sessions to keep.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(Base):
    """A personal API token: only the SHA-256 of the secret is kept; it acts as its owner."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown so people can tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed sign-in; counted per account and per client to throttle guessing."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)  # hashed client address
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The hashed device cookie when the browser had signed in to this account before (a
    # trusted device is throttled on its own failures only); None for any other client.
    device: Mapped[str | None] = mapped_column(String(64), index=True)


class UserSession(Base):
    """A signed-out browser session, kept until it would have expired so that a copy of its
    cookie opens nothing. Open sessions live only in their signed cookie: signing in writes
    nothing, so it never waits for another writer."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's id
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # signed in
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FieldConfirmation(Base):
    """When a field's value was last stated by someone (changed or confirmed unchanged)."""

    __tablename__ = "field_confirmation"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str] = mapped_column(String(200))


class ResidentReport(Base):
    """A resident says a site is closed, full or misplaced; officials of its area decide."""

    __tablename__ = "resident_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # closed, full, wrong_location
    note: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str] = mapped_column(String(64), index=True)  # hashed client address
    # The facility's most specific area when reported: the queue is matched on its prefix.
    area_code: Mapped[str | None] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # accepted, dismissed
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    change_set: Mapped[int | None] = mapped_column(BigInteger)


class PopulationLayer(Base):
    """A set of population units from one source: where people live, for coverage.

    ``kind`` says whether the counts were measured (a census, a survey) or modelled (spread
    over the map by a model); every page, file and answer built on a layer repeats it.
    """

    __tablename__ = "population_layer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    # The date the counts refer to: YYYY, YYYY-MM or YYYY-MM-DD.
    as_of: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(16))  # measured | modelled
    method: Mapped[str | None] = mapped_column(Text)  # how the units were placed
    group_columns: Mapped[list[str]] = mapped_column(JSON)
    # The most detailed area level the counts support: 1 province, 2 district, 3 subdistrict.
    finest_level: Mapped[int] = mapped_column(Integer)
    # For measured counts placed on points inside their areas: the level they were counted
    # at ("measured by subdistrict, placed within it"); None when each unit is a count.
    measured_level: Mapped[int | None] = mapped_column(Integer)
    unit_count: Mapped[int] = mapped_column(Integer)
    total_population: Mapped[int] = mapped_column(BigInteger)
    # SHA-256 of the units and groups: the same content loaded twice is the same layer.
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class PopulationUnit(Base):
    """A point standing for some people of a layer, with the subdistrict (or area) it is in."""

    __tablename__ = "population_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("population_layer.id", ondelete="CASCADE"), index=True
    )
    # The most specific area known for the unit (a subdistrict for points and grids).
    area_code: Mapped[str] = mapped_column(ForeignKey("area.code"), index=True)
    population: Mapped[int] = mapped_column(BigInteger)
    # People of the unit in each of the layer's groups, in the order of its group_columns.
    groups: Mapped[list[int] | None] = mapped_column(JSON)
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True))


class SurveyRecord(Base):
    """Residents counted in one village or subdistrict on one date: counts only.

    Each resident is in exactly one target group (importers.vocabulary.SURVEY_GROUPS), so the
    residents_* columns add up to the people counted and unvaccinated_<g> <= residents_<g>.
    No names and no ID numbers are ever stored. Corrections are audited in survey_change.
    """

    __tablename__ = "survey_record"
    __table_args__ = (Index("ix_survey_area_date", "area_code", "survey_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A subdistrict (level 3) code; a village is named within it.
    area_code: Mapped[str] = mapped_column(ForeignKey("area.code"), index=True)
    village_no: Mapped[int | None] = mapped_column(Integer)  # หมู่ที่
    village_name: Mapped[str | None] = mapped_column(String(200))
    # DOPA's 8-digit village code when the village is on DOPA's list; a typed
    # name that matches no listed village leaves it empty, for an official to check.
    village_code: Mapped[str | None] = mapped_column(String(8), index=True)
    survey_date: Mapped[date] = mapped_column(Date, index=True)
    residents_general: Mapped[int] = mapped_column(Integer, default=0)
    residents_elderly: Mapped[int] = mapped_column(Integer, default=0)
    residents_bedridden: Mapped[int] = mapped_column(Integer, default=0)
    residents_migrant: Mapped[int] = mapped_column(Integer, default=0)
    residents_children_5_11: Mapped[int] = mapped_column(Integer, default=0)
    residents_students_12_18: Mapped[int] = mapped_column(Integer, default=0)
    unvaccinated_general: Mapped[int] = mapped_column(Integer, default=0)
    unvaccinated_elderly: Mapped[int] = mapped_column(Integer, default=0)
    unvaccinated_bedridden: Mapped[int] = mapped_column(Integer, default=0)
    unvaccinated_migrant: Mapped[int] = mapped_column(Integer, default=0)
    unvaccinated_children_5_11: Mapped[int] = mapped_column(Integer, default=0)
    unvaccinated_students_12_18: Mapped[int] = mapped_column(Integer, default=0)
    referred_site: Mapped[int] = mapped_column(Integer, default=0)
    referred_home_visit: Mapped[int] = mapped_column(Integer, default=0)
    # Optional point: the village centre.
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True))
    entered_by: Mapped[str] = mapped_column(String(200))  # username
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(32))  # web, api, import, cli, demo
    source_ref: Mapped[str | None] = mapped_column(String(200))  # e.g. "batch:<id>"
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # withdrawn, kept for audit
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Village(Base):
    """A village (หมู่บ้าน) on DOPA's list: code, number within its tambon, Thai and English name."""

    __tablename__ = "village"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    subdistrict_code: Mapped[str] = mapped_column(String(10), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))


class SurveyChange(Base):
    """One field of one survey record changed: who, when, from where, old and new value."""

    __tablename__ = "survey_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("survey_record.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[Any] = mapped_column(JSON)
    new_value: Mapped[Any] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(200))


class ReferenceVaccination(Base):
    """A published vaccination count (e.g. DDC's provincial report), beside the survey."""

    __tablename__ = "reference_vaccination"
    __table_args__ = (
        UniqueConstraint("series", "area_code", "as_of", "measure", name="uq_reference_vacc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(100))  # e.g. "ddc-2021-11-17"
    source: Mapped[str] = mapped_column(Text)
    area_code: Mapped[str] = mapped_column(ForeignKey("area.code"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    measure: Mapped[str] = mapped_column(String(100))  # e.g. "dose1_elderly"
    value: Mapped[int] = mapped_column(BigInteger)


class RoadLayer(Base):
    """A road network: one file's roads, for travel-time answers where it reaches.

    The network is stored whole as compressed NumPy arrays (``network_npz``, see
    :mod:`registry.roads.service`), beside its source, licence, attribution and extent, so
    it travels with the registry on either database. Every answer computed on it names it
    and carries its attribution.
    """

    __tablename__ = "road_layer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(Text)  # the file it came from, or a URL
    file_format: Mapped[str] = mapped_column(String(32))
    licence: Mapped[str] = mapped_column(String(100))
    attribution: Mapped[str] = mapped_column(Text)
    west: Mapped[float] = mapped_column(Float)
    south: Mapped[float] = mapped_column(Float)
    east: Mapped[float] = mapped_column(Float)
    north: Mapped[float] = mapped_column(Float)
    node_count: Mapped[int] = mapped_column(Integer)
    edge_count: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the stored arrays: the same network loaded twice is the same layer.
    checksum: Mapped[str] = mapped_column(String(64))
    network_npz: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
