"""Where the find-care path sends people: urgent-care and walk-in sites, and spine care.

Both pages take the ticked signs (``sign=``) and a place (``location=``). The signs are
decided again with the same rule table, so a page never shows an answer the table would not
give: signs that call for another outcome are sent on (303) to that outcome's page.
"""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.public import bp
from app.public.find_care import (
    SPINE_PATH,
    care_path_slugs,
    clean_location,
    directory_url,
    outcome_redirect,
    read_signs,
    spine_search_url,
    wording_context,
)
from app.reasons import reason_text
from app.search import interface as search
from app.services import triage
from app.services.directory import cards_for
from app.services.urgent_care import clock_now, urgent_sites

SPINE_SHOWN = 10


def _decision_for(outcome: str) -> tuple[triage.Decision | None, ResponseReturnValue | None]:
    """The decision for the URL's signs, or the redirect to the page their outcome needs."""
    known, _, _ = read_signs(request.args.getlist("sign"))
    if not known:
        return None, None
    decision = triage.decide(known)
    if decision.outcome.key != outcome:
        return None, outcome_redirect(decision, clean_location(request.args.get("location")))
    return decision, None


def _origin(location: str) -> tuple[search.Origin | None, str | None]:
    """The point of the place given, or the message saying it was not found."""
    if not location:
        return None, None
    try:
        origin, reason = search.service().resolve_place(location)
    except search.SearchUnavailable:
        return None, None
    return origin, reason_text(reason) if reason else None


@bp.get("/find-care/urgent-care")
def urgent_care() -> ResponseReturnValue:
    """Urgent-care and walk-in sites: open now first, then nearest to the place given."""
    decision, elsewhere = _decision_for("urgent")
    if elsewhere is not None:
        return elsewhere
    location = clean_location(request.args.get("location"))
    origin, place_message = _origin(location)
    point = (origin.lat, origin.lon) if origin else None
    now = clock_now()
    return render_template(
        "public/find_care_urgent.html",
        step="urgent",
        decision=decision,
        sites=urgent_sites(now, point),
        location=location,
        origin=origin,
        place_message=place_message,
        org_phone=current_app.config["ORG_PHONE"],
        signs=list(decision.signs) if decision else [],
        change_url=url_for("public.find_care", checked=list(decision.signs)) if decision else "",
        **wording_context(triage.for_lang()),
    )


def _spine_results(location: str):
    """Spine-care providers near the place: those accepting new patients, else everyone."""
    slugs = tuple(care_path_slugs(SPINE_PATH))
    base = {"location": location, "sort": "distance" if location else "relevance"}
    base |= {"specialty": slugs} if slugs else {"q": "spine"}
    for accepting in (True, False):
        params = search.SearchParams(**base, accepting=accepting, per_page=SPINE_SHOWN)
        results = search.service().search(params)
        if results.total or not accepting:
            return params, results
    raise AssertionError("unreachable")  # pragma: no cover


def _directory_for(params: search.SearchParams) -> str:
    """The full directory search behind the focused page, with its filters and pages."""
    return directory_url(
        q=params.q or None,
        specialty=list(params.specialty),
        location=params.location,
        sort="distance" if params.location else None,
        accepting="1" if params.accepting else None,
    )


@bp.get("/find-care/spine-care")
def spine_care() -> ResponseReturnValue:
    """Spine care near the place given: the first providers to book, nearest first."""
    decision, elsewhere = _decision_for("soon")
    if elsewhere is not None:
        return elsewhere
    location = clean_location(request.args.get("location"))
    context: dict[str, object] = {
        "step": "soon",
        "decision": decision,
        "location": location,
        "signs": list(decision.signs) if decision else [],
        "change_url": url_for("public.find_care", checked=list(decision.signs)) if decision else "",
        "all_url": spine_search_url(location),
        "pt_url": directory_url(specialty="physical-therapist", location=location or None),
        **wording_context(triage.for_lang()),
    }
    try:
        params, results = _spine_results(location)
    except search.SearchUnavailable:
        retry = {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}
        html = render_template("public/find_care_spine.html", unavailable=True, **context)
        return html, 503, retry
    context.update(
        params=params,
        results=results,
        providers=cards_for(results.hits),
        all_url=_directory_for(params),
    )
    return render_template("public/find_care_spine.html", **context)
