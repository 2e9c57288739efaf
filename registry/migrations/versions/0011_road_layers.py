"""Road network layers for travel-time answers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from registry.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "road_layer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("file_format", sa.String(32), nullable=False),
        sa.Column("licence", sa.String(100), nullable=False),
        sa.Column("attribution", sa.Text, nullable=False),
        sa.Column("west", sa.Float, nullable=False),
        sa.Column("south", sa.Float, nullable=False),
        sa.Column("east", sa.Float, nullable=False),
        sa.Column("north", sa.Float, nullable=False),
        sa.Column("node_count", sa.Integer, nullable=False),
        sa.Column("edge_count", sa.Integer, nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("network_npz", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("road_layer")
