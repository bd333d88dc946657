"""Reference data: languages and insurance plans."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, now_utc
from app.models.network import CoverageArea, Organization


class Language(db.Model):
    """A spoken or signed language, keyed by its ISO 639 code."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<Language {self.code}>"


class InsurancePlan(db.Model):
    """An insurance plan (a Plan-Net InsurancePlan): a payer's product, in one network.

    ``product_type`` is the Plan-Net InsuranceProductTypeCS code (``mediadv``, ``medi``,
    ``commppo``, ...), ``plan_type`` the InsurancePlanTypeCS code of its one plan (may be
    empty). A plan without a network (made before networks existed and not migrated) is
    not served over FHIR.
    """

    __tablename__ = "insurance_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    owned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    administered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    coverage_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("coverage_area.id", ondelete="SET NULL"), nullable=True, index=True
    )
    product_type: Mapped[str] = mapped_column(String(12), default="", server_default="")
    plan_type: Mapped[str] = mapped_column(String(16), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=now_utc, onupdate=now_utc, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    network: Mapped[Organization | None] = relationship(foreign_keys=[network_id])
    owned_by: Mapped[Organization | None] = relationship(foreign_keys=[owned_by_id])
    administered_by: Mapped[Organization | None] = relationship(foreign_keys=[administered_by_id])
    coverage_area: Mapped[CoverageArea | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

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
