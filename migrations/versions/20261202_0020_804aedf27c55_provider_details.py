"""provider details: ages seen, board certifications, education, hospital affiliations

Revision ID: 804aedf27c55
Revises: 5d1d06d6ecc5
Create Date: 2026-12-02 00:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "804aedf27c55"
down_revision = "5d1d06d6ecc5"
branch_labels = None
depends_on = None

AGES = ("sees_children", "sees_adults", "sees_older_adults")
LISTS = ("board_certifications", "education", "hospital_affiliations")


def upgrade():
    with op.batch_alter_table("provider", schema=None) as batch_op:
        for name in AGES:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        for name in LISTS:
            batch_op.add_column(
                sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
            )


def downgrade():
    with op.batch_alter_table("provider", schema=None) as batch_op:
        for name in reversed(LISTS + AGES):
            batch_op.drop_column(name)
