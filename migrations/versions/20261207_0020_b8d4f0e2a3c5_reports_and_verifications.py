"""patients' listing reports, and a record of each verification

Revision ID: b8d4f0e2a3c5
Revises: a7c3e9d1f2b4
Create Date: 2026-12-07 00:20:00

Every listing that has a last-verified date gets one verification record for it
(method "earlier"), so the date shown on profiles comes from the records from now on.
"""

import sqlalchemy as sa
from alembic import op

revision = "b8d4f0e2a3c5"
down_revision = "a7c3e9d1f2b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "listing_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("staff_note", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_listing_report_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_listing_report_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["user_account.id"],
            name=op.f("fk_listing_report_handled_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_report")),
    )
    for column in ("provider_id", "location_id", "status", "created_at", "due_at"):
        op.create_index(op.f(f"ix_listing_report_{column}"), "listing_report", [column])
    op.create_table(
        "verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("confirmed", sa.String(length=500), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_verification_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_verification_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["listing_report.id"],
            name=op.f("fk_verification_report_id_listing_report"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification")),
    )
    op.create_index(op.f("ix_verification_provider_id"), "verification", ["provider_id"])
    op.create_index(op.f("ix_verification_at"), "verification", ["at"])
    op.execute(
        "INSERT INTO verification (provider_id, at, actor_label, method, confirmed) "
        "SELECT id, verified_at, 'system', 'earlier', '' FROM provider "
        "WHERE verified_at IS NOT NULL"
    )


def downgrade():
    op.drop_index(op.f("ix_verification_at"), table_name="verification")
    op.drop_index(op.f("ix_verification_provider_id"), table_name="verification")
    op.drop_table("verification")
    for column in ("due_at", "created_at", "status", "location_id", "provider_id"):
        op.drop_index(op.f(f"ix_listing_report_{column}"), table_name="listing_report")
    op.drop_table("listing_report")
