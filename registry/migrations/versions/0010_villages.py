"""DOPA villages, the village code of survey records, and the level a layer's counts were
measured at.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "village",
        # DOPA's 8-digit muban code: the tambon's 6 digits and the village number (หมู่ที่).
        sa.Column("code", sa.String(8), primary_key=True),
        # The tambon's pcode as DOPA lists it; not a foreign key, since DOPA lists villages of
        # tambons newer than the registry's 2019 boundaries.
        sa.Column("subdistrict_code", sa.String(10), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name_th", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.add_column("survey_record", sa.Column("village_code", sa.String(8)))
    op.create_index("ix_survey_record_village_code", "survey_record", ["village_code"])
    op.add_column("population_layer", sa.Column("measured_level", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("population_layer") as batch:
        batch.drop_column("measured_level")
    op.drop_index("ix_survey_record_village_code", table_name="survey_record")
    with op.batch_alter_table("survey_record") as batch:
        batch.drop_column("village_code")
    op.drop_table("village")
