"""The wanted state of roster listings: what an import would create or change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.services.roster_rows import RowError

ClinicRef = int | tuple[str, str]  # an existing clinic id, or the key of a clinic to create
SCALARS = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "credentials",
    "npi",
    "gender",
    "bio",
)
FLAGS = (
    "accepting_new_patients",
    "telehealth",
    "sees_children",
    "sees_adults",
    "sees_older_adults",
)
# ``;``-separated detail cells, parsed into the lists the listing stores.
DETAILS = ("board_certifications", "education", "hospital_affiliations")


@dataclass
class ProviderChange:
    """The wanted state of one listing; ``None`` collections mean "leave as is"."""

    line: int
    provider_id: int | None
    fields: dict[str, Any]
    specialty_ids: list[int] | None = None
    clinics: list[tuple[ClinicRef, str]] | None = None
    language_ids: list[int] | None = None
    plan_ids: list[int] | None = None
    changed: bool = True
    codes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything an import would do, plus the rows it rejects."""

    changes: list[ProviderChange] = field(default_factory=list)
    new_clinics: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    new_languages: dict[str, str] = field(default_factory=dict)  # code -> English name
    errors: list[RowError] = field(default_factory=list)
