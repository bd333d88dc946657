"""Read service for the FHIR API: public listings found by FHIR search parameters.

Only public listings and public clinics are ever returned, by the one rule in
``app.models.visibility``: a Practitioner is served only while the provider is active and
practises at at least one active clinic, a PractitionerRole or Location never names a
deactivated clinic. A PractitionerRole is one provider practising at one clinic,
identified as ``<provider id>-<location id>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select, true
from sqlalchemy.orm import contains_eager, selectinload

from app.converters import MAX_ID
from app.extensions import db
from app.fhir.params import Clause, Near, SearchRequest, parse_token, reference_id
from app.models import Location, Provider, ProviderLocation, ProviderSpecialty, Specialty
from app.models.visibility import public_clinic, public_listing
from app.services.directory import provider_load_options
from app.services.geo import haversine_miles

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
NUCC_SYSTEM = "http://nucc.org/provider-taxonomy"
ORGANIZATION_ID = "clinic-group"
ROLE_ID_RE = re.compile(r"^([0-9]{1,10})-([0-9]{1,10})$")


def parse_id(value: str) -> int | None:
    """A database id from a FHIR id, or None when it cannot be one of ours."""
    if value.isascii() and value.isdigit() and len(value) <= 10 and 1 <= int(value) <= MAX_ID:
        return int(value)
    return None


def parse_role_id(value: str) -> tuple[int, int] | None:
    """(provider id, location id) from a PractitionerRole id such as ``12-3``."""
    match = ROLE_ID_RE.match(value)
    if not match:
        return None
    pid, lid = parse_id(match.group(1)), parse_id(match.group(2))
    return (pid, lid) if pid and lid else None


def _like(value: str) -> str:
    return value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _string(columns: Sequence[Any], clause: Clause) -> Any:
    """FHIR string matching on any of the columns: starts-with (default), contains or exact."""
    conds = []
    for value in clause.values:
        for col in columns:
            if clause.modifier == "exact":
                conds.append(col == value)
            elif clause.modifier == "contains":
                conds.append(func.lower(col).like(f"%{_like(value)}%", escape="\\"))
            else:
                conds.append(func.lower(col).like(f"{_like(value)}%", escape="\\"))
    return or_(*conds)


def _ids(clause: Clause, target: str | None = None) -> list[int]:
    out = []
    for value in clause.values:
        raw = reference_id(value, target) if target else value
        found = parse_id(raw) if raw is not None else None
        if found is not None:
            out.append(found)
    return out


def _page(stmt: Select, req: SearchRequest, order: Sequence[Any]) -> tuple[int, list]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if req.count == 0 or req.offset >= (total or 0):
        return total or 0, []
    rows = db.session.scalars(stmt.order_by(*order).offset(req.offset).limit(req.count))
    return total or 0, list(rows.unique())


# --- Practitioner ---------------------------------------------------------------------


def _practitioner_condition(clause: Clause) -> Any:
    p = Provider
    if clause.name == "_id":
        return p.id.in_(_ids(clause))
    if clause.name == "family":
        return _string([p.last_name], clause)
    if clause.name == "given":
        return _string([p.first_name, p.middle_name], clause)
    if clause.name == "name":
        full = p.first_name + " " + p.last_name
        full_middle = p.first_name + " " + p.middle_name + " " + p.last_name
        cols = [p.first_name, p.middle_name, p.last_name, p.suffix, full, full_middle]
        return _string(cols, clause)
    if clause.name == "identifier":
        conds = []
        for value in clause.values:
            system, code = parse_token(value)
            if system not in (None, NPI_SYSTEM):
                continue
            conds.append(p.npi == code if code else p.npi.is_not(None))
        return or_(*conds) if conds else false()
    raise ValueError(clause.name)


def search_practitioners(req: SearchRequest) -> tuple[int, list[Provider]]:
    """Publicly listed providers matching every clause, ordered by id."""
    stmt = select(Provider).where(public_listing())
    for clause in req.clauses:
        stmt = stmt.where(_practitioner_condition(clause))
    return _page(stmt.options(*provider_load_options()), req, [Provider.id])


def get_practitioner(fhir_id: str) -> Provider | None:
    """One publicly listed provider by FHIR id."""
    found = parse_id(fhir_id)
    if found is None:
        return None
    return db.session.scalar(
        select(Provider)
        .where(Provider.id == found, public_listing())
        .options(*provider_load_options())
    )


def practitioners_by_ids(ids: Sequence[int]) -> list[Provider]:
    """Publicly listed providers by id (for ``_include``)."""
    if not ids:
        return []
    stmt = select(Provider).where(Provider.id.in_(list(ids)), public_listing())
    return list(db.session.scalars(stmt.options(*provider_load_options()).order_by(Provider.id)))


# --- PractitionerRole -----------------------------------------------------------------


def _role_condition(clause: Clause) -> Any:
    pl, loc = ProviderLocation, Location
    if clause.name == "_id":
        pairs = [found for v in clause.values if (found := parse_role_id(v))]
        return or_(false(), *(and_(pl.provider_id == a, pl.location_id == b) for a, b in pairs))
    if clause.name == "practitioner":
        return pl.provider_id.in_(_ids(clause, "Practitioner"))
    if clause.name == "location":
        return pl.location_id.in_(_ids(clause, "Location"))
    if clause.name == "organization":
        wanted = {reference_id(v, "Organization") for v in clause.values}
        return true() if ORGANIZATION_ID in wanted else false()
    if clause.name == "specialty":
        codes = []
        for value in clause.values:
            system, code = parse_token(value)
            if system in (None, NUCC_SYSTEM) and code:
                codes.append(code.upper())
        with_specialty = (
            select(ProviderSpecialty.provider_id)
            .join(Specialty, Specialty.id == ProviderSpecialty.specialty_id)
            .where(Specialty.code.in_(codes))
        )
        return pl.provider_id.in_(with_specialty)
    column = {
        "location.address-postalcode": loc.zip,
        "location.address-city": loc.city,
        "location.address-state": loc.state,
    }[clause.name]
    return _string([column], clause)


def _roles_select() -> Select:
    return (
        select(ProviderLocation)
        .join(Provider, Provider.id == ProviderLocation.provider_id)
        .join(Location, Location.id == ProviderLocation.location_id)
        .where(public_listing(), public_clinic())
        .options(
            contains_eager(ProviderLocation.location).selectinload(Location.hours),
            contains_eager(ProviderLocation.provider).selectinload(Provider.specialty_links),
        )
    )


def search_roles(req: SearchRequest) -> tuple[int, list[ProviderLocation]]:
    """Active provider-at-clinic links matching every clause, ordered by id."""
    stmt = _roles_select()
    for clause in req.clauses:
        stmt = stmt.where(_role_condition(clause))
    order = [ProviderLocation.provider_id, ProviderLocation.location_id]
    return _page(stmt, req, order)


def get_role(fhir_id: str) -> ProviderLocation | None:
    """One active provider-at-clinic link by its PractitionerRole id."""
    pair = parse_role_id(fhir_id)
    if pair is None:
        return None
    stmt = _roles_select().where(
        ProviderLocation.provider_id == pair[0], ProviderLocation.location_id == pair[1]
    )
    return db.session.scalars(stmt).unique().first()


# --- Location -------------------------------------------------------------------------


def _location_condition(clause: Clause) -> Any:
    loc = Location
    if clause.name == "_id":
        return loc.id.in_(_ids(clause))
    columns = {
        "name": [loc.name],
        "address": [loc.address_line1, loc.address_line2, loc.city, loc.state, loc.zip],
        "address-city": [loc.city],
        "address-state": [loc.state],
        "address-postalcode": [loc.zip],
    }[clause.name]
    return _string(columns, clause)


def _within(locations: list[Location], near: Near) -> list[Location]:
    return [
        loc
        for loc in locations
        if loc.latitude is not None
        and loc.longitude is not None
        and haversine_miles(near.lat, near.lon, loc.latitude, loc.longitude) <= near.miles
    ]


def search_locations(req: SearchRequest) -> tuple[int, list[Location]]:
    """Public clinics matching every clause (and within ``near``), ordered by id."""
    stmt = select(Location).where(public_clinic())
    for clause in req.clauses:
        stmt = stmt.where(_location_condition(clause))
    stmt = stmt.options(selectinload(Location.hours), selectinload(Location.phone_hours))
    if req.near is None:
        return _page(stmt, req, [Location.id])
    # Clinics are few: filter by great-circle distance here, then page.
    matches = _within(list(db.session.scalars(stmt.order_by(Location.id))), req.near)
    return len(matches), matches[req.offset : req.offset + req.count]


def get_location(fhir_id: str) -> Location | None:
    """One public clinic by FHIR id."""
    found = parse_id(fhir_id)
    if found is None:
        return None
    return db.session.scalar(
        select(Location)
        .where(Location.id == found, public_clinic())
        .options(selectinload(Location.hours), selectinload(Location.phone_hours))
    )


def locations_by_ids(ids: Sequence[int]) -> list[Location]:
    """Public clinics by id (for ``_include``)."""
    if not ids:
        return []
    stmt = select(Location).where(Location.id.in_(list(ids)), public_clinic())
    stmt = stmt.options(selectinload(Location.hours), selectinload(Location.phone_hours)).order_by(
        Location.id
    )
    return list(db.session.scalars(stmt))


def organization_last_updated() -> Any:
    """When any clinic last changed (the Organization's ``meta.lastUpdated``); a clinic
    deactivated leaves the group too, so hidden clinics count here."""
    return db.session.scalar(select(func.max(Location.updated_at)))
