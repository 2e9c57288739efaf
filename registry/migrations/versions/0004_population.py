"""Population layers and their units, for coverage analysis.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import (
    Geometry,
    alembic_helpers,  # noqa: F401  (registers op.drop_geospatial_table)
)

from registry.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "population_layer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("as_of", sa.String(10)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("method", sa.Text),
        sa.Column("group_columns", sa.JSON, nullable=False),
        sa.Column("finest_level", sa.Integer, nullable=False),
        sa.Column("unit_count", sa.Integer, nullable=False),
        sa.Column("total_population", sa.BigInteger, nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.CheckConstraint("kind IN ('measured', 'modelled')", name="ck_population_layer_kind"),
    )
    op.create_table(
        "population_unit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "layer_id",
            sa.Integer,
            sa.ForeignKey("population_layer.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "area_code", sa.String(10), sa.ForeignKey("area.code"), nullable=False, index=True
        ),
        sa.Column("population", sa.BigInteger, nullable=False),
        sa.Column("groups", sa.JSON),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
    )


def downgrade() -> None:
    # Also drops SpatiaLite's R*Tree index table and geometry metadata of the column.
    op.drop_geospatial_table("population_unit")
    op.drop_table("population_layer")
