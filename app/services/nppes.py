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
from typing import IO

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


def read_records(
    stream: IO[str],
    npis: set[str] | None,
    progress: Progress | None = None,
    every: int = 50_000,
) -> Iterator[NppesRecord]:
    """Yield the individual (entity type 1) and deactivated rows whose NPI is wanted.

    ``npis`` None keeps every such row. Organisations (entity type 2) are skipped.
    Progress is reported as rows scanned so far.
    """
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise NppesFileError("The file is empty.") from None
    except csv.Error as exc:
        raise NppesFileError(f"Line 1: the header row is not valid CSV ({exc}).") from None
    col = _index(header)
    npi_at, entity_at = col[NPI], col[ENTITY]
    scanned = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise NppesFileError(f"Line {reader.line_num}: not valid CSV ({exc}).") from None
        scanned += 1
        if progress and scanned % every == 0:
            progress("scan", scanned, 0)
        if len(cells) <= max(npi_at, entity_at):
            continue
        if npis is not None and cells[npi_at].strip() not in npis:
            continue
        if cells[entity_at].strip() not in ("1", ""):
            continue  # organisations
        yield _record(cells, col, reader.line_num)
    if progress:
        progress("scan", scanned, scanned)


def open_text(path: Path) -> IO[str]:
    """Open an NPPES CSV for streaming (UTF-8; a stray byte is replaced, not fatal)."""
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def read_npi_list(lines: Iterable[str]) -> set[str]:
    """NPIs from a list file: one per line; blank lines and ``#`` comments ignored."""
    out = set()
    for raw in lines:
        text = raw.split("#", 1)[0].strip()
        if text:
            out.add(text)
    return out
