"""Staff edits of the site's texts (the article, the privacy notice, the legal notices)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, now_utc

# What a text is: an article (by slug), a stand-alone page (``privacy``) or a legal notice.
CONTENT_KINDS = ("article", "page", "notice")
# ``original``: written in this language (the English source); ``machine``: a translation no
# qualified translator has reviewed; ``reviewed``: one that names its reviewer and date.
REVIEW_STATUSES = ("original", "machine", "reviewed")


class ContentPage(db.Model):
    """One text in one language as staff last saved it; it replaces the seed file's words.

    The seed file (``seed_data/...``) keeps its front matter (slug, summary, cards); the row
    holds the title, the Markdown body and the review status.
    """

    __tablename__ = "content_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(120))
    lang: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    review_status: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(200), default="")
    reviewed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    # False once staff removed the edit (the file's words are back). The row stays so its
    # version keeps rising: a form opened before the removal is stale, never a match for a
    # new first edit.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.UniqueConstraint("kind", "slug", "lang", name="uq_content_page_kind_slug_lang"),
    )

    def __repr__(self) -> str:
        return f"<ContentPage {self.kind}/{self.slug} {self.lang} v{self.version}>"
