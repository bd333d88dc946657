"""FHIR R4 Plan-Net API: searches, reads, paging and errors on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import LocationHours
from tests import factories as f

BASE = "/fhir/R4"
NPI = "http://hl7.org/fhir/sid/us-npi"
NUCC = "http://nucc.org/provider-taxonomy"


@pytest.fixture
def directory(any_app: Flask) -> dict:
    """A small directory: two open clinics, one closed, and providers in every state."""
    with any_app.app_context():
        pt = f.specialty(code="225100000X", display_name="Physical Therapist", nucc_name="PT")
        ortho = f.specialty(code="207X00000X", display_name="Orthopedic Surgery", nucc_name="OS")
        downtown = f.location(
            name="Downtown Clinic",
            city="Seattle",
            zip="98104",
            latitude=47.6036,
            longitude=-122.3256,
            accessibility_notes="Step-free entrance on 3rd Ave",
            hours=[LocationHours(weekday=d, opens=time(8), closes=time(17)) for d in range(5)],
        )
        eastside = f.location(
            name="Eastside Clinic",
            city="Bellevue",
            zip="98004",
            latitude=47.6101,
            longitude=-122.2015,
            phone="",
        )
        closed = f.location(name="Closed Clinic", city="Tacoma", zip="98402", active=False)
        en, es = f.language("en", "English"), f.language("es", "Spanish")
        nunez = f.provider(
            [pt],
            [downtown, eastside],
            first_name="María",
            middle_name="José",
            last_name="Núñez",
            credentials="DPT, OCS",
            npi="1234567893",
            gender="F",
            telehealth=True,
        )
        nunez.languages = [en, es]
        smith = f.provider([ortho], [eastside, closed], first_name="John", last_name="Smith")
        smith.accepting_new_patients = False
        hidden = f.provider([pt], [downtown], first_name="Hidden", last_name="Person", active=False)
        only_closed = f.provider([pt], [closed], first_name="Only", last_name="Closed")
        db.session.commit()
        ids = {
            "nunez": nunez.id,
            "smith": smith.id,
            "hidden": hidden.id,
            "only_closed": only_closed.id,
            "downtown": downtown.id,
            "eastside": eastside.id,
            "closed": closed.id,
        }
    return ids


@pytest.fixture
def fhir(any_app: Flask, directory: dict) -> FlaskClient:
    return any_app.test_client()


def get(client: FlaskClient, path: str, headers: dict | None = None, **params):
    resp = client.get(BASE + path, query_string=params, headers=headers or {})
    assert resp.headers["Content-Type"] == "application/fhir+json", resp.headers
    return resp.status_code, resp.get_json(force=True)


def ids(bundle: dict, mode: str = "match") -> list[str]:
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    return [e["resource"]["id"] for e in bundle["entry"] if e.get("search", {}).get("mode") == mode]


def test_metadata_lists_resources_and_parameters(fhir):
    status, cap = get(fhir, "/metadata")
    assert status == 200 and cap["resourceType"] == "CapabilityStatement"
    assert cap["fhirVersion"] == "4.0.1" and "application/fhir+json" in cap["format"]
    by_type = {r["type"]: r for r in cap["rest"][0]["resource"]}
    assert set(by_type) == {
        "Practitioner",
        "PractitionerRole",
        "Location",
        "Organization",
        "HealthcareService",
        "InsurancePlan",
        "OrganizationAffiliation",
        "Endpoint",
    }
    names = {t: {p["name"] for p in r["searchParam"]} for t, r in by_type.items()}
    docs = {
        p["name"]: p.get("documentation", "") for p in by_type["PractitionerRole"]["searchParam"]
    }
    for chain in ("location.address-postalcode", "location.address-city", "location.address-state"):
        assert chain in docs["location"]
    assert {"name", "family", "given", "identifier", "_id"} <= names["Practitioner"]
    assert {
        "specialty",
        "practitioner",
        "location",
        "organization",
    } <= names["PractitionerRole"]
    assert {"address", "address-city", "address-state", "address-postalcode", "near", "_id"} <= (
        names["Location"]
    )
    assert set(by_type["PractitionerRole"]["searchInclude"]) >= {
        "PractitionerRole:practitioner",
        "PractitionerRole:location",
    }


def test_practitioner_has_npi_name_gender_languages_and_credentials(fhir, directory):
    status, body = get(fhir, f"/Practitioner/{directory['nunez']}")
    assert status == 200
    assert body["identifier"][0]["system"] == NPI and body["identifier"][0]["value"] == "1234567893"
    assert body["name"][0]["family"] == "Núñez" and body["name"][0]["given"] == ["María", "José"]
    assert body["gender"] == "female"
    codes = [c["coding"][0]["code"] for c in body["communication"]]
    assert codes == ["en", "es"]
    assert [q["code"]["text"] for q in body["qualification"]] == ["DPT", "OCS"]
    assert body["meta"]["lastUpdated"].endswith("Z")


def test_role_has_specialty_location_org_phone_and_plan_net_extensions(fhir, directory):
    rid = f"{directory['nunez']}-{directory['downtown']}"
    status, role = get(fhir, f"/PractitionerRole/{rid}")
    assert status == 200 and role["id"] == rid
    assert role["specialty"][0]["coding"][0] == {
        "system": NUCC,
        "code": "225100000X",
        "display": "PT",
    }
    down_ref = {"reference": f"Location/{directory['downtown']}", "display": "Downtown Clinic"}
    assert role["location"] == [down_ref]
    assert role["organization"]["reference"] == "Organization/clinic-group"
    assert role["telecom"][0]["system"] == "phone"
    ext = {e["url"].rsplit("/", 1)[1]: e for e in role["extension"]}
    accepting = ext["newpatients"]["extension"][0]
    assert accepting["url"] == "acceptingPatients"
    assert accepting["valueCodeableConcept"]["coding"][0]["code"] == "newpt"
    methods = [
        e["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
        for e in role["extension"]
        if e["url"].endswith("/delivery-method")
    ]
    assert methods == ["physical", "virtual"]
    status, other = get(fhir, f"/PractitionerRole/{directory['smith']}-{directory['eastside']}")
    accepting = other["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert accepting["code"] == "nopt"


def test_location_has_address_position_hours_and_accessibility(fhir, directory):
    status, loc = get(fhir, f"/Location/{directory['downtown']}")
    assert status == 200
    assert loc["address"]["postalCode"] == "98104" and loc["address"]["city"] == "Seattle"
    assert loc["position"] == {"latitude": 47.6036, "longitude": -122.3256}
    assert loc["hoursOfOperation"] == [
        {
            "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
            "openingTime": "08:00:00",
            "closingTime": "17:00:00",
        }
    ]
    [ext] = loc["extension"]
    assert (
        ext["url"]
        == "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/accessibility"
    )
    status, east = get(fhir, f"/Location/{directory['eastside']}")
    assert "telecom" not in east  # no phone on file: no empty telecom


def test_only_active_listings_appear(fhir, directory):
    _, bundle = get(fhir, "/Practitioner")
    # A provider whose only clinic is closed is hidden like an inactive one (visibility rule)
    assert set(ids(bundle)) == {str(directory[k]) for k in ("nunez", "smith")}
    _, bundle = get(fhir, "/Location")
    assert set(ids(bundle)) == {str(directory["downtown"]), str(directory["eastside"])}
    _, bundle = get(fhir, "/PractitionerRole")
    assert set(ids(bundle)) == {
        f"{directory['nunez']}-{directory['downtown']}",
        f"{directory['nunez']}-{directory['eastside']}",
        f"{directory['smith']}-{directory['eastside']}",
    }
    for path in (
        f"/Practitioner/{directory['hidden']}",
        f"/Practitioner/{directory['only_closed']}",
        f"/Location/{directory['closed']}",
        f"/PractitionerRole/{directory['hidden']}-{directory['downtown']}",
        f"/PractitionerRole/{directory['smith']}-{directory['closed']}",
    ):
        status, body = get(fhir, path)
        assert status == 404 and body["resourceType"] == "OperationOutcome", path
        assert body["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "maría"}, ["nunez"]),
        ({"name": "NÚÑEZ"}, ["nunez"]),
        ({"name": "núñez"}, ["nunez"]),
        ({"name": "maría josé núñez"}, ["nunez"]),
        ({"name": "john smith"}, ["smith"]),
        ({"name": "jo"}, ["nunez", "smith"]),  # José (middle) and John
        ({"name:exact": "Smith"}, ["smith"]),
        ({"name:exact": "smith"}, []),
        ({"name:contains": "mit"}, ["smith"]),
        ({"family": "smi"}, ["smith"]),
        ({"given": "josé"}, ["nunez"]),
        ({"given": "smith"}, []),
        ({"name": "100%"}, []),
        ({"name": "_"}, []),
        ({"identifier": f"{NPI}|1234567893"}, ["nunez"]),
        ({"identifier": "1234567893"}, ["nunez"]),
        ({"identifier": "http://example.org/other|1234567893"}, []),
        ({"identifier": f"{NPI}|"}, ["nunez"]),
        ({"name": "smith,núñez"}, ["nunez", "smith"]),
    ],
)
def test_practitioner_searches(fhir, directory, params, expected):
    status, bundle = get(fhir, "/Practitioner", **params)
    assert status == 200, bundle
    assert ids(bundle) == sorted(str(directory[k]) for k in expected)
    assert bundle["total"] == len(expected)


def test_practitioner_id_search_and_and_of_repeated_params(fhir, directory):
    both = f"{directory['nunez']},{directory['smith']},abc,0,99999999999"
    _, bundle = get(fhir, "/Practitioner", _id=both)
    assert bundle["total"] == 2
    resp = fhir.get(f"{BASE}/Practitioner?family=n&family=nú")
    assert ids(resp.get_json(force=True)) == [str(directory["nunez"])]


def test_role_searches(fhir, directory):
    nunez, smith = directory["nunez"], directory["smith"]
    down, east = directory["downtown"], directory["eastside"]

    def roles(**params):
        status, bundle = get(fhir, "/PractitionerRole", **params)
        assert status == 200, bundle
        return ids(bundle)

    assert roles(specialty=f"{NUCC}|225100000X") == [f"{nunez}-{down}", f"{nunez}-{east}"]
    assert roles(specialty="207x00000x") == [f"{smith}-{east}"]
    assert roles(specialty="http://other|225100000X") == []
    assert roles(practitioner=f"Practitioner/{smith}") == [f"{smith}-{east}"]
    assert roles(practitioner=str(smith)) == [f"{smith}-{east}"]
    assert roles(practitioner=f"http://localhost/fhir/R4/Practitioner/{smith}") == [
        f"{smith}-{east}"
    ]
    assert roles(practitioner=f"Location/{smith}") == []
    assert roles(location=f"Location/{down}") == [f"{nunez}-{down}"]
    assert len(roles(organization="Organization/clinic-group")) == 3
    assert roles(organization="Organization/elsewhere") == []
    assert roles(**{"location.address-postalcode": "98004"}) == [
        f"{nunez}-{east}",
        f"{smith}-{east}",
    ]
    assert roles(**{"location.address-city": "seattle"}) == [f"{nunez}-{down}"]
    assert len(roles(**{"location.address-state": "WA"})) == 3
    assert roles(**{"location.address-city": "Tacoma"}) == []  # the clinic is closed
    assert roles(_id=f"{nunez}-{down},{smith}-{east},x-y") == [f"{nunez}-{down}", f"{smith}-{east}"]


def test_role_includes_practitioners_and_locations_once(fhir, directory):
    status, bundle = get(
        fhir,
        "/PractitionerRole",
        **{"location.address-postalcode": "98004"},
        _include=["PractitionerRole:practitioner", "PractitionerRole:location"],
    )
    assert status == 200 and bundle["total"] == 2
    included = [
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in bundle["entry"]
        if e["search"]["mode"] == "include"
    ]
    assert sorted(included) == sorted(
        [
            ("Practitioner", str(directory["nunez"])),
            ("Practitioner", str(directory["smith"])),
            ("Location", str(directory["eastside"])),
        ]
    )
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    assert ("_include", "PractitionerRole:location") in parse_qsl(urlsplit(self_link).query)


def test_location_searches(fhir, directory):
    down, east = str(directory["downtown"]), str(directory["eastside"])

    def locs(**params):
        status, bundle = get(fhir, "/Location", **params)
        assert status == 200, bundle
        return ids(bundle)

    assert locs(**{"address-city": "bell"}) == [east]
    assert locs(**{"address-postalcode": "981"}) == [down]
    assert locs(**{"address-state": "wa"}) == [down, east]
    assert locs(address="seattle") == [down]
    assert locs(address="98004") == [east]
    assert locs(near="47.6036|-122.3256|1|mi") == [down]
    assert locs(near="47.6036|-122.3256|10|mi") == [down, east]
    # Downtown to Eastside is about 9.3 km (5.8 miles) as the crow flies.
    assert locs(near="47.6036|-122.3256|8|km") == [down]
    assert locs(near="47.6036|-122.3256|8") == [down]  # km when the unit is left out
    assert locs(near="47.6036|-122.3256|8|mi") == [down, east]
    assert locs(near="40.7|-74.0|50|mi") == []
    assert locs(_id=f"{east},{directory['closed']}") == [east]


def test_organization_read_and_search(fhir):
    status, org = get(fhir, "/Organization/clinic-group")
    assert status == 200 and org["name"] == "Evergreen Valley Clinics"
    _, bundle = get(fhir, "/Organization", name="evergreen")
    assert ids(bundle) == ["clinic-group"]
    _, bundle = get(fhir, "/Organization", name="nothing")
    assert bundle["total"] == 0
    status, _ = get(fhir, "/Organization/other")
    assert status == 404


def test_paging_with_count_and_next_links(fhir, directory):
    seen, url, pages = [], f"{BASE}/PractitionerRole?_count=1", 0
    while url:
        resp = fhir.get(url)
        bundle = resp.get_json(force=True)
        assert bundle["total"] == 3 and len(ids(bundle)) <= 1
        seen += ids(bundle)
        nxt = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = urlsplit(nxt[0])._replace(scheme="", netloc="").geturl() if nxt else None
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 3
    _, bundle = get(fhir, "/Practitioner", _count="0")
    assert bundle["total"] == 2 and bundle["entry"] == []
    _, bundle = get(fhir, "/Practitioner", _count="5000")
    assert len(ids(bundle)) == 2  # capped at 100, not refused


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/Practitioner", {"_count": "-1"}, "_count"),
        ("/Practitioner", {"_count": "ten"}, "_count"),
        ("/Practitioner", {"_offset": "x"}, "_offset"),
        ("/Practitioner", {"name:fuzzy": "x"}, "modifier"),
        ("/Practitioner", {"identifier:text": "x"}, "modifier"),
        ("/Practitioner", {"name": "x" * 201}, "longer"),
        ("/Practitioner", {"name": "nu\x00ll"}, "NUL"),
        ("/Location", {"near": "abc"}, "near"),
        ("/Location", {"near": "91|0|1|mi"}, "latitude"),
        ("/Location", {"near": "47|-122|5|furlongs"}, "unit"),
        ("/Location", {"near": "47|-122|nan|mi"}, "distance"),
        ("/Location", {"near": "47|-122|9999|mi"}, "at most"),
        ("/Location", {"near:below": "47|-122|5|mi"}, "modifier"),
        ("/Practitioner", {"_id": ",".join(["1"] * 51)}, "at most"),
    ],
)
def test_bad_parameters_answer_400_with_outcome(fhir, path, params, fragment):
    status, body = get(fhir, path, **params)
    assert status == 400, body
    assert body["resourceType"] == "OperationOutcome"
    assert fragment in body["issue"][0]["diagnostics"]


def test_unknown_parameters_ignored_unless_strict(fhir):
    status, bundle = get(fhir, "/Practitioner", bogus="1", _sort="family")
    assert status == 200 and bundle["total"] == 2
    warnings = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert "bogus" in warnings[0]["resource"]["issue"][0]["diagnostics"]
    for prefer in ("handling=strict", "return=minimal, handling=strict", 'handling="strict"'):
        status, body = get(fhir, "/Practitioner", headers={"Prefer": prefer}, bogus="1")
        assert status == 400 and "bogus" in body["issue"][0]["diagnostics"], prefer
    status, body = get(
        fhir, "/Location", headers={"Prefer": "handling=strict"}, **{"address-city": "x"}
    )
    assert status == 200
    status, body = get(
        fhir,
        "/Location",
        headers={"Prefer": "handling=strict"},
        _include="PractitionerRole:location",
    )
    assert status == 400
    status, body = get(fhir, "/Practitioner", headers={"Prefer": "handling=lenient"}, x="1")
    assert status == 200


def test_unknown_types_ids_methods_and_formats(fhir):
    for path in ("/Patient", "/Patient/1", "/Practitioner/abc", "/Practitioner/0", "/nope/a/b"):
        status, body = get(fhir, path)
        assert status == 404 and body["resourceType"] == "OperationOutcome", path
    resp = fhir.post(f"{BASE}/Practitioner", json={"resourceType": "Practitioner"})
    assert resp.status_code == 405 and resp.headers["Content-Type"] == "application/fhir+json"
    status, body = get(fhir, "/Practitioner", _format="xml")
    assert status == 406 and body["resourceType"] == "OperationOutcome"
    status, _ = get(fhir, "/metadata", _format="application/fhir+json")
    assert status == 200


def test_ids_are_stable_across_edits(any_app, fhir, directory):
    _, before = get(fhir, f"/Practitioner/{directory['smith']}")
    with any_app.app_context():
        from app.models import Provider

        p = db.session.get(Provider, directory["smith"])
        p.bio = "Now with a bio."
        db.session.commit()
    _, after = get(fhir, f"/Practitioner/{directory['smith']}")
    assert after["id"] == before["id"]
    assert after["meta"]["lastUpdated"] >= before["meta"]["lastUpdated"]


SEARCH_KEYS = st.sampled_from(
    ["name", "family", "given", "identifier", "_id", "name:contains", "name:exact", "_count"]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pairs=st.lists(
        st.tuples(SEARCH_KEYS, st.text(max_size=40)),
        max_size=4,
    ),
    resource=st.sampled_from(["Practitioner", "PractitionerRole", "Location"]),
)
def test_any_value_gives_a_bundle_or_a_400_never_a_500(fhir, pairs, resource):
    resp = fhir.get(f"{BASE}/{resource}", query_string=pairs)
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)
    body = resp.get_json(force=True)
    assert body["resourceType"] == ("Bundle" if resp.status_code == 200 else "OperationOutcome")
