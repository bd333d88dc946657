"""Roster CSV import/export: contract, round trip, dry run, rejects, CLI and staff UI."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, Location, Provider, SearchOutbox
from app.parsing.validation import normalize_phone, npi_problem, sensible_case
from app.services.roster.apply import import_roster
from app.services.roster.export import export_roster
from app.services.roster.read import DETAIL_COLUMNS
from tests.conftest import AuthActions, csrf_token
from tests.factories import apply_roster
from tests.test_staff_providers import add_user

HEADER = "npi,first_name,last_name,credentials,gender,specialties,location_name,address,city,state,zip,phone,languages,accepting_new_patients,telehealth,insurance,bio"  # noqa: E501
GOOD = (
    HEADER + "\n"
    "1234567893,MARY,MCDONALD,MD,F,225100000X;Orthopaedic Surgery,New Clinic,1 New St,"
    "Seattle,WA,98101,206-555-0199,en;Spanish,yes,no,medicare,Hello\n"
    "1234567893,MARY,MCDONALD,MD,F,225100000X;Orthopaedic Surgery,,"
    "1021 Madison Street Suite 400,Seattle,WA,98104,,en;Spanish,yes,no,medicare,\n"
    ",SEAN,O'BRIEN,PT,,Physical Therapist,,1021 Madison St Ste 400,Seattle,WA,98104,,,"
    "1,0,,\n"
)

CLINIC = "1021 Madison St Ste 400,Seattle,WA,98104"  # the seeded First Hill clinic


def _count(model, **where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


@pytest.fixture
def seeded(seeded_app):
    with seeded_app.app_context():
        yield seeded_app


def _export() -> bytes:
    buffer = io.StringIO()
    export_roster(buffer)
    return buffer.getvalue().encode()


def test_validation_helpers():
    assert npi_problem("1234567893") is None
    assert "check digit" in npi_problem("1234567890")
    assert normalize_phone("+1 206.555.0101 ext 12") == "(206) 555-0101 x12"
    with pytest.raises(ValueError):
        normalize_phone("555-0101")
    assert sensible_case("MCDONALD") == "McDonald"
    assert sensible_case("O'BRIEN") == "O'Brien"
    assert sensible_case("GARCIA-LOPEZ") == "Garcia-Lopez"
    assert sensible_case("NÚÑEZ") == "Núñez"
    assert sensible_case("deVries") == "deVries"


def test_export_then_import_is_all_unchanged(seeded):
    data = _export()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    header = data.decode().splitlines()[0].split(",")
    new_ones_last = [*DETAIL_COLUMNS, "networks", "bio_es"]
    assert header == HEADER.split(",") + new_ones_last
    assert rows and set(rows[0]) == set(header)
    audit_before = _count(AuditEvent)
    report = apply_roster(data, dry_run=False)
    assert report.ok and report.applied
    assert report.created == report.updated == 0
    assert report.unchanged == _count(Provider, active=True)
    assert _count(AuditEvent) == audit_before + 1  # only the import summary


def test_dry_run_reports_and_writes_nothing(seeded):
    providers, outbox = _count(Provider), _count(SearchOutbox)
    report = import_roster(GOOD.encode(), dry_run=True)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.new_clinics, report.rows) == (2, 0, 1, 3)
    assert _count(Provider) == providers and _count(SearchOutbox) == outbox


def test_real_run_creates_audits_and_queues(seeded):
    report = apply_roster(GOOD.encode(), dry_run=False)
    assert report.ok and report.applied and report.created == 2
    mary = _db.session.scalar(select(Provider).filter_by(npi="1234567893"))
    assert (mary.first_name, mary.last_name) == ("Mary", "McDonald")
    assert mary.specialties[0].code == "225100000X"
    assert sorted(lang.code for lang in mary.languages) == ["en", "es"]
    clinics = {link.location.zip: link for link in mary.location_links}
    assert set(clinics) == {"98101", "98104"}
    assert clinics["98104"].location.slug == "first-hill"  # matched by normalized address
    new = clinics["98101"].location
    assert new.latitude and new.longitude and new.phone == "(206) 555-0199"
    sean = _db.session.scalar(select(Provider).filter_by(last_name="O'Brien"))
    assert sean.accepting_new_patients and not sean.telehealth
    assert _count(SearchOutbox, entity_id=mary.id) >= 1
    assert _count(AuditEvent, entity_type="provider", entity_id=sean.id, action="create") == 1
    again = import_roster(GOOD.encode(), dry_run=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = GOOD.replace(",1,0,,", ",0,0,,")
    assert apply_roster(changed.encode(), dry_run=False).updated == 1
    assert not _db.session.get(Provider, sean.id).accepting_new_patients


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (",Ann,Lee,MD,,207X00000X,," + CLINIC + ",,,,,,", None, None),
        ("1234567890,Ann,Lee,MD,,,,,,,,,,,,,", "npi", "check digit"),
        (",Ann,Lee,MD,,999999999X,,,,,,,,,,,", "specialties", "Unknown specialty"),
        (",Ann,Lee,MD,Q,,,,,,,,,,,,", "gender", "F, M, X"),
        (",Ann,Lee,MD,,,,,,,,,,maybe,,,", "accepting_new_patients", "yes or no"),
        (",Ann," + "L" * 81 + ",MD,,,,,,,,,,,,,", "last_name", "Too long"),
        (",Ann,Lee,MD,,,,1 Main St,Seattle,WA,9810,,,,,,", "zip", "5-digit"),
        (",Ann,Lee,MD,,,,1 Main St,Seattle,WA,98101,555,,,,,", "phone", "10 digits"),
        (",Ann,Lee,MD,,,,,,,,,Klingon,,,,", "languages", "Unknown language"),
        (",,Lee,MD,,,,,,,,,,,,,", "first_name", "Required"),
        (",Ann,Lee,MD,,,", "", "Expected 17 cells"),
    ],
)
def test_rejected_rows_name_line_column_and_reason(seeded, line, column, message):
    data = (HEADER + "\n,Bob,Ok,MD,,207X00000X,," + CLINIC + ",,,,,,\n" + line + "\n").encode()
    providers = _count(Provider)
    report = apply_roster(data, dry_run=False)
    if message is None:
        assert report.ok
        return
    assert not report.ok and not report.applied and report.rejected == 1
    error = report.errors[0]
    assert error.line == 3 and error.field == column and message in error.message
    assert _count(Provider) == providers  # all or nothing: Bob was not imported either


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        ((HEADER + "\n,J\xf6rg,Lee,,,,,,,,,,,,,,\n").encode("latin-1"), "not UTF-8"),
        (b"first_name,last_name,shoe_size\nA,B,9\n", "Unknown column"),
        (b"first_name,first_name,last_name\nA,A,B\n", "twice"),
        (b"credentials,bio\n1,2\n", "must include"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(seeded, data, message):
    report = import_roster(data, dry_run=True)
    assert report.file_error and message in report.file_error


def test_malformed_csv_names_the_line(seeded):
    data = (HEADER + '\n,Ann,Lee,MD,,,,,,,,,,,,,"unterminated\n').encode()
    report = import_roster(data, dry_run=True)
    assert not report.ok
    assert report.errors[0].line == 2 and "Malformed CSV" in report.errors[0].message


def test_conflicting_rows_for_one_provider_are_rejected(seeded):
    data = (
        HEADER + "\n1234567893,Ann,Lee,MD,,207X00000X,," + CLINIC + ",,,yes,,,\n"
        "1234567893,Ann,Lee,DO,,207X00000X,," + CLINIC + ",,,yes,,,\n"
    ).encode()
    report = import_roster(data, dry_run=True)
    assert report.errors[0].line == 3 and report.errors[0].field == "credentials"


def test_export_neutralizes_formula_cells(seeded):
    p = _db.session.scalar(select(Provider).filter_by(active=True).limit(1))
    p.bio = '=HYPERLINK("http://evil")'
    p.credentials = "+MD"
    _db.session.commit()
    rows = list(csv.DictReader(io.StringIO(_export().decode())))
    mine = [r for r in rows if r["last_name"] == p.last_name and r["first_name"] == p.first_name]
    assert mine[0]["bio"].startswith("'=") and mine[0]["credentials"] == "'+MD"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    assert import_roster(_export(), dry_run=True).updated == 0  # round trip still unchanged


def test_cli_import_export_and_exit_codes(seeded, tmp_path):
    runner = seeded.test_cli_runner()
    out = tmp_path / "roster.csv"
    result = runner.invoke(args=["roster", "export", str(out)])
    assert result.exit_code == 0 and out.exists()
    result = runner.invoke(args=["roster", "import", str(out), "--dry-run"])
    assert result.exit_code == 0 and "0 created, 0 updated" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n1234567890,Ann,Lee,MD,,,,,,,,,,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(bad)])
    assert result.exit_code != 0
    assert "line 2, npi" in result.output
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(good)])
    assert result.exit_code == 0 and "2 created" in result.output
    assert _count(Location, zip="98101") == 1
    assert "Imported in" in result.output and "writing" in result.output  # stage times


def test_progress_on_a_log_writes_whole_lines_and_times_each_stage():
    """Not on a terminal (a log, systemd), progress comes as a line every 15 s, never a
    carriage-return bar, and the closing summary says how long each stage took."""
    import io

    from app.cli.roster import ProgressLine

    stream = io.StringIO()
    progress = ProgressLine(stream)
    progress("read", 0, 0)
    progress("read", 1000, 0)
    assert stream.getvalue() == ""  # a stage that just began reports nothing yet
    progress.stages["read"] -= 20  # as if reading began 20 s ago
    progress.last -= 20
    progress("read", 50_000, 0)
    assert stream.getvalue() == "Reading: 50,000  2,500 rows/s\n"
    progress("write", 0, 10)
    summary = progress.summary()
    assert summary.startswith("reading 20 s, writing 0 s"), summary


def wait_for_job(client, url: str, seconds: float = 120) -> str:
    """Follow a roster job's self-refreshing page until it ends; return the final page."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        page = client.get(url).get_data(as_text=True)
        if 'http-equiv="refresh"' not in page:
            return page
        assert "<progress" in page
        assert time.monotonic() < deadline, "roster job did not finish"
        time.sleep(0.2)


