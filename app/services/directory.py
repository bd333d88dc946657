"""Read-side helpers for the directory: load providers for a page of results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Location, Provider, ProviderLocation, ProviderSpecialty
from app.models.visibility import public_ids_sql, public_listing


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
# Named tuples: immutable like frozen dataclasses, and built in C (a page builds about 100
# of them; frozen dataclasses cost twice as much, through object.__setattr__ per field).


class CardSpecialty(NamedTuple):
    """A specialty as a result card shows it."""

    code: str
    display_name: str
    slug: str


class CardSpecialtyLink(NamedTuple):
    """A provider's specialty and whether it is the primary one."""

    specialty: CardSpecialty
    is_primary: bool


class CardLocation(NamedTuple):
    """A clinic as a result card shows it."""

    id: int
    slug: str
    name: str
    city: str
    state: str
    zip: str


class CardLocationLink(NamedTuple):
    """A provider at an open clinic, with the phone to call there."""

    location: CardLocation
    effective_phone: str


class CardPhoto(NamedTuple):
    """A provider's photo as a card links it: the content digest in its URL."""

    digest: str


class CardLanguage(NamedTuple):
    """A language a provider speaks."""

    code: str
    name: str


class ProviderCard(NamedTuple):
    """A provider's result card: the attributes of ``Provider`` that cards and summaries use."""

    id: int
    slug: str
    full_name: str
    credentials: str
    photo: CardPhoto | None
    initials: str
    accepting_new_patients: bool
    telehealth: bool
    specialty_links: tuple[CardSpecialtyLink, ...]
    active_location_links: tuple[CardLocationLink, ...]
    languages: tuple[CardLanguage, ...]

    @classmethod
    def from_index(cls, card: dict, open_clinics: set[int] | None = None) -> ProviderCard:
        """Build a card from the compact dict the search index stores.

        With ``open_clinics``, clinics not in it are left out (closed since indexing).
        """
        return cls(
            id=card["id"],
            slug=card["slug"],
            full_name=card["full"],
            credentials=card["cred"],
            photo=CardPhoto(card["photo"]) if card.get("photo") else None,
            initials=card.get("ini", ""),
            accepting_new_patients=card["acc"],
            telehealth=card["tel"],
            specialty_links=tuple(
                CardSpecialtyLink(CardSpecialty(code, name, slug), primary)
                for code, name, slug, primary in card["spec"]
            ),
            active_location_links=tuple(
                CardLocationLink(CardLocation(lid, slug, name, city, state, zip_), phone)
                for lid, slug, name, city, state, zip_, phone in card["locs"]
                if open_clinics is None or lid in open_clinics
            ),
            languages=tuple(CardLanguage(code, name) for code, name in card["lang"]),
        )

    @property
    def display_name(self) -> str:
        """The full name followed by credentials."""
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    @property
    def specialties(self) -> list[CardSpecialty]:
        """Specialties with the primary one first."""
        return [link.specialty for link in self.specialty_links]

    @property
    def primary_specialty(self) -> CardSpecialty | None:
        """The primary specialty, if any."""
        for link in self.specialty_links:
            if link.is_primary:
                return link.specialty
        return self.specialty_links[0].specialty if self.specialty_links else None


def cards_for(hits: Sequence) -> list[tuple[object, ProviderCard | Provider]]:
    """Pair each search hit with its card, in rank order.

    Cards come from the index; a hit without one (an index built before cards) falls back
    to one batched ORM load, so a page never mixes in a missing provider.
    """
    missing = [h.provider_id for h in hits if not h.card]
    rows = {p.id: p for p in load_providers(missing)} if missing else {}
    carded = [h for h in hits if h.card]
    # One small indexed read keeps a listing or clinic hidden a moment ago (or hidden by a
    # write that skipped the outbox) off the page until the index catches up.
    listed, open_clinics = _still_active(
        [h.provider_id for h in carded], [loc[0] for h in carded for loc in h.card["locs"]]
    )
    out: list[tuple[object, ProviderCard | Provider]] = []
    for hit in hits:
        if hit.card and hit.provider_id in listed:
            out.append((hit, ProviderCard.from_index(hit.card, open_clinics)))
        elif hit.provider_id in rows:
            out.append((hit, rows[hit.provider_id]))
    return out


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
