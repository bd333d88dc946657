"""JSON endpoints: search, typeahead, profiles, clinics and specialties."""

from __future__ import annotations

from flask import abort, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from app import notices, param_words, reasons
from app.api import bp
from app.api.openapi import FLAG_PARAMS, FLAG_VALUES, openapi_document
from app.extensions import db
from app.models import Location, Provider, Specialty
from app.models.visibility import public_clinic
from app.search import interface as search
from app.services.clinic_order import nearest_first
from app.services.directory import cards_for, load_providers


@bp.errorhandler(search.ParamError)
def param_error(error: search.ParamError) -> ResponseReturnValue:
    return jsonify(error=param_words.text(error), field=error.field, status=400), 400


@bp.errorhandler(search.SearchUnavailable)
def unavailable(error: search.SearchUnavailable) -> ResponseReturnValue:
    retry = {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}
    message = gettext("Search is temporarily unavailable.")
    return jsonify(error=message, status=503), 503, retry


def _location(link, distances: dict[int, float] | None = None) -> dict:
    loc = link.location
    return {
        "slug": loc.slug,
        "name": loc.name,
        "city": loc.city,
        "state": loc.state,
        "zip": loc.zip,
        "phone": link.effective_phone,
        "distance_miles": (distances or {}).get(loc.id),
    }


def provider_summary(
    provider: Provider | search.Card, distances: dict[int, float] | None = None
) -> dict:
    """The search-result shape of a provider."""
    return {
        "id": provider.id,
        "slug": provider.slug,
        "name": provider.full_name,
        "credentials": provider.credentials,
        "specialties": [
            {
                "code": link.specialty.code,
                "name": link.specialty.display_name,
                "slug": link.specialty.slug,
                "primary": link.is_primary,
            }
            for link in provider.specialty_links
        ],
        "locations": [
            _location(link, distances)
            for link, _miles in nearest_first(provider.active_location_links, distances)
        ],
        "accepting_new_patients": provider.accepting_new_patients,
        "telehealth": provider.telehealth,
        "languages": [{"code": lang.code, "name": lang.name} for lang in provider.languages],
        "url": f"/providers/{provider.slug}",
    }


@bp.get("/providers")
def providers() -> ResponseReturnValue:
    """Search providers with the shared query parameters."""
    for name in FLAG_PARAMS:
        for value in request.args.getlist(name):
            if value not in FLAG_VALUES:
                raise search.ParamError(name, search.NOT_A_FLAG, zero=True)
    engine = search.service()
    params = engine.parse_params(request.args, api=True)
    results = engine.search(params)
    alert = notices.alert_for(results.alert.level if results.alert else None)
    return jsonify(
        total=results.total,
        page=results.page,
        per_page=results.per_page,
        results=[
            provider_summary(card, hit.location_distances) for hit, card in cards_for(results.hits)
        ],
        facets={
            key: [
                {"slug": f.value, "name": f.label, "count": f.count, "selected": f.selected}
                for f in results.facets.get(key, [])
            ]
            for key in search.FACET_KEYS
        },
        did_you_mean=results.did_you_mean,
        message=reasons.message(results, current_app.config["ORG_PHONE"]),
        fallback=results.fallback,
        alert=alert.to_dict() if alert else None,
        reasons=[{"code": r.code, "args": r.args} for r in results.reasons],
        origin=(
            {"label": results.origin.label, "lat": results.origin.lat, "lon": results.origin.lon}
            if results.origin
            else None
        ),
    )


@bp.get("/providers/<id:provider_id>")
def provider_detail(provider_id: int) -> ResponseReturnValue:
    """One publicly listed provider with everything the profile shows."""
    found = load_providers([provider_id])
    if not found:
        abort(404, description=gettext("No listed provider has that id."))
    p = found[0]
    body = provider_summary(p)
    body.update(
        first_name=p.first_name,
        last_name=p.last_name,
        gender=p.gender,
        pronouns=p.pronouns,
        bio=p.bio,
        npi=p.npi,
        insurance=[{"slug": plan.slug, "name": plan.name} for plan in p.insurance_plans],
        verified_at=p.verified_at.isoformat() if p.verified_at else None,
    )
    for out, link in zip(body["locations"], p.active_location_links, strict=True):
        loc = link.location
        out.update(
            address=loc.address_one_line,
            latitude=loc.latitude,
            longitude=loc.longitude,
            hours=[
                {"day": day, "open": [[o.strftime("%H:%M"), c.strftime("%H:%M")] for o, c in spans]}
                for day, spans in loc.hours_by_day()
            ],
        )
    return jsonify(body)


@bp.get("/locations")
def locations() -> ResponseReturnValue:
    """Every public (active) clinic."""
    rows = db.session.scalars(select(Location).where(public_clinic()).order_by(Location.name))
    return jsonify(
        locations=[
            {
                "slug": loc.slug,
                "name": loc.name,
                "neighborhood": loc.neighborhood,
                "address": loc.address_one_line,
                "city": loc.city,
                "state": loc.state,
                "zip": loc.zip,
                "phone": loc.phone,
                "latitude": loc.latitude,
                "longitude": loc.longitude,
                "url": f"/locations/{loc.slug}",
            }
            for loc in rows
        ]
    )


@bp.get("/specialties")
def specialties() -> ResponseReturnValue:
    """Featured specialties, or every NUCC specialty with ``?all=1``."""
    flag = request.args.get("all", "")
    if flag not in ("", "0", "1"):
        abort(400, description=gettext("%(name)s must be 1 or left out.", name="all"))
    stmt = select(Specialty).order_by(Specialty.display_name)
    if flag != "1":
        stmt = stmt.where(Specialty.featured.is_(True))
    return jsonify(
        specialties=[
            {
                "code": s.code,
                "name": s.display_name,
                "slug": s.slug,
                "grouping": s.grouping,
                "synonyms": list(s.synonyms or []),
                "featured": s.featured,
                "url": f"/specialties/{s.slug}",
            }
            for s in db.session.scalars(stmt)
        ]
    )


@bp.get("/suggest")
def suggest() -> ResponseReturnValue:
    """Typeahead suggestions grouped as providers, specialties and clinics."""
    raw_limit = request.args.get("limit", "5")
    if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= 20:
        abort(
            400,
            description=gettext(
                "%(name)s must be a whole number from %(low)d to %(high)d.",
                name="limit",
                low=1,
                high=20,
            ),
        )
    found = search.service().suggest(request.args.get("q", ""), int(raw_limit))
    alert = notices.alert_for(found["red_flag"])

    def linked(item: dict, url: str) -> dict:
        # The engine's entries are cached and shared: build new ones, never change them.
        return {**{k: v for k, v in item.items() if k != "query"}, "url": url}

    return jsonify(
        {
            **{k: v for k, v in found.items() if k != "red_flag"},
            "alert": {**alert.to_dict(), "heading": alert.heading} if alert else None,
            "providers": [
                linked(p, url_for("public.provider", slug=p["slug"])) for p in found["providers"]
            ],
            "clinics": [
                linked(c, url_for("public.location", slug=c["slug"])) for c in found["clinics"]
            ],
            **{
                group: [
                    linked(e, url_for("public.find_a_doctor", **e["query"])) for e in found[group]
                ]
                for group in ("conditions", "specialties")
            },
        }
    )


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API, with the directory's filter values."""
    return jsonify(openapi_document(search.service().filter_values()))
