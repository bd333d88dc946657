"""registry findings

Revision ID: eab89726c07d
Revises: ddb590696490
Create Date: 2026-12-01 23:02:40

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "eab89726c07d"
down_revision = "ddb590696490"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "registry_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("registry_value", sa.String(length=500), nullable=False),
        sa.Column("our_value", sa.String(length=500), nullable=False),
        sa.Column("registry_data", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_registry_finding_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user_account.id"],
            name=op.f("fk_registry_finding_resolved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_finding")),
        sa.UniqueConstraint("provider_id", "kind", "registry_value", name="uq_registry_finding"),
    )
    with op.batch_alter_table("registry_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_finding_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registry_finding_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registry_finding_status"), ["status"], unique=False)


def downgrade():

    with op.batch_alter_table("registry_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_finding_status"))
        batch_op.drop_index(batch_op.f("ix_registry_finding_provider_id"))
        batch_op.drop_index(batch_op.f("ix_registry_finding_kind"))

    op.drop_table("registry_finding")
