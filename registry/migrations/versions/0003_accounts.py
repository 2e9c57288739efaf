"""Accounts, API tokens, sign-in failures, field confirmations and resident reports.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from registry.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("area_code", sa.String(10), sa.ForeignKey("area.code"), index=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("disabled_at", UTCDateTime),
        sa.Column("disabled_by", sa.String(200)),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_used_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, index=True),
        sa.Column("client", sa.String(64), nullable=False, index=True),
        sa.Column("failed_at", UTCDateTime, nullable=False, index=True),
    )
    op.create_table(
        "field_confirmation",
        sa.Column("facility_id", sa.Integer, sa.ForeignKey("facility.id"), primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("confirmed_at", UTCDateTime, nullable=False),
        sa.Column("confirmed_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "resident_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "facility_id", sa.Integer, sa.ForeignKey("facility.id"), nullable=False, index=True
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("client", sa.String(64), nullable=False, index=True),
        sa.Column("area_code", sa.String(10), index=True),
        sa.Column("created_at", UTCDateTime, nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("resolved_at", UTCDateTime),
        sa.Column("change_set", sa.BigInteger),
    )


def downgrade() -> None:
    for table in (
        "resident_report",
        "field_confirmation",
        "login_failure",
        "api_token",
        "app_user",
    ):
        op.drop_table(table)
