"""The data model: one module per aggregate."""

from app.models.audit import AuditEvent, SearchOutbox
from app.models.base import now_utc
from app.models.content_page import CONTENT_KINDS, ContentPage
from app.models.finding import FINDING_KINDS, Finding
from app.models.location import (
    ACCESSIBILITY_FEATURES,
    WALK_IN_KINDS,
    WEEKDAY_NAMES,
    WEEKDAYS,
    Location,
    LocationHours,
    LocationPhoneHours,
    LocationWalkInHours,
    state_time_zone,
)
from app.models.network import (
    AFFILIATION_ROLES,
    CLINIC_GROUP_SLUG,
    CONNECTION_TYPES,
    FEED_FORMATS,
    ORG_KINDS,
    PLAN_TYPES,
    PRODUCT_TYPES,
    SERVICE_CATEGORIES,
    CoverageArea,
    Endpoint,
    HealthcareService,
    NetworkFeedDownload,
    NetworkParticipation,
    Organization,
    OrganizationAffiliation,
)
from app.models.provider import Provider, ProviderLocation, ProviderPhoto, ProviderSpecialty
from app.models.reference import InsurancePlan, Language, provider_insurance, provider_language
from app.models.report import (
    OPEN_STATUSES,
    REPORT_REASONS,
    REPORT_STATUSES,
    VERIFY_METHODS,
    ListingReport,
    Verification,
)
from app.models.roster_job import JOB_STATES, RosterChange, RosterUpload
from app.models.security import RecoveryCode, UserSession, WebAuthnCredential
from app.models.specialty import CarePath, CarePathSpecialty, HealthCondition, Specialty
from app.models.user import ROLES, LoginAttempt, User

__all__ = [
    "ACCESSIBILITY_FEATURES",
    "AFFILIATION_ROLES",
    "CLINIC_GROUP_SLUG",
    "CONNECTION_TYPES",
    "CONTENT_KINDS",
    "FEED_FORMATS",
    "FINDING_KINDS",
    "JOB_STATES",
    "OPEN_STATUSES",
    "ORG_KINDS",
    "PLAN_TYPES",
    "PRODUCT_TYPES",
    "REPORT_REASONS",
    "REPORT_STATUSES",
    "ROLES",
    "SERVICE_CATEGORIES",
    "VERIFY_METHODS",
    "WALK_IN_KINDS",
    "WEEKDAYS",
    "WEEKDAY_NAMES",
    "AuditEvent",
    "CarePath",
    "CarePathSpecialty",
    "ContentPage",
    "CoverageArea",
    "Endpoint",
    "Finding",
    "HealthCondition",
    "HealthcareService",
    "InsurancePlan",
    "Language",
    "ListingReport",
    "Location",
    "LocationHours",
    "LocationPhoneHours",
    "LocationWalkInHours",
    "LoginAttempt",
    "NetworkFeedDownload",
    "NetworkParticipation",
    "Organization",
    "OrganizationAffiliation",
    "Provider",
    "ProviderLocation",
    "ProviderPhoto",
    "ProviderSpecialty",
    "RecoveryCode",
    "RosterChange",
    "RosterUpload",
    "SearchOutbox",
    "Specialty",
    "User",
    "UserSession",
    "Verification",
    "WebAuthnCredential",
    "now_utc",
    "provider_insurance",
    "provider_language",
    "state_time_zone",
]
