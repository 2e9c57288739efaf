"""Import batches and likely-duplicate flags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from registry.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("data_version", sa.BigInteger),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("undone_at", UTCDateTime),
        sa.Column("undone_by", sa.String(200)),
    )
    op.create_table(
        "duplicate_candidate",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "facility_id", sa.Integer, sa.ForeignKey("facility.id"), nullable=False, index=True
        ),
        sa.Column(
            "other_facility_id",
            sa.Integer,
            sa.ForeignKey("facility.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("distance_m", sa.Float),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batch.id")),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("resolved_at", UTCDateTime),
        sa.UniqueConstraint("facility_id", "other_facility_id", name="uq_duplicate"),
    )


def downgrade() -> None:
    op.drop_table("duplicate_candidate")
    op.drop_table("import_batch")
