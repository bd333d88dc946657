"""What the public may see: the directory's one visibility rule.

* A clinic is public when it is active.
* A provider's listing is public when the provider is active **and** practises at at
  least one public clinic. A provider whose only clinics are all deactivated is hidden
  exactly as a deactivated provider is (404, never indexed, in no sitemap or API).
* A public listing shows only its public clinics: a deactivated clinic is left out of its
  cards, profile, JSON-LD, API and FHIR resources.

Every public surface (search index and result cards, typeahead, profile page and photo,
JSON-LD, clinic and specialty pages, sitemap, JSON API, FHIR) asks these functions, in SQL
or in Python, and nothing else; staff pages, counts for staff and the roster export see
everything. The module sits beside the models so the search package, which imports no
services, uses the same rule. Deactivating or reactivating a clinic writes an outbox row for
each of its providers (``app.services.locations``), so the index follows at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, FromClause, Select, and_, exists, literal_column, select
from sqlalchemy.engine import Dialect

from app.models.base import now_utc
from app.models.location import Location
from app.models.provider import Provider, ProviderLocation

# Core tables, not the mapped classes: the search package's first query of a restarted
# worker (the result page's still-public read) then never waits for the ORM's mappers.
_PROVIDER = Provider.__table__
_LINK = ProviderLocation.__table__
_CLINIC = Location.__table__
# Compiled still-public checks per dialect name: (listings SELECT, clinics SELECT).
_compiled: dict[str, tuple[str, str]] = {}


def public_clinic(clinic: FromClause = _CLINIC) -> ColumnElement[bool]:
    """SQL: the clinic (the ``location`` table, or an alias of it) is public."""
    return clinic.c.active.is_(True)


def verified_since(now: datetime | None = None) -> datetime | None:
    """With ``HIDE_UNVERIFIED``, the oldest last-verified time a public listing may have:
    a listing overdue by more than ``VERIFY_GRACE_DAYS`` past its ``VERIFY_EVERY_DAYS``
    is hidden until it is verified again. None when the setting is off (the default)."""
    if not has_app_context() or not current_app.config["HIDE_UNVERIFIED"]:
        return None
    days = int(current_app.config["VERIFY_EVERY_DAYS"]) + int(
        current_app.config["VERIFY_GRACE_DAYS"]
    )
    return (now or now_utc()) - timedelta(days=days)


def public_listing() -> ColumnElement[bool]:
    """SQL: the provider's listing is public (active, with at least one public clinic).

    A correlated EXISTS: it costs two primary-key lookups per provider row, so a keyset
    range or a page of ids stays cheap at a million listings.
    """
    # Aliases, so a query that already joins the link and clinic tables (PractitionerRole)
    # does not correlate them away: only the provider row is the outer one.
    link, clinic = _LINK.alias("public_link"), _CLINIC.alias("public_clinic")
    at_public_clinic = (
        exists()
        .where(link.c.provider_id == _PROVIDER.c.id)
        .where(clinic.c.id == link.c.location_id)
        .where(public_clinic(clinic))
        .correlate(_PROVIDER)
    )
    rule = and_(_PROVIDER.c.active.is_(True), at_public_clinic)
    since = verified_since()
    if since is not None:
        # Naive UTC, as stored: the same text whether bound or rendered as a literal.
        rule = and_(rule, _PROVIDER.c.verified_at >= since.replace(tzinfo=None))
    return rule


def is_public_clinic(location: Location) -> bool:
    """Python: the loaded clinic is public (the same rule as ``public_clinic``)."""
    return bool(location.active)


def public_clinic_links(provider: Provider) -> list[ProviderLocation]:
    """Python: the provider's links to public clinics, in the order staff listed them."""
    return [link for link in provider.location_links if is_public_clinic(link.location)]


def is_public_listing(provider: Provider) -> bool:
    """Python: the loaded provider's listing is public (the same rule as ``public_listing``)."""
    since = verified_since()
    if since is not None and (provider.verified_at is None or provider.verified_at < since):
        return False
    return bool(provider.active) and bool(public_clinic_links(provider))


def public_ids_sql(dialect: Dialect) -> tuple[str, str]:
    """The rule as two plain SQL SELECTs for ``dialect``, each open for ``AND <more>``:
    ``SELECT 0, provider.id FROM provider WHERE <public listing>`` and
    ``SELECT 1, location.id FROM location WHERE <public clinic>``.

    For the result page's still-public check, which runs in the driver's own SQL (see
    ``app.services.directory``); compiled from the expressions above, once per dialect.
    """
    if verified_since() is not None:  # the cut-off moves with the clock: compile it each time
        return (
            _sql(select(literal_column("0"), _PROVIDER.c.id).where(public_listing()), dialect),
            _sql(select(literal_column("1"), _CLINIC.c.id).where(public_clinic()), dialect),
        )
    found = _compiled.get(dialect.name)
    if found is None:
        found = _compiled[dialect.name] = (
            _sql(select(literal_column("0"), _PROVIDER.c.id).where(public_listing()), dialect),
            _sql(select(literal_column("1"), _CLINIC.c.id).where(public_clinic()), dialect),
        )
    return found


def _sql(stmt: Select, dialect: Dialect) -> str:
    return " ".join(
        str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})).split()
    )
