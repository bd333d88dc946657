"""The demo directory carries Washington's plan mix: Medicare, Medicare Advantage, Apple
Health (Medicaid managed care), commercial and exchange plans and TRICARE, each plan in a
network of a payer, all covering Washington, each network taken somewhere."""

from __future__ import annotations

from flask.testing import FlaskClient

BASE = "/fhir/R4"


def _all(client: FlaskClient, resource_type: str, **params) -> list[dict]:
    """Every match, following the bundle's next links."""
    found: list[dict] = []
    bundle = client.get(f"{BASE}/{resource_type}", query_string=params).get_json(force=True)
    while True:
        found += [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
        link = next((x["url"] for x in bundle.get("link", []) if x["relation"] == "next"), None)
        if link is None:
            return found
        path = link[link.index(BASE) :]
        bundle = client.get(path).get_json(force=True)


def test_demo_plans_are_the_washington_mix(seeded_client: FlaskClient):
    plans = _all(seeded_client, "InsurancePlan")
    codes = {c["code"] for p in plans for t in p["type"] for c in t.get("coding", [])}
    assert {"mediab", "mediadvhmo", "mediadv", "medihmo", "tri", "qhp"} <= codes
    assert {"commppo", "commhmo", "commepo"} <= codes
    names = {p["name"] for p in plans}
    assert {"Medicare", "Medicaid (Apple Health)", "TRICARE Select"} <= names
    areas = {
        a["id"]: a
        for a in _all(
            seeded_client,
            "Location",
            _id=",".join(
                sorted({r["reference"].split("/")[1] for p in plans for r in p["coverageArea"]})
            ),
        )
    }
    assert areas and all(a["address"]["state"] == "WA" for a in areas.values())
    assert all(p.get("ownedBy") and p.get("network") for p in plans)


def test_every_demo_network_is_taken_and_some_panels_are_closed(seeded_client: FlaskClient):
    networks = _all(seeded_client, "Organization", type="ntwk")
    assert len(networks) >= 9
    closed = 0
    for network in networks:
        roles = _all(seeded_client, "PractitionerRole", network=f"Organization/{network['id']}")
        assert roles, network["name"]
        for role in roles:
            for ext in role.get("extension", []):
                parts = {e["url"]: e for e in ext.get("extension", [])}
                if (
                    "fromNetwork" in parts
                    and parts.get("acceptingPatients", {})
                    .get("valueCodeableConcept", {})
                    .get("coding", [{}])[0]
                    .get("code")
                    == "nopt"
                ):
                    closed += 1
    assert closed, "no network has a closed panel"
    clinics = _all(seeded_client, "Location", type="HOSP,OUTLAB,PROFF,PC")
    assert all(c["address"]["state"] == "WA" for c in clinics)
