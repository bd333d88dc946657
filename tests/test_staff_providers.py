"""Staff provider editing: forms, validation, quick actions, 409 on stale saves, audit, outbox."""

from __future__ import annotations

import functools
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, Provider, ProviderLocation, SearchOutbox, User, now_utc
from app.services.mfa import new_totp_secret
from app.services.users import hash_password
from app.staff.forms import ProviderForm
from tests import factories
from tests.conftest import AuthActions, csrf_token

PASSWORD = "correct horse battery"


@functools.cache
def _hash() -> str:
    return hash_password(PASSWORD)


def add_user(email: str = "desk@example.org", role: str = "staff") -> User:
    """Add an account with the shared test password (hashed once per run), uncommitted.

    It comes with an authenticator app already set up (as if enrolled on a phone), so the
    test login gives a real code without an enrolment in each test's audit log.
    """
    user = User(email=email, role=role, password_hash=_hash(), totp_secret=new_totp_secret())
    _db.session.add(user)
    return user


@pytest.fixture
def world(app):
    """A small directory: two clinics, two specialties, two languages, one listing."""
    with app.app_context():
        add_user()
        pt = factories.specialty(
            code="225100000X", display_name="Physical Therapist", slug="physical-therapist"
        )
        factories.specialty(
            code="207X00000X", display_name="Orthopaedic Surgery", slug="orthopaedic-surgery"
        )
        a = factories.location(name="First Hill", slug="first-hill")
        factories.location(name="Fremont", slug="fremont", zip="98103")
        factories.language("en", "English")
        factories.language("es", "Spanish")
        factories.plan()
        p = factories.provider(
            specialties=[pt],
            locations=[a],
            first_name="Maria",
            last_name="Nunez",
            credentials="DPT",
        )
        _db.session.commit()
        return {"provider_id": p.id, "location_id": a.id}


@pytest.fixture
def desk(client, auth, world):
    assert auth.login().status_code == 302
    return client


