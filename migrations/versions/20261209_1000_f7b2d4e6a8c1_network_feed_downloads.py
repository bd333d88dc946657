"""the network feed download log

Revision ID: f7b2d4e6a8c1
Revises: c5e1a7d3f802
Create Date: 2026-12-09 10:00:00

``network_feed_download`` records every download of one network's directory feed (CSV or
Plan-Net NDJSON): who, when, which network, the record count and the SHA-256 of the bytes
sent. The staff page "Network feeds" lists it.
"""

import sqlalchemy as sa
from alembic import op

revision = "f7b2d4e6a8c1"
down_revision = "c5e1a7d3f802"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "network_feed_download",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_label", sa.String(length=254), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("network_name", sa.String(length=160), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("byte_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["network_id"], ["organization.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("network_feed_download", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_feed_download_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_feed_download_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_feed_download_network_id"), ["network_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("network_feed_download", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_feed_download_network_id"))
        batch_op.drop_index(batch_op.f("ix_network_feed_download_user_id"))
        batch_op.drop_index(batch_op.f("ix_network_feed_download_at"))
    op.drop_table("network_feed_download")
