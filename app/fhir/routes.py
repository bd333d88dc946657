"""FHIR views: the CapabilityStatement, reads and type-level searches (JSON only)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Response, current_app, request

from app.fhir import BASE_PATH, bp
from app.fhir import resources as res
from app.fhir.capability import capability_statement
from app.fhir.errors import FhirError, fhir_response, outcome_response
from app.fhir.params import SEARCH_PARAMS, SearchRequest, parse_search, strict_handling
from app.services import fhir_directory as directory
from app.templating import site_url


@bp.errorhandler(FhirError)
def fhir_error(error: FhirError) -> Response:
    """Answer a refused request with an OperationOutcome."""
    return outcome_response(error.status, error.diagnostics, error.code)


@bp.after_request
def no_sniff_cache(response: Response) -> Response:
    """Directory data changes during the day: let clients revalidate."""
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def base_url() -> str:
    """The absolute base of this FHIR server, e.g. ``https://care.example.org/fhir/R4``."""
    return site_url() + BASE_PATH


def _org_name() -> str:
    return current_app.config["ORG_NAME"]


def _check_format() -> None:
    parse_search("Organization", {"_format": request.args.get("_format", "")}, strict=False)


@bp.get("/metadata")
def metadata() -> Response:
    """Describe the server: resources, interactions and search parameters."""
    _check_format()
    return fhir_response(capability_statement(base_url(), _org_name()))


def _entry(resource: dict, mode: str | None = None) -> dict:
    entry = {"fullUrl": f"{base_url()}/{resource['resourceType']}/{resource['id']}"}
    entry["resource"] = resource
    if mode:
        entry["search"] = {"mode": mode}
    return entry


def _bundle(req: SearchRequest, total: int, matches: list[dict], included: list[dict]) -> dict:
    url = f"{base_url()}/{req.resource_type}"
    params = req.self_params()
    links = [{"relation": "self", "url": f"{url}?{urlencode([*params, ('_offset', req.offset)])}"}]
    if req.count and req.offset + req.count < total:
        nxt = [*params, ("_offset", req.offset + req.count)]
        links.append({"relation": "next", "url": f"{url}?{urlencode(nxt)}"})
    if req.count and req.offset > 0:
        prev = [*params, ("_offset", max(0, req.offset - req.count))]
        links.append({"relation": "previous", "url": f"{url}?{urlencode(prev)}"})
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": res.instant(datetime.now(UTC))},
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [_entry(r, "match") for r in matches] + [_entry(r, "include") for r in included],
    }
    if req.ignored:
        bundle["entry"].append(
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [
                        {
                            "severity": "warning",
                            "code": "not-supported",
                            "diagnostics": "Ignored unknown parameters: "
                            + ", ".join(sorted(set(req.ignored))),
                        }
                    ],
                },
                "search": {"mode": "outcome"},
            }
        )
    return bundle


def _search_practitioners(req: SearchRequest) -> dict:
    total, rows = directory.search_practitioners(req)
    return _bundle(req, total, [res.practitioner(p) for p in rows], [])


def _search_roles(req: SearchRequest) -> dict:
    total, rows = directory.search_roles(req)
    org = _org_name()
    included: list[dict] = []
    if "PractitionerRole:practitioner" in req.includes:
        ids = sorted({link.provider_id for link in rows})
        included += [res.practitioner(p) for p in directory.practitioners_by_ids(ids)]
    if "PractitionerRole:location" in req.includes:
        ids = sorted({link.location_id for link in rows})
        included += [res.location(loc, org) for loc in directory.locations_by_ids(ids)]
    if "PractitionerRole:organization" in req.includes and rows:
        included.append(res.organization(org, directory.organization_last_updated()))
    return _bundle(req, total, [res.practitioner_role(link, org) for link in rows], included)


def _search_locations(req: SearchRequest) -> dict:
    total, rows = directory.search_locations(req)
    org = _org_name()
    return _bundle(req, total, [res.location(loc, org) for loc in rows], [])


def _search_organizations(req: SearchRequest) -> dict:
    org = _org_name()
    body = res.organization(org, directory.organization_last_updated())
    matches = all(_org_matches(c.name, c.modifier, c.values, org) for c in req.clauses)
    found = [body] if matches else []
    page = found[req.offset : req.offset + req.count]
    return _bundle(req, len(found), page, [])


def _org_matches(name: str, modifier: str, values: tuple[str, ...], org: str) -> bool:
    if name == "_id":
        return directory.ORGANIZATION_ID in values
    text = org.lower()
    if modifier == "exact":
        return org in values
    if modifier == "contains":
        return any(v.lower() in text for v in values)
    return any(text.startswith(v.lower()) for v in values)


SEARCHES: dict[str, Callable[[SearchRequest], dict]] = {
    "Practitioner": _search_practitioners,
    "PractitionerRole": _search_roles,
    "Location": _search_locations,
    "Organization": _search_organizations,
}


@bp.get("/<resource_type>")
def search_type(resource_type: str) -> Response:
    """Search one resource type; the answer is a ``searchset`` Bundle with paging links."""
    if resource_type not in SEARCH_PARAMS:
        raise FhirError(404, f"This server has no {resource_type[:60]} resources.", "not-supported")
    req = parse_search(
        resource_type, request.args, strict=strict_handling(request.headers.get("Prefer"))
    )
    return fhir_response(SEARCHES[resource_type](req))


def _read(resource_type: str, fhir_id: str) -> dict | None:
    org = _org_name()
    if resource_type == "Practitioner":
        p = directory.get_practitioner(fhir_id)
        return res.practitioner(p) if p else None
    if resource_type == "PractitionerRole":
        link = directory.get_role(fhir_id)
        return res.practitioner_role(link, org) if link else None
    if resource_type == "Location":
        loc = directory.get_location(fhir_id)
        return res.location(loc, org) if loc else None
    if fhir_id == directory.ORGANIZATION_ID:
        return res.organization(org, directory.organization_last_updated())
    return None


@bp.get("/<resource_type>/<path:fhir_id>")
def read(resource_type: str, fhir_id: str) -> Response:
    """Read one resource by id; unknown or inactive ids answer 404."""
    if resource_type not in SEARCH_PARAMS:
        raise FhirError(404, f"This server has no {resource_type[:60]} resources.", "not-supported")
    _check_format()
    body = _read(resource_type, fhir_id)
    if body is None:
        raise FhirError(404, f"{resource_type}/{fhir_id[:64]} is not a listing here.")
    return fhir_response(body)
