"""Specialties (NUCC taxonomy) and care paths."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType


class Specialty(db.Model):
    """A NUCC Health Care Provider Taxonomy code with patient-facing names."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    grouping: Mapped[str] = mapped_column(String(120), default="")
    nucc_name: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    synonyms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Specialty {self.code} {self.slug}>"


class CarePath(db.Model):
    """A named group of specialties a patient should see first, e.g. ``spine``."""

    __tablename__ = "care_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    injury_terms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    members: Mapped[list[CarePathSpecialty]] = relationship(
        back_populates="care_path",
        order_by="CarePathSpecialty.position",
        cascade="all, delete-orphan",
    )

    @property
    def specialties(self) -> list[Specialty]:
        """The member specialties in their recommended order."""
        return [m.specialty for m in self.members]


class CarePathSpecialty(db.Model):
    """Membership of a specialty in a care path, in order."""

    __tablename__ = "care_path_specialty"

    care_path_id: Mapped[int] = mapped_column(
        ForeignKey("care_path.id", ondelete="CASCADE"), primary_key=True
    )
    specialty_id: Mapped[int] = mapped_column(
        ForeignKey("specialty.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    care_path: Mapped[CarePath] = relationship(back_populates="members")
    specialty: Mapped[Specialty] = relationship()


class HealthCondition(db.Model):
    """An everyday condition, symptom or procedure and the specialties that treat it.

    ``terms`` hold the words patients type for it (plurals and common misspellings);
    ``specialty_codes`` are NUCC codes, first-line care first.
    """

    __tablename__ = "health_condition"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60), default="")
    audience: Mapped[str] = mapped_column(String(20), default="")
    terms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    specialty_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<HealthCondition {self.slug}>"
