"""The roster's ``bio_es`` column: the staff form's "Biography in Spanish" through a file.

It round-trips through export and import, is checked by the form's own rule (one rule,
every door), and a blank cell keeps the value unless the file says to clear it. Every test
writes, so each runs on SQLite and on PostgreSQL (``seeded_app``).
"""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Provider
from app.parsing.validation import PROVIDER_LIMITS, provider_problems
from app.services.roster.apply import import_roster
from app.services.roster.export import export_roster
from app.services.roster.read import CLEARABLE, EXPORT_COLUMNS
from tests.factories import apply_roster

HEADER = "first_name,last_name,bio_es"
BIO_ES = "La doctora Okafor atiende el dolor de espalda y de cuello; habla español."


@pytest.fixture
def seeded(seeded_app):
    with seeded_app.app_context():
        yield seeded_app


def _okafor() -> Provider:
    return _db.session.scalar(select(Provider).filter_by(first_name="Ngozi", last_name="Okafor"))


def _file(*cells: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    for cell in cells:
        writer.writerow(["Ngozi", "Okafor", cell])
    return buffer.getvalue().encode()


def _export_rows() -> list[dict[str, str]]:
    buffer = io.StringIO()
    export_roster(buffer)
    return list(csv.DictReader(io.StringIO(buffer.getvalue())))


def test_import_sets_the_spanish_bio_and_export_writes_it_back(seeded):
    assert "bio_es" in EXPORT_COLUMNS and "bio_es" in CLEARABLE
    english = _okafor().bio
    report = apply_roster(_file(BIO_ES), dry_run=False)
    assert report.ok and report.updated == 1, report.errors
    [change] = report.changes
    assert [(d.column, d.old, d.new) for d in change.diffs] == [("bio_es", "", BIO_ES)]
    p = _okafor()
    assert p.bio_es == BIO_ES and p.bio == english  # the English one is untouched
    rows = [r for r in _export_rows() if r["last_name"] == "Okafor"]
    assert rows and {r["bio_es"] for r in rows} == {BIO_ES}
    # The exported file imports back with no change, whatever blank cells mean.
    buffer = io.StringIO()
    export_roster(buffer)
    for blank in ("keep", "clear"):
        again = import_roster(buffer.getvalue().encode(), dry_run=True, blank=blank)
        assert again.ok and again.updated == 0 and again.cleared == 0, again.errors


def test_a_blank_cell_keeps_the_spanish_bio_and_clear_empties_it(seeded):
    assert apply_roster(_file(BIO_ES), dry_run=False).ok
    kept = apply_roster(_file(""), dry_run=False)
    assert kept.ok and kept.updated == 0 and _okafor().bio_es == BIO_ES
    # A file without the column leaves it too (files written before the column existed).
    older = b"first_name,last_name,accepting_new_patients\nNgozi,Okafor,yes\n"
    assert apply_roster(older, dry_run=False).ok and _okafor().bio_es == BIO_ES
    # "Blank cells clear values" asks for confirmation, then empties it.
    unconfirmed = apply_roster(_file(""), dry_run=False, blank="clear")
    assert unconfirmed.needs_confirmation and _okafor().bio_es == BIO_ES
    cleared = apply_roster(_file(""), dry_run=False, blank="clear", confirm_clear=True)
    assert cleared.ok and cleared.cleared == 1 and _okafor().bio_es == ""
    # The clear marker does it whatever the blank-cell choice.
    assert apply_roster(_file(BIO_ES), dry_run=False).ok
    marked = apply_roster(_file("(clear)"), dry_run=False, confirm_clear=True)
    assert marked.ok and marked.cleared == 1 and _okafor().bio_es == ""


def test_too_long_is_refused_per_row_with_the_forms_message_never_cut(seeded):
    limit = PROVIDER_LIMITS["bio_es"]
    too_long = "a" * (limit + 1)
    form_message = provider_problems(type("P", (), {"bio_es": too_long})())["bio_es"]
    text = _file(too_long)
    report = import_roster(text, dry_run=True)
    [error] = report.errors
    assert (error.line, error.field, error.message) == (2, "bio_es", form_message)
    applied = apply_roster(text, dry_run=False)
    assert _okafor().bio_es == ""  # refused, not truncated
    assert any(e.field == "bio_es" for e in applied.errors)
    # Exactly at the limit is fine.
    assert apply_roster(_file("b" * limit), dry_run=False).ok
    assert _okafor().bio_es == "b" * limit


def test_counted_and_stored_after_nfc_like_the_form(seeded):
    limit = PROVIDER_LIMITS["bio_es"]
    decomposed = "e\u0301" * limit  # "é" typed as e + combining accent: 2 code points each
    report = apply_roster(_file(decomposed), dry_run=False)
    assert report.ok, report.errors
    assert _okafor().bio_es == unicodedata.normalize("NFC", decomposed) == "é" * limit


def test_a_formula_looking_cell_round_trips_safely(seeded):
    risky = '=HYPERLINK("http://example.org") es una prueba'
    assert apply_roster(_file(risky), dry_run=False).ok
    assert _okafor().bio_es == risky
    [row, *_] = [r for r in _export_rows() if r["last_name"] == "Okafor"]
    assert row["bio_es"] == "'" + risky  # neutralised for spreadsheets, read back as is
    buffer = io.StringIO()
    export_roster(buffer)
    assert import_roster(buffer.getvalue().encode(), dry_run=True).updated == 0
