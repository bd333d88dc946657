"""staff edits of the site's texts

Revision ID: a3c5e7f9b1d2
Revises: f7b2d4e6a8c1
Create Date: 2026-12-10 09:00:00

``content_page`` holds one row per text and language that staff have edited at
``/staff/content`` (the article, the privacy notice, the legal notices): title, Markdown
body and review status. An active row replaces the seed file's words on the public page; a
removed edit keeps its row (inactive) so its version keeps rising.
"""

import sqlalchemy as sa
from alembic import op

revision = "a3c5e7f9b1d2"
down_revision = "f7b2d4e6a8c1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("review_status", sa.String(length=20), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_content_page_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_page")),
        sa.UniqueConstraint("kind", "slug", "lang", name=op.f("uq_content_page_kind_slug_lang")),
    )


def downgrade():
    op.drop_table("content_page")
