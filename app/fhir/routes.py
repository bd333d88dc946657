"""FHIR views: the CapabilityStatement, reads and type-level searches (JSON only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Response, current_app, request
from werkzeug.http import http_date

from app.fhir import BASE_PATH, bp, render
from app.fhir import resources as res
from app.fhir.capability import capability_statement
from app.fhir.errors import FhirError, fhir_response, outcome_response
from app.fhir.params import (
    SEARCH_PARAMS,
    Clause,
    SearchRequest,
    parse_search,
    strict_handling,
)
from app.services import plannet
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


def _resources(kind: str, rows: list) -> list[dict]:
    return render.render_page(kind, rows)


def _by_reference(references: list[str]) -> list[dict]:
    """Resources for ``Type/id`` references (public ones only), grouped by kind."""
    wanted: dict[str, list[str]] = {}
    for reference in dict.fromkeys(references):
        resource_type, _, fhir_id = reference.partition("/")
        kind = plannet.kind_of_id(resource_type, fhir_id)
        if kind in plannet.SPECS:
            wanted.setdefault(kind, []).append(fhir_id)
    out = []
    for kind, ids in wanted.items():
        spec = plannet.SPECS[kind]
        cond = plannet.condition(spec, Clause("_id", "", tuple(ids)))
        out += _resources(kind, plannet.rows_where(spec, cond))
    return out


def _search(req: SearchRequest) -> dict:
    total, found = plannet.search_request(req)
    matches: list[dict] = []
    by_kind: dict[str, list] = {}
    for kind, row in found:
        by_kind.setdefault(kind, []).append(row)
    for kind, rows in by_kind.items():
        matches += _resources(kind, rows)
    included: list[dict] = []
    for inc in req.includes:
        refs = [r for m in matches for r in render.references(m, inc)]
        included += _by_reference(refs)
    for rev in req.revincludes:
        source, _, param = rev.partition(":")
        for kind, rows in by_kind.items():
            included += _resources(source, plannet.revinclude_rows(source, param, kind, rows))
    seen = {(m["resourceType"], m["id"]) for m in matches}
    unique = []
    for r in included:
        key = (r["resourceType"], r["id"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return _bundle(req, total, matches, unique)


@bp.get("/<resource_type>")
def search_type(resource_type: str) -> Response:
    """Search one resource type; the answer is a ``searchset`` Bundle with paging links."""
    if resource_type not in SEARCH_PARAMS:
        raise FhirError(404, f"This server has no {resource_type[:60]} resources.", "not-supported")
    req = parse_search(
        resource_type, request.args, strict=strict_handling(request.headers.get("Prefer"))
    )
    return fhir_response(_search(req))


def _read(resource_type: str, fhir_id: str) -> dict | None:
    kind = plannet.kind_of_id(resource_type, fhir_id)
    row = plannet.read(kind, fhir_id)
    return _resources(kind, [row])[0] if row is not None else None


def _known_type(resource_type: str) -> None:
    if resource_type not in SEARCH_PARAMS:
        raise FhirError(404, f"This server has no {resource_type[:60]} resources.", "not-supported")


@bp.get("/<resource_type>/<fhir_id>")
def read(resource_type: str, fhir_id: str) -> Response:
    """Read one resource by id; unknown or hidden ids answer 404."""
    _known_type(resource_type)
    _check_format()
    body = _read(resource_type, fhir_id)
    if body is None:
        raise FhirError(404, f"{resource_type}/{fhir_id[:64]} is not a listing here.")
    response = fhir_response(body)
    response.headers["ETag"] = f'W/"{body["meta"]["versionId"]}"'
    response.headers["Last-Modified"] = http_date(_parse_instant(body["meta"]["lastUpdated"]))
    return response


@bp.get("/<resource_type>/<fhir_id>/_history/<version_id>")
def vread(resource_type: str, fhir_id: str, version_id: str) -> Response:
    """Read one version of a resource. Only the current version is kept: an older one
    answers 404 with a message saying so."""
    _known_type(resource_type)
    _check_format()
    body = _read(resource_type, fhir_id)
    if body is None:
        raise FhirError(404, f"{resource_type}/{fhir_id[:64]} is not a listing here.")
    if body["meta"]["versionId"] != version_id:
        raise FhirError(
            404,
            f"{resource_type}/{fhir_id[:64]} is at version {body['meta']['versionId']}; "
            "this server keeps only the current version.",
        )
    response = fhir_response(body)
    response.headers["ETag"] = f'W/"{version_id}"'
    return response


def _parse_instant(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
