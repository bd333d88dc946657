"""Clinic accessibility, parking notes and phone-line hours: staff edits (audited), pages,
the "Wheelchair accessible" search filter with counts, FHIR and JSON-LD."""

from __future__ import annotations

import re

import extruct
import pytest
from fhir.resources.R4B.location import Location as FhirLocation
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import search
from app.extensions import db
from app.models import AuditEvent, Location, Provider
from tests import factories as f
from tests.conftest import AuthActions
from tests.test_staff_providers import _form

COUNT_RE = (
    r'name="wheelchair" value="1"( checked)?>\s*'
    r'<span>Wheelchair accessible <span class="count">\((\d+)'
)


@pytest.fixture
def clinic_site(any_app: Flask) -> dict:
    with any_app.app_context():
        f.user()
        spec = f.specialty(display_name="Physical Therapist", slug="physical-therapist")
        step_free = f.location(name="Step Free Clinic", slug="step-free")
        stairs = f.location(name="Upstairs Clinic", slug="upstairs", zip="98103")
        a = f.provider([spec], [step_free], first_name="Ana", last_name="Able")
        b = f.provider([spec], [stairs], first_name="Ben", last_name="Baker")
        c = f.provider([spec], [stairs, step_free], first_name="Cy", last_name="Cole")
        db.session.commit()
        search.rebuild()
        return {"step_free": step_free.id, "stairs": stairs.id, "ids": (a.id, b.id, c.id)}


def _edit(client, location_id: int, **changes):
    url = f"/staff/locations/{location_id}/edit"
    data = _form(client.get(url).get_data(as_text=True))
    data.update(changes)
    return client.post(url, data=data)


def _wheelchair_count(client, query: str = "location=98104") -> tuple[int, bool]:
    html = client.get(f"/find-a-doctor?{query}").get_data(as_text=True)
    match = re.search(COUNT_RE, html)
    assert match, "no Wheelchair accessible filter with a count"
    return int(match.group(2)), bool(match.group(1))


def test_staff_edit_features_and_phone_hours_is_audited_and_reindexed(any_app, clinic_site):
    client = any_app.test_client()
    AuthActions(client).login()
    assert _wheelchair_count(client) == (0, False)
    resp = _edit(
        client,
        clinic_site["step_free"],
        wheelchair_entrance="y",
        hearing_loop="y",
        parking_notes="Two accessible bays by the door; bus 7 stops outside.",
        p0_opens="07:30",
        p0_closes="19:00",
        p5_opens="09:00",
        p5_closes="12:00",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with any_app.app_context():
        loc = db.session.get(Location, clinic_site["step_free"])
        assert [n for n, _ in loc.accessibility_features] == ["wheelchair_entrance", "hearing_loop"]
        assert [(h.weekday, h.opens.strftime("%H:%M")) for h in loc.phone_hours] == [
            (0, "07:30"),
            (5, "09:00"),
        ]
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "location").order_by(AuditEvent.id)
        ).all()[-1]
        changed = {name for name, _, _ in event.changed_fields()}
        assert {"wheelchair_entrance", "hearing_loop", "phone_hours", "parking_notes"} <= changed
        assert event.actor_label == "desk@example.org"
    # Ana (only there) and Cy (one of two clinics) now count; Ben does not.
    assert _wheelchair_count(client) == (2, False)
    html = client.get("/find-a-doctor?location=98104&wheelchair=1").get_data(as_text=True)
    assert "Able" in html and "Cole" in html and "Baker" not in html
    assert _wheelchair_count(client, "location=98104&wheelchair=1") == (2, True)
    assert "Baker" in client.get("/find-a-doctor?location=98104").get_data(as_text=True)
    # Removing it again is audited too and the filter follows.
    _edit(client, clinic_site["step_free"], wheelchair_entrance=[])
    assert _wheelchair_count(client) == (0, False)


