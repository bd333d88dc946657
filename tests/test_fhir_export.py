"""FHIR Bulk Data $export end to end over HTTP: kick-off (202 + Content-Location), polling,
the manifest, NDJSON files that parse with fhirclient and fhir.resources, and ``_since``."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from fhirclient.models.endpoint import Endpoint as FcEndpoint
from fhirclient.models.healthcareservice import HealthcareService as FcService
from fhirclient.models.insuranceplan import InsurancePlan as FcPlan
from fhirclient.models.location import Location as FcLocation
from fhirclient.models.organization import Organization as FcOrganization
from fhirclient.models.organizationaffiliation import OrganizationAffiliation as FcAffiliation
from fhirclient.models.practitioner import Practitioner as FcPractitioner
from fhirclient.models.practitionerrole import PractitionerRole as FcRole
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Provider
from tests.conftest import cpu_timed
from tests.test_fhir_plannet import MODELS

BASE = "/fhir/R4"
FHIRCLIENT = {
    "Practitioner": FcPractitioner,
    "PractitionerRole": FcRole,
    "Location": FcLocation,
    "Organization": FcOrganization,
    "HealthcareService": FcService,
    "InsurancePlan": FcPlan,
    "OrganizationAffiliation": FcAffiliation,
    "Endpoint": FcEndpoint,
}


def _timed(client: FlaskClient, method: str, url: str, **kw):
    """The kick-off and status calls answer at once (the export runs in the background):
    bounded in CPU time, so a busy machine does not fail the test."""
    resp, seconds = cpu_timed(client.open, url, method=method, **kw)
    assert seconds < 1.0, f"{url} took over a second of CPU"
    return resp


def _export(client: FlaskClient, query: str = "") -> dict:
    kick = _timed(client, "GET", f"{BASE}/$export{query}", headers={"Prefer": "respond-async"})
    assert kick.status_code == 202, kick.get_data(as_text=True)
    status_url = kick.headers["Content-Location"].removeprefix("http://localhost")
    deadline = time.monotonic() + 120
    while True:
        resp = _timed(client, "GET", status_url)
        if resp.status_code == 200:
            return {"manifest": resp.get_json(force=True), "status": status_url}
        assert resp.status_code == 202, resp.get_data(as_text=True)
        assert resp.headers["Retry-After"]
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.2)


def _lines(client: FlaskClient, url: str) -> list[dict]:
    resp = _timed(client, "GET", url.removeprefix("http://localhost"))
    try:
        assert resp.status_code == 200 and resp.mimetype == "application/fhir+ndjson"
        return [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    finally:
        resp.close()


def test_export_everything_then_only_what_changed(seeded_app, tmp_path):
    seeded_app.config["FHIR_EXPORT_DIR"] = str(tmp_path / "exports")
    client = seeded_app.test_client()
    result = _export(client)
    manifest = result["manifest"]
    assert manifest["requiresAccessToken"] is False and manifest["transactionTime"]
    by_type = {o["type"]: o for o in manifest["output"]}
    assert set(by_type) == set(FHIRCLIENT)
    for resource_type, entry in by_type.items():
        lines = _lines(client, entry["url"])
        assert len(lines) == entry["count"]
        search = client.get(f"{BASE}/{resource_type}?_count=0").get_json(force=True)
        assert len(lines) == search["total"], resource_type
        assert len({r["id"] for r in lines}) == len(lines)
        for resource in lines:
            assert resource["resourceType"] == resource_type
            FHIRCLIENT[resource_type](resource)  # strict: raises on any invalid element
            MODELS[resource_type].model_validate(resource)

    # Nothing changed since now: no files. Then change one provider: only it and its roles.
    later = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _export(client, f"?_since={later}")["manifest"]["output"] == []
    time.sleep(1.1)
    with seeded_app.app_context():
        provider = db.session.scalars(select(Provider).order_by(Provider.id)).first()
        provider.bio = provider.bio + " Updated."
        db.session.commit()
        pid = provider.id
    changed = _export(client, f"?_since={later}&_type=Practitioner,PractitionerRole,Location")
    out = {o["type"]: _lines(client, o["url"]) for o in changed["manifest"]["output"]}
    assert [r["id"] for r in out["Practitioner"]] == [str(pid)]
    assert out["PractitionerRole"] and all(
        r["id"].startswith(f"{pid}-") for r in out["PractitionerRole"]
    )
    assert "Location" not in out

    # Deleting the export removes it.
    assert client.delete(changed["status"]).status_code == 202
    assert client.get(changed["status"]).status_code == 404


def test_export_refuses_bad_requests(seeded_client):
    for query, fragment in (
        ("?_type=Patient", "Patient"),
        ("?_since=yesterday", "_since"),
        ("?_outputFormat=text/csv", "_outputFormat"),
    ):
        resp = seeded_client.get(f"{BASE}/$export{query}")
        assert resp.status_code == 400
        assert fragment in resp.get_json(force=True)["issue"][0]["diagnostics"]
    assert seeded_client.get(f"{BASE}/$export-status/nope").status_code == 404
