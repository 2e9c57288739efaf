"""Unvaccinated-residents survey, its change log, and reference vaccination series.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import (
    Geometry,
    alembic_helpers,  # noqa: F401  (registers op.drop_geospatial_table)
)

from importers.vocabulary import SURVEY_COUNT_FIELDS
from registry.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counts = [
        sa.Column(name, sa.Integer, nullable=False, server_default="0")
        for name in SURVEY_COUNT_FIELDS
    ]
    checks = [
        sa.CheckConstraint(f"{name} >= 0", name=f"ck_survey_{name}") for name in SURVEY_COUNT_FIELDS
    ]
    op.create_table(
        "survey_record",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "area_code", sa.String(10), sa.ForeignKey("area.code"), nullable=False, index=True
        ),
        sa.Column("village_no", sa.Integer),
        sa.Column("village_name", sa.String(200)),
        sa.Column("survey_date", sa.Date, nullable=False, index=True),
        *counts,
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True)),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", UTCDateTime, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_ref", sa.String(200)),
        sa.Column("updated_by", sa.String(200)),
        sa.Column("updated_at", UTCDateTime),
        sa.Column("deleted_at", UTCDateTime),
        sa.Column("version", sa.Integer, nullable=False),
        *checks,
    )
    op.create_index("ix_survey_area_date", "survey_record", ["area_code", "survey_date"])
    op.create_table(
        "survey_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "record_id",
            sa.Integer,
            sa.ForeignKey("survey_record.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("old_value", sa.JSON),
        sa.Column("new_value", sa.JSON),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_ref", sa.String(200)),
    )
    op.create_table(
        "reference_vaccination",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("series", sa.String(100), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column(
            "area_code", sa.String(10), sa.ForeignKey("area.code"), nullable=False, index=True
        ),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("measure", sa.String(100), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("series", "area_code", "as_of", "measure", name="uq_reference_vacc"),
    )


def downgrade() -> None:
    op.drop_table("reference_vaccination")
    op.drop_table("survey_change")
    op.drop_index("ix_survey_area_date", table_name="survey_record")
    op.drop_geospatial_table("survey_record")
