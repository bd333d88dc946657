"""``flask roster import PATH --format nppes``: the registry file read as a roster."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEvent, Provider, SearchOutbox
from app.services.registry.nppes import NppesFileError, open_text, read_records
from app.services.registry.nppes_import import import_nppes
from app.services.seed import load_reference_data
from app.transaction import unit_of_work
from tests import nppes_data

FIXTURE = Path(__file__).parent / "fixtures" / "nppes"
SAMPLE = next(FIXTURE.glob("npidata_pfile_*.csv"))
ALL = {"1555010002", "1555010010", "1555010028", "1555010036", "1555010044"}


@pytest.fixture
def ref_app(any_app):
    with any_app.app_context():
        load_reference_data()
        _db.session.commit()
        yield any_app


def _count(model, **where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_reader_keeps_individuals_and_deactivated_stubs_and_reads_primary_switch():
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        records = {r.npi: r for r in read_records(fh, None)}
    assert "1555010028" not in records  # organisation
    assert records["1555010036"].deactivated and not records["1555010002"].deactivated
    anh = records["1555010002"]
    assert anh.taxonomies == ["207Q00000X", "207X00000X", "208100000X"]  # primary first
    assert (anh.suffix, anh.credentials, anh.sex, anh.postal_code) == (
        "JR.",
        "M.D.",
        "F",
        "303292210",
    )


def test_older_gender_header_is_read(tmp_path):
    path = nppes_data.write_sample(tmp_path / "old.csv", old_gender=True)
    assert "Provider Gender Code" in path.read_text().splitlines()[0]
    with path.open(encoding="utf-8", newline="") as fh:
        records = {r.npi: r for r in read_records(fh, {"1555010010"})}
    assert records["1555010010"].sex == "M"


def test_not_an_nppes_file_is_refused_by_name():
    with pytest.raises(NppesFileError, match="Entity Type Code"):
        list(read_records(io.StringIO("NPI,Name\n1555010002,X\n"), None))


def test_reading_streams_with_flat_memory():
    row = nppes_data.person(
        "NPI_HERE", "DOE", "JANE", address=nppes_data.EXEC_PARK, taxonomies=[("207Q00000X", True)]
    )
    head, template = nppes_data.to_csv([row]).split("\n", 1)
    wanted = {f"1{n:09d}" for n in range(0, 20_000, 100)}  # one row in 100 is kept

    def scan(copies: int) -> tuple[int, int]:
        body = "".join(template.replace("NPI_HERE", f"1{n:09d}") for n in range(5_000 * copies))
        stream = io.StringIO(head + "\n" + body)  # 5,000 rows of 330 columns per copy
        tracemalloc.start()
        kept = sum(1 for _ in read_records(stream, wanted))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del stream
        return kept, peak

    (kept1, peak1), (kept4, peak4) = scan(1), scan(4)
    assert kept4 == 4 * kept1
    assert peak4 < peak1 * 1.5  # four times the rows, about the same memory


def test_import_with_npi_list_creates_listings_primary_first(ref_app, tmp_path):
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        dry = import_nppes(fh, dry_run=True, npis=ALL)
    assert dry.ok, [str(e) for e in dry.errors]
    assert (dry.created, dry.skipped_deactivated) == (3, 1)
    assert _count(Provider) == 0
    with unit_of_work(), SAMPLE.open(encoding="utf-8", newline="") as fh:
        report = import_nppes(fh, dry_run=False, npis=ALL, filename=SAMPLE.name)
    assert report.applied and report.created == 3
    anh = _db.session.scalar(select(Provider).filter_by(npi="1555010002"))
    assert (anh.first_name, anh.middle_name, anh.last_name, anh.suffix, anh.credentials) == (
        "Anh",
        "T",
        "Nguyen",
        "Jr",
        "MD",
    )
    assert [s.code for s in anh.specialties] == ["207Q00000X", "207X00000X", "208100000X"]
    assert anh.specialty_links[0].is_primary and anh.gender == "F"
    clinic = anh.location_links[0].location
    assert (clinic.name, clinic.address_line1, clinic.address_line2, clinic.zip) == (
        "Atlanta — Executive Park Dr",
        "12 Executive Park Dr NE",
        "Rm 388",
        "30329-2210",
    )
    assert clinic.phone == "(404) 555-0142"
    ibrahim = _db.session.scalar(select(Provider).filter_by(npi="1555010044"))
    assert [s.code for s in ibrahim.specialties] == ["225100000X"]  # unknown code left out
    assert _count(AuditEvent, entity_type="provider", action="create") == 3
    assert _count(AuditEvent, entity_type="roster", action="import") == 1
    assert _count(SearchOutbox, entity_type="provider") >= 3


def test_without_a_list_only_directory_npis_are_read(ref_app):
    with unit_of_work(), SAMPLE.open(encoding="utf-8", newline="") as fh:
        import_nppes(fh, dry_run=False, npis={"1555010010"})
    pierre = _db.session.scalar(select(Provider).filter_by(npi="1555010010"))
    pierre.credentials = "DO"
    _db.session.commit()
    with unit_of_work(), SAMPLE.open(encoding="utf-8", newline="") as fh:
        report = import_nppes(fh, dry_run=False)
    assert (report.created, report.updated) == (0, 1)
    assert _db.session.get(Provider, pierre.id).credentials == "DO, PhD"
    assert _count(Provider) == 1


def test_refusals_name_the_nppes_column_and_nothing_is_saved(ref_app, tmp_path):
    rows = nppes_data.sample_rows()
    rows[0]["Provider Business Practice Location Address Telephone Number"] = "442079460958"
    path = tmp_path / "npidata_pfile_bad.csv"
    path.write_text(nppes_data.to_csv(rows), encoding="utf-8")
    with unit_of_work(), path.open(encoding="utf-8", newline="") as fh:
        report = import_nppes(fh, dry_run=False, npis=ALL)
    assert not report.applied
    (error,) = report.errors
    assert error.line == 2
    assert error.field == "Provider Business Practice Location Address Telephone Number"
    assert _count(Provider) == 0


def test_cli_nppes_import(ref_app, tmp_path):
    runner = ref_app.test_cli_runner()
    listing = tmp_path / "npis.txt"
    listing.write_text("# our clinicians\n1555010002\n1555010036\n\n", encoding="utf-8")
    result = runner.invoke(
        args=["roster", "import", str(SAMPLE), "--format", "nppes", "--npi-list", str(listing)]
    )
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output and "1 deactivated NPI skipped" in result.output
    assert "rows/s" in result.output
    assert _count(Provider, npi="1555010002") == 1
    result = runner.invoke(args=["roster", "import", str(listing), "--npi-list", str(listing)])
    assert result.exit_code != 0 and "--format nppes" in result.output
    result = runner.invoke(args=["roster", "import", str(listing), "--format", "nppes"])
    assert result.exit_code != 0 and "not an NPPES" in result.output


# Files that must be refused whole, by line, whichever door reads them (CLI or staff upload).


def _sample_text(rows: list[dict[str, str]] | None = None) -> str:
    return nppes_data.to_csv(nppes_data.sample_rows() if rows is None else rows)


def _read_all(path: Path) -> list:
    with open_text(path) as lines:
        return list(read_records(lines, None))


def test_a_row_with_the_wrong_number_of_cells_is_refused_by_line(tmp_path):
    # Line 7: the red team's 3-cell row, which used to become a blank legal name.
    path = tmp_path / "npidata_pfile_short_row.csv"
    path.write_text(_sample_text() + "1555010002,1,\n", encoding="utf-8")
    with pytest.raises(NppesFileError, match=r"^Line 7: expected 330 cells, found 3"):
        _read_all(path)


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path):
    rows = nppes_data.sample_rows()
    rows[4]["Provider First Name"] = "IBRAHIM"  # so the whole file encodes as Latin-1
    path = tmp_path / "npidata_pfile_latin1.csv"
    path.write_bytes(_sample_text(rows).encode("latin-1"))  # ÖZTÜRK is on line 6
    with pytest.raises(NppesFileError, match=r"^Line 6: the file is not UTF-8"):
        _read_all(path)


def test_a_utf8_file_with_a_bom_reads_the_same_as_without(tmp_path):
    path = tmp_path / "npidata_pfile_bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _sample_text().encode("utf-8"))
    names = {r.npi: r.last_name for r in _read_all(path)}
    assert names["1555010044"] == "ÖZTÜRK" and "1555010002" in names


@pytest.mark.parametrize(
    ("tail", "line"),
    [
        ('"1555010051","1","DOE\n', 7),  # a quote never closed: the file was cut short
        ('"1555010051"x,"1"\n', 7),  # text after a closing quote
    ],
)
def test_csv_errors_refuse_the_whole_file_with_the_line(tmp_path, tail, line):
    path = tmp_path / "npidata_pfile_bad_csv.csv"
    path.write_text(_sample_text() + tail, encoding="utf-8")
    with pytest.raises(NppesFileError, match=rf"^Line {line}: not valid CSV"):
        _read_all(path)


def test_an_npi_listed_twice_is_refused_naming_both_lines(tmp_path):
    rows = nppes_data.sample_rows()
    again = dict(rows[1], **{"Provider Last Name (Legal Name)": "PIERRE-LOUIS"})
    path = tmp_path / "npidata_pfile_dupe.csv"
    path.write_text(_sample_text([*rows, again]), encoding="utf-8")
    with pytest.raises(NppesFileError, match=r"^Lines 3 and 7: NPI 1555010010 is listed twice"):
        _read_all(path)
    # Also when the NPI is one of those asked for: the later row never silently wins.
    with open_text(path) as lines, pytest.raises(NppesFileError, match="Lines 3 and 7"):
        list(read_records(lines, {"1555010010"}))


def test_cli_import_refuses_a_bad_file_by_line_and_saves_nothing(ref_app, tmp_path):
    path = tmp_path / "npidata_pfile_short_row.csv"
    path.write_text(_sample_text() + "1555010002,1,\n", encoding="utf-8")
    listing = tmp_path / "npis.txt"
    listing.write_text("1555010002\n1555010010\n", encoding="utf-8")
    result = ref_app.test_cli_runner().invoke(
        args=["roster", "import", str(path), "--format", "nppes", "--npi-list", str(listing)]
    )
    assert result.exit_code != 0 and "Line 7: expected 330 cells" in result.output
    assert _count(Provider) == 0
