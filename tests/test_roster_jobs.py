"""Big web rosters: previews in the database, background apply, progress, restarts, clicks."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.extensions import db as _db
from app.models import (
    Location,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    RosterUpload,
    Specialty,
    now_utc,
)
from app.parsing.validation import luhn_valid
from app.services.seed import load_reference_data
from tests.conftest import AuthActions, csrf_token
from tests.test_roster import wait_for_job
from tests.test_staff_providers import add_user

HEADER = "npi,first_name,last_name,credentials,specialties,address,city,state,zip,phone"


def _npi(i: int) -> str:
    base = f"1{i:08d}"
    return next(base + d for d in "0123456789" if luhn_valid("80840" + base + d))


def _rows(start: int, count: int, last: str = "LEE") -> str:
    return "".join(
        f"\n{_npi(i)},ANN,{last}{i},M.D.,Family Medicine,{i % 40 + 1} Main St,Atlanta,"
        f"Georgia,30303,"
        for i in range(start, start + count)
    )


@pytest.fixture
def desk(any_app):
    with any_app.app_context():
        load_reference_data()
        add_user()
        _db.session.commit()
    client = any_app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def _preview(client, text: str, name: str = "roster.csv"):
    """Upload a roster; the multipart body is built here so a big one stays in memory."""
    token = csrf_token(client, "/staff/roster")
    boundary = "roster-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + text.encode()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/staff/roster", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _apply_fields(html: str) -> dict[str, str]:
    form = html[html.index('action="/staff/roster/apply"') :]
    return dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form))


def test_preview_is_kept_in_the_database_and_applied_once(any_app, desk):
    response = _preview(desk, HEADER + _rows(0, 30))
    assert response.status_code == 200
    fields = _apply_fields(response.get_data(as_text=True))
    with any_app.app_context():
        upload = _db.session.scalar(select(RosterUpload))
        assert upload.status == "previewed" and upload.size > 0
        assert upload.expires_at > now_utc() + timedelta(hours=23)
        assert _db.session.scalar(select(func.count()).select_from(Provider)) == 0
    first = desk.post("/staff/roster/apply", data=fields)
    second = desk.post("/staff/roster/apply", data=fields)  # the double click
    assert first.status_code == 303
    assert second.status_code == 409
    assert "already" in second.get_data(as_text=True)
    page = wait_for_job(desk, first.headers["Location"])
    assert "Roster applied" in page and "30 created" in page
    third = desk.post("/staff/roster/apply", data=fields)
    assert third.status_code == 409 and "already applied" in third.get_data(as_text=True)
    with any_app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Provider)) == 30
        upload = _db.session.scalar(select(RosterUpload))
        assert upload.status == "done" and upload.data == b""  # quota freed


def test_a_dead_worker_fails_the_job_cleanly_and_it_can_run_again(any_app, desk):
    response = _preview(desk, HEADER + _rows(0, 5))
    fields = _apply_fields(response.get_data(as_text=True))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    with any_app.app_context():
        upload = _db.session.scalar(select(RosterUpload))
        upload.status, upload.stage, upload.rows_done, upload.rows_total = "running", "write", 3, 5
        upload.worker = f"{socket.gethostname()}:{dead.stdout.strip()}"
        upload.started_at = upload.heartbeat_at = now_utc()
        _db.session.commit()
    page = desk.get(f"/staff/roster/jobs/{fields['token']}").get_data(as_text=True)
    assert "stopped before it finished, so nothing was applied" in page
    with any_app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Provider)) == 0
    again = desk.post("/staff/roster/apply", data=fields)
    assert again.status_code == 303
    assert "5 created" in wait_for_job(desk, again.headers["Location"])


def test_a_file_that_no_longer_passes_fails_without_writing(any_app, desk):
    response = _preview(desk, HEADER + _rows(0, 3) + _rows(0, 1, last="OTHER"))
    assert response.status_code == 422  # a conflicting NPI is refused at preview
    text = HEADER + _rows(0, 3)
    fields = _apply_fields(_preview(desk, text).get_data(as_text=True))
    with any_app.app_context():  # meanwhile an admin renames the specialty the file names
        spec = _db.session.scalar(select(Specialty).filter_by(code="207Q00000X"))
        spec.display_name = spec.nucc_name = "Family Practice"
        spec.slug = "family-practice"
        _db.session.commit()
    response = desk.post("/staff/roster/apply", data=fields)
    page = wait_for_job(desk, response.headers["Location"])
    assert "The roster was not applied" in page and "Nothing was applied" in page
    with any_app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Provider)) == 0


def test_preview_quota_and_expiry(make_app, tmp_path):
    app = make_app(ROSTER_PREVIEW_QUOTA=4000)
    with app.app_context():
        load_reference_data()
        add_user()
        _db.session.commit()
    client = app.test_client()
    AuthActions(client).login()
    first = _preview(client, HEADER + _rows(0, 30))
    assert first.status_code == 200
    second = _preview(client, HEADER + _rows(100, 30))
    assert second.status_code == 503 and second.headers["Retry-After"]
    assert "Too many roster previews" in second.get_data(as_text=True)
    fields = _apply_fields(first.get_data(as_text=True))
    with app.app_context():
        upload = _db.session.scalar(select(RosterUpload))
        upload.expires_at = now_utc() - timedelta(minutes=1)
        _db.session.commit()
    assert client.post("/staff/roster/apply", data=fields).status_code == 404
    assert _preview(client, HEADER + _rows(100, 30)).status_code == 200  # the old one purged
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(RosterUpload)) == 1
    assert client.get("/staff/roster/jobs/not-a-token").status_code == 400
    assert client.get("/staff/roster/jobs/" + "a" * 43).status_code == 404


def test_30000_row_roster_through_the_web_runs_as_a_job(make_app):
    """30,000 rows for existing listings (bulk-loaded), 300 of them changed."""
    # The job is under test, not indexing: the bulk load bypassed the outbox, so the first
    # commit would otherwise rebuild a 30,000-listing index in the background for nothing.
    app = make_app(SEARCH_SYNC_ON_COMMIT=False)
    total, changed = 30_000, 300
    with app.app_context():
        load_reference_data()
        add_user()
        spec = _db.session.scalar(select(Specialty.id).filter_by(code="207Q00000X"))
        clinics = [
            {
                "slug": f"c{n}",
                "name": f"Atlanta {n}",
                "address_line1": f"{n} Main St",
                "address_line2": "",
                "city": "Atlanta",
                "state": "GA",
                "zip": "30303",
                "phone": "",
                "neighborhood": "",
                "accessibility_notes": "",
                "parking_notes": "",
                "active": True,
                "version": 1,
                "created_at": now_utc(),
                "updated_at": now_utc(),
            }
            for n in range(1, 41)
        ]
        loc_ids = _db.session.scalars(
            insert(Location).returning(Location.id, sort_by_parameter_order=True), clinics
        ).all()
        now = now_utc()
        people = [
            {
                "slug": f"p{i}",
                "first_name": "Ann",
                "last_name": f"Lee{i}",
                "credentials": "MD",
                "npi": _npi(i),
                "middle_name": "",
                "suffix": "",
                "pronouns": "",
                "bio": "",
                "website": "",
                "accepting_new_patients": True,
                "telehealth": False,
                "active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "verified_at": now,
            }
            for i in range(total)
        ]
        ids = _db.session.scalars(
            insert(Provider).returning(Provider.id, sort_by_parameter_order=True), people
        ).all()
        _db.session.execute(
            insert(ProviderSpecialty),
            [
                {"provider_id": pid, "specialty_id": spec, "is_primary": True, "position": 0}
                for pid in ids
            ],
        )
        _db.session.execute(
            insert(ProviderLocation),
            [
                {"provider_id": pid, "location_id": loc_ids[i % 40], "phone": "", "position": 0}
                for i, pid in enumerate(ids)
            ],
        )
        _db.session.commit()
    client = app.test_client()
    AuthActions(client).login()
    text = HEADER + _rows(0, total - changed) + _rows(total - changed, changed, last="NEW")
    assert len(text.encode()) < 5 * 1024 * 1024
    response = _preview(client, text, "big.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert "30000" in html.replace(",", "")
    started = time.process_time()
    response = client.post("/staff/roster/apply", data=_apply_fields(html))
    assert response.status_code == 303
    # The apply request itself returns at once: the work is the job's (CPU time, so a
    # loaded machine does not fail it; the job's thread runs in this process too).
    assert time.process_time() - started < 30
    job = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in job and "<progress" in job
    page = wait_for_job(client, response.headers["Location"], seconds=300)
    assert f"{changed} updated" in page and f"{total - changed} unchanged" in page
    with app.app_context():
        upload = _db.session.scalar(select(RosterUpload))
        assert (upload.status, upload.rows_done, upload.rows_total) == ("done", total, total)
        assert (
            _db.session.scalar(
                select(func.count()).select_from(Provider).filter(Provider.last_name.like("New%"))
            )
            == changed
        )


def test_one_user_cannot_fill_everyones_quota(make_app):
    """Each user has a quota of their own; the same file again is the same preview; a
    discarded preview frees its share; Retry-After says when the oldest preview expires."""
    app = make_app(ROSTER_PREVIEW_QUOTA=9000, ROSTER_PREVIEW_USER_QUOTA=4000)
    with app.app_context():
        load_reference_data()
        add_user()
        add_user("other@example.org")
        _db.session.commit()
    hog, other = app.test_client(), app.test_client()
    AuthActions(hog).login()
    AuthActions(other).login("other@example.org")
    file_a = HEADER + _rows(0, 30)
    first = _preview(hog, file_a)
    assert first.status_code == 200
    again = _preview(hog, file_a, name="renamed.csv")  # the same bytes: the same preview
    assert (
        _apply_fields(again.get_data(as_text=True))["token"]
        == (_apply_fields(first.get_data(as_text=True))["token"])
    )
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(RosterUpload)) == 1
        upload = _db.session.scalar(select(RosterUpload))
        upload.expires_at = now_utc() + timedelta(minutes=10)
        _db.session.commit()
    full = _preview(hog, HEADER + _rows(100, 30))
    assert full.status_code == 503
    assert "(yours)" in full.get_data(as_text=True)
    assert 590 <= int(full.headers["Retry-After"]) <= 601  # when the first one expires
    # Someone else still can preview.
    assert _preview(other, HEADER + _rows(200, 30)).status_code == 200
    # Discarding frees the hog's share at once.
    fields = _apply_fields(first.get_data(as_text=True))
    discarded = hog.post(
        "/staff/roster/discard",
        data={"csrf_token": fields["csrf_token"], "token": fields["token"]},
    )
    assert discarded.status_code == 303
    assert hog.post("/staff/roster/apply", data=fields).status_code == 404
    assert _preview(hog, HEADER + _rows(100, 30)).status_code == 200
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(RosterUpload)) == 2


def test_a_job_that_no_longer_passes_frees_its_file(any_app, desk):
    response = _preview(desk, HEADER + _rows(0, 3))
    fields = _apply_fields(response.get_data(as_text=True))
    with any_app.app_context():
        spec = _db.session.scalar(select(Specialty).filter_by(code="207Q00000X"))
        spec.display_name = spec.nucc_name = "Family Practice"
        spec.slug = "family-practice"
        _db.session.commit()
    started = desk.post("/staff/roster/apply", data=fields)
    wait_for_job(desk, started.headers["Location"])
    with any_app.app_context():
        upload = _db.session.scalar(select(RosterUpload))
        assert upload.status == "failed" and upload.size == 0 and upload.data == b""
    again = desk.post("/staff/roster/apply", data=fields)
    assert again.status_code == 409
    assert "Upload it again" in again.get_data(as_text=True)
