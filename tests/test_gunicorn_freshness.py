"""With gunicorn running 2 workers, every staff edit reaches public search on both workers,
in order, and stays there.

No wall-clock bound: on a shared, loaded machine a 2-second limit failed for reasons that
had nothing to do with the code. Each edit is polled for with a generous deadline, and the
test holds what matters: the new value shows, every following read (spread over both
workers) agrees, and no worker answers with an older value once a newer one was seen. How
soon an edit shows is measured by ``make bench`` (docs/benchmarks.md), not asserted here.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, text

import config
from app import create_app
from app.extensions import db
from app.models import User
from app.services.users import hash_password
from tests.test_access_log import GUNICORN, database, gunicorn

__all__ = ["database"]  # the fixture, re-used from the access-log test

PASSWORD = "a long staff passphrase"
TOTP_SECRET = pyotp.random_base32(32)
EDITS = 5
CONSISTENT_READS = 8  # consecutive answers that must agree, so both workers are seen
DEADLINE = 60.0  # seconds an edit may take to show before the test calls it lost


def add_staff(env: dict[str, str]) -> None:
    app = create_app(config.TestingConfig, {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})
    with app.app_context():
        db.session.add(
            User(
                email="desk@example.org",
                password_hash=hash_password(PASSWORD),
                role="staff",
                totp_secret=TOTP_SECRET,  # enrolled: the sign-in below gives its code
            )
        )
        db.session.commit()
        db.engine.dispose()


class Browser:
    """A tiny cookie-keeping HTTP client for loopback."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> int:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, data=body, timeout=10) as response:
            response.read()
            return response.status

    def token(self, path: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path))
        assert match, path
        return match.group(1)


def accepting(base: str, name: str) -> bool:
    url = f"{base}/api/v1/providers?q={urllib.parse.quote(name)}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        results = json.loads(response.read())["results"]
    return results[0]["accepting_new_patients"]


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in this venv")
def test_every_edit_reaches_every_worker_in_order(database, tmp_path: Path):
    add_staff(database)
    engine = create_engine(database["DATABASE_URL"])
    with engine.connect() as conn:
        pid, first, last = conn.execute(
            text("SELECT id, first_name, last_name FROM provider WHERE slug = 'maria-nunez-dpt'")
        ).one()
    log = tmp_path / "gunicorn.log"
    with gunicorn(database, log, workers=2) as base:
        try:
            for _ in range(20):  # warm both workers: searchers open, caches filled
                accepting(base, f"{first} {last}")
            staff = Browser(base)
            staff.post(
                "/staff/login",
                {
                    "email": "desk@example.org",
                    "password": PASSWORD,
                    "csrf_token": staff.token("/staff/login"),
                },
            )
            code = pyotp.TOTP(TOTP_SECRET).now()
            staff.post("/staff/mfa", {"code": code, "csrf_token": staff.token("/staff/mfa")})
            for _ in range(EDITS):
                with engine.connect() as conn:
                    version, was = conn.execute(
                        text("SELECT version, accepting_new_patients FROM provider WHERE id = :id"),
                        {"id": pid},
                    ).one()
                action = "stop-accepting" if was else "accept"
                token = staff.token("/staff/providers")
                started = time.monotonic()
                status = staff.post(
                    f"/staff/providers/{pid}/{action}",
                    {"csrf_token": token, "version": str(version)},
                )
                assert status == 200  # followed the redirect back to the list
                wanted = not was
                while accepting(base, f"{first} {last}") != wanted:
                    assert time.monotonic() - started < DEADLINE, "the edit never reached search"
                    time.sleep(0.02)
                # Once shown, it stays: every later read, on either worker, agrees.
                reads = [accepting(base, f"{first} {last}") for _ in range(CONSISTENT_READS)]
                assert reads == [wanted] * CONSISTENT_READS, reads
        finally:
            engine.dispose()