def test_bad_phone_hours_are_refused_and_nothing_changes(any_app, clinic_site):
    client = any_app.test_client()
    AuthActions(client).login()
    resp = _edit(
        client, clinic_site["stairs"], p2_opens="18:00", p2_closes="08:00", p3_opens="09:00"
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "closing time must be later" in html and "Give both times" in html
    with any_app.app_context():
        assert db.session.get(Location, clinic_site["stairs"]).phone_hours == []


def test_pages_show_features_parking_and_phone_hours(seeded_client):
    html = seeded_client.get("/locations/first-hill").get_data(as_text=True)
    for label in ("Wheelchair-accessible entrance", "Accessible parking", "Hearing loop"):
        assert label in html
    assert "Interpreter services" not in html  # First Hill does not have it
    assert "Phone-line hours" in html and "When the phone is answered" in html
    assert "Validated parking" in html
    profile = seeded_client.get("/providers/maria-nunez-dpt").get_data(as_text=True)
    assert "Wheelchair-accessible entrance" in profile and "Phone-line hours" in profile
    shoreline = seeded_client.get("/locations/shoreline").get_data(as_text=True)
    assert "Phone-line hours" not in shoreline and 'data-feature="' not in shoreline


def test_filter_counts_match_the_database_without_javascript(seeded_app: Flask):
    """The count next to the checkbox is what a plain GET with the box ticked returns."""
    client = seeded_app.test_client()
    with seeded_app.app_context():
        truth = {
            p.id
            for p in db.session.scalars(select(Provider).where(Provider.active.is_(True)))
            if any(link.location.wheelchair_entrance for link in p.active_location_links)
        }
    assert truth
    count, checked = _wheelchair_count(client, "location=98104&radius=100")
    assert not checked
    found = _all_ids(client, {"location": "98104", "radius": "100", "wheelchair": "1"})
    assert len(found) == count and found <= truth


def _all_ids(client, params: dict) -> set[int]:
    """Every provider id of an API search, page by page."""
    ids: set[int] = set()
    page = 1
    while True:
        query = {**params, "per_page": "100", "page": str(page)}
        body = client.get("/api/v1/providers", query_string=query).get_json()
        ids |= {r["id"] for r in body["results"]}
        if page * 100 >= body["total"]:
            assert len(ids) == body["total"]
            return ids
        page += 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flags=st.sets(st.sampled_from(["accepting", "telehealth", "wheelchair"])),
    q=st.sampled_from(["", "physical therapist", "back pain", "spine", "nunez"]),
)
def test_flag_combinations_agree_with_the_database(seeded_app: Flask, flags, q):
    with seeded_app.app_context():
        providers = db.session.scalars(select(Provider).where(Provider.active.is_(True))).all()
        wanted = {
            p.id
            for p in providers
            if ("accepting" not in flags or p.accepting_new_patients)
            and ("telehealth" not in flags or p.telehealth)
            and (
                "wheelchair" not in flags
                or any(link.location.wheelchair_entrance for link in p.active_location_links)
            )
        }
    client = seeded_app.test_client()
    params = {"location": "98104", "radius": "500", **dict.fromkeys(flags, "1")}
    if q:
        params["q"] = q
    found = _all_ids(client, params)
    assert found <= wanted
    if not q:  # every clinic is within 500 miles: the filters alone decide
        assert found == wanted


def test_fhir_location_exports_features_and_phone_hours(seeded_app: Flask):
    client = seeded_app.test_client()
    with seeded_app.app_context():
        first_hill = db.session.scalar(select(Location).where(Location.slug == "first-hill"))
        loc_id = first_hill.id
    body = client.get(f"/fhir/R4/Location/{loc_id}").get_json(force=True)
    FhirLocation.model_validate(body)
    access = [
        e["valueCodeableConcept"] for e in body["extension"] if e["url"].endswith("/accessibility")
    ]
    texts = [c["text"] for c in access]
    assert texts[:5] == [
        "Wheelchair-accessible entrance",
        "Accessible parking",
        "Elevator",
        "Accessible restroom",
        "Hearing loop",
    ]
    assert access[0]["coding"][0]["code"] == "handiaccess"
    assert "coding" not in access[4]  # no Plan-Net code for a hearing loop: text only
    [phone] = body["telecom"]
    [available, saturday] = phone["extension"]
    assert [e["valueCode"] for e in saturday["extension"] if e["url"] == "daysOfWeek"] == ["sat"]
    assert available["url"].endswith("/contactpoint-availabletime")
    days = [e["valueCode"] for e in available["extension"] if e["url"] == "daysOfWeek"]
    assert days == ["mon", "tue", "wed", "thu", "fri"]
    times = {e["url"]: e["valueTime"] for e in available["extension"] if "Time" in e["url"]}
    assert times == {"availableStartTime": "07:00:00", "availableEndTime": "19:00:00"}
    assert "Validated parking" in body["description"]


def test_jsonld_lists_amenities_and_phone_line(seeded_client):
    html = seeded_client.get("/locations/first-hill").get_data(as_text=True)
    [item] = extruct.extract(html, base_url="http://localhost/", syntaxes=["json-ld"])["json-ld"]
    names = [a["name"] for a in item["amenityFeature"]]
    assert "Wheelchair-accessible entrance" in names and all(
        a["value"] is True for a in item["amenityFeature"]
    )
    hours = item["contactPoint"]["hoursAvailable"]
    assert hours[0]["opens"] == "07:00" and hours[0]["closes"] == "19:00"
