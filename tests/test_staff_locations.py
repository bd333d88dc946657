"""Clinics and specialty synonyms: versioned edits that re-index the providers they touch."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, Location, SearchOutbox, Specialty
from tests import factories
from tests.conftest import AuthActions, csrf_token
from tests.test_staff_providers import _form, add_user


@pytest.fixture
def site(app):
    with app.app_context():
        add_user()
        add_user("boss@example.org", "admin")
        spec = factories.specialty(code="225100000X", display_name="Physical Therapist")
        loc = factories.location(name="First Hill")
        providers = [factories.provider(specialties=[spec], locations=[loc]) for _ in range(3)]
        _db.session.commit()
        return {"location": loc.id, "specialty": spec.id, "providers": [p.id for p in providers]}


def _outbox_ids(app) -> list[int]:
    with app.app_context():
        return list(_db.session.scalars(select(SearchOutbox.entity_id).order_by(SearchOutbox.seq)))


def test_create_clinic_fills_coordinates_from_zip(app, client, site):
    AuthActions(client).login()
    data = _form(client.get("/staff/locations/new").get_data(as_text=True))
    data.update(
        name="Shoreline Clinic",
        address_line1="1 Main St",
        city="Shoreline",
        state="wa",
        zip="98133",
        phone="2065550188",
        d0_opens1="08:00",
        d0_closes1="12:00",
        d0_opens2="13:00",
        d0_closes2="17:00",
    )
    response = client.post("/staff/locations/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        loc = _db.session.scalar(select(Location).filter_by(name="Shoreline Clinic"))
        assert loc.latitude == pytest.approx(47.76, abs=0.1) and loc.longitude < -122
        assert (loc.state, loc.phone) == ("WA", "(206) 555-0188")
        assert [(h.weekday, h.opens.hour, h.closes.hour) for h in loc.hours] == [
            (0, 8, 12),
            (0, 13, 17),
        ]


def test_bad_hours_and_zip_are_explained(app, client, site):
    AuthActions(client).login()
    url = f"/staff/locations/{site['location']}/edit"
    data = _form(client.get(url).get_data(as_text=True))
    data.update(zip="ABCDE", d1_opens1="17:00", d1_closes1="09:00", d2_opens1="09:00")
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "5-digit ZIP" in html and "closing time must be later" in html
    assert "Give both times" in html


def test_clinic_edit_requeues_every_provider_there_and_409s_when_stale(app, client, site):
    AuthActions(client).login()
    url = f"/staff/locations/{site['location']}/edit"
    html = client.get(url).get_data(as_text=True)
    data = _form(html)
    assert data["version"] == "1"
    before = len(_outbox_ids(app))
    data["phone"] = "(206) 555-0111"
    assert client.post(url, data=data).status_code == 302
    assert sorted(_outbox_ids(app)[before:]) == sorted(site["providers"])
    with app.app_context():
        event = _db.session.scalar(select(AuditEvent).filter_by(entity_type="location"))
        assert event.before["phone"] != event.after["phone"] == "(206) 555-0111"
    data["name"] = "Stale name"
    response = client.post(url, data=data)  # still version 1
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this clinic first" in page and "Stale name" in page


def test_admin_edits_synonyms_and_providers_are_requeued(app, client, site):
    AuthActions(client).login(email="boss@example.org")
    url = f"/staff/specialties/{site['specialty']}"
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    before = len(_outbox_ids(app))
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "version": "1",
            "synonyms": "back doctor\nPT\n\nphysio; back doctor",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert _db.session.get(Specialty, site["specialty"]).synonyms == [
            "back doctor",
            "PT",
            "physio",
        ]
        assert (
            _db.session.scalar(
                select(func.count()).select_from(AuditEvent).filter_by(entity_type="specialty")
            )
            == 1
        )
    assert sorted(_outbox_ids(app)[before:]) == sorted(site["providers"])
    stale = client.post(url, data={"csrf_token": token, "version": "1", "synonyms": "x"})
    assert stale.status_code == 409


def test_staff_cannot_edit_synonyms(client, site):
    AuthActions(client).login()
    token = csrf_token(client, "/staff/")
    assert client.get(f"/staff/specialties/{site['specialty']}").status_code == 403
    response = client.post(
        f"/staff/specialties/{site['specialty']}",
        data={"csrf_token": token, "version": "1", "synonyms": "x"},
    )
    assert response.status_code == 403


def test_audit_log_filters(app, client, site):
    AuthActions(client).login()
    url = f"/staff/locations/{site['location']}/edit"
    data = _form(client.get(url).get_data(as_text=True))
    data["phone"] = "(206) 555-0112"
    assert client.post(url, data=data).status_code == 302
    AuthActions(client).logout()
    AuthActions(client).login(email="boss@example.org")
    everything = client.get("/staff/audit").get_data(as_text=True)
    assert "First Hill" in everything
    by_entity = client.get("/staff/audit?entity=location&action=update&actor=desk")
    assert "1 event." in by_entity.get_data(as_text=True)
    assert "0 events" in client.get("/staff/audit?actor=boss").get_data(as_text=True)
    assert "0 events" in client.get("/staff/audit?from=2999-01-01").get_data(as_text=True)
    today = client.get("/staff/audit?entity=location&to=2999-01-01&from=2000-01-01")
    assert "1 event." in today.get_data(as_text=True)
    assert client.get("/staff/audit?from=garbage&page=x").status_code == 200
