"""The guided "Find care" path for back and neck problems: tick the signs, get the right door.

One plain GET form lists the warning signs as checkboxes ("choose all that apply"); the rule
table in ``seed_data/triage.json`` (``app.services.triage``) decides, the most serious answer
winning. Emergency and self-care answers are shown here; urgent and soon answers go on
(303) to the page for them: urgent-care and walk-in sites, or spine care near the place.
The answers live in the URL, so Back works and no JavaScript is needed.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from app import notices
from app.extensions import db
from app.locale import page_url
from app.models import CarePath, CarePathSpecialty
from app.public import bp
from app.services import triage

SPINE_PATH = "spine"
PHYSICAL_THERAPIST = "physical-therapist"
MAX_LOCATION = 100
NO_SIGNS = "none"
# The outcomes this page shows itself; the others have a page of their own.
SHOWN_HERE = ("emergency", "self-care")


def directory_url(**params: object) -> str:
    """A /find-a-doctor URL with these query parameters (lists become repeated params)."""
    clean = {k: v for k, v in params.items() if v not in (None, "", [])}
    try:
        return url_for("public.find_a_doctor", **clean)
    except BuildError:
        query = urlencode(clean, doseq=True)
        return "/find-a-doctor" + (f"?{query}" if query else "")


def care_path_slugs(slug: str) -> list[str]:
    """The specialty slugs of a care path, in its recommended order ([] when not loaded)."""
    stmt = (
        select(CarePath)
        .where(CarePath.slug == slug)
        .options(selectinload(CarePath.members).joinedload(CarePathSpecialty.specialty))
    )
    try:
        path = db.session.scalar(stmt)
    except SQLAlchemyError:
        current_app.logger.warning("care path %s could not be read", slug, exc_info=True)
        db.session.rollback()
        return []
    return [s.slug for s in path.specialties] if path else []


def spine_search_url(location: str = "") -> str:
    """The directory narrowed to the spine care path, nearest first when a place is given."""
    slugs = care_path_slugs(SPINE_PATH)
    sort = "distance" if location else None
    if not slugs:
        # No care path in the database: the directory maps the word "spine" to the path.
        return directory_url(q="spine", location=location, sort=sort)
    return directory_url(specialty=slugs, location=location, sort=sort)


def physical_therapist_url(location: str = "") -> str:
    """The directory narrowed to physical therapists."""
    return directory_url(
        specialty=PHYSICAL_THERAPIST, location=location, sort="distance" if location else None
    )


def care_links() -> dict[str, str]:
    """URLs for the safety callout's two actions."""
    return {"physical_therapist": physical_therapist_url(), "spine": spine_search_url()}


def clean_location(value: str | None) -> str:
    """A trimmed, length-capped location, without control characters."""
    text = "".join(ch for ch in (value or "") if ch.isprintable())
    return " ".join(text.split())[:MAX_LOCATION]


def read_signs(values: list[str]) -> tuple[list[str], list[str], bool]:
    """(known sign keys, unknown values, "None of these" ticked) from repeated ``sign=``.

    A page never refuses a known warning sign because another value is odd: the known ones
    decide, and the unknown ones are only reported when nothing else was ticked.
    """
    known_keys = triage.load().signs
    known = list(dict.fromkeys(v for v in values if v in known_keys))
    unknown = [v for v in values if v not in known_keys and v != NO_SIGNS]
    return known, unknown, NO_SIGNS in values


def wording_context(table: triage.Table) -> dict[str, object]:
    """What ``public/_unreviewed.html`` needs: the text's review status and the English page."""
    return {"triage_wording": table.wording, "english_url": page_url("en")}


def outcome_redirect(decision: triage.Decision, location: str) -> ResponseReturnValue:
    """Send the person on (303) to the page for the decision's outcome."""
    return redirect(triage.next_url(decision, location), code=303)


@bp.get("/find-care")
def find_care() -> ResponseReturnValue:
    """Ask which warning signs apply, then show or send on to the right kind of care."""
    table = triage.for_lang()
    known, unknown, none_ticked = read_signs(request.args.getlist("sign"))
    location = clean_location(request.args.get("location"))
    if known or none_ticked:
        decision = table.decide(known)
        if decision.outcome.key not in SHOWN_HERE:
            return outcome_redirect(decision, location)
        context: dict[str, object] = {"step": decision.outcome.key, "decision": decision}
        context |= wording_context(table)
        context["chosen"] = [table.signs[k] for k in decision.signs]
        context["change_url"] = url_for("public.find_care", checked=list(decision.signs))
        if decision.outcome.key == "emergency":
            context["alert"] = notices.alert("emergency")
        else:
            context["any_provider_url"] = directory_url()
        return render_template("public/find_care.html", **context)
    checked = set(request.args.getlist("checked")) & set(table.signs)
    unanswered = bool(unknown) or request.args.get("asked") == "signs"
    return render_template(
        "public/find_care.html",
        step="signs",
        table=table,
        checked=checked,
        unanswered=unanswered,
        location=location,
        **wording_context(table),
    )


@bp.get("/find-care/search")
def find_care_search() -> ResponseReturnValue:
    """Send the person to spine care near the place they gave (kept for old links)."""
    location = clean_location(request.args.get("location"))
    place = {"location": location} if location else {}
    return redirect(url_for("public.spine_care", **place), code=303)


from app.public import find_care_places  # noqa: E402,F401  registers the two outcome pages
