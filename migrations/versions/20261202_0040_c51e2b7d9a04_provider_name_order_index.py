"""provider name-order, active+name-order and verified_at indexes (staff lists and export at scale)

Revision ID: c51e2b7d9a04
Revises: 84f85fe063b6
Create Date: 2026-12-02 00:40:00

"""

from alembic import op

revision = "c51e2b7d9a04"
down_revision = "84f85fe063b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_provider_name_order", "provider", ["last_name", "first_name", "id"], unique=False
    )
    op.create_index(
        "ix_provider_active_name",
        "provider",
        ["active", "last_name", "first_name", "id"],
        unique=False,
    )
    op.create_index("ix_provider_verified_at", "provider", ["verified_at"], unique=False)


def downgrade():
    op.drop_index("ix_provider_verified_at", table_name="provider")
    op.drop_index("ix_provider_active_name", table_name="provider")
    op.drop_index("ix_provider_name_order", table_name="provider")
