"""Created blocks: the "created" entries of a bulk write, a few thousand facilities a row.

An import that creates 150,000 facilities wrote 150,000 change rows (and rebuilt their
indexes) to say who created them, when and with which first values; a block says who and when
once and packs the first values and source rows of up to 5,000 facilities (see
registry.audit). Older "created" change rows stay as they are and are read as before.

The packed values are compressed already: PostgreSQL is told not to try again (EXTERNAL
storage keeps them out of line without compressing).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from registry.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "created_block",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("change_set", sa.BigInteger, nullable=False, index=True),
        sa.Column("first_facility_id", sa.Integer, nullable=False),
        sa.Column("last_facility_id", sa.Integer, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_ref", sa.String(200), index=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("packed_values", sa.LargeBinary, nullable=False),
    )
    op.create_index(
        "ix_created_block_facilities", "created_block", ["first_facility_id", "last_facility_id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE created_block ALTER COLUMN packed_values SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("created_block")
