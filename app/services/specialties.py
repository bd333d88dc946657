"""Specialties: staff edit the lay synonyms that search understands."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import ProviderSpecialty, Specialty, User
from app.services import audit
from app.transaction import StaleEdit, flush

MAX_SYNONYM_LENGTH = 80


def provider_ids_with(specialty_id: int) -> list[int]:
    """Ids of every provider listed with a specialty."""
    stmt = select(ProviderSpecialty.provider_id).where(
        ProviderSpecialty.specialty_id == specialty_id
    )
    return list(db.session.scalars(stmt))


def update_synonyms(
    spec: Specialty, synonyms: list[str], expected_version: int | None, actor: User | None
) -> Specialty:
    """Stage new lay synonyms for a specialty and queue every provider with it for search."""
    if expected_version is not None and spec.version != expected_version:
        raise StaleEdit(spec)
    before = {"synonyms": list(spec.synonyms or []), "version": spec.version}
    spec.synonyms = list(dict.fromkeys(s.strip() for s in synonyms if s.strip()))
    flush(spec)
    audit.record(
        "update",
        "specialty",
        spec.id,
        actor=actor,
        before=before,
        after={"synonyms": spec.synonyms, "version": spec.version},
        summary=spec.display_name,
    )
    audit.enqueue("provider", provider_ids_with(spec.id))
    flush(spec)
    return spec
