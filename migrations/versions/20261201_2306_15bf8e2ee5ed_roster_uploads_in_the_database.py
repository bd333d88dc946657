"""roster uploads in the database

Revision ID: 15bf8e2ee5ed
Revises: eab89726c07d
Create Date: 2026-12-01 23:06:56

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "15bf8e2ee5ed"
down_revision = "eab89726c07d"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "roster_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_roster_upload_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_upload")),
        sa.UniqueConstraint("token", name=op.f("uq_roster_upload_token")),
    )
    with op.batch_alter_table("roster_upload", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_upload_expires_at"), ["expires_at"], unique=False
        )


def downgrade():

    with op.batch_alter_table("roster_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_upload_expires_at"))

    op.drop_table("roster_upload")
