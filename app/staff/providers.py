"""Provider listings: list, create, edit (409 on stale saves), history, quick actions."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import exists, select

from app.extensions import db
from app.models import AuditEvent, Location, Provider, Specialty
from app.parsing.languages import picker_names
from app.services import photos
from app.services import providers as service
from app.staff import bp
from app.staff.args import int_arg, page_arg
from app.staff.forms import ActionForm, ProviderForm
from app.staff.paging import capped_page
from app.staff.provider_form import (
    fill_from,
    find_clinics,
    network_choices,
    parse_version,
    set_choices,
    shown_networks,
    submitted_networks,
    submitted_phones,
    to_input,
)
from app.staff.provider_photo import photo_note, read_upload
from app.staff.routes import safe_next
from app.transaction import InvalidInput, StaleEdit, perform, unit_of_work

PER_PAGE = 25


def _flag(name: str) -> bool | None:
    return {"yes": True, "no": False}.get(request.args.get(name, ""))


def _clinic_filter() -> tuple[Location | None, str, list[Location]]:
    """The clinic to filter by: ``clinic`` (an id), or the one ``clinic_q`` names.

    Returns (clinic, the text typed, other clinics matching it when it named several).
    """
    text = request.args.get("clinic_q", "").strip()[:100]
    chosen = int_arg("clinic")
    if chosen:
        return db.session.get(Location, chosen), text, []
    if not text:
        return None, "", []
    found = find_clinics(text)
    exact = [c for c in found if c.name.lower() == text.lower()]
    if len(found) == 1 or len(exact) == 1:
        return (exact or found)[0], text, []
    return None, text, found


@bp.get("/providers")
def provider_list() -> str:
    """List listings with text search, filters and pagination."""
    q = request.args.get("q", "").strip()[:100]
    clinic, clinic_text, clinic_matches = _clinic_filter()
    filters = {
        # a clinic name that matched none or several clinics lists nothing until one is picked
        "location_id": clinic.id if clinic else (-1 if clinic_text else None),
        "specialty_id": int_arg("specialty"),
        "active": _flag("active"),
        "accepting": _flag("accepting"),
    }
    stmt = service.provider_query(q, **filters)
    # Counting a million matches costs more than the page: count up to STAFF_COUNT_CAP and say "+".
    cap = int(current_app.config["STAFF_COUNT_CAP"])
    page, capped = capped_page(stmt, Provider, page_arg(), PER_PAGE, cap)
    used_specialties = db.session.scalars(
        select(Specialty)
        .where(exists().where(service.ProviderSpecialty.specialty_id == Specialty.id))
        .order_by(Specialty.display_name)
    ).all()
    return render_template(
        "staff/providers/list.html",
        page=page,
        capped=capped,
        q=q,
        args=request.args,
        clinic=clinic,
        clinic_text=clinic_text,
        clinic_matches=clinic_matches,
        specialties=used_specialties,
        action_form=ActionForm(),
    )


def _clinic_search() -> tuple[str | None, list[Location]]:
    """The clinic search box's text when its button was pressed (else None), and matches.

    "Find clinic" is the form's first submit button, so Enter in any field presses it: with
    the search box empty that is taken as the save it was meant to be.
    """
    text = request.form.get("clinic_search", "").strip()[:100]
    if "find_clinic" not in request.form or not text:
        return None, []
    return text, find_clinics(text)


def _render_form(
    form,
    provider,
    clinics,
    phones,
    extra_errors=(),
    conflict=None,
    status=200,
    searched: str | None = None,
    matches: tuple = (),
):
    datalist = db.session.execute(
        select(Specialty.display_name).order_by(Specialty.display_name)
    ).scalars()
    return (
        render_template(
            "staff/providers/form.html",
            form=form,
            provider=provider,
            clinics=clinics,
            phones=phones,
            phone_errors=dict(e for e in extra_errors if e[0].startswith("phone_")),
            extra_errors=[e for e in extra_errors if e[0].startswith("phone_")],
            conflict=conflict,
            specialty_names=list(dict.fromkeys(datalist)),
            language_names=picker_names(),
            action_form=ActionForm(),
            searched=searched,
            match_ids={m.id for m in matches},
            networks=shown_networks(provider, clinics),
            network_choices=network_choices(),
        ),
        status,
    )


@bp.route("/providers/new", methods=["GET", "POST"])
def provider_new() -> ResponseReturnValue:
    """Create a listing, with an optional headshot."""
    form = ProviderForm()
    searched, matches = _clinic_search()
    clinics = set_choices(form, None, matches)
    if request.method == "GET":
        form.active.data = form.accepting_new_patients.data = True
        return _render_form(form, None, clinics, {})
    phones = submitted_phones(clinics)
    if searched is not None:  # "Find clinic" pressed: show the matches, save nothing
        return _render_form(form, None, clinics, phones, searched=searched, matches=matches)
    if form.validate():
        data, errors = to_input(form, phones, submitted_networks(clinics))
        upload, photo_errors = read_upload(form)
        errors += photo_errors
        if not errors:
            photo = photos.PhotoChange(upload=upload)
            try:
                p = perform(lambda: service.create_provider(data, current_user, photo))
            except InvalidInput as exc:
                errors = _field_errors(form, exc)
            else:
                flash(f"Created the listing for {p.display_name}.", "info")
                return redirect(url_for(".provider_edit", provider_id=p.id))
        return _render_form(form, None, clinics, phones, errors, status=422)
    return _render_form(form, None, clinics, phones, status=422)


def _field_errors(form, exc: InvalidInput) -> list[tuple[str, str]]:
    extra = []
    for name, message in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            extra.append((name, message))
    return extra


@bp.route("/providers/<id:provider_id>/edit", methods=["GET", "POST"])
def provider_edit(provider_id: int) -> ResponseReturnValue:
    """Edit a listing; a save against an old version answers 409 and keeps the input."""
    p = db.get_or_404(Provider, provider_id)
    form = ProviderForm()
    searched, matches = _clinic_search()
    clinics = set_choices(form, p, matches)
    if request.method == "GET":
        return _render_form(form, p, clinics, fill_from(form, p))
    phones = submitted_phones(clinics)
    if searched is not None:  # "Find clinic" pressed: show the matches, save nothing
        return _render_form(form, p, clinics, phones, searched=searched, matches=matches)
    version = parse_version(form.version.data)
    if version is None:
        abort(400, "The form is missing its version number. Reload the page and try again.")
    if not form.validate():
        return _render_form(form, p, clinics, phones, status=422)
    data, errors = to_input(form, phones, submitted_networks(clinics))
    upload, photo_errors = read_upload(form)
    errors += photo_errors
    if errors:
        return _render_form(form, p, clinics, phones, errors, status=422)
    photo = photos.PhotoChange(upload=upload, remove=bool(form.remove_photo.data))
    had_photo = p.photo is not None
    try:
        with unit_of_work():
            service.update_provider(p, data, version, current_user, photo)
    except StaleEdit as exc:
        current = exc.current
        conflict = service.other_changes(current, version)
        form.version.data = str(current.version)
        return _render_form(form, current, clinics, phones, conflict=conflict, status=409)
    except InvalidInput as exc:
        return _render_form(form, p, clinics, phones, _field_errors(form, exc), status=422)
    note = photo_note(photo, had_photo)
    flash(f"Saved {p.display_name}." + (f" {note}" if note else ""), "info")
    return redirect(url_for(".provider_list", q=p.last_name))


@bp.get("/providers/<id:provider_id>/history")
def provider_history(provider_id: int) -> str:
    """Show every audited change to one listing, newest first."""
    p = db.get_or_404(Provider, provider_id)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "provider", AuditEvent.entity_id == p.id)
        .order_by(AuditEvent.id.desc())
    ).all()
    return render_template("staff/providers/history.html", provider=p, events=events)


QUICK_ACTIONS = {
    "accept": (lambda p, v, u: service.set_accepting(p, True, v, u), "now accepts new patients"),
    "stop-accepting": (
        lambda p, v, u: service.set_accepting(p, False, v, u),
        "no longer accepts new patients",
    ),
    "verify": (lambda p, v, u: service.mark_verified(p, v, u), "is confirmed unchanged today"),
    "deactivate": (lambda p, v, u: service.set_active(p, False, v, u), "is hidden from the public"),
    "reactivate": (lambda p, v, u: service.set_active(p, True, v, u), "is listed again"),
}


@bp.post(
    "/providers/<id:provider_id>/<any(" + ",".join(f"'{a}'" for a in QUICK_ACTIONS) + "):action>"
)
def provider_action(provider_id: int, action: str) -> ResponseReturnValue:
    """Run one quick action (accepting, "Confirmed unchanged", deactivate, reactivate) and
    go back."""
    p = db.get_or_404(Provider, provider_id)
    form = ActionForm()
    if not form.validate() or form.version.data is None:
        abort(400, "The form is missing its version number. Reload the page and try again.")
    run, done = QUICK_ACTIONS[action]
    back = safe_next(request.form.get("next")) or url_for(".provider_list")
    try:
        with unit_of_work():
            run(p, form.version.data, current_user)
    except InvalidInput as exc:
        abort(422, " ".join(exc.errors.values()))
    except StaleEdit as exc:
        changes = service.other_changes(exc.current, form.version.data)
        html = render_template(
            "staff/providers/stale_action.html", provider=exc.current, changes=changes, back=back
        )
        return html, 409
    flash(f"{p.display_name} {done}.", "info")
    return redirect(back)
