"""clinic accessibility features and phone-line hours

Revision ID: 5d1d06d6ecc5
Revises: a7c3e9d41f20
Create Date: 2026-12-02 00:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d1d06d6ecc5"
down_revision = "a7c3e9d41f20"
branch_labels = None
depends_on = None

FEATURES = (
    "wheelchair_entrance",
    "accessible_parking",
    "elevator",
    "accessible_restroom",
    "hearing_loop",
    "interpreter_services",
)


def upgrade():
    with op.batch_alter_table("location", schema=None) as batch_op:
        for name in FEATURES:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    op.create_table(
        "location_phone_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_location_phone_hours_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_phone_hours")),
    )
    with op.batch_alter_table("location_phone_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_location_phone_hours_location_id"), ["location_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("location_phone_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_location_phone_hours_location_id"))
    op.drop_table("location_phone_hours")
    with op.batch_alter_table("location", schema=None) as batch_op:
        for name in reversed(FEATURES):
            batch_op.drop_column(name)