def _staff_client(app):
    with app.app_context():
        add_user()
        _db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def test_staff_upload_preview_then_apply(seeded_app):
    client = _staff_client(seeded_app)
    token = csrf_token(client, "/staff/roster")
    response = client.post(
        "/staff/roster",
        data={"csrf_token": token, "file": (io.BytesIO(GOOD.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "providers to create" in html
    with seeded_app.app_context():
        assert _count(Provider, npi="1234567893") == 0  # preview writes nothing
    fields = dict(
        (name, value)
        for name, value in __import__("re").findall(r'name="(\w+)"[^>]*value="([^"]*)"', html)
    )
    tampered = dict(fields, digest="0" * 64)
    assert client.post("/staff/roster/apply", data=tampered).status_code == 409
    assert (
        client.post(
            "/staff/roster/apply", data={"token": fields["token"], "digest": fields["digest"]}
        ).status_code
        == 400
    )
    response = client.post("/staff/roster/apply", data=fields)
    assert response.status_code == 303
    page = wait_for_job(client, response.headers["Location"])
    assert "Roster applied" in page and "2 created" in page
    with seeded_app.app_context():
        assert _count(Provider, npi="1234567893") == 1
        assert _db.session.scalar(
            select(AuditEvent).filter_by(action="import", entity_type="roster")
        )
    again = client.post("/staff/roster/apply", data=fields)
    assert again.status_code == 409 and "already applied" in again.get_data(as_text=True)


def test_staff_upload_with_rejects_shows_lines(seeded_app):
    client = _staff_client(seeded_app)
    token = csrf_token(client, "/staff/roster")
    data = HEADER + "\n1234567890,Ann,Lee,MD,,,,,,,,,,,,,\n"
    response = client.post(
        "/staff/roster",
        data={"csrf_token": token, "file": (io.BytesIO(data.encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "check digit" in html and "<td>2</td>" in html and "Apply the import" not in html


def test_upload_over_5_mb_gets_friendly_413(seeded_app):
    client = _staff_client(seeded_app)
    token = csrf_token(client, "/staff/roster")
    # Build the multipart body by hand so the test client keeps it in memory.
    boundary = "roster-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"x" * (5 * 1024 * 1024 + 10)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/staff/roster", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Error code 413" in html and 'class="site-header"' in html  # the friendly page
    assert "That file is too large." in html


@pytest.mark.parametrize(
    ("data", "column", "message"),
    [
        (HEADER + "\n,Ann,Lee,MD,,,," + CLINIC + ",,,,,,\n", "specialties", "one specialty"),
        (HEADER + "\n,Ann,Lee,MD,,207X00000X,,,,,,,,,,,\n", "address", "one clinic"),
        ("first_name,last_name,specialties\nAnn,Lee,207X00000X\n", "address", "one clinic"),
    ],
)
def test_new_listing_without_specialty_or_clinic_is_rejected(seeded, data, column, message):
    providers = _count(Provider)
    report = apply_roster(data.encode(), dry_run=False)
    assert not report.ok and not report.applied and report.created == 0
    assert [(e.line, e.field) for e in report.errors] == [(2, column)]
    assert f"A new listing needs at least {message}" in report.errors[0].message
    assert _count(Provider) == providers


def test_update_with_empty_specialties_and_no_clinic_keeps_them(seeded):
    p = _db.session.scalar(select(Provider).filter_by(active=True).limit(1))
    p.npi = "1234567893"
    _db.session.commit()
    specialties = [link.specialty_id for link in p.specialty_links]
    clinics = [link.location_id for link in p.location_links]
    assert specialties and clinics
    line = f"{p.npi},{p.first_name},{p.last_name},Changed,,,,,,,,,,,,,"
    report = apply_roster((HEADER + "\n" + line + "\n").encode(), dry_run=False)
    assert report.ok and report.applied and report.updated == 1, report.errors
    _db.session.expire_all()
    p = _db.session.get(Provider, p.id)
    assert p.credentials == "Changed"
    assert [link.specialty_id for link in p.specialty_links] == specialties
    assert [link.location_id for link in p.location_links] == clinics


def _finds(app, q: str) -> list[str]:
    from werkzeug.datastructures import MultiDict

    from app import search

    results = search.search(search.parse_params(MultiDict({"q": q}), api=True))
    return [hit.card.full_name for hit in results.hits]


def test_cli_import_is_searchable_when_the_command_returns(seeded, tmp_path):
    """A small import is applied as changes before the command ends, not left to a thread
    that dies with the process."""
    from app import search

    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    generation = search.status()["generation"]
    result = seeded.test_cli_runner().invoke(args=["roster", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 change(s)" in result.output and "Imported and indexed" in result.output
    status = search.status()
    assert status["pending"] == 0 and status["generation"] == generation
    assert "Mary McDonald" in _finds(seeded, "mary mcdonald")
    assert "Sean O'Brien" in _finds(seeded, "sean o'brien")


def test_cli_first_import_builds_the_index_in_one_go(app, tmp_path):
    """The first roster of a new directory (or any import changing at least a quarter of
    it): one full rebuild with progress, swapped in whole, instead of change by change."""
    from app import search
    from app.services.seed import load_reference_data

    with app.app_context():
        load_reference_data()
        _db.session.commit()
        assert search.status()["generation"] is None
        good = tmp_path / "good.csv"
        good.write_text(GOOD, encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["roster", "import", str(good)])
        assert result.exit_code == 0, result.output
        assert "Rebuilding the search index for 2 listings" in result.output
        assert "Indexed 2 providers" in result.output
        status = search.status()
        assert status["generation"] and status["pending"] == 0
        assert status["documents"] == status["active_providers"] == 2
        assert "Mary McDonald" in _finds(app, "mary mcdonald")
        assert search.verify() == []


def test_cli_dry_run_and_rejected_imports_index_nothing(seeded, tmp_path):
    from app import search

    before = search.status()
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    result = seeded.test_cli_runner().invoke(args=["roster", "import", str(good), "--dry-run"])
    assert result.exit_code == 0 and "ndexed" not in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n1234567890,Ann,Lee,MD,,,,,,,,,,,,,\n", encoding="utf-8")
    result = seeded.test_cli_runner().invoke(args=["roster", "import", str(bad)])
    assert result.exit_code != 0 and "ndexed" not in result.output
    assert search.status() == before


def test_cli_import_while_another_process_holds_the_index(seeded, tmp_path):
    """The writer is busy (a web worker applying, a rebuild): the import still lands, the
    command says the index will catch up, and exits 0 with the changes left queued."""
    from app import search

    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    sync_before = seeded.config.get("SEARCH_SYNC_ON_COMMIT")
    with search.store().writer_lock() as held:
        assert held
        result = seeded.test_cli_runner().invoke(args=["roster", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output and "busy in another process" in result.output
    assert "Imported and indexed" not in result.output
    assert search.status()["pending"] >= 2
    assert seeded.config.get("SEARCH_SYNC_ON_COMMIT") == sync_before  # restored
    search.apply_changes()  # what the workers' next pass does
    assert "Mary McDonald" in _finds(seeded, "mary mcdonald")
