"""Ages seen, board certifications, education and affiliations as optional roster columns.

Every test that writes runs on SQLite and PostgreSQL (the ``seeded_app`` fixture).
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import AuditEvent, Provider
from app.parsing import provider_details as details
from app.services.providers import update_provider
from app.services.registry.findings import current_input
from app.services.roster.export import export_roster
from app.services.roster.read import DETAIL_COLUMNS
from app.transaction import unit_of_work
from tests.factories import apply_roster
from tests.test_provider_details import PART

CLINIC = "1021 Madison St Ste 400,Seattle,WA,98104"  # the seeded First Hill clinic
BASE = "npi,first_name,last_name,specialties,address,city,state,zip"
DETAILS = ",".join(DETAIL_COLUMNS)
CERTS = "American Board of Family Medicine | Family Medicine | 2012; ABPM | Sports Medicine | 2016"
EDUCATION = "MD | University of Washington | 2008; Residency | Swedish Family Medicine"
HOSPITALS = "Harborview Medical Center; Swedish First Hill"


def _row(*cells: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _file(header: str, *rows: tuple[str, ...]) -> bytes:
    return (header + "\n" + "".join(_row(*r) for r in rows)).encode()


def _new(npi: str = "1234567893", **cells: str) -> tuple[str, ...]:
    values = {
        "sees_children": "yes",
        "sees_adults": "Y",
        "sees_older_adults": "no",
        "board_certifications": CERTS,
        "education": EDUCATION,
        "hospital_affiliations": HOSPITALS,
        **cells,
    }
    return (npi, "Wren", "Okafor", "207Q00000X", *CLINIC.split(","), *values.values())


def _export() -> bytes:
    buffer = io.StringIO()
    export_roster(buffer)
    return buffer.getvalue().encode()


def _provider(npi: str = "1234567893") -> Provider:
    db.session.expire_all()
    return db.session.scalar(select(Provider).filter_by(npi=npi))


@pytest.fixture
def seeded(seeded_app):
    with seeded_app.app_context():
        yield seeded_app


def test_import_stores_ages_and_details(seeded):
    report = apply_roster(_file(f"{BASE},{DETAILS}", _new()), dry_run=False)
    assert report.ok and report.created == 1, report.errors
    p = _provider()
    assert (p.sees_children, p.sees_adults, p.sees_older_adults) == (True, True, False)
    assert p.board_certifications == [
        {
            "board": "American Board of Family Medicine",
            "specialty": "Family Medicine",
            "year": 2012,
        },
        {"board": "ABPM", "specialty": "Sports Medicine", "year": 2016},
    ]
    assert p.education == [
        {"degree": "MD", "institution": "University of Washington", "year": 2008},
        {"degree": "Residency", "institution": "Swedish Family Medicine", "year": None},
    ]
    assert p.hospital_affiliations == ["Harborview Medical Center", "Swedish First Hill"]


def test_export_writes_the_columns_and_reimports_unchanged(seeded):
    apply_roster(_file(f"{BASE},{DETAILS}", _new()), dry_run=False)
    data = _export()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    mine = [r for r in rows if r["npi"] == "1234567893"]
    assert len(mine) == 1
    assert mine[0]["sees_children"] == "yes" and mine[0]["sees_older_adults"] == "no"
    assert mine[0]["board_certifications"] == CERTS
    assert mine[0]["education"] == EDUCATION
    assert mine[0]["hospital_affiliations"] == HOSPITALS
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    report = apply_roster(data, dry_run=False)
    assert report.ok and report.updated == report.created == 0, report.errors
    assert report.unchanged == db.session.scalar(
        select(func.count()).select_from(Provider).filter_by(active=True)
    )
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1


def test_a_roster_without_the_columns_keeps_what_staff_entered(seeded):
    apply_roster(_file(f"{BASE},{DETAILS}", _new()), dry_run=False)
    # An older roster (no detail columns) changes another field of the same listing.
    old_style = _file(
        f"{BASE},credentials", ("1234567893", "Wren", "Okafor", "", "", "", "", "", "DO")
    )
    report = apply_roster(old_style, dry_run=False)
    assert report.ok and report.updated == 1, report.errors
    p = _provider()
    assert p.credentials == "DO"
    assert p.sees_children and len(p.board_certifications) == 2
    assert len(p.education) == 2 and len(p.hospital_affiliations) == 2


def test_registry_and_queue_updates_keep_details(seeded):
    """Every path that rebuilds a listing's input (findings, NPPES) keeps its details."""
    apply_roster(_file(f"{BASE},{DETAILS}", _new()), dry_run=False)
    p = _provider()
    with unit_of_work():
        update_provider(p, current_input(p, credentials="MD"), None, None)
    p = _provider()
    assert p.credentials == "MD" and len(p.board_certifications) == 2 and p.hospital_affiliations


