"""Step-up: big actions ask for the second factor again after STEP_UP_SECONDS, then return
to the action with its form intact (passwords excepted: they are typed again)."""

from __future__ import annotations

import html as htmlmod
import re
import time

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEvent, Finding, Provider, User
from app.services.seed import load_reference_data
from app.transaction import unit_of_work
from tests import factories
from tests.conftest import AuthActions, csrf_token, next_totp
from tests.test_roster import wait_for_job
from tests.test_roster_jobs import HEADER, _apply_fields, _preview, _rows
from tests.test_staff_providers import add_user


def _stale(client) -> None:
    """Make the last second-factor check older than STEP_UP_SECONDS."""
    limit = client.application.config["STEP_UP_SECONDS"]
    with client.session_transaction() as sess:
        sess["mfa_at"] = int(time.time()) - limit - 1


def _step_up(client, response, email: str) -> str:
    """Answer the step-up check with a real code; returns where it sends us next."""
    assert response.status_code == 302 and "/staff/mfa" in response.location, response.location
    location = response.location
    page = client.get(location).get_data(as_text=True)
    assert "Confirm it's you" in page and "Your form is kept" in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    done = client.post(
        location, data={"csrf_token": token, "code": next_totp(client.application, email)}
    )
    assert done.status_code == 302
    return done.location


def _resume(client, location: str, extra: dict[str, str] | None = None):
    """Send the kept form from the resume page, as the person's one click would."""
    assert location.endswith("/staff/step-up/resume")
    page = client.get(location).get_data(as_text=True)
    page = page[page.index("<h1>Continue") :]  # the kept form, not the nav's log-out form
    action = htmlmod.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
    fields = [
        (name, htmlmod.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    ]
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    for name, value in (extra or {}).items():
        data[name] = [value]
    return client.post(action, data=data), page


@pytest.fixture
def desk(any_app):
    with any_app.app_context():
        load_reference_data()
        add_user()
        add_user("boss@example.org", role="admin")
        _db.session.commit()
    client = any_app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def test_fresh_check_needs_no_step_up(desk):
    assert desk.get("/staff/roster/export.csv").status_code == 200


def test_roster_apply_steps_up_and_resumes_with_the_form(any_app, desk):
    response = _preview(desk, HEADER + _rows(0, 3))
    fields = _apply_fields(response.get_data(as_text=True))
    _stale(desk)
    asked = desk.post("/staff/roster/apply", data=fields)
    with any_app.app_context():
        assert _db.session.query(Provider).count() == 0  # nothing applied before the check
    location = _step_up(desk, asked, "desk@example.org")
    applied, page = _resume(desk, location)
    assert "Apply the roster import" in page
    assert applied.status_code == 303, (applied.location, page)
    assert "3 created" in wait_for_job(desk, applied.headers["Location"])


def test_roster_export_steps_up_then_downloads(desk):
    _stale(desk)
    asked = desk.get("/staff/roster/export.csv")
    location = _step_up(desk, asked, "desk@example.org")
    assert location.endswith("/staff/roster/export.csv")
    download = desk.get(location)
    assert download.status_code == 200 and download.mimetype == "text/csv"


def test_bulk_accept_of_registry_values_steps_up(any_app, desk):
    with any_app.app_context(), unit_of_work():
        loc = factories.location()
        spec = factories.specialty()
        ids = []
        for last in ("Okafor", "Lindqvist"):
            p = factories.provider(specialties=[spec], locations=[loc])
            _db.session.flush()
            data = {"first_name": "Test", "middle_name": "", "last_name": last}
            finding = Finding(
                provider_id=p.id,
                npi="1555010002",
                kind="name_changed",
                our_value=p.full_name,
                registry_value=f"Test {last}",
                registry_data=data,
            )
            _db.session.add(finding)
            _db.session.flush()
            ids.append(str(finding.id))
    page = desk.get("/staff/verification").get_data(as_text=True)
    assert 'form="bulk-accept"' in page
    token = csrf_token(desk, "/staff/verification")
    _stale(desk)
    asked = desk.post("/staff/findings/accept", data={"csrf_token": token, "finding": ids})
    with any_app.app_context():
        assert {f.status for f in _db.session.scalars(select(Finding))} == {"open"}
    location = _step_up(desk, asked, "desk@example.org")
    done, resume = _resume(desk, location)
    assert resume.count('name="finding"') == 2
    problem = re.search(r"<p>(Accepted.*?)</p>", done.get_data(as_text=True))
    assert done.status_code == 303, problem and problem.group(1)
    with any_app.app_context():
        assert {f.status for f in _db.session.scalars(select(Finding))} == {"accepted"}


def _admin(any_app):
    client = any_app.test_client()
    assert AuthActions(client).login("boss@example.org").status_code == 302
    return client


def test_creating_a_user_steps_up_and_asks_for_the_password_again(any_app, desk):
    boss = _admin(any_app)
    token = csrf_token(boss, "/staff/users")
    _stale(boss)
    secret = "a long and unusual phrase"
    asked = boss.post(
        "/staff/users",
        data={
            "csrf_token": token,
            "email": "new@example.org",
            "role": "admin",
            "password": secret,
            "confirm": secret,
        },
    )
    location = _step_up(boss, asked, "boss@example.org")
    done, page = _resume(boss, location, {"password": secret, "confirm": secret})
    assert 'value="new@example.org"' in page and secret not in page
    assert "Passwords are never kept" in page
    assert done.status_code == 302
    with any_app.app_context():
        user = _db.session.scalar(select(User).filter_by(email="new@example.org"))
        assert user.role == "admin"
        dump = repr([r.pending_action for r in _db.session.scalars(select(_session_model()))])
    assert secret not in dump


def _session_model():
    from app.models import UserSession

    return UserSession


def test_changing_a_role_steps_up(any_app, desk):
    boss = _admin(any_app)
    with any_app.app_context():
        desk_id = _db.session.scalar(select(User.id).filter_by(email="desk@example.org"))
    token = csrf_token(boss, "/staff/users")
    _stale(boss)
    asked = boss.post(f"/staff/users/{desk_id}/role", data={"csrf_token": token, "role": "admin"})
    with any_app.app_context():
        assert _db.session.get(User, desk_id).role == "staff"
    done, _ = _resume(boss, _step_up(boss, asked, "boss@example.org"))
    assert done.status_code == 302
    with any_app.app_context():
        assert _db.session.get(User, desk_id).role == "admin"
        assert _db.session.scalar(select(AuditEvent).filter_by(action="role"))


def test_resetting_factors_steps_up(any_app, desk):
    boss = _admin(any_app)
    with any_app.app_context():
        desk_id = _db.session.scalar(select(User.id).filter_by(email="desk@example.org"))
    token = csrf_token(boss, "/staff/users")
    _stale(boss)
    asked = boss.post(f"/staff/users/{desk_id}/reset-mfa", data={"csrf_token": token})
    with any_app.app_context():
        assert _db.session.get(User, desk_id).totp_secret
    done, _ = _resume(boss, _step_up(boss, asked, "boss@example.org"))
    assert done.status_code == 302
    with any_app.app_context():
        assert _db.session.get(User, desk_id).totp_secret is None


def test_step_up_refuses_a_wrong_code_and_keeps_nothing_applied(any_app, desk):
    _stale(desk)
    asked = desk.get("/staff/roster/export.csv")
    token = csrf_token(desk, asked.location)
    wrong = desk.post(asked.location, data={"csrf_token": token, "code": "12345"})
    assert wrong.status_code == 401
    assert "/staff/mfa" in desk.get("/staff/roster/export.csv").location
