"""A roster changes only what it says: absent columns, blank cells, clearing, preview, undo.

Every test here writes, so it runs on SQLite and on PostgreSQL (``seeded_app``).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, Provider, RosterChange, RosterUpload
from app.services.providers import update_provider
from app.services.registry.findings import current_input
from app.services.roster.apply import import_roster
from app.services.roster.export import export_roster, sample_csv
from app.services.roster.read import COLUMN_GUIDE, EXPORT_COLUMNS, OPTIONAL_COLUMNS
from app.transaction import unit_of_work
from tests.conftest import AuthActions, csrf_token
from tests.factories import apply_roster
from tests.test_roster import wait_for_job
from tests.test_staff_providers import add_user

HEADER = (
    "npi,first_name,last_name,credentials,gender,specialties,location_name,address,city,"
    "state,zip,phone,languages,accepting_new_patients,telehealth,insurance,bio"
)


def _okafor() -> Provider:
    return _db.session.scalar(select(Provider).filter_by(first_name="Ngozi", last_name="Okafor"))


def _listing(p: Provider) -> dict:
    return {
        "bio": p.bio,
        "languages": sorted(x.code for x in p.languages),
        "insurance": sorted(x.slug for x in p.insurance_plans),
        "clinics": [link.location_id for link in p.location_links],
        "specialties": [link.specialty_id for link in p.specialty_links],
        "credentials": p.credentials,
        "gender": p.gender,
        "accepting": p.accepting_new_patients,
    }


def _export() -> bytes:
    buffer = io.StringIO()
    export_roster(buffer)
    return buffer.getvalue().encode()


@pytest.fixture
def seeded(seeded_app):
    with seeded_app.app_context():
        yield seeded_app


@pytest.fixture
def desk(seeded_app):
    with seeded_app.app_context():
        add_user()
        _db.session.commit()
    client = seeded_app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def _upload(client, text: str, blank_clears: bool = False, name: str = "small.csv"):
    data = {
        "csrf_token": csrf_token(client, "/staff/roster"),
        "file": (io.BytesIO(text.encode()), name),
    }
    if blank_clears:
        data["blank_clears"] = "y"
    return client.post("/staff/roster", data=data, content_type="multipart/form-data")


def _fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` (boxes left unticked)."""
    form = html[html.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        if 'type="hidden"' in tag:
            fields[re.search(r'name="(\w+)"', tag)[1]] = re.search(r'value="([^"]*)"', tag)[1]
    return fields


def test_small_file_with_blank_cells_changes_only_what_it_says(seeded):
    """The front desk's two-row file: names and "accepting", every other cell blank."""
    before = _listing(_okafor())
    assert before["bio"] and len(before["insurance"]) >= 4 and before["languages"]
    text = (
        HEADER + "\n"
        ",Ngozi,Okafor,,,,,,,,,,,yes,,,\n"
        ",Ngozi,Okafor,,,,,,,,,,,yes,,,\n"  # the same provider twice: one listing
    )
    preview = import_roster(text.encode(), dry_run=True)
    assert preview.ok and preview.updated == 1 and preview.cleared == 0, preview.errors
    [change] = preview.changes
    assert [(d.column, d.old, d.new) for d in change.diffs] == [
        ("accepting_new_patients", "no", "yes")
    ]
    report = apply_roster(text.encode(), dry_run=False)
    assert report.applied
    after = _listing(_okafor())
    assert after == dict(before, accepting=True)


def test_partial_file_npi_and_one_flag(seeded):
    p = _okafor()
    with unit_of_work():
        update_provider(p, current_input(p, npi="1234567893"), None, None)
    before = _listing(p)
    text = f"npi,accepting_new_patients\n{p.npi},{'no' if before['accepting'] else 'yes'}\n"
    report = apply_roster(text.encode(), dry_run=False)
    assert report.ok and report.updated == 1 and report.applied, report.errors
    _db.session.expire_all()
    p = _db.session.get(Provider, p.id)
    assert _listing(p) == dict(before, accepting=not before["accepting"])
    unknown = import_roster(b"npi,telehealth\n1245319599,yes\n", dry_run=True)
    assert not unknown.ok
    assert "give its first_name and last_name" in str(unknown.errors[0])
    refused = import_roster(b"telehealth\nyes\n", dry_run=True)
    assert "must include npi" in refused.file_error


def test_clear_marker_and_blank_clear_mode(seeded):
    p = _okafor()
    pid, before = p.id, _listing(p)
    marker = HEADER + "\n,Ngozi,Okafor,,,,,,,,,,,,,(CLEAR),\n"
    preview = import_roster(marker.encode(), dry_run=True)
    assert preview.ok and preview.cleared == 1 and preview.cleared_listings == 1
    [(_, diff)] = preview.cleared_values()
    assert diff.column == "insurance" and diff.new == "" and "Medicaid" in diff.old
    unconfirmed = apply_roster(marker.encode(), dry_run=False)
    assert unconfirmed.needs_confirmation and not unconfirmed.applied
    assert _listing(_db.session.get(Provider, pid)) == before  # nothing written
    blank = HEADER + "\n,Ngozi,Okafor,,,,,,,,,,,,,,\n"
    cleared = import_roster(blank.encode(), dry_run=True, blank="clear")
    columns = sorted(d.column for _, d in cleared.cleared_values())
    assert columns == ["bio", "credentials", "gender", "insurance", "languages"]
    report = apply_roster(blank.encode(), dry_run=False, blank="clear", confirm_clear=True)
    assert report.applied and report.cleared == 5
    after = _listing(_db.session.get(Provider, pid))
    assert after["bio"] == "" and after["insurance"] == [] and after["languages"] == []
    # Names, specialties and clinics are never cleared by a file.
    assert after["specialties"] == before["specialties"]
    assert after["clinics"] == before["clinics"]


@pytest.mark.parametrize("column", ["npi", "first_name", "specialties", "telehealth", "address"])
def test_clear_marker_refused_where_a_value_is_needed(seeded, column):
    row = dict.fromkeys(HEADER.split(","), "")
    row.update(first_name="Ngozi", last_name="Okafor")
    row[column] = "(clear)"
    text = HEADER + "\n" + ",".join(row[c] for c in HEADER.split(",")) + "\n"
    report = import_roster(text.encode(), dry_run=True)
    assert not report.ok
    assert any(e.field == column and "cannot clear" in e.message for e in report.errors)


@pytest.mark.parametrize("blank", ["keep", "clear"])
def test_export_then_import_makes_no_change(seeded, blank):
    events = _db.session.scalar(select(func.count()).select_from(AuditEvent))
    report = apply_roster(_export(), dry_run=False, blank=blank)
    assert report.ok and report.updated == 0 and report.cleared == 0 and report.created == 0
    assert report.unchanged == _db.session.scalar(
        select(func.count()).select_from(Provider).filter_by(active=True)
    )
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)) == events + 1


