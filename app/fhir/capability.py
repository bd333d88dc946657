"""The CapabilityStatement: what this read-only Plan-Net server supports."""

from __future__ import annotations

from app.fhir.params import INCLUDES, SEARCH_PARAMS
from app.fhir.resources import PLAN_NET, PROFILES

# Bump when the supported resources or parameters change.
RELEASED = "2026-12-02T00:00:00Z"
FHIR_VERSION = "4.0.1"
SEARCH_PARAM_DEFINITIONS = {
    "_id": "http://hl7.org/fhir/SearchParameter/Resource-id",
    "near": "http://hl7.org/fhir/SearchParameter/Location-near",
}
DOCS = {
    "_id": "The resource id (comma-separated ids are ORed).",
    "near": "latitude|longitude|distance|units (mi or km; km when left out, 25 miles default).",
}


def _param(name: str, kind: str) -> dict:
    entry = {"name": name, "type": "special" if kind == "special" else kind}
    if name in SEARCH_PARAM_DEFINITIONS:
        entry["definition"] = SEARCH_PARAM_DEFINITIONS[name]
    if name in DOCS:
        entry["documentation"] = DOCS[name]
    return entry


def capability_statement(base_url: str, org_name: str) -> dict:
    """The CapabilityStatement for ``GET /fhir/R4/metadata``."""
    resources = []
    for resource_type, params in SEARCH_PARAMS.items():
        entry = {
            "type": resource_type,
            "profile": PROFILES[resource_type],
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [_param(name, kind) for name, kind in params.items()],
        }
        if resource_type in INCLUDES:
            entry["searchInclude"] = list(INCLUDES[resource_type])
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "id": "find-care",
        "meta": {"lastUpdated": RELEASED},
        "status": "active",
        "date": RELEASED,
        "publisher": org_name,
        "kind": "instance",
        "instantiates": [f"{PLAN_NET}/CapabilityStatement/plan-net"],
        "software": {"name": "Find Care"},
        "implementation": {
            "description": f"{org_name} provider directory (read-only)",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Paging with _count (at most 100) and the Bundle's next link. "
                    "Unknown parameters are ignored unless the request says "
                    "Prefer: handling=strict, which answers 400."
                ),
                "resource": resources,
                "searchParam": [
                    {"name": "_count", "type": "number"},
                ],
            }
        ],
    }
