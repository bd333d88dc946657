"""Clinics: create and edit with weekly hours; every provider there is re-indexed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    ACCESSIBILITY_FEATURES,
    WALK_IN_KINDS,
    Location,
    LocationHours,
    LocationPhoneHours,
    LocationWalkInHours,
    ProviderLocation,
    User,
    now_utc,
)
from app.services import audit
from app.services.clinic_services import ServiceInput, apply_services, services_summary
from app.services.geo import zip_centroid
from app.services.write import unique_slugs
from app.transaction import InvalidInput, StaleEdit, flush

LOCATION_FIELDS = (
    "name",
    "neighborhood",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
    "phone",
    "latitude",
    "longitude",
    "accessibility_notes",
    "parking_notes",
    *(name for name, _ in ACCESSIBILITY_FEATURES),
    "active",
    "walk_in",
)


@dataclass
class LocationInput:
    """A clinic as the form sends it; ``hours``, ``phone_hours`` and ``walk_in_hours`` hold
    (weekday, opens, closes) tuples; empty ``phone_hours`` means the phone is answered in
    opening hours, and a walk-in site (``walk_in``) with no ``walk_in_hours`` takes walk-ins
    whenever it is open."""

    name: str
    address_line1: str
    city: str
    state: str
    zip: str
    neighborhood: str = ""
    address_line2: str = ""
    phone: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accessibility_notes: str = ""
    parking_notes: str = ""
    wheelchair_entrance: bool = False
    accessible_parking: bool = False
    elevator: bool = False
    accessible_restroom: bool = False
    hearing_loop: bool = False
    interpreter_services: bool = False
    active: bool = True
    hours: list[tuple[int, time, time]] = field(default_factory=list)
    phone_hours: list[tuple[int, time, time]] = field(default_factory=list)
    walk_in: str = ""
    walk_in_hours: list[tuple[int, time, time]] = field(default_factory=list)
    # The services rows the form sends (``app.services.clinic_services``); None leaves the
    # clinic's services as they are.
    services: list[ServiceInput] | None = None


def _spans(rows) -> list[str]:
    return [f"{h.weekday}:{h.opens.strftime('%H:%M')}-{h.closes.strftime('%H:%M')}" for h in rows]


def location_snapshot(loc: Location) -> dict[str, Any]:
    """The clinic's fields, hours and phone-line hours as JSON-friendly values."""
    data: dict[str, Any] = {name: getattr(loc, name) for name in LOCATION_FIELDS}
    data["hours"] = _spans(loc.hours)
    data["phone_hours"] = _spans(loc.phone_hours)
    data["walk_in_hours"] = _spans(loc.walk_in_hours)
    data["services"] = services_summary(loc.id) if loc.id is not None else []
    data["version"] = loc.version
    return data


def provider_ids_at(location_id: int) -> list[int]:
    """Ids of every provider linked to a clinic."""
    stmt = select(ProviderLocation.provider_id).where(ProviderLocation.location_id == location_id)
    return list(db.session.scalars(stmt))


def _fill_coordinates(loc: Location, data: LocationInput, zip_changed: bool) -> None:
    given = data.latitude is not None and data.longitude is not None
    coords_unchanged = (data.latitude, data.longitude) == (loc.latitude, loc.longitude)
    if given and not (zip_changed and coords_unchanged):
        loc.latitude, loc.longitude = data.latitude, data.longitude
        return
    point = zip_centroid(data.zip)
    loc.latitude, loc.longitude = point if point else (data.latitude, data.longitude)


def _check_walk_in(data: LocationInput) -> None:
    """A walk-in kind we know, and walk-in hours only for a site that takes walk-ins."""
    kinds = {value for value, _ in WALK_IN_KINDS}
    if data.walk_in not in kinds:
        raise InvalidInput({"walk_in": "Choose appointments only, walk-in clinic or urgent care."})
    if data.walk_in_hours and not data.walk_in:
        raise InvalidInput(
            {
                "walk_in": "Walk-in hours are set: choose walk-in clinic or urgent care, "
                "or clear them."
            }
        )


