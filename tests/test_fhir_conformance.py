"""Every FHIR resource the server returns validates against the R4B models, and a real
FHIR client (fhirpy) pages through live searches to the end by following ``next`` links."""

from __future__ import annotations

from collections import Counter

import pytest
import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhirpy import SyncFHIRClient
from flask import Flask
from flask.testing import FlaskClient

from bench.pages import serve_on_loopback

MODELS = {
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
    "Location": Location,
    "Organization": Organization,
    "OperationOutcome": OperationOutcome,
}


def _all_pages(client: FlaskClient, path: str) -> list[dict]:
    """Every Bundle of a search, following next links through the test client."""
    bundles, url = [], path
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_json(force=True)
        Bundle.model_validate(body)
        bundles.append(body)
        nxt = [link["url"] for link in body["link"] if link["relation"] == "next"]
        url = nxt[0].removeprefix("http://localhost") if nxt else None
    return bundles


def test_every_resource_of_every_type_validates(seeded_client: FlaskClient):
    cap = seeded_client.get("/fhir/R4/metadata").get_json(force=True)
    CapabilityStatement.model_validate(cap)
    counts: Counter[str] = Counter()
    for resource_type in ("Practitioner", "PractitionerRole", "Location", "Organization"):
        bundles = _all_pages(seeded_client, f"/fhir/R4/{resource_type}?_count=50")
        resources = [e["resource"] for b in bundles for e in b["entry"]]
        assert len(resources) == bundles[0]["total"] > 0
        for resource in resources:
            model = MODELS[resource["resourceType"]].model_validate(resource)
            assert model.meta.lastUpdated is not None
            # The read answers the same resource the search listed.
            read = seeded_client.get(f"/fhir/R4/{resource_type}/{resource['id']}")
            assert read.get_json(force=True) == resource
            counts[resource_type] += 1
    assert counts["Practitioner"] >= 100 and counts["Location"] >= 5
    assert counts["PractitionerRole"] >= counts["Practitioner"]
    bad = seeded_client.get("/fhir/R4/Practitioner?_count=x").get_json(force=True)
    OperationOutcome.model_validate(bad)


def test_included_resources_validate(seeded_client: FlaskClient):
    path = (
        "/fhir/R4/PractitionerRole?_count=25&_include=PractitionerRole:practitioner"
        "&_include=PractitionerRole:location&_include=PractitionerRole:organization"
    )
    for bundle in _all_pages(seeded_client, path):
        for entry in bundle["entry"]:
            MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])


@pytest.fixture
def live_fhir(seeded_app: Flask):
    with serve_on_loopback(seeded_app) as base:
        yield f"{base}/fhir/R4"


def test_fhirpy_pages_through_every_search_to_the_end(live_fhir: str):
    client = SyncFHIRClient(live_fhir)
    sizes = (("Practitioner", 7), ("PractitionerRole", 11), ("Location", 2))
    for resource_type, page_size in sizes:
        total = client.resources(resource_type).count()
        found = client.resources(resource_type).limit(page_size).fetch_all()
        ids = [r.id for r in found]
        assert len(ids) == total > page_size, resource_type
        assert len(set(ids)) == total, f"{resource_type}: duplicates across pages"


def test_fhirpy_searches_with_parameters_and_includes(live_fhir: str):
    client = SyncFHIRClient(live_fhir)
    pt = "http://nucc.org/provider-taxonomy|225100000X"
    roles = client.resources("PractitionerRole").search(specialty=pt).limit(5).fetch_all()
    assert roles and all(
        any(c.code == "225100000X" for s in r.specialty for c in s.coding) for r in roles
    )
    seattle = (
        client.resources("PractitionerRole")
        .search(**{"location.address-city": "Seattle"})
        .include("PractitionerRole", "location")
        .limit(10)
        .fetch_raw()
    )
    included = [e.resource for e in seattle.entry if e.search.mode == "include"]
    assert included and all(r.resourceType == "Location" for r in included)
    assert all(r.address.city == "Seattle" for r in included)
    first = client.resources("Practitioner").limit(1).fetch()[0]
    again = client.reference("Practitioner", first.id).to_resource()
    assert again.serialize() == first.serialize()
    near = client.resources("Location").search(near="47.61|-122.33|5|mi").fetch_all()
    assert near and all(loc.address.state == "WA" for loc in near)


def test_live_server_answers_fhir_json_and_strict_errors(live_fhir: str):
    resp = requests.get(f"{live_fhir}/metadata", timeout=10)
    assert resp.headers["Content-Type"] == "application/fhir+json"
    resp = requests.get(
        f"{live_fhir}/Practitioner",
        params={"unknown": "1"},
        headers={"Prefer": "handling=strict"},
        timeout=10,
    )
    assert resp.status_code == 400 and resp.json()["resourceType"] == "OperationOutcome"
