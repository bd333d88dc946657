"""The data model: one module per aggregate."""

from app.models.audit import AuditEvent, SearchOutbox
from app.models.base import now_utc
from app.models.location import WEEKDAY_NAMES, WEEKDAYS, Location, LocationHours
from app.models.provider import Provider, ProviderLocation, ProviderSpecialty
from app.models.reference import InsurancePlan, Language, provider_insurance, provider_language
from app.models.specialty import CarePath, CarePathSpecialty, HealthCondition, Specialty
from app.models.user import ROLES, LoginAttempt, User

__all__ = [
    "ROLES",
    "WEEKDAYS",
    "WEEKDAY_NAMES",
    "AuditEvent",
    "CarePath",
    "CarePathSpecialty",
    "HealthCondition",
    "InsurancePlan",
    "Language",
    "Location",
    "LocationHours",
    "LoginAttempt",
    "Provider",
    "ProviderLocation",
    "ProviderSpecialty",
    "SearchOutbox",
    "Specialty",
    "User",
    "now_utc",
    "provider_insurance",
    "provider_language",
]
