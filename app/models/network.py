"""Payers, their networks, coverage areas, per-clinic network participation, healthcare
services, endpoints and affiliations: the directory as Da Vinci PDex Plan-Net models it.

Every row carries ``version`` (``meta.versionId``) and ``updated_at`` (``meta.lastUpdated``,
``_lastUpdated`` and the bulk export's ``_since``). Insurance plans live in
``app.models.reference`` (the ``insurance_plan`` table predates networks); each plan belongs to
one network, and a provider takes a network at a clinic (``NetworkParticipation``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, Boolean, Date, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, now_utc

# Organization.kind: the Plan-Net OrgTypeCS code (the clinic group, a payer or a network).
ORG_KINDS = (("prvgrp", "Provider group"), ("payer", "Payer"), ("ntwk", "Network"))
CLINIC_GROUP_SLUG = "clinic-group"
# Plan-Net InsuranceProductTypeCS codes staff can pick (code, label).
PRODUCT_TYPES = (
    ("medi", "Medicaid"),
    ("medihmo", "Medicaid HMO"),
    ("mediab", "Medicare A/B"),
    ("mediadv", "Medicare Advantage"),
    ("mediadvhmo", "Medicare Advantage HMO"),
    ("commppo", "Commercial PPO"),
    ("commhmo", "Commercial HMO"),
    ("commepo", "Commercial EPO"),
    ("commpos", "Commercial POS"),
    ("commhdhp", "Commercial HDHP"),
    ("qhp", "Qualified Health Plan"),
    ("tri", "TRICARE"),
    ("va", "Veterans Affairs Plan"),
    ("fep", "Federal Employee Program"),
)
# Plan-Net InsurancePlanTypeCS codes (plan.type).
PLAN_TYPES = (
    ("platinum", "Platinum-QHP"),
    ("gold", "Gold-QHP"),
    ("silver", "Silver-QHP"),
    ("bronze", "Bronze-QHP"),
    ("catastrophic", "Catastrophic-QHP"),
    ("lowdeductible", "Low Deductible"),
    ("highdeductible", "High Deductible"),
)
# Plan-Net HealthcareServiceCategoryCS codes.
SERVICE_CATEGORIES = (
    ("behav", "Behavioral Health"),
    ("dent", "Dental"),
    ("dme", "DME/Medical Supplies"),
    ("emerg", "Emergency care"),
    ("group", "Medical Group"),
    ("home", "Home Health"),
    ("hosp", "Hospital"),
    ("lab", "Laboratory"),
    ("other", "Other"),
    ("outpat", "Clinic or Outpatient Facility"),
    ("prov", "Medical Provider"),
    ("pharm", "Pharmacy"),
    ("trans", "Transportation"),
    ("urg", "Urgent Care"),
    ("vis", "Vision"),
)
# Endpoint connection types: Plan-Net EndpointConnectionTypeCS and the base R4 system.
CONNECTION_TYPES = (
    ("rest-non-fhir", "REST (not FHIR)"),
    ("hl7-fhir-rest", "HL7 FHIR"),
)
# Plan-Net OrganizationAffiliationRoleCS codes.
AFFILIATION_ROLES = (("group", "Medical Group"), ("outpatient", "Clinic or Outpatient Facility"))


class CoverageArea(db.Model):
    """A service area (a state, or counties within it), served as a Plan-Net Location."""

    __tablename__ = "coverage_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    state: Mapped[str] = mapped_column(String(2), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("coverage_area.id", ondelete="SET NULL"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=now_utc, onupdate=now_utc, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    parent: Mapped[CoverageArea | None] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<CoverageArea {self.slug}>"


class Organization(db.Model):
    """The clinic group (``prvgrp``, exactly one), a payer or a payer's network (``ntwk``)."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(160), default="")
    alias: Mapped[str] = mapped_column(String(160), default="")
    # A network's payer (Plan-Net Network.partOf).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    phone: Mapped[str] = mapped_column(String(32), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip: Mapped[str] = mapped_column(String(10), default="")
    coverage_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("coverage_area.id", ondelete="SET NULL"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=now_utc, onupdate=now_utc, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])
    coverage_area: Mapped[CoverageArea | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Organization {self.kind} {self.slug}>"


# The clinic group's row exists from the moment the table does (migration or create_all);
# its name and phone are the ORG_NAME and ORG_PHONE settings, read when it is served.
CLINIC_GROUP_INSERT = (
    "INSERT INTO organization (slug, kind, name, alias, phone, website, address_line1, "
    "city, state, zip, active, created_at, updated_at, version) VALUES "
    "('clinic-group', 'prvgrp', '', '', '', '', '', '', '', '', true, "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
)
event.listen(Organization.__table__, "after_create", DDL(CLINIC_GROUP_INSERT))


class NetworkParticipation(db.Model):
    """A provider takes a network at one clinic, accepting new patients in it or not."""

    __tablename__ = "network_participation"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    network_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    accepting_new_patients: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=now_utc, onupdate=now_utc, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    network: Mapped[Organization] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class HealthcareService(db.Model):
    """A service offered at a clinic (physical therapy, urgent care, imaging, ...)."""

    __tablename__ = "healthcare_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(160))
    type_text: Mapped[str] = mapped_column(String(160), default="")
    specialty_id: Mapped[int | None] = mapped_column(
        ForeignKey("specialty.id", ondelete="SET NULL"), nullable=True, index=True
    )
    telehealth: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    coverage_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("coverage_area.id", ondelete="SET NULL"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=now_utc, onupdate=now_utc, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    location = relationship("Location", lazy="joined")
    specialty = relationship("Specialty", lazy="joined")
    coverage_area: Mapped[CoverageArea | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Endpoint(db.Model):
    """A technical contact point: the group's website, patient portal or this FHIR API."""

    __tablename__ = "endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    connection_type: Mapped[str] = mapped_column(String(20), default="rest-non-fhir")
    address: Mapped[str] = mapped_column(String(500))
    payload_type: Mapped[str] = mapped_column(String(40), default="NA")
    mime_type: Mapped[str] = mapped_column(String(80), default="text/html")
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=now_utc, onupdate=now_utc, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class OrganizationAffiliation(db.Model):
    """The clinic group's place in a payer's network (its locations: the clinics where
    anyone takes that network)."""

    __tablename__ = "organization_affiliation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    participating_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    network_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="group")
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=now_utc, onupdate=now_utc, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    participating: Mapped[Organization] = relationship(foreign_keys=[participating_id])
    network: Mapped[Organization] = relationship(foreign_keys=[network_id])

    __mapper_args__ = {"version_id_col": version}


# How a network's feed was downloaded (``NetworkFeedDownload.format``).
FEED_FORMATS = (("csv", "CSV"), ("ndjson", "Plan-Net NDJSON"))


class NetworkFeedDownload(db.Model):
    """One download of a network's directory feed: who, when, which network, how many
    records and the SHA-256 of the bytes sent, so the clinic can show a plan what it sent."""

    __tablename__ = "network_feed_download"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    user_label: Mapped[str] = mapped_column(String(254), default="")
    # Kept by name too: the log outlives a network that is later deleted.
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), nullable=True, index=True
    )
    network_name: Mapped[str] = mapped_column(String(160), default="")
    format: Mapped[str] = mapped_column(String(8))
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    byte_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
