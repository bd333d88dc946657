"""Regressions found in review: proxies, closed clinics, logout, audit visibility, versions."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

import config
from app import _dev_secret_key, create_app
from app.extensions import db as _db
from app.models import AuditEvent, Location, Provider
from app.services.roster.export import export_roster
from tests.conftest import AuthActions
from tests.factories import apply_roster
from tests.test_staff_providers import add_user


def test_trusted_proxy_count_gives_the_real_client_address(tmp_path):
    app = create_app(
        config.TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "SEARCH_INDEX_DIR": str(tmp_path / "i"),
            "TRUSTED_PROXY_COUNT": 1,
        },
    )
    seen = []

    @app.get("/_whoami")
    def whoami() -> str:
        from flask import request

        seen.append(request.remote_addr)
        return "ok"

    app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"}).close()
    assert seen == ["203.0.113.9"]


def test_dev_secret_key_is_created_once(tmp_path: Path):
    key_file = tmp_path / "secret_key"
    first = _dev_secret_key(key_file)
    assert len(first) == 64
    assert _dev_secret_key(key_file) == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_closed_clinic_is_hidden_from_profile_cards_and_api(seeded_app):
    client = seeded_app.test_client()
    with seeded_app.app_context():
        clinic = _db.session.scalar(select(Location).filter_by(slug="first-hill"))
        clinic_name = clinic.name
        clinic.active = False
        _db.session.commit()
    profile = client.get("/providers/maria-nunez-dpt").get_data(as_text=True)
    assert clinic_name not in profile
    results = client.get("/find-a-doctor?q=nunez").get_data(as_text=True)
    assert clinic_name not in results
    body = client.get("/api/v1/providers?q=nunez").get_json()
    assert all(loc["slug"] != "first-hill" for r in body["results"] for loc in r["locations"])


def test_logout_ends_a_copied_session(app):
    with app.app_context():
        add_user()
        _db.session.commit()
    client = app.test_client()
    AuthActions(client).login()
    stolen = client.get_cookie("session").value
    AuthActions(client).logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/staff/")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_staff_dashboard_hides_user_admin_events(app):
    with app.app_context():
        add_user()
        admin = add_user("boss@example.org", role="admin")
        _db.session.flush()
        _db.session.add(
            AuditEvent(
                action="create",
                entity_type="user",
                entity_id=admin.id,
                actor_label="boss@example.org",
                summary="secret-new-hire@example.org",
            )
        )
        _db.session.commit()
    client = app.test_client()
    AuthActions(client).login()
    assert "secret-new-hire" not in client.get("/staff/").get_data(as_text=True)
    AuthActions(client).logout()
    AuthActions(client).login("boss@example.org")
    assert "secret-new-hire" in client.get("/staff/").get_data(as_text=True)


def test_roster_change_to_links_only_bumps_the_version(seeded_app):
    with seeded_app.app_context():
        buffer = io.StringIO()
        export_roster(buffer)
        rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
        target = next(r for r in rows if r["last_name"] == "Núñez")
        version = _db.session.scalar(
            select(Provider.version).filter_by(first_name=target["first_name"], last_name="Núñez")
        )
        for row in rows:
            if row["last_name"] == "Núñez":
                row["languages"] = "English;French"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
        report = apply_roster(out.getvalue().encode("utf-8"), dry_run=False)
        assert report.updated == 1, report
        _db.session.expire_all()
        new_version = _db.session.scalar(
            select(Provider.version).filter_by(first_name=target["first_name"], last_name="Núñez")
        )
        assert new_version == version + 1
