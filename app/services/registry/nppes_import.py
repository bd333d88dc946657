"""Import listings from the NPPES file: the registry's rows become roster rows.

Everything after reading behaves like a roster import (dry run, all or nothing, the same
provider and clinic operations, audit, search outbox); only the reading differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select

from app.extensions import db
from app.models import Provider, Specialty, User
from app.services.registry.nppes import ROSTER_TO_NPPES, Progress, read_records
from app.services.roster.apply import RosterReport, import_rows
from app.services.roster.read import Row, check_row


def directory_npis() -> set[str]:
    """The NPIs of every listing in the directory (the default filter)."""
    return set(db.session.scalars(select(Provider.npi).where(Provider.npi.is_not(None))))


def import_nppes(
    stream: Iterable[str],
    *,
    dry_run: bool,
    npis: set[str] | None = None,
    actor: User | None = None,
    progress: Progress | None = None,
    filename: str = "npidata.csv",
) -> RosterReport:
    """Import individual providers from an NPPES extract, filtered to ``npis``.

    Without ``npis`` only the NPIs already in the directory are read, so the registry
    refreshes existing listings. The primary taxonomy becomes the primary specialty and
    the others follow; taxonomies the directory does not know are left out. Deactivated
    NPIs are skipped here (reconciliation flags them). A damaged file (not UTF-8, bad CSV,
    a row of the wrong width, an NPI listed twice) raises ``NppesFileError`` naming the
    line. Like a roster import, nothing is committed: run it inside ``unit_of_work()``.
    """
    wanted = npis if npis is not None else directory_npis()
    known = set(db.session.scalars(select(Specialty.code)))
    report = RosterReport(dry_run=dry_run)

    def rows() -> Iterator[Row]:
        # One record at a time: import_rows keeps the checked rows on disk, not in memory.
        for record in read_records(stream, wanted, progress):
            if record.deactivated:
                report.skipped_deactivated += 1
                continue
            values = record.roster_values()
            values["specialties"] = ";".join(c for c in record.taxonomies if c in known)
            yield check_row(Row(record.line, values))

    return import_rows(
        rows(),
        report,
        dry_run=dry_run,
        actor=actor,
        progress=progress,
        filename=filename,
        rename=lambda name: ROSTER_TO_NPPES.get(name, name),
        verify_method="nppes",
    )