def test_preview_page_lists_changes_and_clears_need_confirming(seeded_app, desk):
    text = HEADER + "\n,Ngozi,Okafor,DO,,,,,,,,,,yes,,(clear),\n"
    with seeded_app.app_context():
        plans_before = _listing(_okafor())["insurance"]
    response = _upload(desk, text)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 values will be cleared on 1 listing" not in html  # only the marked cell
    assert "1 value will be cleared on 1 listing" in html
    assert "Values to clear" in html and "Ngozi Okafor" in html
    assert re.search(r"credentials</th><td>MD</td><td>DO</td>", html)
    assert "accepting_new_patients" in html
    fields = _fields(html, "/staff/roster/apply")
    refused = desk.post("/staff/roster/apply", data=fields)
    assert refused.status_code == 422
    assert "Tick “Yes, clear these values”" in refused.get_data(as_text=True)
    with seeded_app.app_context():
        assert _listing(_okafor())["insurance"] == plans_before
    started = desk.post("/staff/roster/apply", data=dict(fields, confirm_clear="y"))
    assert started.status_code == 303
    page = wait_for_job(desk, started.headers["Location"])
    assert "Roster applied" in page and "Undo this import" in page
    with seeded_app.app_context():
        p = _okafor()
        assert p.insurance_plans == [] and p.credentials == "DO" and p.accepting_new_patients


