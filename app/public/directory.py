"""The provider directory: search page, profiles, clinic and specialty pages."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from app import notices, param_words
from app.extensions import db
from app.models import Location, Provider, ProviderLocation, ProviderSpecialty, Specialty
from app.models.visibility import public_clinic, public_listing
from app.public import bp
from app.public import directory_view as view
from app.public.jsonld import clinic_jsonld, provider_jsonld
from app.search import interface as search
from app.services import plan_display
from app.services.clinic_order import nearest_first
from app.services.directory import (
    cards_for,
    get_public_provider_by_slug,
    provider_load_options,
)
from app.services.recheck import is_stale


@bp.get("/find-a-doctor")
def find_a_doctor() -> ResponseReturnValue:
    """Search the directory by name, specialty, condition or place, with filters."""
    context: dict[str, object] = {
        "params": None,
        "results": None,
        "error": None,
        "view": view,
        "radius_choices": view.RADIUS_CHOICES,
        "org_phone": current_app.config["ORG_PHONE"],
    }
    # A red flag is shown whatever else happens to the search: first, and without JS.
    engine = search.service()
    context["alert"] = notices.alert_for(engine.red_flag(f"{_echo('q')} {_echo('location')}"))
    try:
        params = engine.parse_params(request.args, api=False)
    except search.ParamError as exc:
        context.update(
            error=param_words.text(exc), form_q=_echo("q"), form_location=_echo("location")
        )
        return render_template("public/directory/search.html", **context), 400
    context["params"] = params
    if params.is_empty():
        context["start"] = view.start_links()
        return render_template("public/directory/search.html", **context)
    try:
        results = engine.search(params)
    except search.SearchUnavailable:
        context["unavailable"] = True
        retry = {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}
        return render_template("public/directory/search.html", **context), 503, retry
    results = view.localized(results)
    context.update(
        results=results,
        providers=_providers_for(results),
        chips=view.chips(params, results),
        page_links=view.pagination(results, params),
        showing=view.showing_range(results),
        sort_options=view.sort_options(params, results),
        widen=view.widen_suggestions(params, results),
        insurance_groups=plan_display.group_by_payer(results.facets.get("insurance", [])),
    )
    return render_template("public/directory/search.html", **context)


def _echo(name: str, limit: int = 200) -> str:
    """A query argument, shortened and without control characters, to refill the form."""
    value = request.args.get(name, "")[:limit]
    return "".join(ch for ch in value if ch.isprintable())


def _providers_for(results) -> list[tuple[object, object]]:
    """Pair each hit with its result card, in rank order."""
    return cards_for(results.hits)


@bp.get("/providers/<slug>")
def provider(slug: str) -> str:
    """Show a provider's full profile (404 unless the listing is public), nearest clinic
    first when a place is given."""
    found = get_public_provider_by_slug(slug)
    if found is None:
        abort(404)
    near = _echo("location", 120).strip()
    origin = search.service().locate(near) if near else None
    distances = view.clinic_distances(found.active_location_links, origin)
    return render_template(
        "public/directory/provider.html",
        provider=found,
        jsonld=provider_jsonld(found),
        rechecking=is_stale(found.verified_at),
        near=near,
        origin=origin,
        clinics=nearest_first(found.active_location_links, distances),
        clinic_plans=plan_display.plans_by_clinic(
            found, [link.location_id for link in found.active_location_links]
        ),
        other_plans=plan_display.networkless_plans(found),
    )


def _page_number() -> int:
    """The ``page`` argument of a browse page (1 when absent); 404 when it is not a page."""
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= search.MAX_PAGE:
        abort(404)
    return int(raw)


def _browse(field: str, slug: str, stmt) -> dict[str, object]:
    """One page of public listings with ``field`` = ``slug``, by last name, numbered pages.

    The index answers (its cards need no ORM load, and ordering 100,000 rows by name in SQL
    is slow); SQL joined by ``stmt`` answers when the index cannot be read.
    """
    page = _page_number()
    per_page = int(current_app.config["BROWSE_PER_PAGE"])
    try:
        results = search.service().search(
            search.SearchParams(**{field: (slug,)}, sort="name", page=page, per_page=per_page)
        )
    except search.SearchUnavailable:
        providers, total = _browse_sql(stmt, page, per_page)
    else:
        # cards_for also drops a listing hidden a moment ago, before its outbox applies
        providers, total = [card for _, card in cards_for(results.hits)], results.total
    pages = min(search.MAX_PAGE, max(1, -(-total // per_page)))
    if page > pages:
        abort(404)
    return {
        "providers": providers,
        "total": total,
        "page": page,
        "pages": pages,
        "page_links": view.numbered_pages(
            page, pages, lambda n: url_for(request.endpoint, slug=slug, page=n if n > 1 else None)
        ),
    }


def _browse_sql(stmt, page: int, per_page: int) -> tuple[list[Provider], int]:
    """Public listings matching ``stmt``'s joins, by last name, plus the full count."""
    stmt = stmt.where(public_listing())
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.options(*provider_load_options())
        .order_by(Provider.last_name, Provider.first_name, Provider.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


@bp.get("/locations/<slug>")
def location(slug: str) -> str:
    """Show a clinic: address, phone, hours, access notes and its providers."""
    clinic = db.session.scalar(select(Location).where(Location.slug == slug, public_clinic()))
    if clinic is None:
        abort(404)
    listing = _browse(
        "clinic",
        clinic.slug,
        select(Provider).join(ProviderLocation).where(ProviderLocation.location_id == clinic.id),
    )
    return render_template(
        "public/directory/location.html", clinic=clinic, jsonld=clinic_jsonld(clinic), **listing
    )


@bp.get("/specialties/<slug>")
def specialty(slug: str) -> str:
    """Show a specialty: what it is, other names for it, and who practises it."""
    found = db.session.scalar(select(Specialty).where(Specialty.slug == slug))
    if found is None:
        abort(404)
    listing = _browse(
        "specialty",
        found.slug,
        select(Provider).join(ProviderSpecialty).where(ProviderSpecialty.specialty_id == found.id),
    )
    family = search.service().specialty_family(found.slug)
    return render_template(
        "public/directory/specialty.html",
        specialty=found,
        **listing,
        parent=_specialty_named(family.parent),
        subspecialties=_counts(family.children),
    )


def _specialty_named(slug: str | None) -> Specialty | None:
    if slug is None:
        return None
    return db.session.scalar(select(Specialty).where(Specialty.slug == slug))


def _counts(slugs: list[str]) -> list[tuple[Specialty, int]]:
    """Each specialization that has public listings, with their number, most first.

    One with nobody listed is left out: its page would only say so.
    """
    if not slugs:
        return []
    count = func.count(func.distinct(Provider.id))
    rows = db.session.execute(
        select(Specialty, count)
        .join(ProviderSpecialty, ProviderSpecialty.specialty_id == Specialty.id)
        .join(Provider, (Provider.id == ProviderSpecialty.provider_id) & public_listing())
        .where(Specialty.slug.in_(slugs))
        .group_by(Specialty.id)
        .having(count > 0)
        .order_by(count.desc(), Specialty.display_name)
    ).all()
    return [(spec, n) for spec, n in rows]
