"""The wanted state of roster listings: what an import would create or change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    InsurancePlan,
    Language,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    now_utc,
)
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
FLAGS = ("accepting_new_patients", "telehealth")


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

    def provider_row(self) -> dict[str, Any]:
        """Column values for inserting a new provider."""
        row = {
            "middle_name": "",
            "suffix": "",
            "credentials": "",
            "gender": None,
            "bio": "",
            "npi": None,
            "accepting_new_patients": True,
            "telehealth": False,
        }
        row.update({k: v for k, v in self.fields.items() if v is not None or k == "gender"})
        row["npi"] = row["npi"] or None
        row["gender"] = row["gender"] or None
        return row

    def snapshot(self) -> dict[str, Any]:
        """What the audit log stores for a created listing."""
        return {**self.provider_row(), **self.codes}

    def apply_to(self, p: Provider, loc_id: Callable[[ClinicRef], int]) -> None:
        """Set the wanted state on a loaded provider, keeping link rows that stay."""
        for name, value in self.fields.items():
            if name in ("npi", "gender"):
                value = value or None
            setattr(p, name, value)
        if self.specialty_ids is not None:
            old = {link.specialty_id: link for link in p.specialty_links}
            p.specialty_links = [
                _relink(old.get(sid) or ProviderSpecialty(specialty_id=sid), i == 0, i)
                for i, sid in enumerate(self.specialty_ids)
            ]
        if self.clinics is not None:
            old_locs = {link.location_id: link for link in p.location_links}
            links = []
            for i, (ref, phone) in enumerate(self.clinics):
                link = old_locs.get(loc_id(ref)) or ProviderLocation(location_id=loc_id(ref))
                link.phone, link.position = phone, i
                links.append(link)
            p.location_links = links
        if self.language_ids is not None:
            p.languages = list(
                db.session.scalars(select(Language).where(Language.id.in_(self.language_ids)))
            )
        if self.plan_ids is not None:
            p.insurance_plans = list(
                db.session.scalars(select(InsurancePlan).where(InsurancePlan.id.in_(self.plan_ids)))
            )
        # Link-only changes must still bump the version, so a concurrent staff save is refused.
        p.updated_at = now_utc()


def _relink(link: ProviderSpecialty, primary: bool, position: int) -> ProviderSpecialty:
    link.is_primary, link.position = primary, position
    return link


@dataclass
class Plan:
    """Everything an import would do, plus the rows it rejects."""

    changes: list[ProviderChange] = field(default_factory=list)
    new_clinics: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    new_languages: dict[str, str] = field(default_factory=dict)  # code -> English name
    errors: list[RowError] = field(default_factory=list)