def test_undo_restores_values_and_keeps_later_edits(seeded_app, desk):
    with seeded_app.app_context():
        before = _listing(_okafor())
        count = _db.session.scalar(select(func.count()).select_from(Provider))
    text = (
        HEADER + "\n"
        ",Ngozi,Okafor,DO,,,,,,,,,es,yes,,(clear),A new bio.\n"
        "1234567893,Mara,Quill,PT,F,225100000X,,1021 Madison St Ste 400,Seattle,WA,98104,,,"
        "yes,no,,\n"
    )
    fields = _fields(_upload(desk, text).get_data(as_text=True), "/staff/roster/apply")
    started = desk.post("/staff/roster/apply", data=dict(fields, confirm_clear="y"))
    job_url = started.headers["Location"]
    wait_for_job(desk, job_url)
    with seeded_app.app_context():
        p = _okafor()
        assert p.bio == "A new bio." and [x.code for x in p.languages] == ["es"]
        upload = _db.session.scalar(select(RosterUpload).filter_by(token=fields["token"]))
        assert (
            _db.session.scalar(
                select(func.count()).select_from(RosterChange).filter_by(upload_id=upload.id)
            )
            == 2
        )
        # Someone edits the bio after the import: the undo must keep that edit.
        with unit_of_work():
            update_provider(p, current_input(p, bio="Edited by the desk."), None, None)
    page = desk.get(job_url).get_data(as_text=True)
    undo = _fields(page, job_url + "/undo")
    response = desk.post(job_url + "/undo", data=undo)
    assert response.status_code == 303
    page = wait_for_job(desk, job_url)
    assert "Undone" in page and "Values the undo left alone" in page
    assert "Edited by the desk." in page and "A new bio." in page
    with seeded_app.app_context():
        after = _listing(_okafor())
        assert after == dict(before, bio="Edited by the desk.")
        quill = _db.session.scalar(select(Provider).filter_by(npi="1234567893"))
        assert quill is not None and not quill.active  # created by the import: hidden again
        assert _db.session.scalar(select(func.count()).select_from(Provider)) == count + 1
        actions = set(_db.session.scalars(select(AuditEvent.action)))
        assert {"import", "undo", "deactivate"} <= actions
    again = desk.post(job_url + "/undo", data=undo)
    assert again.status_code == 409  # an import is undone once


def test_undo_window_closes(seeded_app, desk):
    from datetime import timedelta

    from app.models import now_utc

    text = HEADER + "\n,Ngozi,Okafor,DO,,,,,,,,,,,,,\n"
    fields = _fields(_upload(desk, text).get_data(as_text=True), "/staff/roster/apply")
    job_url = desk.post("/staff/roster/apply", data=fields).headers["Location"]
    wait_for_job(desk, job_url)
    with seeded_app.app_context():
        upload = _db.session.scalar(select(RosterUpload).filter_by(token=fields["token"]))
        upload.finished_at = now_utc() - timedelta(days=31)
        _db.session.commit()
    page = desk.get(job_url).get_data(as_text=True)
    assert "can be undone for 30 days" in page and "Undo this import</button>" not in page
    assert (
        desk.post(
            job_url + "/undo", data={"csrf_token": fields["csrf_token"], "token": fields["token"]}
        ).status_code
        == 409
    )


