"""provider photos stored in the database; drop the unused photo_url

Revision ID: 84f85fe063b6
Revises: 804aedf27c55
Create Date: 2026-12-02 00:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "84f85fe063b6"
down_revision = "804aedf27c55"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provider_photo",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("small", sa.LargeBinary(), nullable=False),
        sa.Column("large", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_provider_photo_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider_id", name=op.f("pk_provider_photo")),
    )
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("photo_url")


def downgrade():
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("photo_url", sa.String(length=500), nullable=False, server_default="")
        )
    op.drop_table("provider_photo")
