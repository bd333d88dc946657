"""Login time does not tell who has an account or who was deactivated: every attempt
verifies exactly one password hash of the configured method and cost.

Counting the hash computations (werkzeug's internal hash function, wrapped and called
through) is exact, where timing a test would be flaky.
"""

from __future__ import annotations

import pytest
import werkzeug.security

from app.extensions import db as _db
from app.models import User
from app.services import auth as auth_service
from app.services.users import hash_password
from tests.conftest import csrf_token

PASSWORD = "correct horse battery"


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The method (with its cost) of every password hash computed from now on."""
    seen: list[str] = []
    real = werkzeug.security._hash_internal

    def counted(method: str, salt: str, password: str) -> tuple[str, str]:
        seen.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", counted)
    monkeypatch.setattr(auth_service, "_DUMMY_HASHES", {}, raising=False)  # a fresh worker
    return seen


def _post(client, email: str, password: str) -> int:
    token = csrf_token(client, "/staff/login")
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/staff/login", data=data).status_code


def test_every_login_attempt_verifies_one_hash_of_the_same_cost(app, hashes):
    with app.app_context():
        for email, active in (("desk@example.org", True), ("gone@example.org", False)):
            _db.session.add(
                User(
                    email=email, role="staff", password_hash=hash_password(PASSWORD), active=active
                )
            )
        _db.session.commit()
    method = app.config["PASSWORD_HASH_METHOD"]
    client = app.test_client()
    # The first attempt in a process also makes the dummy hash, whoever it names.
    assert _post(client, "first@example.org", "x" * 12) == 401
    cases = [
        ("unknown account", "nobody@example.org", PASSWORD, 401),
        ("deactivated, right password", "gone@example.org", PASSWORD, 401),
        ("deactivated, wrong password", "gone@example.org", "wrong password!", 401),
        ("active, wrong password", "desk@example.org", "wrong password!", 401),
        ("active, right password", "desk@example.org", PASSWORD, 302),
    ]
    for label, email, password, status in cases:
        hashes.clear()
        assert _post(client, email, password) == status, label
        assert hashes == [method], f"{label}: hashed {hashes}"
