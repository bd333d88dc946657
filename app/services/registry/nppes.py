"""Reading the NPPES monthly Data Dissemination file (``npidata_pfile_*.csv``).

The real file is about 10 GB with about 330 columns, so it is read as a stream with the
``csv`` module, by its published header names, keeping only the rows asked for: memory
stays flat whatever the file size. Columns are found by name, never by position, so
CMS adding a column does not break the reader; the older ``Provider Gender Code`` header
is read as ``Provider Sex Code``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

NPI = "NPI"
ENTITY = "Entity Type Code"
LAST = "Provider Last Name (Legal Name)"
FIRST = "Provider First Name"
MIDDLE = "Provider Middle Name"
PREFIX = "Provider Name Prefix Text"
SUFFIX = "Provider Name Suffix Text"
CREDENTIAL = "Provider Credential Text"
SEX = "Provider Sex Code"
OLD_SEX = "Provider Gender Code"
ADDRESS1 = "Provider First Line Business Practice Location Address"
ADDRESS2 = "Provider Second Line Business Practice Location Address"
CITY = "Provider Business Practice Location Address City Name"
STATE = "Provider Business Practice Location Address State Name"
POSTAL = "Provider Business Practice Location Address Postal Code"
PHONE = "Provider Business Practice Location Address Telephone Number"
DEACTIVATED = "NPI Deactivation Date"
TAXONOMY = "Healthcare Provider Taxonomy Code_{}"
PRIMARY = "Healthcare Provider Primary Taxonomy Switch_{}"
TAXONOMY_SLOTS = range(1, 16)
REQUIRED_HEADERS = (NPI, ENTITY, LAST, FIRST, ADDRESS1, CITY, STATE, POSTAL, DEACTIVATED)
# Where a roster column comes from, for error messages that name the file's own column.
ROSTER_TO_NPPES = {
    "npi": NPI,
    "first_name": FIRST,
    "middle_name": MIDDLE,
    "last_name": LAST,
    "suffix": SUFFIX,
    "credentials": CREDENTIAL,
    "gender": SEX,
    "specialties": TAXONOMY.format(1),
    "address": ADDRESS1,
    "city": CITY,
    "state": STATE,
    "zip": POSTAL,
    "phone": PHONE,
}
Progress = Callable[[str, int, int], None]


class NppesFileError(ValueError):
    """The file is not an NPPES Data Dissemination CSV (or cannot be read)."""


@dataclass
class NppesRecord:
    """One provider row of the registry, as published (not yet cleaned)."""

    line: int
    npi: str
    entity_type: str
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    prefix: str = ""
    suffix: str = ""
    credentials: str = ""
    sex: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    deactivation_date: str = ""
    taxonomies: list[str] = field(default_factory=list)  # primary first

    @property
    def deactivated(self) -> bool:
        """A deactivated NPI: NPPES publishes it as a stub with a deactivation date."""
        return bool(self.deactivation_date) and not self.entity_type

    @property
    def primary_taxonomy(self) -> str:
        """The taxonomy flagged primary (the first listed when none is flagged)."""
        return self.taxonomies[0] if self.taxonomies else ""

    def roster_values(self) -> dict[str, str]:
        """The record as roster cells, so the roster's checks and plan apply unchanged."""
        sex = self.sex.upper()
        address = ", ".join(x for x in (self.address1, self.address2) if x)
        return {
            "npi": self.npi,
            "first_name": self.first_name,
            "middle_name": self.middle_name,
            "last_name": self.last_name,
            "suffix": self.suffix,
            "credentials": self.credentials,
            "gender": sex if sex in ("F", "M") else "",
            "specialties": ";".join(self.taxonomies),
            "address": address,
            "city": self.city,
            "state": self.state,
            "zip": self.postal_code,
            "phone": self.phone,
        }


def _index(header: list[str]) -> dict[str, int]:
    names = {name.strip(): i for i, name in enumerate(header)}
    if OLD_SEX in names and SEX not in names:
        names[SEX] = names[OLD_SEX]
    missing = [h for h in REQUIRED_HEADERS if h not in names]
    if missing:
        raise NppesFileError(
            "This is not an NPPES Data Dissemination file (npidata_pfile_*.csv): "
            f"missing column(s) {', '.join(repr(m) for m in missing)}."
        )
    return names


def _record(cells: list[str], col: dict[str, int], line: int) -> NppesRecord:
    def get(name: str) -> str:
        i = col.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    codes, primary = [], []
    for n in TAXONOMY_SLOTS:
        code = get(TAXONOMY.format(n))
        if code:
            (primary if get(PRIMARY.format(n)).upper() == "Y" else codes).append(code.upper())
    return NppesRecord(
        line=line,
        npi=get(NPI),
        entity_type=get(ENTITY),
        last_name=get(LAST),
        first_name=get(FIRST),
        middle_name=get(MIDDLE),
        prefix=get(PREFIX),
        suffix=get(SUFFIX),
        credentials=get(CREDENTIAL),
        sex=get(SEX),
        address1=get(ADDRESS1),
        address2=get(ADDRESS2),
        city=get(CITY),
        state=get(STATE),
        postal_code=get(POSTAL),
        phone=get(PHONE),
        deactivation_date=get(DEACTIVATED),
        taxonomies=list(dict.fromkeys(primary + codes)),
    )


