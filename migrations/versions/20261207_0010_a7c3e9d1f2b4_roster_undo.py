"""roster imports that can be undone: per-listing change records and the job's choices

Revision ID: a7c3e9d1f2b4
Revises: e1f4a2b7c9d3
Create Date: 2026-12-07 00:10:00

``roster_change`` keeps, per listing an applied import touched, the values it changed
(before and after), so the import can be undone for 30 days. ``roster_upload`` records
how blank cells were read, how many values the file clears, where it came from and the
undo's outcome.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c3e9d1f2b4"
down_revision = "e1f4a2b7c9d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roster_upload") as batch:
        batch.add_column(
            sa.Column("blank_mode", sa.String(5), nullable=False, server_default="keep")
        )
        batch.add_column(sa.Column("clears", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("source", sa.String(10), nullable=False, server_default="web"))
        batch.add_column(sa.Column("undone_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("undone_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("undo_message", sa.String(1000), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("undo_conflicts", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            "fk_roster_upload_undone_by_id_user_account",
            "user_account",
            ["undone_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "roster_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.Boolean(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["roster_upload.id"],
            name=op.f("fk_roster_change_upload_id_roster_upload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_change")),
    )
    op.create_index(op.f("ix_roster_change_upload_id"), "roster_change", ["upload_id"])


def downgrade():
    op.drop_index(op.f("ix_roster_change_upload_id"), table_name="roster_change")
    op.drop_table("roster_change")
    with op.batch_alter_table("roster_upload") as batch:
        batch.drop_constraint("fk_roster_upload_undone_by_id_user_account", type_="foreignkey")
        for name in (
            "undo_conflicts",
            "undo_message",
            "undone_by_id",
            "undone_at",
            "source",
            "clears",
            "blank_mode",
        ):
            batch.drop_column(name)
