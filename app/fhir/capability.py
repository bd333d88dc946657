"""The CapabilityStatement: what this read-only Plan-Net server supports."""

from __future__ import annotations

from app.fhir.params import INCLUDES, REFERENCES, REVINCLUDES, SEARCH_PARAMS
from app.fhir.render import PLAN_NET, PROFILES

# Bump when the supported resources or parameters change.
RELEASED = "2026-12-07T00:00:00Z"
FHIR_VERSION = "4.0.1"
SEARCH_PARAM_DEFINITIONS = {
    "_id": "http://hl7.org/fhir/SearchParameter/Resource-id",
    "_lastUpdated": "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
    "near": "http://hl7.org/fhir/SearchParameter/Location-near",
}
# Parameters Plan-Net defines (its SearchParameter ids are <type>-<name>, lower case).
BASE_PARAMS = {
    ("Practitioner", "family"): "individual-family",
    ("Practitioner", "given"): "individual-given",
    ("Practitioner", "identifier"): "Practitioner-identifier",
    ("Practitioner", "name"): "Practitioner-name",
    ("Location", "name"): "Location-name",
}
DOCS = {
    "_id": "The resource id (comma-separated ids are ORed).",
    "near": "latitude|longitude|distance|units (mi or km; km when left out, 25 miles default).",
}


def _param(resource_type: str, name: str, kind: str) -> dict:
    entry = {"name": name, "type": "special" if kind == "special" else kind}
    if name in SEARCH_PARAM_DEFINITIONS:
        entry["definition"] = SEARCH_PARAM_DEFINITIONS[name]
    elif (resource_type, name) in BASE_PARAMS:
        entry["definition"] = (
            f"http://hl7.org/fhir/SearchParameter/{BASE_PARAMS[resource_type, name]}"
        )
    else:
        entry["definition"] = (
            f"{PLAN_NET}/SearchParameter/{resource_type.lower()}-{name.replace('_', '')}"
        )
    docs = DOCS.get(name, "")
    ref = REFERENCES.get((resource_type, name))
    if ref:
        target, chains = ref
        docs = f"Reference to {target}." + (
            " Chains: " + ", ".join(f"{name}.{c}" for c in chains) + "." if chains else ""
        )
    if docs:
        entry["documentation"] = docs
    return entry


def capability_statement(base_url: str, org_name: str) -> dict:
    """The CapabilityStatement for ``GET /fhir/R4/metadata``."""
    resources = []
    for resource_type, params in SEARCH_PARAMS.items():
        entry = {
            "type": resource_type,
            "profile": PROFILES[resource_type],
            "interaction": [{"code": "read"}, {"code": "vread"}, {"code": "search-type"}],
            "versioning": "versioned",
            "readHistory": False,
            "referencePolicy": ["resolves"],
            "searchParam": [_param(resource_type, name, kind) for name, kind in params.items()],
        }
        if resource_type == "Organization":
            entry["supportedProfile"] = [PROFILES["Network"]]
        if resource_type in INCLUDES:
            entry["searchInclude"] = list(INCLUDES[resource_type])
        if resource_type in REVINCLUDES:
            entry["searchRevInclude"] = list(REVINCLUDES[resource_type])
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
                    "Read-only Da Vinci PDex Plan-Net 1.1.0 server. Paging with _count "
                    "(at most 100) and the Bundle's next link. Chained parameters as the "
                    "IG's SearchParameters list them (e.g. location.address-city); "
                    "read and vread of the current version. "
                    "Unknown parameters are ignored unless the request says "
                    "Prefer: handling=strict, which answers 400."
                ),
                "resource": resources,
                "searchParam": [
                    {"name": "_count", "type": "number"},
                ],
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                        "documentation": (
                            "System-level $export with _type and _since; async "
                            "(Prefer: respond-async), NDJSON files."
                        ),
                    }
                ],
            }
        ],
    }
