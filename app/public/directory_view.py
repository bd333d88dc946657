"""Shape search params and results for the directory templates: links, chips, pages."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.locale import current_lang
from app.models import CarePath, Location, Specialty
from app.models.visibility import public_clinic
from app.search import interface as search
from app.words import language_name, specialty_name, translate

RADIUS_CHOICES = search.PAGE_RADII
FILTER_FIELDS = search.LIST_FIELDS
FILTER_TITLES = {
    "specialty": _l("Specialty"),
    "clinic": _l("Clinic"),
    "language": _l("Language spoken"),
    "insurance": _l("Insurance plan"),
    "gender": _l("Provider gender"),
}
GENDER_LABELS = search.GENDER_LABELS
FEW_RESULTS = 3


@dataclass(frozen=True)
class Chip:
    """One active filter and the link that removes it."""

    label: str
    remove_url: str


@dataclass(frozen=True)
class PageLink:
    """One entry in the pagination list; ``number`` None is a gap (…)."""

    number: int | None
    url: str = ""
    current: bool = False


def search_url(params, **changes) -> str:
    """The /find-a-doctor URL for ``params`` with ``changes`` applied (page resets to 1)."""
    changes.setdefault("page", 1)
    pairs = [(k, v) for k, v in params.to_query(**changes) if not (k == "page" and v == "1")]
    base = url_for("public.find_a_doctor")
    return f"{base}?{urlencode(pairs)}" if pairs else base


def hidden_pairs(params, exclude: Collection[str]) -> list[tuple[str, str]]:
    """Query pairs to carry as hidden inputs in a form that edits the ``exclude`` fields."""
    return [(k, v) for k, v in params.to_query() if k not in exclude and k != "page"]


def filter_form_fields(params) -> set[str]:
    """The fields the filter form edits (distance too, when there is a place)."""
    fields = {*FILTER_FIELDS, "gender", "accepting", "telehealth", "wheelchair", "children"}
    return fields | {"radius"} if params.location else fields


def localized(results):
    """``results`` with its filter options named in the request's language: specialties
    and languages by code, genders and plans such as self-pay from the catalog; clinic and
    plan names are names. A copy, as the search may hand the same results to another page."""
    if current_lang() == "en":
        return results
    codes = specialty_codes([f.value for f in results.facets.get("specialty", [])])
    names: dict[str, Callable[[Any], str]] = {
        "specialty": lambda f: specialty_name(f.label, codes.get(f.value)),
        "language": lambda f: language_name(f.label, f.value, start=True),
        "gender": lambda f: translate(f.label),
        "insurance": lambda f: translate(f.label),
    }
    facets = {
        field: [replace(f, label=names[field](f)) for f in values] if field in names else values
        for field, values in results.facets.items()
    }
    return replace(results, facets=facets)


def specialty_codes(slugs: Collection[str]) -> dict[str, str]:
    """The NUCC code of each of these specialties, by slug."""
    if not slugs:
        return {}
    rows = db.session.execute(
        select(Specialty.slug, Specialty.code).where(Specialty.slug.in_(list(slugs)))
    )
    return {slug: code for slug, code in rows}


def _labels(results, field: str) -> dict[str, str]:
    if results is None:
        return {}
    return {str(f.value): f.label for f in results.facets.get(field, [])}


def chips(params, results) -> list[Chip]:
    """Removable chips for every active filter value."""
    out: list[Chip] = []
    for field in FILTER_FIELDS:
        values: tuple[str, ...] = getattr(params, field)
        labels = _labels(results, field)
        for value in values:
            rest = tuple(v for v in values if v != value)
            label = gettext(
                "%(title)s: %(value)s", title=FILTER_TITLES[field], value=labels.get(value, value)
            )
            out.append(Chip(label, search_url(params, **{field: rest})))
    if params.gender:
        label = _labels(results, "gender").get(params.gender) or GENDER_LABELS.get(
            params.gender, params.gender
        )
        label = gettext(
            "%(title)s: %(value)s", title=FILTER_TITLES["gender"], value=translate(label)
        )
        out.append(Chip(label, search_url(params, gender=None)))
    if params.accepting:
        out.append(Chip(gettext("Accepting new patients"), search_url(params, accepting=False)))
    if params.telehealth:
        out.append(Chip(gettext("Offers telehealth"), search_url(params, telehealth=False)))
    if params.wheelchair:
        out.append(Chip(gettext("Wheelchair accessible"), search_url(params, wheelchair=False)))
    if params.children:
        out.append(Chip(gettext("Sees children"), search_url(params, children=False)))
    return out


def pagination(results, params, window: int = 2) -> list[PageLink]:
    """Numbered page links: first, last, and ``window`` pages either side of the current one."""
    return numbered_pages(
        results.page, results.pages, lambda n: search_url(params, page=n), window=window
    )


def numbered_pages(
    page: int, pages: int, url: Callable[[int], str], window: int = 2
) -> list[PageLink]:
    """Links to the first, last and ``window`` pages either side of ``page`` (… for gaps)."""
    if pages <= 1:
        return []
    keep = {1, pages} | set(range(max(1, page - window), min(pages, page + window) + 1))
    links: list[PageLink] = []
    previous = 0
    for n in sorted(keep):
        if n - previous > 1:
            links.append(PageLink(None))
        links.append(PageLink(n, url(n), n == page))
        previous = n
    return links


def showing_range(results) -> tuple[int, int]:
    """The 1-based first and last result numbers on this page."""
    if not results.total:
        return 0, 0
    first = (results.page - 1) * results.per_page + 1
    return first, min(results.total, first + len(results.hits) - 1)


def sort_options(params, results) -> list[tuple[str, str]]:
    """(value, label) sort choices; distance only when the search has a place."""
    options = [("relevance", gettext("Best match"))]
    if params.location or (results is not None and results.origin is not None):
        options.append(("distance", gettext("Distance")))
    options.append(("name", gettext("Last name")))
    return options


def widen_suggestions(params, results) -> list[tuple[str, str]]:
    """(text, url) ways to widen a search that found nothing or very little."""
    if results is None or results.total > FEW_RESULTS:
        return []
    tips: list[tuple[str, str]] = []
    if params.radius:
        bigger = [r for r in RADIUS_CHOICES if r > params.radius]
        if bigger:
            text = ngettext("Search within %(num)d mile", "Search within %(num)d miles", bigger[-1])
            tips.append((text, search_url(params, radius=bigger[-1])))
        else:
            tips.append((gettext("Search at any distance"), search_url(params, radius=None)))
    if (
        params.accepting
        or params.telehealth
        or params.wheelchair
        or params.children
        or params.gender
        or any(getattr(params, f) for f in FILTER_FIELDS)
    ):
        tips.append((gettext("Remove all filters"), clear_filters_url(params)))
    if params.location:
        everywhere = search_url(params, location="", radius=None, sort="relevance")
        tips.append((gettext("Search everywhere, not just near this place"), everywhere))
    return tips


def clear_filters_url(params) -> str:
    """The same search with every filter removed."""
    return search_url(
        params,
        specialty=(),
        clinic=(),
        language=(),
        insurance=(),
        gender=None,
        accepting=False,
        telehealth=False,
        wheelchair=False,
        children=False,
    )


def care_path_url(slug: str) -> str | None:
    """The search URL for a care path: its member specialties as repeated ``specialty``."""
    path = db.session.scalar(select(CarePath).where(CarePath.slug == slug))
    if path is None:
        return None
    pairs = [("specialty", s.slug) for s in path.specialties]
    return url_for("public.find_a_doctor") + "?" + urlencode(pairs)


def interpretation(params, results) -> dict[str, object] | None:
    """What the free text was understood as, when it named specialties or a care path."""
    found = results.interpretation
    if not params.q or not found.specialties:
        return None
    # Specialties someone in the results practises, by their display names (the facet's
    # labels); the understood ones nobody here practises are not worth naming.
    counted = {str(f.value): f.label for f in results.facets.get("specialty", []) if f.count}
    names = [counted[slug] for slug in found.specialties if slug in counted]
    if not names:
        names = search.service().specialty_names(found.specialties)
        codes = specialty_codes(found.specialties) if current_lang() != "en" else {}
        known = [s for s in found.specialties if s in codes]
        if codes and len(known) == len(names):
            names = [specialty_name(n, codes[s]) for s, n in zip(known, names, strict=True)]
    path = None
    if found.care_path:
        path = db.session.scalar(select(CarePath.name).where(CarePath.slug == found.care_path))
    return {"care_path": path, "specialties": names[:3], "more": max(0, len(names) - 3)}


def start_links() -> dict[str, object]:
    """What the empty search page offers: popular specialties, the spine path, clinics."""
    featured = db.session.scalars(
        select(Specialty).where(Specialty.featured.is_(True)).order_by(Specialty.display_name)
    ).all()
    clinics = db.session.scalars(
        select(Location).where(public_clinic()).order_by(Location.name)
    ).all()
    return {"featured": featured, "clinics": clinics, "spine_url": care_path_url("spine")}


def clinic_distances(links: Iterable[Any], origin) -> dict[int, float]:
    """Miles from ``origin`` to each linked clinic that has coordinates (none without one)."""
    if origin is None:
        return {}
    out: dict[int, float] = {}
    for link in links:
        loc = link.location
        miles = search.service().miles_from(origin, loc.latitude, loc.longitude)
        if miles is not None:
            out[loc.id] = miles
    return out
