"""Server-side sessions: the "Your sessions" page, ending sessions, timeouts, and ending
every other session when the password or factors change; all audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEvent, User, UserSession
from app.services.sessions import describe_device
from app.services.users import create_user
from app.transaction import unit_of_work
from tests.conftest import AuthActions, csrf_token

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def staff(app):
    with app.app_context(), unit_of_work():
        create_user("desk@example.org", "staff", PASSWORD)
        create_user("boss@example.org", "admin", PASSWORD)


def _signed_in(app, email: str = "desk@example.org", agent: str = FIREFOX):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    assert AuthActions(client).login(email).status_code == 302
    return client


def _sessions(app, email: str = "desk@example.org") -> list[UserSession]:
    with app.app_context():
        user = _db.session.scalar(select(User).filter_by(email=email))
        rows = list(
            _db.session.scalars(
                select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
            )
        )
        _db.session.expunge_all()
        return rows


def _shift(app, session_id: int, **ago: timedelta) -> None:
    with app.app_context():
        record = _db.session.get(UserSession, session_id)
        for column, delta in ago.items():
            setattr(record, column, getattr(record, column) - delta)
        _db.session.commit()


def test_sessions_page_lists_and_ends_another_session(app, staff):
    phone = _signed_in(app, agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
    laptop = _signed_in(app)
    page = laptop.get("/staff/sessions").get_data(as_text=True)
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert "This session" in page
    assert "Not recorded" in page  # no TRUSTED_PROXY_COUNT: no client address kept
    phone_record = _sessions(app)[0]
    token = csrf_token(laptop, "/staff/sessions")
    ended = laptop.post(f"/staff/sessions/{phone_record.id}/end", data={"csrf_token": token})
    assert ended.status_code == 302
    assert "/staff/login" in phone.get("/staff/").location  # at its next request
    assert laptop.get("/staff/").status_code == 200
    with app.app_context():
        event = _db.session.scalar(select(AuditEvent).filter_by(action="session_end"))
        assert event.actor_label == "desk@example.org" and "ended by the user" in event.summary


def test_end_all_other_sessions(app, staff):
    others = [_signed_in(app) for _ in range(2)]
    me = _signed_in(app)
    token = csrf_token(me, "/staff/sessions")
    response = me.post("/staff/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 302
    assert all("/staff/login" in c.get("/staff/").location for c in others)
    assert me.get("/staff/").status_code == 200
    with app.app_context():
        assert _db.session.scalar(select(AuditEvent).filter_by(action="session_end_others"))


def test_a_user_cannot_end_someone_elses_session(app, staff):
    desk = _signed_in(app)
    boss_session = None
    _signed_in(app, "boss@example.org")
    boss_session = _sessions(app, "boss@example.org")[0]
    token = csrf_token(desk, "/staff/sessions")
    response = desk.post(f"/staff/sessions/{boss_session.id}/end", data={"csrf_token": token})
    assert response.status_code == 404


def test_idle_timeout_ends_the_session(app, staff):
    client = _signed_in(app)
    record = _sessions(app)[-1]
    _shift(app, record.id, last_seen_at=timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]))
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location
    assert "timed out" in client.get(response.location).get_data(as_text=True)


def test_absolute_timeout_ends_an_active_session(app, staff):
    client = _signed_in(app)
    record = _sessions(app)[-1]
    _shift(app, record.id, created_at=timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]))
    assert client.get("/staff/").status_code == 302


def test_a_request_refreshes_last_seen(app, staff):
    client = _signed_in(app)
    record = _sessions(app)[-1]
    _shift(app, record.id, last_seen_at=timedelta(minutes=5))
    assert client.get("/staff/").status_code == 200
    assert _sessions(app)[-1].last_seen_at > record.last_seen_at


def test_logout_ends_only_this_session_and_a_copied_cookie_dies(app, staff):
    other = _signed_in(app)
    client = _signed_in(app)
    with client.session_transaction() as sess:
        copied = dict(sess)
    AuthActions(client).logout()
    thief = app.test_client()
    with thief.session_transaction() as sess:
        sess.update(copied)
    assert "/staff/login" in thief.get("/staff/").location
    assert other.get("/staff/").status_code == 200


def test_password_change_ends_every_other_session(app, staff):
    other = _signed_in(app)
    me = _signed_in(app)
    token = csrf_token(me, "/staff/security")
    new = "a brand new long phrase"
    wrong = me.post(
        "/staff/security/password",
        data={"csrf_token": token, "current": "not it at all", "password": new, "confirm": new},
    )
    assert "not right" in me.get(wrong.location).get_data(as_text=True)
    assert other.get("/staff/").status_code == 200
    done = me.post(
        "/staff/security/password",
        data={"csrf_token": token, "current": PASSWORD, "password": new, "confirm": new},
    )
    assert done.status_code in (302, 303)
    assert me.get("/staff/").status_code == 200
    assert "/staff/login" in other.get("/staff/").location
    with app.app_context():
        assert _db.session.scalar(select(AuditEvent).filter_by(action="password"))
        assert _db.session.scalar(select(AuditEvent).filter_by(action="session_end_others"))


def test_factor_change_ends_every_other_session(app, staff):
    other = _signed_in(app)
    me = _signed_in(app)
    page = me.get("/staff/security/totp").get_data(as_text=True)
    secret = re.search(r'data-totp-secret="([A-Z2-7]+)"', page).group(1)
    token = csrf_token(me, "/staff/security/totp")
    import pyotp

    response = me.post(
        "/staff/security/totp",
        data={"csrf_token": token, "code": pyotp.TOTP(secret).at((_step() + 1) * 30)},
    )
    assert response.status_code == 302
    assert "/staff/login" in other.get("/staff/").location
    assert me.get("/staff/").status_code == 200
    with app.app_context():
        assert _db.session.scalar(select(AuditEvent).filter_by(action="mfa_totp_replace"))


def _step() -> int:
    from app.services.mfa import current_step

    return current_step()


def test_admin_ends_another_users_sessions(app, staff):
    desk = _signed_in(app)
    boss = _signed_in(app, "boss@example.org")
    page = boss.get("/staff/users").get_data(as_text=True)
    assert "End sessions" in page
    desk_id = _sessions(app)[0].user_id
    token = csrf_token(boss, "/staff/users")
    response = boss.post(f"/staff/users/{desk_id}/sessions/end", data={"csrf_token": token})
    assert response.status_code == 302
    assert "/staff/login" in desk.get("/staff/").location
    with app.app_context():
        event = _db.session.scalar(select(AuditEvent).filter_by(action="session_end_all"))
        assert event.actor_label == "boss@example.org" and event.entity_id == desk_id
    staff_client = _signed_in(app)
    token = csrf_token(staff_client, "/staff/sessions")
    refused = staff_client.post(f"/staff/users/{desk_id}/sessions/end", data={"csrf_token": token})
    assert refused.status_code == 403


def test_client_address_is_kept_only_behind_trusted_proxies(make_app):
    app = make_app(TRUSTED_PROXY_COUNT=1)
    # TRUSTED_PROXY_COUNT is read at start to install ProxyFix; the override above sets
    # the config the session service reads.
    with app.app_context(), unit_of_work():
        create_user("desk@example.org", "staff", PASSWORD)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    AuthActions(client).login()
    assert _sessions(app)[-1].client == "203.0.113.9"


def test_device_description_is_coarse():
    assert describe_device(FIREFOX) == "Firefox on Windows"
    assert describe_device("") == "Unknown browser"
    edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120 Safari/537.36 Edg/120"
    assert describe_device(edge) == "Edge on Windows"
