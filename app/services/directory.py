"""Read-side helpers for the directory: load providers for a page of results."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Location, Provider, ProviderLocation, ProviderSpecialty


def provider_load_options() -> list:
    """Eager-load options so a results page renders in a fixed number of queries."""
    return [
        selectinload(Provider.specialty_links).joinedload(ProviderSpecialty.specialty),
        selectinload(Provider.location_links)
        .joinedload(ProviderLocation.location)
        .selectinload(Location.hours),
        selectinload(Provider.location_links)
        .joinedload(ProviderLocation.location)
        .selectinload(Location.phone_hours),
        selectinload(Provider.languages),
        selectinload(Provider.photo),
        selectinload(Provider.insurance_plans),
    ]


def load_providers(ids: Sequence[int], *, active_only: bool = True) -> list[Provider]:
    """Load providers by id in the given order, skipping missing (or inactive) ones."""
    if not ids:
        return []
    stmt = select(Provider).where(Provider.id.in_(list(ids))).options(*provider_load_options())
    if active_only:
        stmt = stmt.where(Provider.active.is_(True))
    by_id = {p.id: p for p in db.session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]


def get_active_provider_by_slug(slug: str) -> Provider | None:
    """An active provider by slug, with everything a profile shows."""
    stmt = (
        select(Provider)
        .where(Provider.slug == slug, Provider.active.is_(True))
        .options(*provider_load_options())
    )
    return db.session.scalar(stmt)
