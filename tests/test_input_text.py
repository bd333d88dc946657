"""Text as people type it: NFC, Unicode casing, real US states, coordinates both or neither."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db as _db
from app.models import Location, Provider
from app.parsing.validation import STATE_CODES, nfc, sensible_case, state_problem
from tests import factories
from tests.conftest import AuthActions
from tests.test_staff_providers import _form, add_user, desk, world  # noqa: F401


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("İBRAHİM", "İbrahim"),
        (unicodedata.normalize("NFD", "MÜLLER"), "Müller"),
        ("NÚÑEZ", "Núñez"),
        (unicodedata.normalize("NFD", "ÇELİK-ŞAHİN"), "Çelik-Şahin"),
        ("MCDONALD", "McDonald"),
        ("O'BRIEN", "O'Brien"),
        ("deVries", "deVries"),
        ("ØRSTED", "Ørsted"),
    ],
)
def test_sensible_case_is_unicode_aware(typed, expected):
    assert sensible_case(typed) == expected


@given(st.text(alphabet=st.characters(categories=["Lu", "Mn", "Zs", "Pd"]), max_size=80))
def test_sensible_case_never_grows_a_name(name):
    assert len(sensible_case(name)) <= len(nfc(name))


def test_state_codes_come_from_the_us_library():
    assert {"WA", "DC", "PR", "GU", "VI", "AS", "MP"} <= STATE_CODES
    assert state_problem("wa ") is None
    for bad in ("XX", "ZZ", "W", "Washington", "", "QC"):
        assert state_problem(bad)


def _clinic_form(client, **changes) -> dict:
    data = _form(client.get("/staff/locations/new").get_data(as_text=True))
    data.update(
        name="Shoreline Clinic",
        address_line1="1 Main St",
        city="Shoreline",
        state="WA",
        zip="98133",
        active="y",
    )
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"state": "XX"}, b"USPS code"),
        ({"state": "Washingtn"}, b"USPS code"),  # full names are accepted (issue 12)
        ({"latitude": "47.6"}, b"Give both latitude and longitude"),
        ({"longitude": "-122.3"}, b"Give both latitude and longitude"),
        ({"zip": "00000"}, b"no map position"),
    ],
)
def test_clinic_form_refuses_bad_state_and_half_coordinates(app, desk, changes, message):  # noqa: F811
    before = _count_locations(app)
    response = desk.post("/staff/locations/new", data=_clinic_form(desk, **changes))
    assert response.status_code == 422
    assert message in response.data
    assert _count_locations(app) == before


def test_clinic_with_unknown_zip_but_both_coordinates_is_saved(app, desk):  # noqa: F811
    data = _clinic_form(desk, zip="00000", latitude="47.7", longitude="-122.3", state="pr")
    assert desk.post("/staff/locations/new", data=data).status_code == 302
    with app.app_context():
        loc = _db.session.scalar(select(Location).filter_by(name="Shoreline Clinic"))
        assert (loc.state, loc.latitude, loc.longitude) == ("PR", 47.7, -122.3)


def _count_locations(app) -> int:
    with app.app_context():
        return len(_db.session.scalars(select(Location.id)).all())


def test_decomposed_names_are_stored_nfc_and_measured_after_normalising(app, desk, world):  # noqa: F811
    url = f"/staff/providers/{world['provider_id']}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    # 80 letters "é" typed decomposed are 160 code points, but 80 characters: accepted.
    data["last_name"] = unicodedata.normalize("NFD", "é" * 80)
    data["first_name"] = unicodedata.normalize("NFD", "Zoë")
    assert desk.post(url, data=data).status_code == 302
    with app.app_context():
        p = _db.session.get(Provider, world["provider_id"])
        assert p.last_name == "é" * 80 and len(p.last_name) == 80
        assert p.first_name == "Zoë" and unicodedata.is_normalized("NFC", p.first_name)
    data = _form(desk.get(url).get_data(as_text=True))
    data["last_name"] = unicodedata.normalize("NFD", "é" * 81)
    response = desk.post(url, data=data)
    assert response.status_code == 422


def test_login_email_typed_decomposed_matches(app, client):
    with app.app_context():
        add_user("zoë@example.org")
        _db.session.commit()
    response = AuthActions(client).login(unicodedata.normalize("NFD", "zoë@example.org"))
    assert response.status_code == 302


def test_search_near_a_clinic_without_coordinates_does_not_crash(app):
    """Clinics from before the form refused them can lack coordinates; search copes."""
    with app.app_context():
        spec = factories.specialty(display_name="Physical Therapist")
        loc = factories.location(name="Nowhere Clinic", latitude=None, longitude=None)
        factories.provider(specialties=[spec], locations=[loc], last_name="Unplaced")
        _db.session.commit()
        search.rebuild()
    client = app.test_client()
    for query in (
        "/find-a-doctor?location=Nowhere+Clinic",
        "/find-a-doctor?q=unplaced&location=Nowhere+Clinic&sort=distance",
        "/api/v1/providers?location=Nowhere%20Clinic",
    ):
        assert client.get(query).status_code in (200, 422), query
    with app.app_context():
        params = search.parse_params(MultiDict({"location": "Nowhere Clinic"}), api=True)
        search.search(params)