@dataclass
class Scan:
    """What one read saw of the whole file, kept rows or not (for the completeness rule)."""

    rows: int = 0
    individuals: int = 0  # entity type 1


def read_records(
    stream: Iterable[str],
    npis: set[str] | None,
    progress: Progress | None = None,
    every: int = 50_000,
    scan: Scan | None = None,
) -> Iterator[NppesRecord]:
    """Yield the individual (entity type 1) and deactivated rows whose NPI is wanted.

    ``npis`` None keeps every such row. Organisations (entity type 2) are skipped.
    Progress is reported as rows scanned so far; ``scan`` (if given) counts every row.

    A damaged file is refused whole (``NppesFileError``, naming the line) rather than read
    in part: a row that is not valid CSV (such as a quote never closed), a row whose cells
    do not match the header's columns, or a wanted NPI listed twice (the registry lists
    each NPI once, so neither row can be trusted over the other).
    """
    scan = scan if scan is not None else Scan()
    reader = csv.reader(stream, strict=True)
    header = _read_header(reader)
    col = _index(header)
    npi_at, entity_at = col[NPI], col[ENTITY]
    first_line: dict[str, int] = {}  # wanted NPIs only, so memory follows the directory
    for line, cells in _rows(reader, len(header)):
        scan.rows += 1
        if progress and scan.rows % every == 0:
            progress("scan", scan.rows, 0)
        npi, entity = cells[npi_at].strip(), cells[entity_at].strip()
        if entity == "1":
            scan.individuals += 1
        if (npis is not None and npi not in npis) or entity not in ("1", ""):
            continue  # not wanted, or an organisation
        _check_once(first_line, npi, line)
        yield _record(cells, col, line)
    if progress:
        progress("scan", scan.rows, scan.rows)


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        return next(reader)
    except StopIteration:
        raise NppesFileError("The file is empty.") from None
    except csv.Error as exc:
        raise NppesFileError(f"Line 1: the header row is not valid CSV ({exc}).") from None


def _rows(reader: Any, width: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each row that is not blank; a damaged row refuses the file."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise NppesFileError(
                f"Line {line}: not valid CSV ({exc}). The whole file is refused; a quote "
                "that is never closed usually means the file was cut short: download it again."
            ) from None
        if not any(cells):
            continue  # a blank line
        if len(cells) != width:
            raise NppesFileError(
                f"Line {line}: expected {width} cells, found {len(cells)} (a row has one "
                "cell per header column). The whole file is refused: it is damaged or cut "
                "short, so download it again."
            )
        yield line, cells


def _check_once(first_line: dict[str, int], npi: str, line: int) -> None:
    """A wanted NPI listed twice refuses the file (neither row can be trusted)."""
    if npi in first_line:
        raise NppesFileError(
            f"Lines {first_line[npi]} and {line}: NPI {npi} is listed twice. The registry "
            "lists each NPI once, so the whole file is refused: download it again."
        )
    first_line[npi] = line


NOT_UTF8 = (
    "Line {line}: the file is not UTF-8 text (the first bad byte is on this line). "
    "CMS publishes the registry as UTF-8: if the file was opened and saved in a "
    "spreadsheet, use the downloaded file itself, or save it as CSV UTF-8."
)


class Utf8Lines:
    """A binary file read as UTF-8 text lines (a BOM dropped), for ``read_records``.

    Decoded line by line so memory stays flat, and strictly: a byte that is not UTF-8
    (a Latin-1 or Windows-1252 file) refuses the file naming its line, instead of saving
    "Öztürk" on a listing as replacement characters. Use it as a context manager.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def __iter__(self) -> Iterator[str]:
        for number, data in enumerate(self._raw, 1):
            try:
                text = data.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise NppesFileError(NOT_UTF8.format(line=number)) from None
            if "\x00" in text:
                raise NppesFileError(
                    f"Line {number}: the file contains NUL bytes; it is not a CSV text file."
                )
            yield text

    def __enter__(self) -> Utf8Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()


def open_text(path: Path) -> Utf8Lines:
    """Open an NPPES CSV for streaming as UTF-8 lines (a byte that is not UTF-8 is refused)."""
    return Utf8Lines(path.open("rb"))


def read_npi_list(lines: Iterable[str]) -> set[str]:
    """NPIs from a list file: one per line; blank lines and ``#`` comments ignored."""
    out = set()
    for raw in lines:
        text = raw.split("#", 1)[0].strip()
        if text:
            out.add(text)
    return out
