"""Reference data: languages and insurance plans."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Language(db.Model):
    """A spoken or signed language, keyed by its ISO 639 code."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<Language {self.code}>"


class InsurancePlan(db.Model):
    """An insurance plan a provider may accept."""

    __tablename__ = "insurance_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<InsurancePlan {self.slug}>"


provider_language = Table(
    "provider_language",
    db.metadata,
    Column("provider_id", ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True),
    Column("language_id", ForeignKey("language.id", ondelete="CASCADE"), primary_key=True),
)

provider_insurance = Table(
    "provider_insurance",
    db.metadata,
    Column("provider_id", ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "insurance_plan_id", ForeignKey("insurance_plan.id", ondelete="CASCADE"), primary_key=True
    ),
)