def test_cli_blank_clear_needs_yes_and_can_be_undone(seeded_app, tmp_path):
    path = tmp_path / "desk.csv"
    path.write_text(HEADER + "\n,Ngozi,Okafor,,,,,,,,,,,no,,,\n")
    runner = seeded_app.test_cli_runner()
    with seeded_app.app_context():
        before = _listing(_okafor())
    refused = runner.invoke(args=["roster", "import", str(path), "--blank=clear"])
    assert refused.exit_code == 1
    assert "Values this file clears (5)" in refused.output
    assert "run again with --yes" in refused.output
    with seeded_app.app_context():
        assert _listing(_okafor()) == before
        assert _db.session.scalar(select(func.count()).select_from(RosterUpload)) == 0
    kept = runner.invoke(args=["roster", "import", str(path)])  # blanks keep by default
    assert kept.exit_code == 0, kept.output
    with seeded_app.app_context():
        assert _listing(_okafor()) == before  # accepting was already "no"
    applied = runner.invoke(args=["roster", "import", str(path), "--blank=clear", "--yes"])
    assert applied.exit_code == 0, applied.output
    token = re.search(r"flask roster undo (\S+)", applied.output).group(1)
    with seeded_app.app_context():
        assert _okafor().bio == ""
    undone = runner.invoke(args=["roster", "undo", token])
    assert undone.exit_code == 0, undone.output
    assert "Restored 5 values on 1 listing" in undone.output
    with seeded_app.app_context():
        assert _listing(_okafor()) == before
    twice = runner.invoke(args=["roster", "undo", token])
    assert twice.exit_code != 0 and "already undone" in twice.output


