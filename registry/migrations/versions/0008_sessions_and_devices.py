"""Server-side sign-in sessions, and the device of a failed sign-in.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from registry.models import UTCDateTime

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
    )
    op.add_column("login_failure", sa.Column("device", sa.String(64)))
    op.create_index("ix_login_failure_device", "login_failure", ["device"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_device", table_name="login_failure")
    op.drop_column("login_failure", "device")
    op.drop_table("user_session")
