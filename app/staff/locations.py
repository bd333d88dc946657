"""Clinics: list, create and edit with weekly hours (versioned)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import ACCESSIBILITY_FEATURES, WEEKDAY_NAMES, Location, ProviderLocation
from app.services.clinic_services import ServiceInput, active_services
from app.services.locations import (
    LOCATION_FIELDS,
    LocationInput,
    create_location,
    update_location,
)
from app.staff import bp
from app.staff.forms import LocationForm
from app.staff.provider_form import parse_version
from app.staff.service_forms import fill_services, services_from, set_choices
from app.transaction import InvalidInput, StaleEdit, perform, unit_of_work

ENDS = ("opens", "closes")


@bp.get("/locations")
def location_list() -> str:
    """List clinics with how many providers practise at each."""
    counts = dict(
        db.session.execute(
            select(ProviderLocation.location_id, func.count()).group_by(
                ProviderLocation.location_id
            )
        ).all()
    )
    locations = db.session.scalars(select(Location).order_by(Location.name)).all()
    return render_template("staff/locations/list.html", locations=locations, counts=counts)


def _fill(form: LocationForm, loc: Location) -> None:
    for name in LOCATION_FIELDS:
        getattr(form, name).data = getattr(loc, name)
    slots: dict[int, int] = {}
    for h in loc.hours:
        slot = slots[h.weekday] = slots.get(h.weekday, 0) + 1
        if slot <= 2:
            getattr(form, LocationForm.hour_field(h.weekday, slot, "opens")).data = h.opens
            getattr(form, LocationForm.hour_field(h.weekday, slot, "closes")).data = h.closes
    for h in loc.phone_hours:
        getattr(form, LocationForm.phone_field(h.weekday, "opens")).data = h.opens
        getattr(form, LocationForm.phone_field(h.weekday, "closes")).data = h.closes
    for h in loc.walk_in_hours:
        getattr(form, LocationForm.walk_in_field(h.weekday, "opens")).data = h.opens
        getattr(form, LocationForm.walk_in_field(h.weekday, "closes")).data = h.closes
    fill_services(form.services, active_services(loc))
    form.version.data = str(loc.version)


def _interval(opens, closes, name: str) -> tuple | None:
    """(opens, closes) from two time fields, None when both are empty; errors go on the fields."""
    if opens.data is None and closes.data is None:
        return None
    if opens.data is None or closes.data is None:
        target = opens if opens.data is None else closes
        target.errors = [*target.errors, f"Give both times for {name}, or neither."]
        return None
    if closes.data <= opens.data:
        closes.errors = [*closes.errors, f"On {name} the closing time must be later."]
        return None
    return opens.data, closes.data


def _hours(form: LocationForm) -> list[tuple]:
    """Opening intervals from the form; adds errors to incomplete or backwards rows."""
    hours = []
    for day, name in enumerate(WEEKDAY_NAMES):
        for slot in (1, 2):
            opens = getattr(form, LocationForm.hour_field(day, slot, "opens"))
            closes = getattr(form, LocationForm.hour_field(day, slot, "closes"))
            if span := _interval(opens, closes, name):
                hours.append((day, *span))
    return hours


def _daily(form: LocationForm, name_of) -> list[tuple]:
    """One interval per weekday from the fields ``name_of(day, end)`` names."""
    hours = []
    for day, name in enumerate(WEEKDAY_NAMES):
        opens = getattr(form, name_of(day, "opens"))
        closes = getattr(form, name_of(day, "closes"))
        if span := _interval(opens, closes, name):
            hours.append((day, *span))
    return hours


def _phone_hours(form: LocationForm) -> list[tuple]:
    """Phone-line intervals (one per weekday) from the form."""
    return _daily(form, LocationForm.phone_field)


def _walk_in_hours(form: LocationForm) -> list[tuple]:
    """Walk-in intervals (one per weekday); only a walk-in or urgent-care site keeps them."""
    hours = _daily(form, LocationForm.walk_in_field)
    if hours and not form.walk_in.data:
        form.walk_in.errors = [
            *form.walk_in.errors,
            "Walk-in hours are set: choose walk-in clinic or urgent care, or clear them.",
        ]
    return hours


def _input(
    form: LocationForm, hours: list[tuple], phone_hours: list[tuple], services: list[ServiceInput]
) -> LocationInput:
    """The service's input from a validated form (walk-in hours read again, error-free)."""
    return LocationInput(
        name=form.name.data.strip(),
        neighborhood=(form.neighborhood.data or "").strip(),
        address_line1=form.address_line1.data.strip(),
        address_line2=(form.address_line2.data or "").strip(),
        city=form.city.data.strip(),
        state=form.state.data.strip().upper(),
        zip=form.zip.data.strip(),
        phone=form.phone.data or "",
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        accessibility_notes=(form.accessibility_notes.data or "").strip(),
        parking_notes=(form.parking_notes.data or "").strip(),
        **{name: bool(getattr(form, name).data) for name, _ in ACCESSIBILITY_FEATURES},
        active=form.active.data,
        hours=hours,
        phone_hours=phone_hours,
        walk_in=form.walk_in.data or "",
        walk_in_hours=_daily(form, LocationForm.walk_in_field),
        services=services,
    )


