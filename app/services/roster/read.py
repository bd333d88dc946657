"""Roster CSV reading and per-row checks (the format is a contract other tools rely on)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from app.parsing import provider_details
from app.parsing.languages import UnknownLanguage, resolve_language, split_languages
from app.parsing.normalize import (
    address_case,
    address_key,
    clean_zip,
    clinic_name,
    name_case,
    normalize_credentials,
    normalize_suffix,
    split_address,
    split_name_cells,
    state_code,
)
from app.parsing.validation import nfc, normalize_phone, npi_problem, provider_problems

COLUMNS = (
    "npi",
    "first_name",
    "last_name",
    "credentials",
    "gender",
    "specialties",
    "location_name",
    "address",
    "city",
    "state",
    "zip",
    "phone",
    "languages",
    "accepting_new_patients",
    "telehealth",
    "insurance",
    "bio",
)
# Ages seen (yes/no) and the provider's details (``;``-separated entries): optional on
# import, written by export after the original columns, so older readers keep working.
AGE_COLUMNS = ("sees_children", "sees_adults", "sees_older_adults")
DETAIL_COLUMNS = (*AGE_COLUMNS, *provider_details.CELLS)
# The networks taken at the row's clinic (a clinic column, not a provider one): see
# docs/roster.md, "Networks and plans".
NETWORK_COLUMNS = ("networks",)
# The Spanish biography (the staff form's "Biography in Spanish"), written last.
LANGUAGE_COLUMNS = ("bio_es",)
# Free text checked by the staff form's own rule (``provider_problems``), NFC first.
BIOGRAPHIES = ("bio", "bio_es")
EXPORT_COLUMNS = (*COLUMNS, *DETAIL_COLUMNS, *NETWORK_COLUMNS, *LANGUAGE_COLUMNS)
# Accepted on import but never required. ``middle_name`` and ``suffix`` are never exported.
OPTIONAL_COLUMNS = (
    "middle_name",
    "suffix",
    *DETAIL_COLUMNS,
    *NETWORK_COLUMNS,
    *LANGUAGE_COLUMNS,
)
FLAG_COLUMNS = ("accepting_new_patients", "telehealth", *AGE_COLUMNS)
REQUIRED = ("first_name", "last_name")
PROVIDER_COLUMNS = (
    "npi",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "credentials",
    "gender",
    "specialties",
    "languages",
    "accepting_new_patients",
    "telehealth",
    "insurance",
    "bio",
    "bio_es",
    *DETAIL_COLUMNS,
)
LIMITS = {
    "first_name": 80,
    "middle_name": 80,
    "last_name": 80,
    "suffix": 20,
    "credentials": 80,
    "location_name": 160,
    "address": 200,
    "city": 100,
    "phone": 40,
    "specialties": 500,
    "languages": 500,
    "insurance": 1000,
    "networks": 2000,
    "bio": 4000,
    "board_certifications": 4000,
    "education": 4000,
    "hospital_affiliations": 4000,
}
# A cell holding only this marker (any case) clears the value, whatever the blank-cell
# choice; a blank cell leaves the value as it is unless the import says blanks clear.
CLEAR_MARKER = "(clear)"
# The columns an import may clear: optional text and lists. Names, the NPI, specialties,
# yes/no flags and clinic cells are never cleared by a file.
CLEARABLE = (
    "middle_name",
    "suffix",
    "credentials",
    "gender",
    "bio",
    "bio_es",
    "languages",
    "insurance",
    "networks",
    *provider_details.CELLS,
)
BLANK_MODES = ("keep", "clear")
TRUE = frozenset({"yes", "true", "1", "y"})
FALSE = frozenset({"no", "false", "0", "n"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RosterFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, CSV syntax)."""


