"""The guided "Find care" flow for back and neck problems: red flags first, then injury.

Every step is a plain GET form, so the answers live in the URL, Back works and no JavaScript
is needed. Answers outside the expected values count as "not answered" and the question is
asked again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from app.extensions import db
from app.models import CarePath, CarePathSpecialty
from app.public import bp
from app.search import redflags

SPINE_PATH = "spine"
PHYSICAL_THERAPIST = "physical-therapist"
MAX_LOCATION = 100

# The questions come from the one red-flag vocabulary (seed_data/red_flags.json), which
# also drives the search box; its sources are listed in docs/content.md.
RED_FLAGS = redflags.spine_checklist()
NO_FLAGS = "none"
INJURY_ANSWERS = {"yes": "Yes", "no": "No"}


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


def decide_step(args: dict[str, str]) -> tuple[str, bool]:
    """Which step to show for these answers, and whether the last answer was unusable.

    ``asked`` names the question a submitted form showed, so an empty submission counts.
    """
    flag = args.get("flag")
    if flag in RED_FLAGS:
        return "emergency", False
    if flag != NO_FLAGS:
        return "warning", "flag" in args or args.get("asked") == "flag"
    injury = args.get("injury")
    if injury == "yes":
        return "see_clinician", False
    if injury == "no":
        return "gentle_start", False
    return "injury", "injury" in args or args.get("asked") == "injury"


@bp.get("/find-care")
def find_care() -> ResponseReturnValue:
    """Ask one question at a time and point to the right kind of care."""
    args = {k: request.args.get(k, "") for k in ("flag", "injury", "asked") if k in request.args}
    # A red flag anywhere among repeated answers must never be outvoted by another value.
    flagged = [f for f in request.args.getlist("flag") if f in RED_FLAGS]
    if flagged:
        args["flag"] = flagged[0]
    step, unanswered = decide_step(args)
    context: dict[str, object] = {
        "step": step,
        "unanswered": unanswered,
        "red_flags": RED_FLAGS,
        "injury_answers": INJURY_ANSWERS,
    }
    if step == "emergency":
        context["flag_label"] = RED_FLAGS[args["flag"]]
        context["alert"] = redflags.alert("emergency")
    elif step == "see_clinician":
        context["pt_url"] = physical_therapist_url()
    elif step == "gentle_start":
        context["any_provider_url"] = directory_url()
    return render_template("public/find_care.html", **context)


@bp.get("/find-care/search")
def find_care_search() -> ResponseReturnValue:
    """Send the person to spine-care providers, nearest first when they gave a place."""
    return redirect(spine_search_url(clean_location(request.args.get("location"))), code=303)