def _service_errors(form: LocationForm, problem: str = "") -> list[tuple[str, str]]:
    """The error summary's lines for the service rows (their errors are set by hand)."""
    found = [("services", problem)] if problem else []
    for entry in form.services:
        found += [(f.id, f.errors[0]) for f in entry.form if f.errors]
    return found


def _first(exc: InvalidInput) -> str:
    return next(iter(exc.errors.values()))


def _render(form, loc, status=200, conflict=None, problem=""):
    set_choices(form.services)
    html = render_template(
        "staff/locations/form.html",
        form=form,
        location=loc,
        weekdays=list(enumerate(WEEKDAY_NAMES)),
        hour_field=LocationForm.hour_field,
        phone_field=LocationForm.phone_field,
        walk_in_field=LocationForm.walk_in_field,
        features=ACCESSIBILITY_FEATURES,
        conflict=conflict,
        service_errors=_service_errors(form, problem),
    )
    return html, status


def _valid(form: LocationForm) -> tuple[bool, list, list, list | None]:
    valid = form.validate()
    services = services_from(form.services)
    hours, phone_hours = _hours(form), _phone_hours(form)
    _walk_in_hours(form)
    names = [LocationForm.hour_field(d, s, e) for d in range(7) for s in (1, 2) for e in ENDS]
    names += [LocationForm.phone_field(d, e) for d in range(7) for e in ENDS]
    names += [LocationForm.walk_in_field(d, e) for d in range(7) for e in ENDS] + ["walk_in"]
    has_hour_errors = any(getattr(form, name).errors for name in names)
    return valid and not has_hour_errors and services is not None, hours, phone_hours, services


@bp.route("/locations/new", methods=["GET", "POST"])
def location_new() -> ResponseReturnValue:
    """Create a clinic; coordinates come from the ZIP when left blank."""
    form = LocationForm()
    if request.method == "GET":
        form.active.data = True
        fill_services(form.services, [])
        return _render(form, None)
    ok, hours, phone_hours, services = _valid(form)
    if not ok:
        return _render(form, None, 422)
    data = _input(form, hours, phone_hours, services)
    try:
        loc = perform(lambda: create_location(data, current_user))
    except InvalidInput as exc:
        return _render(form, None, 422, problem=_first(exc))
    flash(f"Created {loc.name}.", "info")
    return redirect(url_for(".location_edit", location_id=loc.id))


@bp.route("/locations/<id:location_id>/edit", methods=["GET", "POST"])
def location_edit(location_id: int) -> ResponseReturnValue:
    """Edit a clinic; a save against an old version answers 409 and keeps the input."""
    loc = db.get_or_404(Location, location_id)
    form = LocationForm()
    if request.method == "GET":
        _fill(form, loc)
        return _render(form, loc)
    version = parse_version(form.version.data)
    if version is None:
        abort(400, "The form is missing its version number. Reload the page and try again.")
    ok, hours, phone_hours, services = _valid(form)
    if not ok:
        return _render(form, loc, 422)
    data = _input(form, hours, phone_hours, services)
    try:
        with unit_of_work():
            update_location(loc, data, version, current_user)
    except StaleEdit as exc:
        form.version.data = str(exc.current.version)
        return _render(form, exc.current, 409, conflict=True)
    except InvalidInput as exc:
        return _render(form, db.session.get(Location, location_id), 422, problem=_first(exc))
    flash(f"Saved {loc.name}. Its providers' listings are being updated in search.", "info")
    return redirect(url_for(".location_edit", location_id=loc.id))