@dataclass
class RowError:
    """One rejected row: its line number, the column at fault and why."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class Row:
    """One valid-looking data row, cleaned; lookups happen later."""

    line: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def is_clear_marker(value: str) -> bool:
    """True for a cell that says "clear this value" (``(clear)``, any case)."""
    return value.strip().casefold() == CLEAR_MARKER


def clinic_key(address: str, zip_code: str, unit: str = "") -> tuple[str, str]:
    """The key clinics are matched on: USPS-normalised street and unit, and 5-digit ZIP."""
    return address_key(address, unit, zip_code)


def split_cell(value: str) -> list[str]:
    """Split a ``;``-separated cell into trimmed, non-empty items."""
    return [part.strip() for part in value.split(";") if part.strip()]


def parse_bool(value: str) -> bool | None:
    """yes/no/true/false/1/0 to a bool; None for an empty cell; ValueError otherwise."""
    text = value.strip().lower()
    if not text:
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError("Use yes or no (or true/false, 1/0).")


def neutralize(cell: str) -> str:
    """Prefix a quote to cells a spreadsheet would run as a formula."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def unneutralize(cell: str) -> str:
    """Undo ``neutralize`` so an exported file imports unchanged."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without a BOM) or explain what is wrong."""
    if not data.strip():
        raise RosterFileError("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterFileError(
            f"The file is not UTF-8 text (the first bad byte is on line {line}). "
            "In your spreadsheet, save it as “CSV UTF-8” and try again."
        ) from None
    if "\x00" in text:
        raise RosterFileError("The file contains NUL bytes; it does not look like a CSV file.")
    return text


