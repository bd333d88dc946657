"""The notices the law asks a clinic group's site to carry, in English and Spanish.

``/language-assistance`` (free language help in Washington's top 15 languages, Section 1557),
``/nondiscrimination`` (Section 1557), ``/surprise-billing`` and ``/good-faith-estimate``
(No Surprises Act). Texts live in ``seed_data/notices/NAME.LANG.md`` with a review status.
"""

from __future__ import annotations

from flask import abort, render_template

from app import content
from app.locale import current_lang, page_url
from app.public import bp

# Endpoint -> the notice's file name; the footer and every profile link to them.
NOTICE_PAGES = {
    "public.language_assistance": "language-assistance",
    "public.nondiscrimination": "nondiscrimination",
    "public.surprise_billing": "surprise-billing",
    "public.good_faith_estimate": "good-faith-estimate",
}


def _show(name: str, **extra: object) -> str:
    page = content.notice(name, current_lang())
    if page is None:
        abort(404)
    return render_template(
        "public/notice.html", page=page, english_url=page_url("en", query=False), **extra
    )


@bp.get("/language-assistance")
def language_assistance() -> str:
    """Free language help: the notice, then the tagline in each of the top 15 languages."""
    return _show("language-assistance", taglines=content.taglines())


@bp.get("/nondiscrimination")
def nondiscrimination() -> str:
    """The Section 1557 nondiscrimination notice."""
    return _show("nondiscrimination")


@bp.get("/surprise-billing")
def surprise_billing() -> str:
    """Your rights and protections against surprise medical bills (No Surprises Act)."""
    return _show("surprise-billing")


@bp.get("/good-faith-estimate")
def good_faith_estimate() -> str:
    """Your right to a Good Faith Estimate (No Surprises Act)."""
    return _show("good-faith-estimate")
