"""The wanted state of roster listings: what an import would create or change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.services.roster.read import RowError

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
    "bio_es",
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


# What each changeable column is called on the listing (``ProviderInput``) when it differs.
LISTING_KEYS = {
    "specialties": "specialty_ids",
    "clinics": "clinics",
    "languages": "language_ids",
    "insurance": "plan_ids",
    "networks": "networks",
}


@dataclass
class FieldChange:
    """One value an import changes on one listing, as staff read it: column, old and new."""

    column: str
    old: str
    new: str

    @property
    def cleared(self) -> bool:
        """True when the import empties a value that was set."""
        return bool(self.old) and not self.new

    @property
    def key(self) -> str:
        """The listing attribute this column sets (``languages`` -> ``language_ids``)."""
        return LISTING_KEYS.get(self.column, self.column)


@dataclass
class ProviderChange:
    """The wanted state of one listing; ``None`` collections mean "leave as is"."""

    line: int
    provider_id: int | None
    fields: dict[str, Any]
    specialty_ids: list[int] | None = None
    clinics: list[tuple[ClinicRef, str | None]] | None = None
    language_ids: list[int] | None = None
    plan_ids: list[int] | None = None
    # Per clinic, the networks a ``networks`` cell asks for (None: the cell keeps them);
    # None when the file has no ``networks`` column.
    networks: dict[ClinicRef, dict[int, bool] | None] | None = None
    # The whole participation the listing will have (set once the listing is loaded).
    participation: dict[ClinicRef, dict[int, bool]] | None = None
    codes: dict[str, list[str]] = field(default_factory=dict)
    name: str = ""
    diffs: list[FieldChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True for a new listing, or an existing one whose values the import changes."""
        return self.provider_id is None or bool(self.diffs)


@dataclass
class Plan:
    """Everything an import would do, plus the rows it rejects."""

    changes: list[ProviderChange] = field(default_factory=list)
    new_clinics: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    new_languages: dict[str, str] = field(default_factory=dict)  # code -> English name
    errors: list[RowError] = field(default_factory=list)
