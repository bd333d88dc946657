"""``flask nppes reconcile``: findings, the verification queue, Accept/Dismiss, health panel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, Finding, Provider, SearchOutbox
from app.services.registry.findings import accept_finding, dismiss_finding
from app.services.registry.nppes import NppesFileError
from app.services.registry.nppes_import import import_nppes
from app.services.registry.reconcile import reconcile
from app.services.seed import load_reference_data
from app.transaction import InvalidInput, unit_of_work
from tests import nppes_data
from tests.conftest import AuthActions, csrf_token
from tests.factories import apply_roster
from tests.test_staff_providers import add_user

SAMPLE = next((Path(__file__).parent / "fixtures" / "nppes").glob("npidata_pfile_*.csv"))
MOVED = ("2200 PEACHTREE RD NW", "STE 100", "ATLANTA", "GA", "303092211")
EXTRA = (
    "npi,first_name,last_name,credentials,specialties,address,city,state,zip,phone\n"
    "1555010036,Retired,Person,MD,207Q00000X,1 Main St,Atlanta,GA,30303,404-555-0100\n"
    "1555010051,Typo,Person,MD,207Q00000X,1 Main St,Atlanta,GA,30303,404-555-0100\n"
)


def registry_rows(last: str = "NGUYEN-TRAN") -> list[dict[str, str]]:
    """The registry a month later: every difference kind, for fictional people."""
    rows = nppes_data.sample_rows()
    anh, pierre = rows[0], rows[1]
    anh["Provider Last Name (Legal Name)"] = last
    anh["Healthcare Provider Taxonomy Code_4"] = "207P00000X"
    anh["Healthcare Provider Primary Taxonomy Switch_4"] = "Y"
    anh["Healthcare Provider Primary Taxonomy Switch_2"] = "N"
    for i, name in enumerate(
        (
            "Provider First Line Business Practice Location Address",
            "Provider Second Line Business Practice Location Address",
            "Provider Business Practice Location Address City Name",
            "Provider Business Practice Location Address State Name",
            "Provider Business Practice Location Address Postal Code",
        )
    ):
        pierre[name] = MOVED[i]
    pierre["Provider Business Practice Location Address Telephone Number"] = "4045550188"
    return rows


def registry(last: str = "NGUYEN-TRAN", old_gender: bool = False) -> io.StringIO:
    return io.StringIO(nppes_data.to_csv(registry_rows(last), old_gender), newline="")


def _fill_directory(app) -> None:
    with app.app_context():
        load_reference_data()
        _db.session.commit()
        npis = {"1555010002", "1555010010", "1555010044"}
        with unit_of_work(), SAMPLE.open(encoding="utf-8", newline="") as fh:
            assert import_nppes(fh, dry_run=False, npis=npis).applied
        assert apply_roster(EXTRA.encode(), dry_run=False).applied
    # The sample file's 3 individuals stand in for the registry's millions.
    app.config["NPPES_MIN_INDIVIDUALS"] = 3


@pytest.fixture
def directory(any_app):
    """Listings imported from the sample registry plus two more with NPIs."""
    _fill_directory(any_app)
    with any_app.app_context():
        yield any_app


@pytest.fixture
def desk(any_app):
    """The same directory for the staff pages (requests push their own app context)."""
    _fill_directory(any_app)
    return any_app


def _open(kind: str | None = None) -> list[Finding]:
    stmt = select(Finding).where(Finding.status == "open")
    if kind:
        stmt = stmt.where(Finding.kind == kind)
    return list(_db.session.scalars(stmt))


def _provider(npi: str) -> Provider:
    return _db.session.scalar(select(Provider).filter_by(npi=npi))


def test_reconcile_finds_every_kind_and_hides_nothing(directory):
    with unit_of_work():
        report = reconcile(registry())
    assert dict(report.open) == {
        "deactivated": 1,
        "not_in_file": 1,
        "name_changed": 1,
        "taxonomy_missing": 1,
        "address_differs": 1,
        "phone_differs": 1,
    }
    assert report.matched == 4 and report.listings == 5
    assert _provider("1555010036").active  # flagged, never auto-hidden
    name = _open("name_changed")[0]
    assert (name.registry_value, name.our_value) == ("Anh T Nguyen-Tran", "Anh T Nguyen Jr")
    address = _open("address_differs")[0]
    assert address.registry_value == "2200 Peachtree Rd NW, Ste 100, Atlanta, GA 30309-2211"
    assert "1500 Clairmont Rd" in address.our_value
    assert _open("taxonomy_missing")[0].registry_value.startswith("207P00000X")
    assert _open("phone_differs")[0].registry_value == "(404) 555-0188"
    assert not _open() or all(f.provider_id != _provider("1555010044").id for f in _open())
    # The same file again: the same open findings, no duplicates.
    with unit_of_work():
        again = reconcile(registry())
    assert sum(again.new.values()) == 0 and sum(again.open.values()) == 6
    assert _db.session.scalar(select(func.count()).select_from(Finding)) == 6


def test_dismissed_stays_dismissed_until_the_registry_changes(directory):
    with unit_of_work():
        reconcile(registry())
    name = _open("name_changed")[0]
    with unit_of_work():
        dismiss_finding(name, None)
    with unit_of_work():
        report = reconcile(registry())
    assert report.dismissed_kept == 1 and not _open("name_changed")
    assert _db.session.get(Finding, name.id).status == "dismissed"  # kept
    with unit_of_work():
        report = reconcile(registry(last="TRAN"))
    (new,) = _open("name_changed")
    assert new.registry_value == "Anh T Tran" and report.new["name_changed"] == 1
    events = _db.session.scalars(select(AuditEvent).filter_by(entity_type="finding"))
    assert [e.action for e in events] == ["dismiss"]


def test_accept_applies_the_registry_value_through_the_write_path(directory):
    with unit_of_work():
        reconcile(registry())
    pierre, anh = _provider("1555010010"), _provider("1555010002")
    outbox = _db.session.scalar(select(func.count()).select_from(SearchOutbox))
    for kind in ("address_differs", "phone_differs", "taxonomy_missing", "name_changed"):
        with unit_of_work():
            accept_finding(_open(kind)[0], None)
    with unit_of_work():
        accept_finding(_open("deactivated")[0], None)
    _db.session.expire_all()
    clinic = pierre.location_links[0].location
    assert (clinic.address_line1, clinic.zip) == ("2200 Peachtree Rd NW", "30309-2211")
    assert pierre.location_links[0].phone == "(404) 555-0188"
    assert anh.primary_specialty.code == "207P00000X" and anh.last_name == "Nguyen-Tran"
    assert not _provider("1555010036").active
    assert _db.session.scalar(select(func.count()).select_from(SearchOutbox)) > outbox
    accepted = _db.session.scalars(select(AuditEvent).filter_by(entity_type="finding"))
    assert [e.action for e in accepted] == ["accept"] * 5
    with unit_of_work():
        report = reconcile(registry())
    assert set(report.open) == {"not_in_file"}  # the rest now agree with the registry
    with pytest.raises(InvalidInput, match="already handled"):
        accept_finding(
            _db.session.scalars(select(Finding).filter_by(status="accepted")).first(), None
        )


def test_cli_reconcile_prints_counts_and_exits_zero(directory, tmp_path):
    path = tmp_path / "npidata_pfile_20250804-20250810.csv"
    path.write_text(registry(old_gender=True).getvalue(), encoding="utf-8")
    result = directory.test_cli_runner().invoke(args=["nppes", "reconcile", str(path)])
    assert result.exit_code == 0, result.output
    assert "NPI deactivated: 1 open (1 new)" in result.output
    assert "Practice address differs: 1 open" in result.output
    assert "rows/s" in result.output
    result = directory.test_cli_runner().invoke(args=["nppes", "reconcile", str(path), "--extract"])
    assert result.exit_code == 0 and "NPI not in the registry file: 0 open" in result.output
    bad = tmp_path / "roster.csv"
    bad.write_text(EXTRA, encoding="utf-8")
    result = directory.test_cli_runner().invoke(args=["nppes", "reconcile", str(bad)])
    assert result.exit_code != 0 and "not an NPPES" in result.output


def _desk(app):
    with app.app_context():
        add_user()
        _db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def test_staff_upload_queue_accept_dismiss_and_health_panel(any_app):
    with any_app.app_context():
        load_reference_data()
        _db.session.commit()
        with unit_of_work(), SAMPLE.open(encoding="utf-8", newline="") as fh:
            import_nppes(fh, dry_run=False, npis={"1555010002", "1555010010"})
    client = _desk(any_app)
    token = csrf_token(client, "/staff/nppes")
    response = client.post(
        "/staff/nppes",
        data={"csrf_token": token, "file": (io.BytesIO(registry().getvalue().encode()), "x.csv")},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Practice address differs: 1 open" in html
    assert "NPI not in the registry file: 0 open" in html  # an extract says nothing of that
    page = client.get("/staff/verification").get_data(as_text=True)
    assert "2200 Peachtree Rd NW" in page and "1500 Clairmont Rd" in page
    assert "patients may travel to the wrong place" in page
    with any_app.app_context():
        ids = {f.kind: f.id for f in _open()}
    token = csrf_token(client, "/staff/verification")
    url = f"/staff/findings/{ids['address_differs']}/accept"
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    again = client.post(url, data={"csrf_token": token})
    assert again.status_code == 409 and "already handled" in again.get_data(as_text=True)
    response = client.post(
        f"/staff/findings/{ids['name_changed']}/dismiss", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert client.post(url, data={}).status_code == 400  # no CSRF token
    assert (
        client.post("/staff/findings/999999/dismiss", data={"csrf_token": token}).status_code == 404
    )
    dash = client.get("/staff/").get_data(as_text=True)
    assert "Directory health" in dash and "<svg" in dash and "<desc" in dash
    assert 'href="/staff/re-check?age=0-30"' in dash
    assert 'href="/staff/verification?kind=phone_differs"' in dash
    assert "0–30 days: 2" in dash  # text alternative with the counts
    listing = client.get("/staff/re-check?age=0-30").get_data(as_text=True)
    assert "Nguyen" in listing and "Pierre" in listing
    assert client.get("/staff/re-check?age=forever").status_code == 404
    moved = client.get("/staff/verification?age=0-30")  # an old link to the age bands
    assert moved.status_code == 301 and moved.location.endswith("/staff/re-check?age=0-30")
    assert client.get("/staff/verification?kind=nonsense").status_code == 404


def test_staff_upload_refuses_other_files_and_big_ones(any_app):
    client = _desk(any_app)
    token = csrf_token(client, "/staff/nppes")
    response = client.post(
        "/staff/nppes", data={"csrf_token": token, "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")}
    )
    assert response.status_code == 422 and "not an NPPES" in response.get_data(as_text=True)
    boundary = "nppes-boundary"
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
        "/staff/nppes", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413


# A registry file or a finding must never corrupt a listing.

SHORT_ROW = "1555010002,1,\n"  # 3 cells in a 330-column file: used to mean "no legal name"


def _blank_name_finding(p: Provider, **names: str) -> Finding:
    """A name finding as the old reader recorded it from a short row (still in databases)."""
    data = {"first_name": "", "middle_name": "", "last_name": "", **names}
    finding = Finding(
        provider_id=p.id,
        npi=p.npi,
        kind="name_changed",
        registry_value=" ".join(v for v in data.values() if v),
        our_value=p.full_name,
        registry_data=data,
    )
    _db.session.add(finding)
    _db.session.commit()
    return finding


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ({}, "Last name: Enter a last name."),
        ({"last_name": "Nguyen-Tran"}, "First name: Enter a first name."),
        ({"first_name": "Anh", "last_name": "N" * 81}, "Last name: Too long: at most 80"),
    ],
)
def test_accept_runs_the_provider_form_rules_and_never_blanks_a_name(directory, names, message):
    anh = _provider("1555010002")
    finding = _blank_name_finding(anh, **names)
    with pytest.raises(InvalidInput) as raised, unit_of_work():
        accept_finding(finding, None)
    assert message in raised.value.errors["finding"]
    _db.session.expire_all()
    assert (anh.first_name, anh.last_name, anh.version) == ("Anh", "Nguyen", 1)
    assert _db.session.get(Finding, finding.id).status == "open"


def test_staff_accept_of_a_blank_name_answers_422_and_fhir_keeps_the_name(desk):
    with desk.app_context():
        anh = _provider("1555010002")
        finding_id, anh_id = _blank_name_finding(anh).id, anh.id
    client = _desk(desk)
    token = csrf_token(client, "/staff/verification")
    response = client.post(f"/staff/findings/{finding_id}/accept", data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The registry&#39;s value cannot be saved" in html and "Enter a last name." in html
    fhir = client.get(f"/fhir/R4/Practitioner/{anh_id}").get_json()
    assert fhir["name"][0]["family"] == "Nguyen" and fhir["name"][0]["given"][0] == "Anh"


def test_a_short_row_is_refused_at_both_doors_and_records_nothing(desk, tmp_path):
    text = nppes_data.to_csv(registry_rows()) + SHORT_ROW  # the short row is line 7
    path = tmp_path / "npidata_pfile_short_row.csv"
    path.write_text(text, encoding="utf-8")
    result = desk.test_cli_runner().invoke(args=["nppes", "reconcile", str(path)])
    assert result.exit_code != 0 and "Line 7: expected 330 cells, found 3" in result.output
    client = _desk(desk)
    token = csrf_token(client, "/staff/nppes")
    response = client.post(
        "/staff/nppes",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "x.csv")},
    )
    assert response.status_code == 422
    assert "Line 7: expected 330 cells, found 3" in response.get_data(as_text=True)
    with desk.app_context():
        assert not _open()


def test_a_latin1_upload_is_refused_naming_the_line(desk):
    rows = registry_rows()
    rows[4]["Provider First Name"] = "IBRAHIM"  # the rest of the file encodes as Latin-1
    data = nppes_data.to_csv(rows).encode("latin-1")  # ÖZTÜRK (U+00D6, U+00DC) on line 6
    client = _desk(desk)
    token = csrf_token(client, "/staff/nppes")
    response = client.post(
        "/staff/nppes", data={"csrf_token": token, "file": (io.BytesIO(data), "x.csv")}
    )
    assert response.status_code == 422
    assert "Line 6: the file is not UTF-8" in response.get_data(as_text=True)
    with desk.app_context():
        assert not _open()
        assert _provider("1555010044").last_name == "Öztürk"


def test_header_only_or_cut_short_file_is_not_taken_for_the_whole_registry(directory, tmp_path):
    header_only = nppes_data.to_csv([])
    refused = pytest.raises(NppesFileError, match="does not look like the whole registry")
    with refused, unit_of_work():
        reconcile(io.StringIO(header_only, newline=""))
    assert not _open()
    # Cut short at a row boundary: one listing of five found. The floor alone would pass it.
    directory.config["NPPES_MIN_INDIVIDUALS"] = 1
    cut = nppes_data.to_csv(registry_rows()[:1])
    refused = pytest.raises(NppesFileError, match=r"only 1 of the directory's 5 .* than 50%")
    with refused, unit_of_work():
        reconcile(io.StringIO(cut, newline=""))
    assert not _open()
    # As an extract the same file is fine: it says nothing about missing NPIs.
    with unit_of_work():
        report = reconcile(io.StringIO(cut, newline=""), complete=False)
    assert report.matched == 1 and not report.open["not_in_file"]


def test_cli_refuses_a_header_only_file_unless_it_is_an_extract(directory, tmp_path):
    path = tmp_path / "npidata_pfile_20250804-20250810.csv"
    path.write_text(nppes_data.to_csv([]), encoding="utf-8")
    runner = directory.test_cli_runner()
    result = runner.invoke(args=["nppes", "reconcile", str(path)])
    assert result.exit_code != 0
    assert "0 individual (entity type 1) rows, fewer than 3" in result.output
    with directory.app_context():
        assert not _open()
    result = runner.invoke(args=["nppes", "reconcile", str(path), "--extract"])
    assert result.exit_code == 0 and "NPI not in the registry file: 0 open" in result.output