def _apply(loc: Location, data: LocationInput) -> None:
    _check_walk_in(data)
    zip_changed = loc.zip != data.zip
    for name in LOCATION_FIELDS:
        if name not in ("latitude", "longitude"):
            setattr(loc, name, getattr(data, name))
    _fill_coordinates(loc, data, zip_changed)
    wanted = sorted(data.hours)
    current = sorted((h.weekday, h.opens, h.closes) for h in loc.hours)
    if wanted != current:
        loc.hours = [LocationHours(weekday=d, opens=o, closes=c) for d, o, c in wanted]
    wanted = sorted(data.phone_hours)
    current = sorted((h.weekday, h.opens, h.closes) for h in loc.phone_hours)
    if wanted != current:
        loc.phone_hours = [LocationPhoneHours(weekday=d, opens=o, closes=c) for d, o, c in wanted]
    wanted = sorted(data.walk_in_hours)
    current = sorted((h.weekday, h.opens, h.closes) for h in loc.walk_in_hours)
    if wanted != current:
        loc.walk_in_hours = [
            LocationWalkInHours(weekday=d, opens=o, closes=c) for d, o, c in wanted
        ]
    loc.updated_at = now_utc()


def _save(loc: Location, action: str, before: dict[str, Any] | None, actor: User | None) -> None:
    flush(loc)
    audit.record(
        action,
        "location",
        loc.id,
        actor=actor,
        before=before,
        after=location_snapshot(loc),
        summary=loc.name,
    )
    audit.enqueue("provider", provider_ids_at(loc.id))
    flush(loc)


def create_location(data: LocationInput, actor: User | None) -> Location:
    """Stage a new clinic (the caller commits); coordinates come from the ZIP when not given.
    The staff form's operation: :func:`create_locations` with one clinic."""
    return _stage_clinics([data], actor)[0]


def create_locations(items: list[LocationInput], actor: User | None) -> list[int]:
    """Stage many new clinics at once (the caller commits), returning their ids in order.

    Each is checked as the clinic form checks one and gets a unique slug, coordinates from
    its ZIP when not given, its services and an audit event holding the whole clinic; the
    batch costs one slug query and one flush. The form creates one (:func:`create_location`),
    a roster its new clinics a batch at a time. A new clinic has no providers, so nothing
    is re-indexed."""
    return [loc.id for loc in _stage_clinics(items, actor)]


def _stage_clinics(items: list[LocationInput], actor: User | None) -> list[Location]:
    """:func:`create_locations`, giving back the staged clinics themselves."""
    slugs = unique_slugs(Location, [data.name for data in items])
    locs = []
    with db.session.no_autoflush:
        for data, slug in zip(items, slugs, strict=True):
            loc = Location(slug=slug, zip="", hours=[], phone_hours=[], walk_in_hours=[])
            _apply(loc, data)
            locs.append(loc)
    db.session.add_all(locs)
    flush(locs[0] if len(locs) == 1 else None)
    for loc, data in zip(locs, items, strict=True):
        if data.services:
            apply_services(loc, data.services, actor)
    audit.record_many(
        [
            audit.event_row(
                "create", "location", loc.id, actor, after=location_snapshot(loc), summary=loc.name
            )
            for loc in locs
        ]
    )
    return locs


def update_location(
    loc: Location, data: LocationInput, expected_version: int | None, actor: User | None
) -> Location:
    """Stage a clinic edit made against ``expected_version``; re-index its providers."""
    if expected_version is not None and loc.version != expected_version:
        raise StaleEdit(loc)
    before = location_snapshot(loc)
    with db.session.no_autoflush:
        _apply(loc, data)
    if data.services is not None:
        apply_services(loc, data.services, actor)
    _save(loc, "update", before, actor)
    return loc
