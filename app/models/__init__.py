"""The data model: one module per aggregate."""

from app.models.audit import AuditEvent, SearchOutbox
from app.models.base import now_utc
from app.models.finding import FINDING_KINDS, Finding
from app.models.location import WEEKDAY_NAMES, WEEKDAYS, Location, LocationHours
from app.models.provider import Provider, ProviderLocation, ProviderSpecialty
from app.models.reference import InsurancePlan, Language, provider_insurance, provider_language
from app.models.roster_job import JOB_STATES, RosterUpload
from app.models.specialty import CarePath, CarePathSpecialty, Specialty
from app.models.user import ROLES, LoginAttempt, User

__all__ = [
    "FINDING_KINDS",
    "JOB_STATES",
    "ROLES",
    "WEEKDAYS",
    "WEEKDAY_NAMES",
    "AuditEvent",
    "CarePath",
    "CarePathSpecialty",
    "Finding",
    "InsurancePlan",
    "Language",
    "Location",
    "LocationHours",
    "LoginAttempt",
    "Provider",
    "ProviderLocation",
    "ProviderSpecialty",
    "RosterUpload",
    "SearchOutbox",
    "Specialty",
    "User",
    "now_utc",
    "provider_insurance",
    "provider_language",
]
