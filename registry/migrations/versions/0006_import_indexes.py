"""An index for matching imported rows that carry no identifier: source, type and Thai name.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_facility_source_type_name", "facility", ["source", "type", "name_th"])


def downgrade() -> None:
    op.drop_index("ix_facility_source_type_name", table_name="facility")
