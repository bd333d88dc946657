"""A roster is streamed (read from disk, planned and written a batch at a time) with the
same result as before: rows of one provider anywhere in the file, all or nothing across
batches, file errors by line. Every test writes, so it runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, Provider
from app.services.roster import apply
from app.services.roster.apply import import_roster
from app.transaction import InvalidInput, unit_of_work
from bench.roster import npi_for

HEADER = "npi,first_name,last_name,specialties,address,city,state,zip,languages\n"


def _row(n: int, street: int = 1, zip_code: str = "98101", lang: str = "en") -> str:
    return (
        f"{npi_for(9000 + n)},Tess{chr(97 + n % 26)},Streamer{n},225100000X,"
        f"{street} Pine St,Seattle,WA,{zip_code},{lang}\n"
    )


@pytest.fixture
def seeded(seeded_app, monkeypatch):
    monkeypatch.setattr(apply, "BATCH", 3)  # many batches from a small file
    with seeded_app.app_context():
        yield seeded_app


def _count() -> int:
    return _db.session.scalar(select(func.count(Provider.id)))


def test_a_file_on_disk_imports_like_its_bytes(seeded, tmp_path):
    text = HEADER + "".join(_row(n) for n in range(10))
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # a spreadsheet's byte-order mark
    dry = import_roster(text.encode(), dry_run=True)
    before = _count()
    with unit_of_work():
        report = import_roster(path, dry_run=False, filename="roster.csv")
    assert report.applied and report.summary() == dry.summary()
    assert report.created == 10 and report.rows == 10
    assert _count() == before + 10
    events = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert [e.summary.startswith("roster.csv: 10 rows: 10 created") for e in events] == [True]


def test_rows_of_one_provider_far_apart_are_one_listing(seeded):
    """The second clinic row of provider 0 comes after ten others, in another batch; a row
    without an NPI joins the NPI its name carries elsewhere in the file."""
    nameless = _row(1, street=7, zip_code="98104").split(",", 1)[1]  # no NPI
    text = HEADER + "".join(_row(n) for n in range(12)) + _row(0, street=9) + "," + nameless
    with unit_of_work():
        report = import_roster(text.encode(), dry_run=False)
    assert report.ok, report.errors
    assert report.created == 12
    for n, clinics in ((0, 2), (1, 2), (2, 1)):
        p = _db.session.scalar(select(Provider).filter_by(npi=npi_for(9000 + n)))
        assert len(p.location_links) == clinics


def test_a_refused_row_in_the_last_batch_writes_nothing(seeded):
    before = _count()
    bad = _row(40).replace("225100000X", "NOT-A-SPECIALTY")
    text = HEADER + "".join(_row(n) for n in range(20)) + bad
    with unit_of_work():
        report = import_roster(text.encode(), dry_run=False)
    assert not report.applied and report.rejected == 1
    assert [(e.line, e.field) for e in report.errors] == [(22, "specialties")]
    assert _count() == before
    imports = select(func.count(AuditEvent.id)).where(AuditEvent.action == "import")
    assert _db.session.scalar(imports) == 0


def test_a_bad_byte_late_in_a_file_on_disk_names_its_line(seeded, tmp_path):
    path = tmp_path / "roster.csv"
    body = (HEADER + "".join(_row(n) for n in range(5))).encode()
    path.write_bytes(body + b"1234567893,Ana,B\xe9,225100000X,1 Pine St,Seattle,WA,98101,en\n")
    before = _count()
    with unit_of_work():
        report = import_roster(path, dry_run=False)
    assert report.file_error and "line 7" in report.file_error
    assert report.errors == [] and not report.applied
    assert _count() == before


def test_a_re_import_changes_nothing(seeded):
    text = (HEADER + "".join(_row(n) for n in range(8))).encode()
    with unit_of_work():
        import_roster(text, dry_run=False)
    with unit_of_work():
        again = import_roster(text, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)


def test_new_clinics_are_made_as_the_clinic_form_makes_them(seeded):
    """A roster's new clinics are created together (``create_locations``), with what the
    staff form's one-at-a-time operation gives: a unique slug, the ZIP's coordinates, an
    audit event holding the clinic, and the clinic linked to its providers."""
    from app.models import Location, ProviderLocation
    from app.services.locations import LocationInput, create_location, create_locations

    text = HEADER + "".join(_row(n, street=100 + n % 4) for n in range(8))
    with unit_of_work():
        report = import_roster(text.encode(), dry_run=False)
    assert report.ok and report.new_clinics == 4
    made = _db.session.scalars(select(Location).where(Location.address_line1.like("10_ Pine St")))
    made = sorted(made, key=lambda loc: loc.address_line1)
    assert [loc.address_line1 for loc in made] == [f"{100 + n} Pine St" for n in range(4)]
    assert len({loc.slug for loc in made}) == 4
    with unit_of_work():
        form = LocationInput("", "9 Elm St", "Seattle", "WA", "98101")
        form_made = create_location(form, None)
    for loc in made:
        assert (loc.latitude, loc.longitude) == (form_made.latitude, form_made.longitude)
        linked = select(func.count()).where(ProviderLocation.location_id == loc.id)
        assert _db.session.scalar(linked) == 2
        events = _db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "location", AuditEvent.entity_id == loc.id
            )
        ).all()
        assert [e.action for e in events] == ["create"]
        assert events[0].after["address_line1"] == loc.address_line1
        assert events[0].after["hours"] == [] and events[0].after["services"] == []
    bad = LocationInput(
        name="x", address_line1="1 A St", city="Seattle", state="WA", zip="98101", walk_in="??"
    )
    with pytest.raises(InvalidInput, match="appointments only"):  # the form's own check
        create_locations([bad], None)
    _db.session.rollback()


def test_the_change_spool_gives_back_what_was_planned():
    """The check pass's changes, kept on disk for the write pass, come back equal: new
    clinics' keys, per-clinic networks and the diffs staff were shown."""
    from app.services.roster.change import FieldChange, ProviderChange
    from app.services.roster.stream import ChangeSpool

    key = ("1 pine st", "98101")
    changes = [
        ProviderChange(
            line=n,
            provider_id=None if n % 2 else n,
            fields={"first_name": f"Ana{n}", "telehealth": True, "education": ["MD"], "npi": None},
            specialty_ids=[1],
            clinics=[(key, ""), (7, None)],
            language_ids=[-1, 3],
            networks={key: {2: True}, 7: None},
            participation={key: {2: True}, 7: {}},
            codes={"clinics": [str(key), "7"]},
            name=f"Ana{n} Smith",
            diffs=[FieldChange("bio", "old", "")],
        )
        for n in range(7)
    ]
    with ChangeSpool(3) as spool:
        spool.add(changes[:2])
        spool.add(changes[2:])
        frames = list(spool.frames())
    assert [len(f) for f in frames] == [3, 3, 1]
    assert [c for f in frames for c in f] == changes
    with ChangeSpool(2) as spool:
        for change in changes:
            spool.add([change])
        assert [len(f) for f in spool.frames()] == [2, 2, 2, 1]


def test_a_language_new_to_the_directory_is_created_once_for_every_batch(seeded):
    """Rows in several batches name two languages the directory has not used yet: each is
    created once, before the listings, and every listing gets the real language."""
    from app.models import Language

    known = set(_db.session.scalars(select(Language.code)))
    new = [code for code in ("tl", "sw", "yo", "haw") if code not in known][:2]
    assert len(new) == 2
    text = HEADER + "".join(_row(n, lang=new[n % 2]) for n in range(9))
    with unit_of_work():
        report = import_roster(text.encode(), dry_run=False)
    assert report.ok, report.errors
    made = {lang.code: lang for lang in _db.session.scalars(select(Language))}
    assert set(new) <= set(made)
    for n in range(9):
        p = _db.session.scalar(select(Provider).where(Provider.last_name == f"Streamer{n}"))
        assert [lang.code for lang in p.languages] == [new[n % 2]]