def file_lines(path: Path) -> Iterator[str]:
    """The lines of a roster file on disk, decoded one at a time (a national file is
    hundreds of megabytes): the same checks and messages as :func:`decode`."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
        while head and not head.strip():
            head = fh.read(1 << 16)
        if not head.strip():
            raise RosterFileError("The file is empty.")
        fh.seek(0)
        for n, raw in enumerate(fh, 1):
            if n == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise RosterFileError(
                    f"The file is not UTF-8 text (the first bad byte is on line {n}). "
                    "In your spreadsheet, save it as “CSV UTF-8” and try again."
                ) from None
            if "\x00" in line:
                raise RosterFileError(
                    "The file contains NUL bytes; it does not look like a CSV file."
                )
            yield line


def read_header(header: list[str]) -> list[str]:
    """Check the header row; return normalized column names."""
    names = [re.sub(r"\s+", "_", h.strip().lower()) for h in header]
    unknown = [n for n in names if n not in COLUMNS and n not in OPTIONAL_COLUMNS]
    if unknown:
        raise RosterFileError(
            f"Unknown column(s): {', '.join(repr(n) for n in unknown)}. "
            f"Known columns: {', '.join(COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)}."
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RosterFileError(f"Column(s) listed twice: {', '.join(dupes)}.")
    missing = [n for n in REQUIRED if n not in names]
    if missing and "npi" not in names:
        raise RosterFileError(
            f"The header row must include npi (to update listings by NPI) or {', '.join(missing)}."
        )
    return names


def iter_rows(
    text: str | Iterable[str],
) -> Iterator[tuple[list[str], Row | None, RowError | None]]:
    """Yield (columns, row, csv_error) for each data row; the first yield carries columns.

    ``text`` is the whole file, or its lines (see :func:`file_lines`) for a file too large
    to hold.
    """
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RosterFileError(f"Line 1: the header row is not valid CSV ({exc}).") from None
    except StopIteration:
        raise RosterFileError("The file is empty.") from None
    columns = read_header(header)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield (
                columns,
                None,
                RowError(start, "", f"Malformed CSV ({exc}); reading stopped here."),
            )
            return
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            error = RowError(start, "", f"Expected {len(columns)} cells, found {len(cells)}.")
            yield columns, None, error
            continue
        values = {c: unneutralize(v.strip()) for c, v in zip(columns, cells, strict=True)}
        yield columns, check_row(Row(start, values)), None


def check_row(row: Row) -> Row:
    """Check one row's cells on their own (no database), cleaning values in place.

    Forgiving where a person would be: titles, suffixes and credentials typed into the name
    cells are split out, capitals are cased, full state names, ZIP+4 and phone extensions
    are accepted. Anything still wrong is refused with its column and what to write.
    """
    v = row.values

    def fail(name: str, message: str) -> None:
        row.errors.append(RowError(row.line, name, message))

    cleared = [name for name, value in v.items() if is_clear_marker(value)]
    for name in cleared:
        del v[name]  # checked apart: the marker is no value of the column's kind
        if name not in CLEARABLE:
            fail(
                name,
                f"{CLEAR_MARKER} cannot clear this column. Columns that can be cleared: "
                f"{', '.join(CLEARABLE)}.",
            )
    _check_cells(row, fail)
    for name in cleared:
        v[name] = CLEAR_MARKER
    return row


def _check_cells(row: Row, fail) -> None:
    """The checks of :func:`check_row` on the cells that hold values, in this order."""
    v = row.values
    for name, limit in LIMITS.items():
        if len(v.get(name, "")) > limit:
            fail(name, f"Too long: {len(v[name])} characters (at most {limit}).")
    _check_names(row, fail)
    _check_npi_and_gender(v, fail)
    _check_flags(v, fail)
    _check_details(row, fail)
    if v.get("languages"):
        _check_languages(v, fail)
    _check_clinic_cells(v, fail)
    if not row.errors:
        _check_listing_fields(v, fail)


def _check_names(row: Row, fail) -> None:
    """Both names (or an NPI instead), each starting with a letter; then split or cased."""
    v = row.values
    named = all(v.get(name) for name in REQUIRED)
    for name in REQUIRED:
        if not v.get(name):
            if not v.get("npi"):
                fail(name, "Required (or give the NPI of a listing the directory has).")
        elif not v[name][0].isalpha():
            fail(name, "A name must start with a letter.")
    if row.errors:
        return
    if named:
        _split_names(v)
        return
    for name in REQUIRED:  # one name cell, or none, beside an NPI: the other stays as it is
        if v.get(name):
            v[name] = name_case(v[name])


def _check_npi_and_gender(v: dict[str, str], fail) -> None:
    problem = npi_problem(v["npi"]) if v.get("npi") else None
    if problem:
        fail("npi", problem)
    gender = v.get("gender", "").upper()
    if gender not in ("", "F", "M", "X"):
        fail("gender", "Use F, M, X or leave it empty.")
    if "gender" in v:
        v["gender"] = gender


def _check_flags(v: dict[str, str], fail) -> None:
    for name in FLAG_COLUMNS:
        try:
            flag = parse_bool(v.get(name, ""))
        except ValueError as exc:
            fail(name, str(exc))
        else:
            if flag is not None:
                v[name] = "yes" if flag else "no"


def _check_details(row: Row, fail) -> None:
    """Certifications, education and affiliations, in their one-cell format."""
    v = row.values
    for name, (parse, write) in provider_details.CELLS.items():
        if v.get(name) and name not in {e.field for e in row.errors}:
            items, problems = parse(v[name])
            if problems:
                fail(name, " ".join(problems))
            else:
                v[name] = write(items)


def _check_clinic_cells(v: dict[str, str], fail) -> None:
    if v.get("phone"):
        try:
            v["phone"] = normalize_phone(v["phone"])
        except ValueError as exc:
            fail("phone", str(exc))
    if v.get("address"):
        _check_clinic(v, fail)
    elif any(v.get(n) for n in ("location_name", "city", "zip", "phone")):
        fail("address", "Give the clinic's street address (or leave all clinic columns empty).")


def _check_listing_fields(v: dict[str, str], fail) -> None:
    """The staff form's rules for the listing's own fields (``provider_problems``), on the
    cleaned cells this row gives: one rule for the form, the roster and the registry."""
    own = ("first_name", "middle_name", "last_name", "suffix", "credentials", "npi", "gender")
    for name in BIOGRAPHIES:
        if v.get(name) and v[name] != CLEAR_MARKER:
            v[name] = nfc(v[name]) or ""  # as the form stores and counts it
    given = {name: v[name] for name in (*own, *BIOGRAPHIES) if v.get(name)}
    probe = SimpleNamespace(**{"first_name": "x", "last_name": "x", **given})
    for name, message in provider_problems(probe).items():
        if name in given:
            fail(name, message)


def _check_languages(v: dict[str, str], fail) -> None:
    """Replace language names and aliases with ISO codes, refusing unknown ones."""
    codes, unknown = [], []
    for item in split_languages(v["languages"]):
        try:
            codes.append(resolve_language(item)[0])
        except UnknownLanguage:
            unknown.append(item)
    if unknown:
        fail(
            "languages",
            f"Unknown language: {', '.join(unknown)}. Use an English name like Mandarin or "
            "Haitian Creole, or an ISO 639 code like es or ase.",
        )
    v["languages"] = ";".join(dict.fromkeys(codes))


def _split_names(v: dict[str, str]) -> None:
    parts = split_name_cells(v["first_name"], v["last_name"])
    v["first_name"], v["last_name"] = parts["first_name"], parts["last_name"]
    if v.get("middle_name"):
        v["middle_name"] = name_case(v["middle_name"])
    if v.get("suffix"):
        v["suffix"] = normalize_suffix(v["suffix"])
    elif parts["suffix"]:
        v["suffix"] = parts["suffix"]
    given = normalize_credentials(v.get("credentials", ""))
    extra = [c for c in parts["credentials"].split(", ") if c and c not in given.split(", ")]
    if given or extra or "credentials" in v:
        v["credentials"] = ", ".join(x for x in [given, *extra] if x)


def _check_clinic(v: dict[str, str], fail) -> None:
    if v.get("state"):
        try:
            v["state"] = state_code(v["state"])
        except ValueError as exc:
            fail("state", str(exc))
    try:
        v["zip"] = clean_zip(v.get("zip", ""), v.get("state", ""))
    except ValueError as exc:
        fail("zip", str(exc))
    line1, line2 = split_address(v["address"])
    v["address"], v["address_line2"] = line1, line2
    if v.get("city"):
        v["city"] = address_case(v["city"])
    if not v.get("location_name") and v.get("city"):
        v["location_name"] = clinic_name(v["city"], line1)


# The columns as the staff roster page explains them: (column, required, meaning).
COLUMN_GUIDE = (
    ("npi", "no", "10-digit NPI. Matches the listing; without it, first and last name do."),
    ("first_name", "yes", "Given name. Titles and credentials typed here are split out."),
    ("last_name", "yes", "Family name; a suffix like JR is split out."),
    ("middle_name", "no", "Optional column."),
    ("suffix", "no", "Optional column: Jr, Sr, III."),
    ("credentials", "no", "MD, DO, PT, DPT … shown normalised (M.D. becomes MD)."),
    ("gender", "no", "F, M or X."),
    ("specialties", "new listings", "NUCC codes (225100000X) or specialty names, ; between."),
    ("location_name", "no", "The clinic's name; a new clinic without one is named by street."),
    ("address", "with a clinic", "Street address and suite: one row per provider per clinic."),
    ("city", "new clinics", "City."),
    ("state", "new clinics", "WA or Washington."),
    ("zip", "with a clinic", "5 digits or ZIP+4."),
    ("phone", "no", "This provider's phone at this clinic, if not the clinic's own."),
    ("languages", "no", "Names or ISO codes: Spanish; es; ASL."),
    ("accepting_new_patients", "no", "yes or no."),
    ("telehealth", "no", "yes or no."),
    (
        "insurance",
        "no",
        "Plans in no network (self-pay); older files: plans whose networks are taken everywhere.",
    ),
    ("bio", "no", "Up to 4,000 characters."),
    ("bio_es", "no", "The biography in Spanish, up to 4,000 characters."),
    ("sees_children", "no", "yes or no (under 18)."),
    ("sees_adults", "no", "yes or no."),
    ("sees_older_adults", "no", "yes or no (65 and over)."),
    ("board_certifications", "no", "Board | Specialty | Year; entries separated by ;"),
    ("education", "no", "Degree or program | Institution | Year; entries separated by ;"),
    ("hospital_affiliations", "no", "Hospital names, ; between."),
    (
        "networks",
        "no",
        "Networks taken at this row's clinic, ; between; add (closed) when not accepting "
        "new patients in that network here.",
    ),
)
# Two rows of one fictional provider at two clinics (the demo directory's First Hill clinic,
# and a new one on a real city and ZIP), every column filled in; staff download it as a start.
SAMPLE_ROWS = (
    {
        "npi": "1234567000",
        "first_name": "Imani",
        "last_name": "Calloway-Reyes",
        "credentials": "PT, DPT",
        "gender": "F",
        "specialties": "225100000X",
        "location_name": "First Hill Spine & Wellness Clinic",
        "address": "1021 Madison St Ste 400",
        "city": "Seattle",
        "state": "WA",
        "zip": "98104",
        "phone": "",
        "languages": "en;es",
        "accepting_new_patients": "yes",
        "telehealth": "no",
        "insurance": "self-pay",
        "bio": "Imani helps people return to walking, lifting and work after back pain.",
        "bio_es": "Imani ayuda a volver a caminar, cargar peso y trabajar tras el dolor lumbar.",
        "sees_children": "no",
        "sees_adults": "yes",
        "sees_older_adults": "yes",
        "board_certifications": "ABPTS | Orthopaedic Clinical Specialist | 2019",
        "education": "DPT | University of Washington | 2014",
        "hospital_affiliations": "",
        "networks": "original-medicare; cascadia-medicare-advantage (closed)",
    },
    {
        "location_name": "Tacoma Stadium District Clinic",
        "address": "410 Tacoma Ave N",
        "city": "Tacoma",
        "state": "WA",
        "zip": "98403",
        "phone": "(253) 555-0148",
    },
)


def sample_rows() -> list[dict[str, str]]:
    """The sample file's rows: the second repeats the provider's columns at its clinic."""
    first = SAMPLE_ROWS[0]
    return [dict(first), {**first, **SAMPLE_ROWS[1]}]