def test_empty_cells_keep_until_told_to_clear(seeded):
    apply_roster(_file(f"{BASE},{DETAILS}", _new()), dry_run=False)
    blank = _file(
        f"{BASE},{DETAILS}",
        _new(sees_children="", board_certifications="", hospital_affiliations=""),
    )
    report = apply_roster(blank, dry_run=False)  # blank cells leave values by default
    assert report.ok and report.updated == 0 and report.unchanged == 1, report.errors
    assert len(_provider().board_certifications) == 2
    report = apply_roster(blank, dry_run=False, blank="clear")
    assert report.ok and report.needs_confirmation and not report.applied
    assert report.cleared == 2  # the yes/no cell is never cleared
    assert len(_provider().board_certifications) == 2  # nothing applied unconfirmed
    report = apply_roster(blank, dry_run=False, blank="clear", confirm_clear=True)
    assert report.ok and report.updated == 1 and report.applied, report.errors
    p = _provider()
    assert p.sees_children is True  # empty yes/no cell: leave as is
    assert p.board_certifications == [] and p.hospital_affiliations == []
    assert len(p.education) == 2
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "update").order_by(AuditEvent.id.desc())
    )
    assert event.entity_id == p.id
    assert len(event.before["board_certifications"]) == 2
    assert event.after["board_certifications"] == []


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("board_certifications", "ABFM | Family Medicine", "Entry 1: write it as Board"),
        ("board_certifications", "ABFM | FM | 2012; ABIM | IM | 1850", "Entry 2: the year must"),
        ("board_certifications", "ABFM | FM | twenty", "Entry 1: the year must"),
        ("board_certifications", "; ".join(["B | S | 2010"] * 13), "at most 12 entries"),
        ("education", "MD", "Entry 1: write it as Degree or program"),
        ("education", "MD | UW | 3000", "Entry 1: the year must"),
        ("hospital_affiliations", "x" * 201, "Entry 1: at most 200 characters"),
        ("sees_children", "sometimes", "Use yes or no"),
        ("sees_older_adults", "65+", "Use yes or no"),
    ],
)
def test_bad_cells_are_refused_with_line_column_and_fix(seeded, column, cell, message):
    before = db.session.scalar(select(func.count()).select_from(Provider))
    report = apply_roster(_file(f"{BASE},{DETAILS}", _new(**{column: cell})), dry_run=False)
    assert not report.ok and not report.applied
    assert [(e.line, e.field) for e in report.errors] == [(2, column)]
    assert message in report.errors[0].message
    assert db.session.scalar(select(func.count()).select_from(Provider)) == before


def test_rows_of_one_provider_must_agree_on_ages(seeded):
    second = _new(sees_children="no")
    second = (*second[:4], "1 New St", "Seattle", "WA", "98101", *second[8:])
    report = apply_roster(_file(f"{BASE},{DETAILS}", _new(), second), dry_run=True)
    assert [(e.line, e.field) for e in report.errors] == [(3, "sees_children")]
    assert "Differs from line 2" in report.errors[0].message


def test_messy_spreadsheet_cells_are_accepted(seeded):
    """What a spreadsheet sends: odd spacing, trailing semicolons, capital YES, dupes."""
    cells = _new(
        sees_children=" YES ",
        board_certifications="  ABFM|Family Medicine|2012 ;; ",
        education="MD|UW",
        hospital_affiliations="Harborview;Harborview; Swedish ;",
    )
    report = apply_roster(_file(f"{BASE},{DETAILS}", cells), dry_run=False)
    assert report.ok, report.errors
    p = _provider()
    assert p.sees_children is True
    assert p.board_certifications == [
        {"board": "ABFM", "specialty": "Family Medicine", "year": 2012}
    ]
    assert p.education == [{"degree": "MD", "institution": "UW", "year": None}]
    assert p.hospital_affiliations == ["Harborview", "Swedish"]


def test_formula_looking_detail_round_trips_neutralized(seeded):
    cells = _new(hospital_affiliations="=HYPERLINK(evil); -Minus Hospital")
    assert apply_roster(_file(f"{BASE},{DETAILS}", cells), dry_run=False).ok
    rows = csv.DictReader(io.StringIO(_export().decode()))
    mine = next(r for r in rows if r["npi"] == "1234567893")
    assert mine["hospital_affiliations"].startswith("'=")  # a spreadsheet will not run it
    report = apply_roster(_export(), dry_run=True)
    assert report.ok and report.updated == 0, report.errors
    assert _provider().hospital_affiliations == ["=HYPERLINK(evil)", "-Minus Hospital"]


def test_imported_ages_reach_the_sees_children_filter_at_once(seeded):
    seeded.config["SEARCH_SYNC_ON_COMMIT"] = True
    apply_roster(_file(f"{BASE},{DETAILS}", _new()), dry_run=False)
    pid = _provider().id
    hits = search.search(search.parse_params(MultiDict({"q": "Okafor", "children": "1"}), api=True))
    assert pid in [h.provider_id for h in hits.hits]
    apply_roster(_file(f"{BASE},{DETAILS}", _new(sees_children="no")), dry_run=False)
    hits = search.search(search.parse_params(MultiDict({"q": "Okafor", "children": "1"}), api=True))
    assert pid not in [h.provider_id for h in hits.hits]


def test_staff_form_refuses_a_semicolon_the_roster_could_not_carry():
    rows, errors = details.parse_certifications("ABFM; ABIM | Family Medicine | 2012")
    assert rows == [] and errors == ["Line 1: leave out the semicolon (;)."]
    assert details.parse_affiliations("St. Mary's; Main")[1] == [
        "Line 1: leave out the semicolon (;)."
    ]


@given(
    certs=st.lists(
        st.fixed_dictionaries({"board": PART, "specialty": PART, "year": st.integers(1940, 2026)}),
        max_size=12,
    ),
    education=st.lists(
        st.fixed_dictionaries(
            {
                "degree": PART,
                "institution": PART,
                "year": st.none() | st.integers(1940, 2026),
            }
        ),
        max_size=12,
    ),
    hospitals=st.lists(PART, max_size=12, unique=True),
)
def test_any_details_staff_can_type_survive_a_cell_round_trip(certs, education, hospitals):
    for name, value in (
        ("board_certifications", certs),
        ("education", education),
        ("hospital_affiliations", hospitals),
    ):
        parse, write = details.CELLS[name]
        assert parse(write(value)) == (value, [])
