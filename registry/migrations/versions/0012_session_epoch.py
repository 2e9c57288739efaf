"""Sessions live in their signed cookie: an account's session epoch, and ended sessions only.

Signing in wrote a session row, so on SpatiaLite (one writer at a time) it waited behind an
import's final write. Now the cookie carries the session's id, when it was issued and the
account's epoch; the server keeps only sessions ended by signing out (``user_session``), and
disabling an account moves its epoch on. The open sessions of the old kind are forgotten:
their cookies carry no epoch, so their owners sign in once more.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
    )
    op.execute("DELETE FROM user_session")


def downgrade() -> None:
    op.drop_column("app_user", "session_epoch")
