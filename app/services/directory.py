"""Read-side helpers for the directory: load providers for a page of results."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Location, Provider, ProviderLocation, ProviderSpecialty
from app.models.visibility import public_ids_sql, public_listing
from app.search.interface import Card, Hit


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


def load_providers(ids: Sequence[int], *, public_only: bool = True) -> list[Provider]:
    """Load providers by id in the given order, skipping missing (or not public) ones."""
    if not ids:
        return []
    stmt = select(Provider).where(Provider.id.in_(list(ids))).options(*provider_load_options())
    if public_only:
        stmt = stmt.where(public_listing())
    by_id = {p.id: p for p in db.session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]


def get_public_provider_by_slug(slug: str) -> Provider | None:
    """A publicly listed provider by slug, with everything a profile shows."""
    stmt = (
        select(Provider)
        .where(Provider.slug == slug, public_listing())
        .options(*provider_load_options())
    )
    return db.session.scalar(stmt)


# -- result cards: what a search result shows, read from the index instead of the ORM --------


def cards_for(hits: Sequence[Hit]) -> list[tuple[Hit, Card]]:
    """Pair each search hit with its card, in rank order.

    One small indexed read keeps a listing or clinic hidden a moment ago (or hidden by a
    write that skipped the outbox) off the page until the index catches up.
    """
    listed, open_clinics = _still_active(
        [h.provider_id for h in hits],
        [link.location.id for h in hits for link in h.card.active_location_links],
    )
    return [(hit, hit.card.at_clinics(open_clinics)) for hit in hits if hit.provider_id in listed]


def _still_active_sql(dialect: Dialect, placeholder: str, providers: int, clinics: int) -> str:
    """One round trip for both questions, with a placeholder per id: the visibility
    rule's own SELECTs (``app.models.visibility``), narrowed to the given ids."""

    def marks(count: int) -> str:
        return ", ".join([placeholder] * count)

    listings, clinics_sql = public_ids_sql(dialect)
    # The SELECTs are compiled from the models; every value is a placeholder.
    return (
        f"{listings} AND {Provider.__table__.name}.id IN ({marks(providers)}) "
        f"UNION ALL {clinics_sql} AND {Location.__table__.name}.id IN ({marks(clinics)})"
    )


def _still_active(provider_ids: list[int], clinic_ids: list[int]) -> tuple[set[int], set[int]]:
    """(providers still publicly listed, clinics still public) among the given ids.

    Plain SQL with the driver's own placeholders: a page asks this on every search, and
    SQLAlchemy's statement building for expanding IN lists cost more than the query itself.
    Still run through the session's connection, so its errors are
    SQLAlchemy's (an outage answers 503 like any other query).
    """
    if not provider_ids:
        return set(), set()
    providers = sorted({int(i) for i in provider_ids})
    clinics = sorted({int(i) for i in clinic_ids}) or [-1]
    connection = db.session.connection()
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = _still_active_sql(connection.dialect, placeholder, len(providers), len(clinics))
    found: tuple[set[int], set[int]] = (set(), set())
    for kind, ident in connection.exec_driver_sql(sql, (*providers, *clinics)):
        found[kind].add(ident)
    return found