def _form(html: str) -> dict:
    """The edit form's current values, as a browser would submit them."""
    data: dict = {}
    form = html[html.index('class="staff-form"') :]
    for m in re.finditer(r"<input([^>]*)>", form):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
        kind = attrs.get("type", "text")
        if "name" not in attrs:
            continue
        if kind == "checkbox":
            if " checked" in m.group(1):
                data.setdefault(attrs["name"], []).append(attrs.get("value", "y"))
        else:
            data[attrs["name"]] = attrs.get("value", "").replace("&#39;", "'")
    for m in re.finditer(r'<textarea[^>]*name="([\w-]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[m.group(1)] = m.group(2).strip()
    for m in re.finditer(r'<select[^>]*name="([\w-]+)"[^>]*>(.*?)</select>', form, re.S):
        sel = re.search(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', m.group(2)
        )
        data[m.group(1)] = (sel.group(1) or sel.group(2) or "") if sel else ""
    return data


def _provider(app, pid) -> Provider:
    with app.app_context():
        p = _db.session.get(Provider, pid)
        _db.session.expunge(p)
        return p


def _count(app, model, **where) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_edit_form_has_last_name_and_version(desk, world):
    html = desk.get(f"/staff/providers/{world['provider_id']}/edit").get_data(as_text=True)
    assert 'name="last_name"' in html
    assert re.search(
        r'<input[^>]*name="version"[^>]*type="hidden"|type="hidden"[^>]*name="version"', html
    )
    data = _form(html)
    assert data["last_name"] == "Nunez" and data["version"] == "1"


def test_save_redirects_audits_and_queues_search(app, desk, world):
    pid = world["provider_id"]
    url = f"/staff/providers/{pid}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    data.update(last_name="Núñez", npi="1234567893", website="https://example.org/maria")
    data[f"phone_{world['location_id']}"] = "206.555.0199"
    outbox_before = _count(app, SearchOutbox, entity_id=pid)
    response = desk.post(url, data=data)
    assert response.status_code == 302 and "/staff/providers?q=" in response.location
    assert "Saved" in desk.get(response.location).get_data(as_text=True)
    p = _provider(app, pid)
    assert (p.last_name, p.npi, p.version) == ("Núñez", "1234567893", 2)
    with app.app_context():
        p = _db.session.get(Provider, pid)
        assert p.location_links[0].phone == "(206) 555-0199"
        event = _db.session.scalars(
            select(AuditEvent).filter_by(entity_id=pid, action="update")
        ).one()
        assert event.actor_label == "desk@example.org"
        assert event.before["last_name"] == "Nunez" and event.after["last_name"] == "Núñez"
    assert _count(app, SearchOutbox, entity_id=pid) == outbox_before + 1


def test_stale_save_gets_409_with_their_changes_and_my_input(app, client, world):
    pid = world["provider_id"]
    url = f"/staff/providers/{pid}/edit"
    other = app.test_client()
    AuthActions(client).login()
    AuthActions(other).login()
    mine = _form(client.get(url).get_data(as_text=True))
    theirs = _form(other.get(url).get_data(as_text=True))
    theirs["credentials"] = "PT, DPT"
    assert other.post(url, data=theirs).status_code == 302

    mine["bio"] = "My careful new biography."
    response = client.post(url, data=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved this listing first" in html
    assert "credentials" in html and "PT, DPT" in html and "desk@example.org" in html
    assert "My careful new biography." in html  # my input is kept
    kept = _form(html)
    assert kept["version"] == "2"
    p = _provider(app, pid)
    assert p.credentials == "PT, DPT" and p.bio == ""  # nothing overwritten
    assert client.post(url, data=kept).status_code == 302  # re-apply deliberately
    assert _provider(app, pid).bio == "My careful new biography."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("npi", "1234567890", "check digit"),
        ("npi", "12345", "exactly 10 digits"),
        ("website", "javascript:alert(1)", "https://"),
        ("last_name", "", "Enter a last name"),
        ("first_name", "x" * 81, "80 characters"),
        ("specialty_1", "Astrology", "Unknown specialty"),
        ("phone_{loc}", "555-01", "10 digits"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_saved(
    app, desk, world, field, value, message
):
    pid = world["provider_id"]
    url = f"/staff/providers/{pid}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    name = field.format(loc=world["location_id"])
    data[name] = value
    response = desk.post(url, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'tabindex="-1"' in html
    assert message in html
    field_id = name
    assert f'href="#{field_id}"' in html
    assert re.search(
        rf'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}-error', html
    ) or re.search(rf'aria-describedby="[^"]*{field_id}-error"[^>]*id="{field_id}"', html)
    assert _provider(app, pid).version == 1


def test_post_without_csrf_token_is_400_and_changes_nothing(app, desk, world):
    pid = world["provider_id"]
    url = f"/staff/providers/{pid}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    data.pop("csrf_token")
    data["last_name"] = "Changed"
    assert desk.post(url, data=data).status_code == 400
    assert desk.post(f"/staff/providers/{pid}/deactivate", data={"version": 1}).status_code == 400
    p = _provider(app, pid)
    assert p.last_name == "Nunez" and p.active and p.version == 1


def test_create_provider(app, desk, world):
    html = desk.get("/staff/providers/new").get_data(as_text=True)
    data = _form(html)
    data.update(
        first_name="SAM",
        last_name="Lee",
        credentials="MD",
        specialty_1="207X00000X",
        specialty_2="Physical Therapist",
        clinics=[str(world["location_id"])],
    )
    response = desk.post("/staff/providers/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        p = _db.session.scalar(select(Provider).filter_by(last_name="Lee"))
        assert p.slug == "sam-lee-md" and p.active and p.accepting_new_patients
        assert [s.code for s in p.specialties] == ["207X00000X", "225100000X"]
        assert p.specialty_links[0].is_primary
        assert p.verified_at is not None
        assert _db.session.scalar(select(AuditEvent).filter_by(entity_id=p.id, action="create"))
        assert _db.session.scalar(select(SearchOutbox).filter_by(entity_id=p.id))


def _cleared(data: dict) -> dict:
    """The form data with every specialty and clinic removed."""
    data = dict(data, **{name: "" for name in ProviderForm.SPECIALTY_FIELDS})
    data.pop("clinics", None)
    return data


def _assert_listing_errors(html: str) -> None:
    assert 'class="error-summary"' in html
    assert 'href="#specialty_1"' in html and 'href="#clinics"' in html
    assert "An active listing needs at least one specialty." in html
    assert "An active listing needs at least one clinic." in html
    assert re.search(r'id="specialty_1"[^>]*aria-describedby="[^"]*specialty_1-error', html) or (
        re.search(r'aria-describedby="[^"]*specialty_1-error"[^>]*id="specialty_1"', html)
    )
    assert re.search(r'<fieldset id="clinics"[^>]*aria-describedby="clinics-error"', html)
    assert 'id="clinics-error"' in html


def test_edit_cannot_clear_specialties_and_clinics_of_an_active_listing(app, desk, world):
    pid = world["provider_id"]
    url = f"/staff/providers/{pid}/edit"
    data = _cleared(_form(desk.get(url).get_data(as_text=True)))
    response = desk.post(url, data=data)
    assert response.status_code == 422
    _assert_listing_errors(response.get_data(as_text=True))
    with app.app_context():
        p = _db.session.get(Provider, pid)
        assert p.version == 1 and p.specialties and p.location_links
        assert not _db.session.scalar(select(AuditEvent).filter_by(entity_id=pid, action="update"))


def test_create_without_specialty_or_clinic_is_refused(app, desk, world):
    data = _form(desk.get("/staff/providers/new").get_data(as_text=True))
    data.update(first_name="Sam", last_name="Bare", credentials="MD")
    providers = _count(app, Provider)
    response = desk.post("/staff/providers/new", data=_cleared(data))
    assert response.status_code == 422
    _assert_listing_errors(response.get_data(as_text=True))
    only_specialty = dict(_cleared(data), specialty_1="207X00000X")
    html = desk.post("/staff/providers/new", data=only_specialty).get_data(as_text=True)
    assert "at least one clinic" in html and "at least one specialty" not in html
    assert _count(app, Provider) == providers


def test_inactive_listing_may_be_saved_without_specialties_or_clinics(app, desk, world):
    pid = world["provider_id"]
    url = f"/staff/providers/{pid}/edit"
    data = _cleared(_form(desk.get(url).get_data(as_text=True)))
    data.pop("active", None)
    assert desk.post(url, data=data).status_code == 302
    with app.app_context():
        p = _db.session.get(Provider, pid)
        assert not p.active and not p.specialty_links and not p.location_links
        version = p.version
    # Such a listing cannot go back into the public directory until it is complete.
    response = desk.post(
        f"/staff/providers/{pid}/reactivate",
        data={"csrf_token": csrf_token(desk, "/staff/providers"), "version": version},
    )
    assert response.status_code == 422
    assert "specialty and a clinic" in response.get_data(as_text=True)
    with app.app_context():
        p = _db.session.get(Provider, pid)
        assert not p.active and p.version == version


def test_quick_actions_are_audited_queued_and_version_checked(app, desk, world):
    pid = world["provider_id"]
    token = csrf_token(desk, "/staff/providers")
    steps = [
        ("stop-accepting", "accepting_new_patients", False),
        ("verify", None, None),
        ("deactivate", "active", False),
        ("reactivate", "active", True),
        ("accept", "accepting_new_patients", True),
    ]
    for version, (action, attr, expected) in enumerate(steps, start=1):
        response = desk.post(
            f"/staff/providers/{pid}/{action}",
            data={"csrf_token": token, "version": version, "next": "/staff/providers"},
        )
        assert response.status_code == 302, action
        assert response.location.endswith("/staff/providers")
        p = _provider(app, pid)
        if attr:
            assert getattr(p, attr) is expected
    assert _provider(app, pid).verified_at > now_utc() - timedelta(minutes=1)
    assert _count(app, AuditEvent, entity_type="provider", entity_id=pid) == len(steps)
    # every step but "Confirmed unchanged" (search shows no check date) is re-indexed
    assert _count(app, SearchOutbox, entity_id=pid) >= len(steps) - 1
    stale = desk.post(
        f"/staff/providers/{pid}/deactivate", data={"csrf_token": token, "version": 1}
    )
    assert stale.status_code == 409
    assert "Someone else changed this listing first" in stale.get_data(as_text=True)
    assert _provider(app, pid).active


def test_offsite_next_is_ignored_for_quick_actions(desk, world):
    token = csrf_token(desk, "/staff/providers")
    response = desk.post(
        f"/staff/providers/{world['provider_id']}/verify",
        data={"csrf_token": token, "version": 1, "next": "https://evil.test/"},
    )
    assert response.location.endswith("/staff/providers")


def test_list_search_filters_and_pagination(app, desk, world):
    with app.app_context():
        for n in range(30):
            factories.provider(
                first_name="Pat", last_name=f"Person{n:02d}", accepting_new_patients=n % 2 == 0
            )
        _db.session.commit()
    first = desk.get("/staff/providers").get_data(as_text=True)
    assert "31 listings, page 1 of 2" in first
    second = desk.get("/staff/providers?page=2").get_data(as_text=True)
    assert "page 2 of 2" in second
    assert "Maria Nunez" in desk.get("/staff/providers?q=nun").get_data(as_text=True)
    assert "15 listings" in desk.get("/staff/providers?q=pat&accepting=no").get_data(as_text=True)
    clinic = desk.get(f"/staff/providers?clinic={world['location_id']}").get_data(as_text=True)
    assert "1 listing." in clinic
    assert "0 listings" in desk.get("/staff/providers?active=no").get_data(as_text=True)


def test_history_and_dashboard(app, desk, world):
    pid = world["provider_id"]
    with app.app_context():
        never = factories.provider(first_name="Never", last_name="Verified", verified_at=None)
        old = factories.provider(
            first_name="Old", last_name="Check", verified_at=now_utc() - timedelta(days=400)
        )
        factories.provider(first_name="Fresh", last_name="Check", verified_at=now_utc())
        factories.provider(first_name="Gone", last_name="Away", active=False, verified_at=None)
        _db.session.commit()
        assert never.id and old.id
    token = csrf_token(desk, "/staff/providers")
    desk.post(f"/staff/providers/{pid}/stop-accepting", data={"csrf_token": token, "version": 1})
    history = desk.get(f"/staff/providers/{pid}/history").get_data(as_text=True)
    assert "desk@example.org" in history and "accepting_new_patients" in history
    dash = desk.get("/staff/").get_data(as_text=True)
    section = dash[dash.index('id="recheck-title"') : dash.index("Recent changes")]
    assert section.index("Never Verified") < section.index("Old Check")
    assert "Fresh Check" not in section and "Gone Away" not in section
    assert "Maria Nunez" in dash[dash.index("Recent changes") :]


def test_list_finds_a_whole_npi_and_still_finds_part_of_one(app, desk, world):
    """A pasted NPI is looked up by its index; a partial number still matches anywhere."""
    with app.app_context():
        factories.provider(first_name="Ngozi", last_name="Okafor", npi="1234567893")
        factories.provider(first_name="Anh", last_name="Tran", npi="1987654326")
        _db.session.commit()
    whole = desk.get("/staff/providers?q=1234567893").get_data(as_text=True)
    assert "Ngozi Okafor" in whole and "Anh Tran" not in whole and "1 listing." in whole
    assert "0 listings" in desk.get("/staff/providers?q=1234567890").get_data(as_text=True)
    part = desk.get("/staff/providers?q=765432").get_data(as_text=True)
    assert "Anh Tran" in part and "Ngozi Okafor" not in part
    both = desk.get("/staff/providers?q=okafor+1234567893").get_data(as_text=True)
    assert "Ngozi Okafor" in both and "1 listing." in both


def test_reordering_or_swapping_same_named_clinics_is_in_the_audit_trail(app, desk, world):
    """Clinic names repeat (a chain's sites). The audit snapshot named clinics by name only,
    so putting two same-named clinics in another order, or swapping one for its namesake,
    saved a new version whose before and after clinics were equal: no trace of the change."""
    pid = world["provider_id"]
    with app.app_context():
        north = factories.location(name="Swedish Primary Care", slug="swedish-north")
        south = factories.location(name="Swedish Primary Care", slug="swedish-south", zip="98118")
        east = factories.location(name="Swedish Primary Care", slug="swedish-east", zip="98122")
        p = _db.session.get(Provider, pid)
        p.location_links = [
            ProviderLocation(location=north, position=0),
            ProviderLocation(location=south, position=1),
        ]
        _db.session.commit()
        north_id, south_id, east_id = north.id, south.id, east.id
    url = f"/staff/providers/{pid}/edit"
    steps = [
        ([south_id, north_id], "reorder"),  # same set, other order
        ([south_id, east_id], "swap"),  # north replaced by its namesake east
    ]
    for clinics, why in steps:
        data = _form(desk.get(url).get_data(as_text=True))
        data["clinics"] = [str(c) for c in clinics]
        assert desk.post(url, data=data).status_code == 302, why
        with app.app_context():
            p = _db.session.get(Provider, pid)
            assert [link.location_id for link in p.location_links] == clinics, why
            event = _db.session.scalars(
                select(AuditEvent)
                .filter_by(entity_type="provider", entity_id=pid, action="update")
                .order_by(AuditEvent.id.desc())
                .limit(1)
            ).one()
            changed = {name: (old, new) for name, old, new in event.changed_fields()}
            assert "clinics" in changed, why
            old, new = changed["clinics"]
            assert old != new and len(old) == len(new) == 2, why
            history = desk.get(f"/staff/providers/{pid}/history").get_data(as_text=True)
            assert f"Swedish Primary Care #{clinics[0]}" in history, why


def test_reordering_differently_named_clinics_is_in_the_audit_trail(app, desk, world):
    pid = world["provider_id"]
    with app.app_context():
        zeta = factories.location(name="Zeta Clinic", slug="zeta")
        p = _db.session.get(Provider, pid)
        p.location_links.append(ProviderLocation(location=zeta, position=1))
        _db.session.commit()
        first_id, zeta_id = world["location_id"], zeta.id
    url = f"/staff/providers/{pid}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    data["clinics"] = [str(zeta_id), str(first_id)]
    assert desk.post(url, data=data).status_code == 302
    with app.app_context():
        event = _db.session.scalars(
            select(AuditEvent).filter_by(entity_type="provider", entity_id=pid, action="update")
        ).one()
        changed = {name: (old, new) for name, old, new in event.changed_fields()}
        assert changed["clinics"] == (
            [f"First Hill #{first_id}", f"Zeta Clinic #{zeta_id}"],
            [f"Zeta Clinic #{zeta_id}", f"First Hill #{first_id}"],
        )
