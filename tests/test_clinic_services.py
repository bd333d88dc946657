"""Services offered at a clinic, edited on the clinic form: one rule, audited, served by FHIR
as soon as they are saved, and a stale form loses nobody's work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEvent, HealthcareService, Location
from app.services.clinic_services import ServiceInput, new_service, new_services
from app.transaction import InvalidInput
from tests import factories
from tests.conftest import AuthActions
from tests.test_staff_providers import _form, add_user


@pytest.fixture
def clinic(app):
    with app.app_context():
        add_user()
        spec = factories.specialty(code="225100000X", display_name="Physical Therapist")
        loc = factories.location(name="First Hill")
        other = factories.location(name="Bellevue")
        provider = factories.provider(specialties=[spec], locations=[loc])
        _db.session.flush()
        xray = HealthcareService(location_id=loc.id, category="outpat", name="X-ray")
        elsewhere = HealthcareService(location_id=other.id, category="lab", name="Lab")
        _db.session.add_all([xray, elsewhere])
        _db.session.commit()
        return {
            "location": loc.id,
            "specialty": spec.id,
            "provider": provider.id,
            "xray": xray.id,
            "elsewhere": elsewhere.id,
        }


def _url(clinic) -> str:
    return f"/staff/locations/{clinic['location']}/edit"


def _row(data: dict, name: str) -> int:
    """The index of the form row showing the service called ``name``."""
    return next(int(k.split("-")[1]) for k, v in data.items() if k.endswith("-name") and v == name)


def _blank(data: dict) -> int:
    return next(
        int(k.split("-")[1])
        for k, v in data.items()
        if k.endswith("-name") and not v and not data[k.replace("-name", "-id")]
    )


def _fhir(client, **params) -> list[dict]:
    bundle = client.get("/fhir/R4/HealthcareService", query_string=params).get_json()
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def _services(app, location_id: int) -> list[tuple[str, str, bool]]:
    with app.app_context():
        rows = _db.session.scalars(
            select(HealthcareService)
            .filter_by(location_id=location_id)
            .order_by(HealthcareService.id)
        )
        return [(s.name, s.category, s.active) for s in rows]


def test_staff_add_a_service_and_fhir_serves_it_at_once(app, client, clinic):
    AuthActions(client).login()
    assert _fhir(client, **{"service-category": "lab", "location": str(clinic["location"])}) == []
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    assert data[f"services-{_row(data, 'X-ray')}-category"] == "outpat"
    n = _blank(data)
    data.update(
        {
            f"services-{n}-name": "Laboratory  tests",
            f"services-{n}-category": "lab",
            f"services-{n}-type_text": "Laboratory",
            f"services-{n}-specialty_id": str(clinic["specialty"]),
        }
    )
    assert client.post(_url(clinic), data=data).status_code == 302

    found = _fhir(client, **{"service-category": "lab", "location": str(clinic["location"])})
    assert [r["name"] for r in found] == ["Laboratory tests"]
    assert found[0]["category"][0]["coding"][0]["code"] == "lab"
    roles = client.get(
        "/fhir/R4/PractitionerRole", query_string={"service.service-category": "lab"}
    ).get_json()
    assert [e["resource"]["id"] for e in roles.get("entry", [])] == [
        f"{clinic['provider']}-{clinic['location']}"
    ]
    with app.app_context():
        event = _db.session.scalar(select(AuditEvent).filter_by(entity_type="healthcare_service"))
        assert (event.action, event.after["category"], event.before) == (
            "create",
            "lab",
            None,
        )
        clinic_event = _db.session.scalar(select(AuditEvent).filter_by(entity_type="location"))
        assert clinic_event.before["services"] == ["outpat: X-ray"]
        assert clinic_event.after["services"] == ["lab: Laboratory tests", "outpat: X-ray"]


def test_staff_rename_and_remove_services(app, client, clinic):
    AuthActions(client).login()
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    n = _blank(data)
    data.update({f"services-{n}-name": "Walk-in care", f"services-{n}-category": "urg"})
    assert client.post(_url(clinic), data=data).status_code == 302
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    data[f"services-{_row(data, 'X-ray')}-name"] = "X-ray and ultrasound"
    data[f"services-{_row(data, 'Walk-in care')}-remove"] = "y"
    assert client.post(_url(clinic), data=data).status_code == 302
    assert _services(app, clinic["location"]) == [
        ("X-ray and ultrasound", "outpat", True),
        ("Walk-in care", "urg", False),
    ]
    assert [r["name"] for r in _fhir(client, location=str(clinic["location"]))] == [
        "X-ray and ultrasound"
    ]
    assert _fhir(client, **{"service-category": "urg"}) == []
    with app.app_context():
        actions = list(
            _db.session.scalars(
                select(AuditEvent.action)
                .filter_by(entity_type="healthcare_service")
                .order_by(AuditEvent.id)
            )
        )
        assert sorted(actions) == ["create", "delete", "update"]
    # A clinic save that leaves the services alone writes no service event.
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    data["phone"] = "(206) 555-0142"
    assert client.post(_url(clinic), data=data).status_code == 302
    with app.app_context():
        count = _db.session.scalar(
            select(_db.func.count())
            .select_from(AuditEvent)
            .filter_by(entity_type="healthcare_service")
        )
        assert count == 3


@pytest.mark.parametrize(
    ("name", "category", "message"),
    [
        ("Physio", "", "Choose the kind of service."),
        ("Physio", "spa", "Choose the kind of service."),
        ("   ", "lab", "Enter the service&#39;s name."),
        ("x" * 161, "lab", "Keep the service&#39;s name to 160 characters."),
        ("x-RAY", "outpat", "This clinic already lists a service with this name."),
    ],
)
def test_bad_service_rows_are_explained_and_nothing_is_saved(
    app, client, clinic, name, category, message
):
    AuthActions(client).login()
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    n = _blank(data)
    data.update({f"services-{n}-name": name, f"services-{n}-category": category})
    response = client.post(_url(clinic), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and f'href="#services-{n}-' in html
    assert _services(app, clinic["location"]) == [("X-ray", "outpat", True)]


def test_a_service_of_another_clinic_cannot_be_edited_here(app, client, clinic):
    AuthActions(client).login()
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    data[f"services-{_row(data, 'X-ray')}-id"] = str(clinic["elsewhere"])
    response = client.post(_url(clinic), data=data)
    assert response.status_code == 422
    assert "no longer at this clinic" in response.get_data(as_text=True)
    data[f"services-{_row(data, 'X-ray')}-id"] = "abc"
    assert client.post(_url(clinic), data=data).status_code == 422
    assert _services(app, clinic["location"]) == [("X-ray", "outpat", True)]


@pytest.mark.parametrize("mangled", ["²", "٣", "9" * 25, str(2**63), "-1"])
def test_mangled_numbers_in_a_service_row_are_refused_not_a_500(app, client, clinic, mangled):
    """Digits Python's int() refuses, and numbers past any column's range, on both fields."""
    AuthActions(client).login()
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    n = _blank(data)
    data.update(
        {
            f"services-{n}-name": "Physio",
            f"services-{n}-category": "lab",
            f"services-{n}-specialty_id": mangled,
        }
    )
    response = client.post(_url(clinic), data=data)
    assert response.status_code == 422
    assert "Choose a specialty from the list." in response.get_data(as_text=True)
    data = _form(client.get(_url(clinic)).get_data(as_text=True))
    data[f"services-{_row(data, 'X-ray')}-id"] = mangled
    assert client.post(_url(clinic), data=data).status_code == 422
    assert _services(app, clinic["location"]) == [("X-ray", "outpat", True)]


def test_a_stale_clinic_form_answers_409_and_loses_no_service(app, client, clinic):
    AuthActions(client).login()
    mine = _form(client.get(_url(clinic)).get_data(as_text=True))
    theirs = dict(mine)
    n = _blank(theirs)
    theirs.update({f"services-{n}-name": "Laboratory tests", f"services-{n}-category": "lab"})
    assert client.post(_url(clinic), data=theirs).status_code == 302
    mine[f"services-{_row(mine, 'X-ray')}-remove"] = "y"
    mine.update({f"services-{n}-name": "Pharmacy", f"services-{n}-category": "pharm"})
    response = client.post(_url(clinic), data=mine)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this clinic first" in page and 'value="Pharmacy"' in page
    assert _services(app, clinic["location"]) == [
        ("X-ray", "outpat", True),
        ("Laboratory tests", "lab", True),
    ]


def test_new_clinic_with_a_service(app, client, clinic):
    AuthActions(client).login()
    data = _form(client.get("/staff/locations/new").get_data(as_text=True))
    data.update(
        {
            "name": "Kent Station",
            "address_line1": "1 Main St",
            "city": "Kent",
            "state": "WA",
            "zip": "98032",
            "services-0-name": "Urgent care",
            "services-0-category": "urg",
        }
    )
    assert client.post("/staff/locations/new", data=data).status_code == 302
    with app.app_context():
        loc = _db.session.scalar(select(Location).filter_by(name="Kent Station"))
        location_id = loc.id
    assert _services(app, location_id) == [("Urgent care", "urg", True)]


def test_the_seed_door_keeps_the_same_rule(app):
    with app.app_context():
        loc = factories.location(name="Seeded")
        _db.session.flush()
        with pytest.raises(InvalidInput) as caught:
            new_service(loc.id, ServiceInput(name="Massage", category="spa"))
        assert caught.value.errors == {"category": "Choose the kind of service."}
        service = new_service(loc.id, ServiceInput(name=" Massage  therapy ", category="other"))
        assert service.name == "Massage therapy"
        # The seed's whole list goes through the form's list rule too: no name twice.
        twice = [(ServiceInput(name="X-ray", category="lab"), {})] * 2
        with pytest.raises(InvalidInput) as caught:
            new_services(loc.id, twice)
        assert caught.value.errors == {
            "name (service 2)": "This clinic already lists a service with this name."
        }
