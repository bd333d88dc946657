"""a provider's biography in Spanish

Revision ID: e5a1c9d3b7f2
Revises: d6f1a2c3e4b5
Create Date: 2026-12-07 14:00:00

``provider.bio_es`` is shown on the Spanish profile (``/es/providers/<slug>``); empty means
the English biography is shown there, marked ``lang="en"``.
"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1c9d3b7f2"
down_revision = "d6f1a2c3e4b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bio_es", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("bio_es")
