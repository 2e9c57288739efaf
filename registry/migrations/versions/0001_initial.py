"""Areas, facilities, the change log and the registry state.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from registry.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("level", sa.Integer, nullable=False, index=True),
        sa.Column("name_th", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("parent_code", sa.String(10), sa.ForeignKey("area.code"), index=True),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False),
    )
    op.create_table(
        "facility",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("name_th", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300)),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("province_code", sa.String(10), sa.ForeignKey("area.code"), index=True),
        sa.Column("district_code", sa.String(10), sa.ForeignKey("area.code"), index=True),
        sa.Column("subdistrict_code", sa.String(10), sa.ForeignKey("area.code"), index=True),
        sa.Column("stated_province_code", sa.String(10)),
        sa.Column("stated_district_code", sa.String(10)),
        sa.Column("stated_subdistrict_code", sa.String(10)),
        sa.Column("area_note", sa.Text),
        sa.Column("phone", sa.String(100)),
        sa.Column("opening_hours", sa.String(300)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_confirmed_by", sa.String(200)),
        sa.Column("status_confirmed_at", UTCDateTime),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_id", sa.String(100)),
        sa.Column("hcode", sa.String(10), index=True),
        sa.Column("walk_in", sa.Boolean),
        sa.Column("appointment", sa.Boolean),
        sa.Column("daily_capacity", sa.Integer),
        sa.Column("test_methods", sa.JSON),
        sa.Column("vaccine_brands", sa.JSON),
        sa.Column("doses", sa.JSON),
        sa.Column("age_groups", sa.JSON),
        sa.Column("beds_total", sa.Integer),
        sa.Column("covid_beds_total", sa.Integer),
        sa.Column("covid_beds_occupied", sa.Integer),
        *(
            sa.Column(f"beds_{severity}_{measure}", sa.Integer)
            for severity in ("green", "yellow", "red")
            for measure in ("total", "available")
        ),
        sa.Column("oxygen", sa.Boolean),
        sa.Column("admission_rules", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data_version", sa.BigInteger, nullable=False, index=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False, index=True),
        sa.Column("deleted_at", UTCDateTime),
        sa.Column("deleted_reason", sa.Text),
        sa.UniqueConstraint("source", "source_id", name="uq_facility_source"),
    )
    op.create_index("ix_facility_type_status", "facility", ["type", "status"])
    op.create_table(
        "facility_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "facility_id", sa.Integer, sa.ForeignKey("facility.id"), nullable=False, index=True
        ),
        sa.Column("change_set", sa.BigInteger, nullable=False, index=True),
        sa.Column("facility_version", sa.Integer, nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("old_value", sa.JSON),
        sa.Column("new_value", sa.JSON),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_ref", sa.String(200)),
        sa.Column("reverts_change_id", sa.Integer, sa.ForeignKey("facility_change.id")),
    )
    state = op.create_table(
        "registry_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("data_version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "data_version": 0}])


def downgrade() -> None:
    for table in ("registry_state", "facility_change", "facility", "area"):
        op.drop_table(table)
