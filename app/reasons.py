"""The words for search's reason codes: search says why, pages and the API say it.

Search returns ``Reason`` codes with arguments (``app.search.interface``), never
sentences. The sentences live here, through Flask-Babel's ``gettext``, so a translation can
reach every one of them. Templates call ``search_message`` and ``reason_text``; the API
keeps its ``message`` field by calling ``message``.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext

from app.search.interface import (
    DID_YOU_MEAN,
    DISTANCE_NOTE,
    NAME_WORDS_IGNORED,
    NO_MATCH,
    PLACE_NOT_FOUND,
    PRIMARY_CARE_FALLBACK,
    ZIP_NOT_FOUND,
    Reason,
    Results,
)


def _tip(tip: str) -> str:
    if tip == "remove-filter":
        return gettext("remove a filter")
    if tip == "wider-distance":
        return gettext("search a wider distance")
    return gettext("check the spelling or search by specialty instead of name")


def _no_match(args: dict) -> str:
    tips = args.get("tips") or []
    if not tips:
        return gettext("No providers are listed yet.")
    return gettext(
        "No providers match your search. Try to %(tips)s.",
        tips=gettext(", or ").join(_tip(t) for t in tips),
    )


def _fallback(args: dict, phone: str) -> str:
    if args.get("children"):
        text = gettext(
            "We couldn't find a specialist for “%(query)s”, so we're showing primary care. "
            "Pediatricians can help with most of a child's health concerns and refer you to "
            "a specialist when needed.",
            query=args["query"],
        )
    else:
        text = gettext(
            "We couldn't find a specialist for “%(query)s”, so we're showing primary care. "
            "Primary care providers (family and internal medicine) can help with most health "
            "concerns and refer you to a specialist when needed.",
            query=args["query"],
        )
    if phone:
        text += " " + gettext("Or call us at %(phone)s.", phone=phone)
    return text


def reason_text(reason: Reason, phone: str = "") -> str | None:
    """The sentence for one reason, or None for one shown otherwise (a red flag's notice,
    a "Did you mean" link for a correction not applied)."""
    code, args = reason.code, reason.args
    if code == PRIMARY_CARE_FALLBACK:
        return _fallback(args, phone)
    if code == DID_YOU_MEAN:
        if "showing" not in args:
            return None  # offered as a link only
        return gettext("Showing results for “%(words)s”.", words=args["showing"])
    if code == NAME_WORDS_IGNORED:
        return gettext(
            "No provider's name matches “%(words)s”, so those words were left out.",
            words=args["words"],
        )
    if code == DISTANCE_NOTE:
        if args.get("option") == "sort":
            return gettext(
                "Distance sorting needs a location (a ZIP code or city); showing best matches."
            )
        return gettext(
            "A distance limit needs a location (a ZIP code or city); showing best matches."
        )
    if code == PLACE_NOT_FOUND:
        return gettext(
            "We couldn't find a place called “%(place)s”. Try a city, neighborhood, clinic "
            "name or 5-digit ZIP code. Showing results without distance.",
            place=args["place"],
        )
    if code == ZIP_NOT_FOUND:
        return gettext(
            "We couldn't find the ZIP code “%(zip)s”. Check the number, or search by city, "
            "neighborhood or clinic name. Showing results without distance.",
            zip=args["zip"],
        )
    if code == NO_MATCH:
        return _no_match(args)
    return None  # red flags: app.notices builds their notice


def message(results: Results, phone: str = "", *, fallback: bool = True) -> str | None:
    """Every reason's sentence in order, as one message (the API's ``message``).

    Without ``fallback``, the primary-care sentence is left out (a page words it itself).
    """
    parts = [
        reason_text(r, phone)
        for r in results.reasons
        if fallback or r.code != PRIMARY_CARE_FALLBACK
    ]
    return " ".join(p for p in parts if p) or None


def init_app(app: Flask) -> None:
    """Let templates word a search's reasons."""
    app.jinja_env.globals.update(search_message=message, reason_text=reason_text)
