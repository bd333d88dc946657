"""health conditions: everyday conditions and symptoms mapped to specialties

Revision ID: a7c3e9d41f20
Revises: 15bf8e2ee5ed
Create Date: 2026-12-01 23:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a7c3e9d41f20"
down_revision = "15bf8e2ee5ed"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "health_condition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("specialty_codes", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_condition")),
        sa.UniqueConstraint("slug", name=op.f("uq_health_condition_slug")),
    )


def downgrade():
    op.drop_table("health_condition")