def test_sample_file_and_column_table(seeded_app, desk):
    response = desk.get("/staff/roster/sample.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == sample_csv()
    rows = list(csv.DictReader(io.StringIO(sample_csv())))
    assert list(rows[0]) == list(EXPORT_COLUMNS) and len(rows) == 2
    with seeded_app.app_context():
        report = import_roster(sample_csv().encode(), dry_run=True)
        assert report.ok and report.created == 1 and report.new_clinics == 1, report.errors
    assert [name for name, _, _ in COLUMN_GUIDE] == sorted(
        {*EXPORT_COLUMNS, *OPTIONAL_COLUMNS}, key=[g[0] for g in COLUMN_GUIDE].index
    )
    assert set(EXPORT_COLUMNS) | set(OPTIONAL_COLUMNS) == {g[0] for g in COLUMN_GUIDE}
    page = desk.get("/staff/roster").get_data(as_text=True)
    assert "Roster columns" in page and "<code>accepting_new_patients</code>" in page
    assert "Blank cells clear values" in page and "/staff/roster/sample.csv" in page


def test_jobs_are_kept_while_they_can_be_undone_then_purged(seeded):
    from datetime import timedelta

    from app.models import now_utc
    from app.services.roster.jobs import cli_job, finish_cli_job, purge_expired
    from app.services.roster.undo import ChangeLog

    text = (HEADER + "\n,Ngozi,Okafor,DO,,,,,,,,,,,,,\n").encode()
    with unit_of_work():
        job = cli_job("desk.csv", text, "keep", None)
        report = import_roster(text, dry_run=False, log=ChangeLog(job.id))
        finish_cli_job(job, report)
    job_id = job.id
    with unit_of_work():
        job = _db.session.get(RosterUpload, job_id)
        job.finished_at = now_utc() - timedelta(days=29)
        assert purge_expired() == 0  # still undoable: kept, past its preview expiry
    with unit_of_work():
        job = _db.session.get(RosterUpload, job_id)
        job.finished_at = now_utc() - timedelta(days=31)
        assert purge_expired() == 1
    assert _db.session.scalar(select(func.count()).select_from(RosterChange)) == 0


def test_the_forms_rules_refuse_a_row_not_the_whole_import(seeded):
    """Credentials typed into the name cells join the credentials cell: over the form's
    80 characters that row is refused with its column (one rule for form and file)."""
    long = "Doctor of Physical Therapy, Orthopaedic Clinical Specialist, Cert"  # 66 chars
    text = HEADER + f'\n,Ngozi,Okafor MD PHD DPT,"{long}",,,,,,,,,,,,,\n'
    report = apply_roster(text.encode(), dry_run=False)
    assert not report.ok and not report.applied
    [error] = report.errors
    assert error.field == "credentials" and "at most 80" in error.message


def _with_npi(p: Provider, npi: str = "1234567893") -> Provider:
    with unit_of_work():
        update_provider(p, current_input(p, npi=npi), None, None)
    return p


def test_blank_phone_keeps_a_providers_own_phone_and_clinic_order(seeded):
    """Review: a blank phone cell wiped the provider's own phone at a clinic, and a file
    listing the clinics in another order silently changed the main clinic."""
    p = _with_npi(_okafor())
    links = [(link.location_id, link.phone) for link in p.location_links]
    assert len(links) == 2 and links[0][1]  # Renton first, with her own phone
    rows = []
    for link in reversed(p.location_links):  # the file lists her clinics the other way round
        loc = link.location
        address = ", ".join(x for x in (loc.address_line1, loc.address_line2) if x)
        rows.append(f'1234567893,"{address}",{loc.zip},,New bio.')
    text = "npi,address,zip,phone,bio\n" + "\n".join(rows) + "\n"
    preview = import_roster(text.encode(), dry_run=True)
    assert preview.ok, preview.errors
    assert [d.column for d in preview.changes[0].diffs] == ["bio"]
    assert apply_roster(text.encode(), dry_run=False).applied
    p = _okafor()
    assert [(link.location_id, link.phone) for link in p.location_links] == links
    assert p.bio == "New bio."


def test_web_job_refuses_clears_its_preview_did_not_show(seeded_app, desk):
    """Review: the job applied any number of clears once one was confirmed."""
    text = HEADER + "\n,Ngozi,Okafor,,,,,,,,,,,,,(clear),\n,Ama,Quarshie,,,,,,,,,,,,,,(clear)\n"
    with seeded_app.app_context():
        plans_before = _listing(_okafor())["insurance"]
        other = _db.session.scalar(select(Provider).where(Provider.id != _okafor().id).limit(1))
        name = (other.first_name, other.last_name)
        with unit_of_work():  # no bio yet: the preview clears only Okafor's plans
            update_provider(other, current_input(other, bio=""), None, None)
    text = text.replace("Ama,Quarshie", ",".join(name))
    fields = _fields(_upload(desk, text).get_data(as_text=True), "/staff/roster/apply")
    with seeded_app.app_context():  # meanwhile someone writes the other listing's bio
        other = _db.session.scalar(
            select(Provider).filter_by(first_name=name[0], last_name=name[1])
        )
        with unit_of_work():
            update_provider(other, current_input(other, bio="Written after."), None, None)
    started = desk.post("/staff/roster/apply", data=dict(fields, confirm_clear="y"))
    page = wait_for_job(desk, started.headers["Location"])
    assert "Nothing was applied" in page and "preview did not show" in page
    with seeded_app.app_context():
        assert _listing(_okafor())["insurance"] == plans_before
        assert (
            _db.session.scalar(
                select(Provider.bio).filter_by(first_name=name[0], last_name=name[1])
            )
            == "Written after."
        )


def test_undo_keeps_a_value_edited_and_set_back_since(seeded):
    """Review: a value changed and changed back after the import was silently undone."""
    from app.services.roster.jobs import cli_job, finish_cli_job
    from app.services.roster.undo import ChangeLog, undo_import

    text = (HEADER + "\n,Ngozi,Okafor,DO,,,,,,,,,,yes,,,\n").encode()
    with unit_of_work():
        job = cli_job("a.csv", text, "keep", None)
        finish_cli_job(job, import_roster(text, dry_run=False, log=ChangeLog(job.id)))
    job_id = job.id
    p = _okafor()
    with unit_of_work():  # staff set it back, then forward again
        update_provider(p, current_input(p, accepting_new_patients=False), None, None)
    with unit_of_work():
        update_provider(p, current_input(p, accepting_new_patients=True), None, None)
    with unit_of_work():
        result = undo_import(_db.session.get(RosterUpload, job_id), None)
    p = _okafor()
    assert p.credentials == "MD"  # untouched since: restored
    assert p.accepting_new_patients is True  # edited since: kept
    assert [c["column"] for c in result.conflicts] == ["accepting_new_patients"]
