"""walk-in and urgent-care clinics, with their walk-in hours

Revision ID: b4d8e2f6a913
Revises: b8d4f0e2a3c5
Create Date: 2026-12-07 11:00:00

``location.walk_in`` says whether a clinic takes people without an appointment ("walk-in"
or "urgent-care"; empty for appointments only). ``location_walk_in_hours`` holds the times
it does, where they differ from the opening hours.
"""

import sqlalchemy as sa
from alembic import op

revision = "b4d8e2f6a913"
down_revision = "b8d4f0e2a3c5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.add_column(sa.Column("walk_in", sa.String(12), nullable=False, server_default=""))
    op.create_table(
        "location_walk_in_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_location_walk_in_hours_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_walk_in_hours")),
    )
    with op.batch_alter_table("location_walk_in_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_location_walk_in_hours_location_id"), ["location_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("location_walk_in_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_location_walk_in_hours_location_id"))
    op.drop_table("location_walk_in_hours")
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.drop_column("walk_in")
