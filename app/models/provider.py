"""Providers and their links to specialties and clinics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, now_utc
from app.models.location import Location
from app.models.network import NetworkParticipation
from app.models.reference import InsurancePlan, Language, provider_insurance, provider_language
from app.models.specialty import Specialty
from app.text import fold


class Provider(db.Model):
    """A clinician listed in the directory."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), index=True)
    suffix: Mapped[str] = mapped_column(String(20), default="")
    credentials: Mapped[str] = mapped_column(String(80), default="")
    npi: Mapped[str | None] = mapped_column(String(10), unique=True, nullable=True)
    gender: Mapped[str | None] = mapped_column(String(1), nullable=True)
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # The biography in Spanish, for the Spanish profile (empty: the English one is shown).
    bio_es: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    accepting_new_patients: Mapped[bool] = mapped_column(Boolean, default=True)
    telehealth: Mapped[bool] = mapped_column(Boolean, default=False)
    # Ages seen; all False means "not stated".
    sees_children: Mapped[bool] = mapped_column(Boolean, default=False)
    sees_adults: Mapped[bool] = mapped_column(Boolean, default=False)
    sees_older_adults: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"board": ..., "specialty": ..., "year": 2015}, ...]
    board_certifications: Mapped[list[dict]] = mapped_column(JSONType, default=list)
    # [{"degree": ..., "institution": ..., "year": 2009}, ...] (year may be None)
    education: Mapped[list[dict]] = mapped_column(JSONType, default=list)
    hospital_affiliations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The staff list's search key: names, credentials and NPI, lower-cased without accents
    # ("nunez maria md 1234567893"). Kept by the ORM hooks below; see ``name_key``.
    name_key: Mapped[str] = mapped_column(String(400), default="")

    specialty_links: Mapped[list[ProviderSpecialty]] = relationship(
        back_populates="provider",
        order_by="(ProviderSpecialty.is_primary.desc(), ProviderSpecialty.position)",
        cascade="all, delete-orphan",
    )
    location_links: Mapped[list[ProviderLocation]] = relationship(
        back_populates="provider",
        order_by="ProviderLocation.position",
        cascade="all, delete-orphan",
    )
    languages: Mapped[list[Language]] = relationship(
        secondary=provider_language, order_by="Language.name"
    )
    insurance_plans: Mapped[list[InsurancePlan]] = relationship(
        secondary=provider_insurance, order_by="InsurancePlan.name"
    )
    photo: Mapped[ProviderPhoto | None] = relationship(
        back_populates="provider", cascade="all, delete-orphan", uselist=False
    )
    # The networks taken at each clinic: the one source of plan participation (written only
    # by ``app.services.participation``, which keeps ``insurance_plans`` derived from it).
    participations: Mapped[list[NetworkParticipation]] = relationship(
        "NetworkParticipation", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}
    # Staff lists and the roster export read providers in name order; at a million rows
    # this index lets them stream the first page instead of sorting the whole table.
    __table_args__ = (
        db.Index("ix_provider_name_order", "last_name", "first_name", "id"),
        db.Index("ix_provider_active_name", "active", "last_name", "first_name", "id"),
        db.Index("ix_provider_verified_at", "verified_at"),
        # The staff dashboard's counts, each read from an index instead of the table, and
        # the staff search, which scans this narrow index rather than a million wide rows.
        db.Index("ix_provider_active_accepting", "active", "accepting_new_patients"),
        db.Index("ix_provider_active_verified", "active", "verified_at"),
        db.Index("ix_provider_name_key", "name_key", "id"),
    )

    def __repr__(self) -> str:
        return f"<Provider {self.slug}>"

    @property
    def full_name(self) -> str:
        """First, middle and last name with suffix, e.g. "María J. Núñez Jr."."""
        return full_name(self.first_name, self.middle_name, self.last_name, self.suffix)

    @property
    def display_name(self) -> str:
        """The full name followed by credentials, e.g. "María Núñez, DPT"."""
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    @property
    def initials(self) -> str:
        """Up to two initials for the photo placeholder, e.g. "MN"."""
        letters = [name[0] for name in (self.first_name, self.last_name) if name]
        return "".join(letters).upper()

    @property
    def ages_seen(self) -> list[str]:
        """Patient-facing age groups, e.g. ["Children", "Adults"]."""
        groups = (
            (self.sees_children, "Children"),
            (self.sees_adults, "Adults"),
            (self.sees_older_adults, "Older adults"),
        )
        return [label for flag, label in groups if flag]

    @property
    def specialties(self) -> list[Specialty]:
        """Specialties with the primary one first."""
        return [link.specialty for link in self.specialty_links]

    @property
    def primary_specialty(self) -> Specialty | None:
        """The primary specialty, if any."""
        for link in self.specialty_links:
            if link.is_primary:
                return link.specialty
        return self.specialty_links[0].specialty if self.specialty_links else None

    @property
    def active_location_links(self) -> list[ProviderLocation]:
        """Links to public clinics only (see ``app.models.visibility``)."""
        from app.models.visibility import public_clinic_links  # it imports this module

        return public_clinic_links(self)

    @property
    def locations(self) -> list[Location]:
        """Clinics in the order staff listed them."""
        return [link.location for link in self.location_links]


def full_name(first: str, middle: str | None, last: str, suffix: str | None) -> str:
    """ "María J. Núñez Jr.": the names that are given, then the suffix."""
    name = " ".join(p for p in (first, middle, last) if p)
    return f"{name} {suffix}".strip() if suffix else name


def name_key(
    first_name: str | None,
    last_name: str | None,
    middle_name: str | None = "",
    suffix: str | None = "",
    credentials: str | None = "",
    npi: str | None = "",
) -> str:
    """The staff search key: surname first, then the other names, credentials and NPI,
    lower-cased and without accents, so "nunez" finds Núñez and the key sorts by name."""
    parts = (last_name, first_name, middle_name, suffix, credentials, npi)
    return " ".join(fold(" ".join(str(p).split())) for p in parts if p and str(p).strip())[:400]


@event.listens_for(Provider, "before_insert")
@event.listens_for(Provider, "before_update")
def _keep_name_key(_mapper, _connection, target: Provider) -> None:
    key = name_key(
        target.first_name,
        target.last_name,
        target.middle_name,
        target.suffix,
        target.credentials,
        target.npi,
    )
    if target.name_key != key:
        target.name_key = key


class ProviderSpecialty(db.Model):
    """A provider's specialty; exactly one per provider is primary."""

    __tablename__ = "provider_specialty"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True
    )
    specialty_id: Mapped[int] = mapped_column(
        ForeignKey("specialty.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[Provider] = relationship(back_populates="specialty_links")
    specialty: Mapped[Specialty] = relationship(lazy="joined")


class ProviderLocation(db.Model):
    """A provider practising at a clinic, with a direct phone where it differs."""

    __tablename__ = "provider_location"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    phone: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[Provider] = relationship(back_populates="location_links")
    location: Mapped[Location] = relationship(lazy="joined")

    @property
    def effective_phone(self) -> str:
        """The provider's own phone at this clinic, else the clinic's."""
        return self.phone or self.location.phone


class ProviderPhoto(db.Model):
    """A provider's headshot, cleaned and stored in two sizes (served from our own origin).

    The images are deferred: loading a provider (or its photo row, for the digest in the URL)
    never reads the bytes.
    """

    __tablename__ = "provider_photo"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64))
    small: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    large: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    provider: Mapped[Provider] = relationship(back_populates="photo")
