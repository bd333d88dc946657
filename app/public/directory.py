"""The provider directory: search page, profiles, clinic and specialty pages."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from app import search
from app.extensions import db
from app.models import Location, Provider, ProviderLocation, ProviderSpecialty, Specialty
from app.public import bp
from app.public import directory_view as view
from app.services.directory import (
    cards_for,
    get_active_provider_by_slug,
    provider_load_options,
)

BROWSE_LIMIT = 30


@bp.get("/find-a-doctor")
def find_a_doctor() -> ResponseReturnValue:
    """Search the directory by name, specialty, condition or place, with filters."""
    context: dict[str, object] = {
        "params": None,
        "results": None,
        "error": None,
        "view": view,
        "radius_choices": view.RADIUS_CHOICES,
    }
    # A red flag is shown whatever else happens to the search: first, and without JS.
    context["alert"] = search.red_flag(f"{_echo('q')} {_echo('location')}")
    try:
        params = search.parse_params(request.args, api=False)
    except search.ParamError as exc:
        context.update(error=exc.message, form_q=_echo("q"), form_location=_echo("location"))
        return render_template("public/directory/search.html", **context), 400
    context["params"] = params
    if params.is_empty():
        context["start"] = view.start_links()
        return render_template("public/directory/search.html", **context)
    try:
        results = search.search(params)
    except search.SearchUnavailable:
        context["unavailable"] = True
        return render_template("public/directory/search.html", **context), 503
    context.update(
        results=results,
        providers=_providers_for(results),
        chips=view.chips(params, results),
        page_links=view.pagination(results, params),
        showing=view.showing_range(results),
        sort_options=view.sort_options(params, results),
        widen=view.widen_suggestions(params, results),
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
    """Show a provider's full profile."""
    found = get_active_provider_by_slug(slug)
    if found is None:
        abort(404)
    return render_template("public/directory/provider.html", provider=found)


def _browse(stmt, limit: int = BROWSE_LIMIT) -> tuple[list[Provider], int]:
    """Active providers matching ``stmt``'s joins, by last name, plus the full count."""
    stmt = stmt.where(Provider.active.is_(True))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.options(*provider_load_options())
        .order_by(Provider.last_name, Provider.first_name, Provider.id)
        .limit(limit)
    ).all()
    return list(rows), total


@bp.get("/locations/<slug>")
def location(slug: str) -> str:
    """Show a clinic: address, phone, hours, access notes and its providers."""
    clinic = db.session.scalar(
        select(Location).where(Location.slug == slug, Location.active.is_(True))
    )
    if clinic is None:
        abort(404)
    providers, total = _browse(
        select(Provider).join(ProviderLocation).where(ProviderLocation.location_id == clinic.id)
    )
    return render_template(
        "public/directory/location.html", clinic=clinic, providers=providers, total=total
    )


@bp.get("/specialties/<slug>")
def specialty(slug: str) -> str:
    """Show a specialty: what it is, other names for it, and who practises it."""
    found = db.session.scalar(select(Specialty).where(Specialty.slug == slug))
    if found is None:
        abort(404)
    providers, total = _browse(
        select(Provider).join(ProviderSpecialty).where(ProviderSpecialty.specialty_id == found.id)
    )
    family = search.specialty_family(found.slug)
    return render_template(
        "public/directory/specialty.html",
        specialty=found,
        providers=providers,
        total=total,
        parent=_specialty_named(family.parent),
        subspecialties=_counts(family.children),
    )


def _specialty_named(slug: str | None) -> Specialty | None:
    if slug is None:
        return None
    return db.session.scalar(select(Specialty).where(Specialty.slug == slug))


def _counts(slugs: list[str]) -> list[tuple[Specialty, int]]:
    """Each specialization with its number of active providers, most first."""
    if not slugs:
        return []
    count = func.count(func.distinct(Provider.id))
    rows = db.session.execute(
        select(Specialty, count)
        .outerjoin(ProviderSpecialty, ProviderSpecialty.specialty_id == Specialty.id)
        .outerjoin(
            Provider, (Provider.id == ProviderSpecialty.provider_id) & Provider.active.is_(True)
        )
        .where(Specialty.slug.in_(slugs))
        .group_by(Specialty.id)
        .order_by(count.desc(), Specialty.display_name)
    ).all()
    return [(spec, n) for spec, n in rows]
