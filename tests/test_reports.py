"""Patients report wrong listings; staff work the inbox; fixing one verifies the listing.

The writing tests run on SQLite and PostgreSQL (``seeded_app``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from app.extensions import db as _db
from app.models import ListingReport, Location, Provider, Verification
from app.services.reports import due_after
from tests.conftest import AuthActions
from tests.test_staff_providers import add_user

ROOT = Path(__file__).resolve().parent.parent
NOTICE = (ROOT / "seed_data" / "privacy.md").read_text(encoding="utf-8")
SEATTLE = "America/Los_Angeles"


def _local(*args) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(SEATTLE))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (_local(2026, 12, 7, 10, 30), _local(2026, 12, 8, 10, 30)),  # Monday -> Tuesday
        (_local(2026, 12, 11, 16, 0), _local(2026, 12, 14, 16, 0)),  # Friday -> Monday
        (_local(2026, 12, 12, 11, 0), _local(2026, 12, 15, 9, 0)),  # Saturday -> Tuesday 9:00
        (_local(2026, 12, 13, 23, 0), _local(2026, 12, 15, 9, 0)),  # Sunday -> Tuesday 9:00
    ],
)
def test_due_one_business_day_later(received, due):
    got = due_after(received.astimezone(UTC), SEATTLE)
    assert got == due and got.tzinfo is UTC


@pytest.fixture
def patient(seeded_app):
    return seeded_app.test_client()


def _slug(app, model=Provider) -> str:
    with app.app_context():
        return _db.session.scalar(select(model.slug).where(model.active.is_(True)).limit(1))


def _form(client, url: str) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    return {"form_token": re.search(r'name="form_token" type="hidden" value="([^"]+)"', html)[1]}


def test_report_a_problem_from_a_profile(seeded_app, patient):
    slug = _slug(seeded_app)
    profile = patient.get(f"/providers/{slug}").get_data(as_text=True)
    assert f"/providers/{slug}/report" in profile
    page = patient.get(f"/providers/{slug}/report")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    html = page.get_data(as_text=True)
    for words in ("Wrong phone number", "Wrong insurance plans", "Something else"):
        assert words in html
    assert "delete it as soon as the report is closed" in html
    data = dict(
        _form(patient, f"/providers/{slug}/report"),
        reason="phone",
        details="The number rings a fax machine.",
        contact="pat@example.org",
    )
    sent = patient.post(
        f"/providers/{slug}/report", data=data, headers={"Origin": "http://localhost"}
    )
    assert sent.status_code == 303 and "Set-Cookie" not in sent.headers
    assert patient.get(sent.headers["Location"]).status_code == 200
    with seeded_app.app_context():
        report = _db.session.scalar(select(ListingReport))
        assert report.reason == "phone" and report.status == "new"
        assert report.due_at > report.created_at
        # No column could hold an address, and no value is one.
        columns = {c["name"] for c in inspect(_db.engine).get_columns("listing_report")}
        assert not {"ip", "client", "remote_addr", "address"} & columns
        row = _db.session.execute(select(ListingReport.__table__)).one()
        assert "127.0.0.1" not in " ".join(str(v) for v in row)


def test_report_about_a_clinic(seeded_app, patient):
    slug = _slug(seeded_app, Location)
    assert f"/locations/{slug}/report" in patient.get(f"/locations/{slug}").get_data(as_text=True)
    data = dict(_form(patient, f"/locations/{slug}/report"), reason="address")
    assert patient.post(f"/locations/{slug}/report", data=data).status_code == 303
    with seeded_app.app_context():
        assert _db.session.scalar(select(ListingReport.location_id)) is not None


def test_bad_reports_are_refused_clearly(seeded_app, patient):
    slug = _slug(seeded_app)
    url = f"/providers/{slug}/report"
    token = _form(patient, url)
    assert patient.post(url, data=dict(token)).status_code == 422  # no reason
    long = patient.post(url, data=dict(token, reason="other", details="x" * 1001))
    assert long.status_code == 422 and "at most 1,000 characters" in long.get_data(as_text=True)
    forged = patient.post(url, data={"form_token": "forged", "reason": "other"})
    assert forged.status_code == 422 and "too old" in forged.get_data(as_text=True)
    other = _slug(seeded_app, Location)
    moved = patient.post(f"/locations/{other}/report", data=dict(token, reason="other"))
    assert moved.status_code == 422  # a token is bound to its listing
    cross = patient.post(
        url, data=dict(token, reason="other"), headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 400
    fetch = patient.post(
        url, data=dict(token, reason="other"), headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert fetch.status_code == 400
    assert patient.get("/providers/no-such-person/report").status_code == 404
    with seeded_app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(ListingReport)) == 0


def test_a_flood_of_reports_gets_429(seeded_app, patient):
    slug = _slug(seeded_app)
    url = f"/providers/{slug}/report"
    token = _form(patient, url)
    codes = [
        patient.post(
            url, data=dict(token, reason="other"), environ_base={"REMOTE_ADDR": "203.0.113.9"}
        ).status_code
        for _ in range(12)
    ]
    limit = seeded_app.config["REPORTS_PER_CLIENT"]
    assert codes[:limit] == [303] * limit and set(codes[limit:]) == {429}
    refused = patient.post(
        url, data=dict(token, reason="other"), environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert 0 < int(refused.headers["Retry-After"]) <= seeded_app.config["REPORT_WINDOW_SECONDS"]
    # Another client is not held back by the first one ...
    other = patient.post(
        url, data=dict(token, reason="other"), environ_base={"REMOTE_ADDR": "203.0.113.10"}
    )
    assert other.status_code == 303
    # ... until everyone together reaches the hourly cap.
    seeded_app.config["REPORTS_PER_HOUR"] = limit + 1
    capped = patient.post(
        url, data=dict(token, reason="other"), environ_base={"REMOTE_ADDR": "203.0.113.11"}
    )
    assert capped.status_code == 429 and capped.headers["Retry-After"]


def test_inbox_fixing_a_report_verifies_the_listing(seeded_app, patient):
    slug = _slug(seeded_app)
    data = dict(_form(patient, f"/providers/{slug}/report"), reason="insurance", contact="555")
    patient.post(f"/providers/{slug}/report", data=data)
    with seeded_app.app_context():
        add_user()
        _db.session.commit()
        report = _db.session.scalar(select(ListingReport))
        report_id, provider_id = report.id, report.provider_id
        before = _db.session.get(Provider, provider_id).verified_at
    desk = seeded_app.test_client()
    AuthActions(desk).login()
    inbox = desk.get("/staff/reports").get_data(as_text=True)
    assert "Wrong insurance plans" in inbox and f"/staff/providers/{provider_id}/edit" in inbox
    assert "Contact: 555" in inbox
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', inbox)[1]
    moved = desk.post(
        f"/staff/reports/{report_id}", data={"csrf_token": token, "status": "in_progress"}
    )
    assert moved.status_code == 303
    fixed = desk.post(
        f"/staff/reports/{report_id}",
        data={"csrf_token": token, "status": "fixed", "note": "Plans updated"},
    )
    assert fixed.status_code == 303
    with seeded_app.app_context():
        report = _db.session.get(ListingReport, report_id)
        assert report.status == "fixed" and report.contact == "" and report.closed_at
        check = _db.session.scalar(
            select(Verification)
            .where(Verification.provider_id == provider_id)
            .order_by(Verification.id.desc())
        )
        assert check.method == "patient_report" and check.report_id == report_id
        assert check.actor_label == "desk@example.org"
        assert _db.session.get(Provider, provider_id).verified_at > before
    assert "No open reports" in desk.get("/staff/reports").get_data(as_text=True)
    assert desk.get("/staff/reports?status=nonsense").status_code == 404
    assert seeded_app.test_client().get("/staff/reports").status_code in (302, 401)


def test_closed_reports_are_deleted_after_the_notice_says(seeded_app):
    from app.services.reports import purge_closed_reports, submit_report
    from app.transaction import unit_of_work

    days = seeded_app.config["REPORT_KEEP_DAYS"]
    assert "one year" in NOTICE and days == 365
    assert "deleted as soon as staff close the report" in NOTICE
    assert "Not your IP address" in NOTICE
    with seeded_app.app_context():
        p = _db.session.scalar(select(Provider).limit(1))
        with unit_of_work():
            old = submit_report(p, "other")
            old.status, old.closed_at = "fixed", datetime.now(UTC) - timedelta(days=days + 1)
            kept = submit_report(p, "other")
            kept.status, kept.closed_at = "fixed", datetime.now(UTC) - timedelta(days=days - 1)
        with unit_of_work():
            assert purge_closed_reports() == 1
        assert _db.session.scalar(select(func.count()).select_from(ListingReport)) == 1


def test_profile_warns_when_overdue_past_the_grace_period(seeded_app):
    """Due 90 days after the last check; 30 days' grace; then the profile says so."""
    from app.services.recheck import due_date, is_stale

    client = seeded_app.test_client()
    with seeded_app.app_context():
        p = _db.session.scalar(select(Provider).where(Provider.active.is_(True)).limit(1))
        slug, now = p.slug, datetime.now(UTC)
        assert due_date(now) == now + timedelta(days=90)
        for age, stale in ((119, False), (121, True)):  # 90 + 30 days is the line
            assert is_stale(now - timedelta(days=age), now) is stale
        p.verified_at = now - timedelta(days=119)
        _db.session.commit()
    assert "re-checking these details" not in client.get(f"/providers/{slug}").get_data(
        as_text=True
    )
    with seeded_app.app_context():
        p = _db.session.scalar(select(Provider).filter_by(slug=slug))
        p.verified_at = datetime.now(UTC) - timedelta(days=121)
        _db.session.commit()
    assert "re-checking these details" in client.get(f"/providers/{slug}").get_data(as_text=True)


def test_a_roster_file_and_a_registry_match_record_checks(seeded_app):
    """Roster files and NPPES matches are verifications too, with their method."""
    from app.services.roster.apply import import_roster
    from app.services.roster.export import export_roster
    from app.transaction import unit_of_work

    with seeded_app.app_context():
        import io

        buffer = io.StringIO()
        export_roster(buffer)
        before = _db.session.scalar(select(func.count()).select_from(Verification))
        with unit_of_work():
            report = import_roster(buffer.getvalue().encode(), dry_run=False, filename="w.csv")
        assert report.applied and report.updated == 0
        listed = _db.session.scalar(
            select(func.count()).select_from(Provider).where(Provider.active.is_(True))
        )
        rows = _db.session.scalars(
            select(Verification).where(Verification.method == "roster")
        ).all()
        assert len(rows) == listed and {r.confirmed for r in rows} == {"w.csv"}
        assert _db.session.scalar(select(func.count()).select_from(Verification)) == (
            before + listed
        )
        stale = _db.session.scalar(
            select(func.count()).where(Provider.verified_at < datetime.now(UTC) - timedelta(1))
        )
        assert stale == 0  # every listing in the file counts as checked today
