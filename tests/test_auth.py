"""Staff login: sessions, throttling, roles, the login wall and CSRF."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, LoginAttempt, User, now_utc
from app.services.auth import (
    ACCOUNT_FREE_FAILURES,
    ACCOUNT_MAX_DELAY,
    CLIENT_MAX_FAILURES,
    MAX_FAILURES,
    account_delay,
    attempt_login,
)
from app.services.users import create_user, set_active
from app.staff.routes import OPEN_ENDPOINTS
from app.transaction import unit_of_work
from tests.conftest import csrf_token, second_factor

PASSWORD = "correct horse battery"


@pytest.fixture
def staff(app):
    with app.app_context(), unit_of_work():
        create_user("desk@example.org", "staff", PASSWORD)
        create_user("boss@example.org", "admin", PASSWORD)


def _attempts(app, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(LoginAttempt).filter_by(**where)
        return _db.session.scalar(stmt)


def test_login_and_logout(client, auth, staff):
    response = auth.login()
    assert response.status_code == 302 and response.location.endswith("/staff/")
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/logout").status_code == 405
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, auth, staff):
    response = auth.login(password="not the password!")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    unknown = auth.login(email="nobody@example.org")
    assert unknown.status_code == 401
    assert client.get("/staff/").status_code == 302


def test_session_is_renewed_at_login(app, client, auth, staff):
    with client.session_transaction() as sess:
        sess["planted"] = "attacker-chosen"
    auth.login()
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.permanent
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)


def test_throttle_per_account_refuses_even_the_right_password(app, client, auth, staff):
    for _ in range(MAX_FAILURES):
        assert auth.login(password="wrong password 123").status_code == 401
    locked = auth.login()
    assert locked.status_code == 429
    assert "Too many failed login attempts" in locked.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    assert _attempts(app, email="desk@example.org", succeeded=False) == MAX_FAILURES


def _post_login(app, email: str, password: str, addr: str):
    c = app.test_client()
    token = csrf_token(c, "/staff/login")
    return c.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_account_attacked_from_many_clients_is_slowed_not_locked_out(app, staff):
    """The count lives in the database, so every worker and address sees it; the owner
    waits a growing but capped delay and then gets in."""
    for n in range(ACCOUNT_FREE_FAILURES + 3):
        _post_login(app, "desk@example.org", "nope nope nope", f"10.0.0.{n}")
    slowed = _post_login(app, "desk@example.org", PASSWORD, "10.9.9.9")
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["Retry-After"]) <= ACCOUNT_MAX_DELAY.total_seconds()
    assert "a minute or less" in slowed.get_data(as_text=True)
    with app.app_context():  # the delay passes
        for attempt in _db.session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - ACCOUNT_MAX_DELAY
        _db.session.commit()
    assert _post_login(app, "desk@example.org", PASSWORD, "10.9.9.9").status_code == 302


def test_account_delay_grows_and_is_capped():
    delays = [account_delay(n).total_seconds() for n in range(0, 40)]
    assert delays[:ACCOUNT_FREE_FAILURES] == [0] * ACCOUNT_FREE_FAILURES
    assert delays[ACCOUNT_FREE_FAILURES : ACCOUNT_FREE_FAILURES + 4] == [1, 2, 4, 8]
    assert delays == sorted(delays)
    assert max(delays) == ACCOUNT_MAX_DELAY.total_seconds()


def test_a_locked_pair_does_not_lock_the_owner_on_another_client(app, staff):
    for _ in range(MAX_FAILURES):
        _post_login(app, "boss@example.org", "wrong password 1", "10.6.6.6")
    assert _post_login(app, "boss@example.org", PASSWORD, "10.6.6.6").status_code == 429
    with app.app_context():  # the account's own short delay has passed
        for attempt in _db.session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - timedelta(seconds=2)
        _db.session.commit()
    assert _post_login(app, "boss@example.org", PASSWORD, "10.1.1.1").status_code == 302


def test_throttle_per_client_covers_many_accounts(app, staff):
    for n in range(CLIENT_MAX_FAILURES):
        _post_login(app, f"guess{n}@example.org", "wrong password 1", "10.7.7.7")
    assert _post_login(app, "boss@example.org", PASSWORD, "10.7.7.7").status_code == 429
    assert _post_login(app, "boss@example.org", PASSWORD, "10.8.8.8").status_code == 302


@pytest.mark.parametrize(
    "app", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_parallel_wrong_attempts_check_at_most_the_limit(app, staff):
    """24 threads guess at once from one client: only MAX_FAILURES passwords are checked."""
    import threading

    barrier = threading.Barrier(24)
    results: list[str] = []

    def guess(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                with unit_of_work():
                    result = attempt_login("desk@example.org", f"wrong guess {n:04d}", "10.5.5.5")
                results.append("locked" if result.locked_for else "checked")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 24
    assert results.count("checked") <= MAX_FAILURES
    assert _attempts(app, email="desk@example.org", succeeded=False) <= MAX_FAILURES


def test_lock_lifts_after_the_window(app, client, auth, staff):
    for _ in range(MAX_FAILURES):
        auth.login(password="wrong password 123")
    with app.app_context():
        for attempt in _db.session.scalars(select(LoginAttempt)):
            attempt.at = now_utc() - timedelta(minutes=16)
        _db.session.commit()
    assert auth.login().status_code == 302


def test_next_only_redirects_within_the_site(app, client, staff):
    # One account per target: a code is good once, and a person signs in so often only
    # over minutes (see tests/conftest.py next_totp).
    with app.app_context(), unit_of_work():
        for n in range(5):
            create_user(f"desk{n}@example.org", "staff", PASSWORD)
    for n, (target, expected) in enumerate(
        [
            ("/staff/providers", "/staff/providers"),
            ("https://evil.example/", "/staff/"),
            ("//evil.example/x", "/staff/"),
            ("/\\evil.example", "/staff/"),
            ("javascript:alert(1)", "/staff/"),
        ]
    ):
        email = f"desk{n}@example.org"
        c = client.application.test_client()
        token = csrf_token(c, f"/staff/login?next={target}")
        response = c.post(
            "/staff/login",
            data={
                "email": email,
                "password": PASSWORD,
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.status_code == 302
        response = second_factor(c, email, response)
        assert response.status_code == 302
        assert response.location == expected, target


def test_login_page_redirect_carries_next(client):
    response = client.get("/staff/providers")
    assert response.status_code == 302
    assert "/staff/login" in response.location and "next=" in response.location


def test_every_staff_route_requires_login(app, client):
    token = csrf_token(client, "/staff/login")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint in OPEN_ENDPOINTS:
            continue
        values = {arg: 1 for arg in rule.arguments}
        if "action" in values:
            values["action"] = "deactivate"
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
            else:
                # Without a CSRF token a POST is refused before anything else runs ...
                assert client.open(url, method=method).status_code == 400, url
                # ... and with one, it still needs a login.
                response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url)
            assert "/staff/login" in response.location
        checked += 1
    assert checked >= 15


def test_admin_routes_answer_403_to_staff(client, auth, staff):
    auth.login()
    for url in ("/staff/users", "/staff/audit", "/staff/specialties"):
        assert client.get(url).status_code == 403, url
    assert client.get("/staff/providers").status_code == 200


def test_admin_sees_admin_pages(client, auth, staff):
    auth.login(email="boss@example.org")
    for url in ("/staff/users", "/staff/audit", "/staff/specialties"):
        assert client.get(url).status_code == 200, url


def test_deactivation_ends_sessions_at_next_request(app, client, auth, staff):
    auth.login()
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        user = _db.session.scalar(select(User).filter_by(email="desk@example.org"))
        with unit_of_work():
            set_active(user, False)
    assert client.get("/staff/").status_code == 302
    assert auth.login().status_code == 401


def test_admin_creates_and_deactivates_users(app, client, auth, staff):
    auth.login(email="boss@example.org")
    token = csrf_token(client, "/staff/users")
    weak = client.post(
        "/staff/users",
        data={
            "email": "new@example.org",
            "role": "staff",
            "password": "password1234",
            "confirm": "password1234",
            "csrf_token": token,
        },
    )
    assert weak.status_code == 422
    assert "common passwords" in weak.get_data(as_text=True)
    short = client.post(
        "/staff/users",
        data={
            "email": "new@example.org",
            "role": "staff",
            "password": "short",
            "confirm": "short",
            "csrf_token": token,
        },
    )
    assert short.status_code == 422 and "at least 12" in short.get_data(as_text=True)
    good = "a long and unusual phrase"
    response = client.post(
        "/staff/users",
        data={
            "email": "new@example.org",
            "role": "staff",
            "password": good,
            "confirm": good,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = _db.session.scalar(select(User).filter_by(email="new@example.org"))
        assert user.role == "staff" and user.password_hash.startswith("scrypt")
        user_id = user.id
    response = client.post(f"/staff/users/{user_id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert not _db.session.get(User, user_id).active


def test_no_default_accounts(app):
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(User)) == 0


def test_secrets_never_reach_audit_or_logs(app, client, auth, staff, caplog):
    caplog.set_level(logging.DEBUG)
    auth.login(password="wrong secret words")
    auth.login()
    token = csrf_token(client, "/staff/")
    client.post("/staff/logout", data={"csrf_token": token})
    auth.login(email="boss@example.org")
    token = csrf_token(client, "/staff/users")
    secret = "another very secret phrase"
    client.post(
        "/staff/users",
        data={
            "email": "x@example.org",
            "role": "staff",
            "password": secret,
            "confirm": secret,
            "csrf_token": token,
        },
    )
    with app.app_context():
        rows = _db.session.scalars(select(AuditEvent)).all()
        tokens = [u.session_token for u in _db.session.scalars(select(User))]
        dump = repr([(e.before, e.after, e.summary) for e in rows])
    for value in (PASSWORD, secret, "wrong secret words", *tokens):
        assert value not in dump
        assert value not in caplog.text


def test_staff_pages_are_not_cached(client, auth, staff):
    auth.login()
    assert client.get("/staff/").headers["Cache-Control"] == "no-store"
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"
