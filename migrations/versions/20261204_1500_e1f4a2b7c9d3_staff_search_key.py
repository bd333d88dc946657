"""provider.name_key (the staff search key) and the staff dashboard's count indexes

Revision ID: e1f4a2b7c9d3
Revises: c51e2b7d9a04
Create Date: 2026-12-04 15:00:00

The key is filled in batches here (about a minute per million listings) and kept current
by the ORM from then on.
"""

import sqlalchemy as sa
from alembic import op

revision = "e1f4a2b7c9d3"
down_revision = "c51e2b7d9a04"
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill() -> None:
    from app.models.provider import name_key

    conn = op.get_bind()
    provider = sa.table(
        "provider",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("middle_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("suffix", sa.String),
        sa.column("credentials", sa.String),
        sa.column("npi", sa.String),
        sa.column("name_key", sa.String),
    )
    c = provider.c
    update = (
        provider.update().where(c.id == sa.bindparam("pid")).values(name_key=sa.bindparam("key"))
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(
                c.id, c.first_name, c.last_name, c.middle_name, c.suffix, c.credentials, c.npi
            )
            .where(c.id > last)
            .order_by(c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(update, [{"pid": r[0], "key": name_key(*r[1:])} for r in rows])
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table("provider") as batch:
        batch.add_column(sa.Column("name_key", sa.String(400), nullable=False, server_default=""))
    _backfill()
    op.create_index("ix_provider_name_key", "provider", ["name_key", "id"], unique=False)
    op.create_index(
        "ix_provider_active_accepting",
        "provider",
        ["active", "accepting_new_patients"],
        unique=False,
    )
    op.create_index(
        "ix_provider_active_verified", "provider", ["active", "verified_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_provider_active_verified", table_name="provider")
    op.drop_index("ix_provider_active_accepting", table_name="provider")
    op.drop_index("ix_provider_name_key", table_name="provider")
    with op.batch_alter_table("provider") as batch:
        batch.drop_column("name_key")
