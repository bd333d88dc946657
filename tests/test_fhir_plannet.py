"""The Plan-Net suite, derived from the IG's own CapabilityStatement (1.1.0): every SHALL
search parameter, chain, ``_include`` and ``_revinclude`` finds what it should, and a value
that should match nothing finds nothing (so an ignored parameter cannot pass).

The lists come from ``tests/fixtures/plannet_capability_1.1.0.json``, extracted from
HL7/davinci-pdex-plan-net (see its ``_source``); the data is the seeded demo directory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.endpoint import Endpoint
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.insuranceplan import InsurancePlan
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.organizationaffiliation import OrganizationAffiliation
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from flask.testing import FlaskClient

BASE = "/fhir/R4"
IG = json.loads((Path(__file__).parent / "fixtures" / "plannet_capability_1.1.0.json").read_text())[
    "resources"
]
MODELS = {
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
    "Location": Location,
    "Organization": Organization,
    "HealthcareService": HealthcareService,
    "InsurancePlan": InsurancePlan,
    "OrganizationAffiliation": OrganizationAffiliation,
    "Endpoint": Endpoint,
}
NOTHING = {
    "string": "zzqxnomatch",
    "token": "zzqxnomatch",
    "reference": "999999999",
    "date": "lt1901-01-01",
}
PROFILE_OF = {"ntwk": "plannet-Network"}


def _get(client: FlaskClient, path: str, params: dict | list | None = None) -> dict:
    url = f"{BASE}/{path}" + (f"?{urlencode(params)}" if params else "")
    resp = client.get(url, headers={"Prefer": "handling=strict"})
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:500])
    return resp.get_json(force=True)


def _matches(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]


def _included(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]


def _all(client: FlaskClient, resource_type: str) -> list[dict]:
    out, offset = [], 0
    while True:
        page = _matches(_get(client, resource_type, {"_count": 100, "_offset": offset}))
        out += page
        if len(page) < 100:
            return out
        offset += 100


def _code(concepts: list[dict] | dict | None) -> str | None:
    for concept in concepts if isinstance(concepts, list) else [concepts or {}]:
        for coding in concept.get("coding", []):
            return f"{coding['system']}|{coding['code']}"
    return None


def _ref_ids(value) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [i["reference"] for i in items if isinstance(i, dict) and "reference" in i]


def _ext_refs(resource: dict, suffix: str) -> list[str]:
    return [
        e["valueReference"]["reference"]
        for e in resource.get("extension", [])
        if e["url"].endswith(suffix) and "valueReference" in e
    ]


# (resource type, parameter) -> the value of that parameter for a resource (None: absent).
VALUE: dict[tuple[str, str], Callable[[dict], str | None]] = {
    ("Practitioner", "name"): lambda r: r["name"][0]["family"],
    ("Practitioner", "family"): lambda r: r["name"][0]["family"],
    ("Practitioner", "given"): lambda r: r["name"][0]["given"][0],
    ("PractitionerRole", "role"): lambda r: _code(r.get("code")),
    ("PractitionerRole", "specialty"): lambda r: _code(r.get("specialty")),
    ("Location", "address"): lambda r: r.get("address", {}).get("state"),
    ("Location", "address-city"): lambda r: r.get("address", {}).get("city"),
    ("Location", "address-state"): lambda r: r.get("address", {}).get("state"),
    ("Location", "address-postalcode"): lambda r: r.get("address", {}).get("postalCode"),
    ("Location", "type"): lambda r: _code(r.get("type")),
    ("Location", "name"): lambda r: r["name"],
    ("Organization", "address"): lambda r: (r.get("address") or [{}])[0].get("city"),
    ("Organization", "name"): lambda r: r["name"],
    ("Organization", "type"): lambda r: _code(r.get("type")),
    ("InsurancePlan", "name"): lambda r: r["name"],
    ("InsurancePlan", "plan-type"): lambda r: _code([p["type"] for p in r.get("plan", [])]),
    ("InsurancePlan", "identifier"): lambda r: r["identifier"][0]["value"],
    ("InsurancePlan", "type"): lambda r: _code(r.get("type")),
    ("HealthcareService", "name"): lambda r: r["name"],
    ("HealthcareService", "service-category"): lambda r: _code(r.get("category")),
    ("HealthcareService", "service-type"): lambda r: (r.get("type") or [{}])[0].get("text"),
    ("HealthcareService", "specialty"): lambda r: _code(r.get("specialty")),
    ("OrganizationAffiliation", "role"): lambda r: _code(r.get("code")),
    ("OrganizationAffiliation", "specialty"): lambda r: _code(r.get("specialty")),
}
# Where each reference parameter points in a resource.
REFS: dict[tuple[str, str], Callable[[dict], list[str]]] = {
    ("Endpoint", "organization"): lambda r: _ref_ids(r.get("managingOrganization")),
    ("HealthcareService", "location"): lambda r: _ref_ids(r.get("location")),
    ("HealthcareService", "coverage-area"): lambda r: _ref_ids(r.get("coverageArea")),
    ("HealthcareService", "organization"): lambda r: _ref_ids(r.get("providedBy")),
    ("HealthcareService", "endpoint"): lambda r: _ref_ids(r.get("endpoint")),
    ("InsurancePlan", "administered-by"): lambda r: _ref_ids(r.get("administeredBy")),
    ("InsurancePlan", "owned-by"): lambda r: _ref_ids(r.get("ownedBy")),
    ("InsurancePlan", "coverage-area"): lambda r: _ref_ids(r.get("coverageArea")),
    ("Location", "partof"): lambda r: _ref_ids(r.get("partOf")),
    ("Location", "organization"): lambda r: _ref_ids(r.get("managingOrganization")),
    ("Location", "endpoint"): lambda r: _ref_ids(r.get("endpoint")),
    ("Organization", "partof"): lambda r: _ref_ids(r.get("partOf")),
    ("Organization", "endpoint"): lambda r: _ref_ids(r.get("endpoint")),
    ("Organization", "coverage-area"): lambda r: _ext_refs(r, "location-reference"),
    ("OrganizationAffiliation", "primary-organization"): lambda r: _ref_ids(r.get("organization")),
    ("OrganizationAffiliation", "participating-organization"): lambda r: _ref_ids(
        r.get("participatingOrganization")
    ),
    ("OrganizationAffiliation", "location"): lambda r: _ref_ids(r.get("location")),
    ("OrganizationAffiliation", "service"): lambda r: _ref_ids(r.get("healthcareService")),
    ("OrganizationAffiliation", "network"): lambda r: _ref_ids(r.get("network")),
    ("OrganizationAffiliation", "endpoint"): lambda r: _ref_ids(r.get("endpoint")),
    ("PractitionerRole", "practitioner"): lambda r: _ref_ids(r.get("practitioner")),
    ("PractitionerRole", "organization"): lambda r: _ref_ids(r.get("organization")),
    ("PractitionerRole", "location"): lambda r: _ref_ids(r.get("location")),
    ("PractitionerRole", "service"): lambda r: _ref_ids(r.get("healthcareService")),
    ("PractitionerRole", "network"): lambda r: _ext_refs(r, "network-reference"),
    ("PractitionerRole", "endpoint"): lambda r: _ref_ids(r.get("endpoint")),
}


@pytest.fixture
def everything(seeded_client: FlaskClient) -> dict[str, list[dict]]:
    """Every resource of every type, by type."""
    return {t: _all(seeded_client, t) for t in IG}


def _value(resource_type: str, name: str, resource: dict) -> str | None:
    if name == "_id":
        return resource["id"]
    if name == "_lastUpdated":
        return "eq" + resource["meta"]["lastUpdated"][:10]
    if (resource_type, name) in REFS:
        refs = REFS[resource_type, name](resource)
        return refs[0] if refs else None
    return VALUE[resource_type, name](resource)


def _ids(resources: list[dict]) -> set[str]:
    return {r["id"] for r in resources}


def test_metadata_declares_every_shall_search_include_and_revinclude(seeded_client):
    cap = _get(seeded_client, "metadata")
    ours = {r["type"]: r for r in cap["rest"][0]["resource"]}
    for resource_type, shall in IG.items():
        mine = ours[resource_type]
        declared = {p["name"]: p["type"] for p in mine["searchParam"]}
        for name, kind in shall["searchParam"].items():
            assert declared.get(name) == kind, (resource_type, name)
        assert set(shall["searchInclude"]) <= set(mine.get("searchInclude", []))
        assert set(shall["searchRevInclude"]) <= set(mine.get("searchRevInclude", []))
        assert {"read", "vread", "search-type"} <= {i["code"] for i in mine["interaction"]}


def test_every_resource_validates_and_carries_meta(everything):
    for resource_type, resources in everything.items():
        assert resources, f"the demo directory has no {resource_type}"
        for resource in resources:
            MODELS[resource_type].model_validate(resource)
            meta = resource["meta"]
            assert meta["versionId"] and meta["lastUpdated"].endswith("Z")
            assert meta["profile"][0].rsplit("/", 1)[1].startswith("plannet-")
    kinds = {_code(o["type"]).rsplit("|", 1)[1] for o in everything["Organization"]}
    assert kinds == {"prvgrp", "payer", "ntwk"}
    networks = [o for o in everything["Organization"] if "ntwk" in json.dumps(o["type"])]
    assert all(n["meta"]["profile"][0].endswith("plannet-Network") for n in networks)
    assert all("partOf" in n for n in networks)


def test_every_shall_search_parameter_finds_and_misses(seeded_client, everything):
    tried = 0
    for resource_type, shall in IG.items():
        for name, kind in shall["searchParam"].items():
            sample = next(
                (
                    r
                    for r in everything[resource_type]
                    if _value(resource_type, name, r) is not None
                ),
                None,
            )
            assert sample is not None, f"no {resource_type} has a value for {name}"
            value = _value(resource_type, name, sample)
            found = _matches(_get(seeded_client, resource_type, {name: value, "_count": 100}))
            bundle = _get(seeded_client, resource_type, {name: value, "_count": 0})
            assert sample["id"] in _ids(found) or bundle["total"] > 100, (resource_type, name)
            assert bundle["total"] <= len(everything[resource_type])
            miss = _get(seeded_client, resource_type, {name: NOTHING[kind]})
            assert miss["total"] == 0, (resource_type, name, "matched nonsense")
            tried += 1
    assert tried == sum(len(s["searchParam"]) for s in IG.values())


def test_a_filter_narrows(seeded_client, everything):
    """A real value finds fewer than everything where the data varies (not ignored)."""
    for resource_type, name in (
        ("PractitionerRole", "network"),
        ("PractitionerRole", "specialty"),
        ("Location", "address-city"),
        ("Organization", "type"),
        ("InsurancePlan", "type"),
        ("HealthcareService", "service-category"),
    ):
        sample = next(
            r for r in everything[resource_type] if _value(resource_type, name, r) is not None
        )
        bundle = _get(seeded_client, resource_type, {name: _value(resource_type, name, sample)})
        assert 0 < bundle["total"] < len(everything[resource_type]), (resource_type, name)


def _by_ref(everything: dict, reference: str) -> dict:
    resource_type, _, fhir_id = reference.partition("/")
    return next(r for r in everything[resource_type] if r["id"] == fhir_id)


def test_every_chain_finds_and_misses(seeded_client, everything):
    tried = 0
    for resource_type, shall in IG.items():
        for name, chains in shall["chains"].items():
            for chain in chains:
                target_type = None
                pair = None
                for r in everything[resource_type]:
                    for reference in REFS[resource_type, name](r):
                        target = _by_ref(everything, reference)
                        target_type = target["resourceType"]
                        if (target_type, chain) in REFS or (target_type, chain) in VALUE:
                            value = _value(target_type, chain, target)
                            if value is not None:
                                pair = (r, value)
                                break
                    if pair:
                        break
                key = f"{name}.{chain}"
                if pair is None:
                    # No row has data for this chain (e.g. clinics are part of nothing):
                    # it must still be accepted and match nothing.
                    miss = _get(seeded_client, resource_type, {key: "zzqxnomatch"})
                    assert miss["total"] == 0, key
                    continue
                sample, value = pair
                found = _matches(_get(seeded_client, resource_type, {key: value, "_count": 100}))
                total = _get(seeded_client, resource_type, {key: value, "_count": 0})["total"]
                assert sample["id"] in _ids(found) or total > 100, (resource_type, key, value)
                miss = _get(
                    seeded_client,
                    resource_type,
                    {key: "Organization/zzqx" if (target_type, chain) in REFS else "zzqxnomatch"},
                )
                assert miss["total"] == 0, (resource_type, key)
                tried += 1
    assert tried >= 30


def test_every_include_brings_exactly_the_references(seeded_client, everything):
    for resource_type, shall in IG.items():
        for include in shall["searchInclude"]:
            param = include.split(":")[1]
            sample = next(
                (r for r in everything[resource_type] if REFS[resource_type, param](r)), None
            )
            if sample is None:  # nothing refers that way (e.g. a clinic's partOf)
                bundle = _get(seeded_client, resource_type, {"_include": include})
                assert _included(bundle) == [], include
                continue
            bundle = _get(seeded_client, resource_type, {"_id": sample["id"], "_include": include})
            assert _ids(_matches(bundle)) == {sample["id"]}
            got = {f"{r['resourceType']}/{r['id']}" for r in _included(bundle)}
            assert got == set(REFS[resource_type, param](sample)), include
            for r in _included(bundle):
                MODELS[r["resourceType"]].model_validate(r)
            plain = _get(seeded_client, resource_type, {"_id": sample["id"]})
            assert _included(plain) == []


def test_every_revinclude_brings_the_referrers(seeded_client, everything):
    for resource_type, shall in IG.items():
        for rev in shall["searchRevInclude"]:
            source, param = rev.split(":")
            pair = next(
                (
                    (s, ref)
                    for s in everything[source]
                    for ref in REFS[source, param](s)
                    if ref.startswith(f"{resource_type}/")
                ),
                None,
            )
            assert pair is not None, f"no {source} refers to a {resource_type} by {param}"
            referrer, reference = pair
            target_id = reference.split("/", 1)[1]
            bundle = _get(seeded_client, resource_type, {"_id": target_id, "_revinclude": rev})
            got = {(r["resourceType"], r["id"]) for r in _included(bundle)}
            assert (source, referrer["id"]) in got, rev
            expected = {
                (source, s["id"]) for s in everything[source] if reference in REFS[source, param](s)
            }
            assert got == expected, rev


def test_read_and_vread_use_the_row_version(seeded_client, everything):
    for resource_type, resources in everything.items():
        resource = resources[0]
        path = f"{BASE}/{resource_type}/{resource['id']}"
        read = seeded_client.get(path)
        assert read.status_code == 200 and read.get_json(force=True) == resource
        version = resource["meta"]["versionId"]
        assert read.headers["ETag"] == f'W/"{version}"'
        assert seeded_client.get(f"{path}/_history/{version}").get_json(force=True) == resource
        stale = seeded_client.get(f"{path}/_history/0")
        assert stale.status_code == 404
        assert stale.get_json(force=True)["resourceType"] == "OperationOutcome"


def test_unsupported_chain_is_refused_when_strict(seeded_client):
    resp = seeded_client.get(
        f"{BASE}/PractitionerRole?practitioner.family=x", headers={"Prefer": "handling=strict"}
    )
    assert resp.status_code == 400
    assert "chain" in resp.get_json(force=True)["issue"][0]["diagnostics"]


def test_bundles_validate(seeded_client):
    bundle = _get(
        seeded_client,
        "PractitionerRole",
        [("_include", inc) for inc in IG["PractitionerRole"]["searchInclude"]] + [("_count", 5)],
    )
    Bundle.model_validate(bundle)
    assert {r["resourceType"] for r in _included(bundle)} >= {
        "Practitioner",
        "Location",
        "Organization",
        "HealthcareService",
        "Endpoint",
    }
