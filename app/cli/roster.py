"""``flask roster import|export``."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import ngettext
from sqlalchemy import select

from app.cli.search import human_size, rebuild_with_progress
from app.extensions import db
from app.models import RosterUpload
from app.search import interface as search
from app.services.registry.nppes import NppesFileError, open_text, read_npi_list
from app.services.registry.nppes_import import import_nppes
from app.services.roster.apply import RosterReport, import_roster
from app.services.roster.export import export_roster
from app.services.roster.jobs import claim_undo, cli_job, finish_cli_job
from app.services.roster.undo import ChangeLog, undo_import
from app.transaction import unit_of_work

STAGES = {"read": "Reading", "check": "Checking", "write": "Writing", "scan": "Scanning"}
# Seconds the import waits for another process rebuilding the index (a web worker's child
# may have started on the import's changes first): as long as a national rebuild takes.
IMPORT_INDEX_WAIT = 3 * 3600.0


class ProgressLine:
    """Rows per second and ETA: one refreshed line on a terminal, else a line every 15 s
    (a log); it also notes when each stage began, for the closing summary."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.start = time.monotonic()
        self.last = 0.0
        self.scanned = 0
        self.stages: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "scan":
            self.scanned = done
        now = time.monotonic()
        if stage not in self.stages:
            self.stages[stage] = now
        if now - self.last < (0.2 if self.enabled else 15.0) or now - self.stages[stage] < 0.5:
            return
        self.last = now
        rate = done / max(now - self.stages[stage], 1e-6)
        line = f"{STAGES.get(stage, stage)}: {done:,}"
        if total:
            eta = (total - done) / rate if rate else 0
            line += f"/{total:,}  {rate:,.0f} rows/s  ETA {int(eta // 60)}:{int(eta % 60):02d}"
        else:
            line += f"  {rate:,.0f} rows/s"
        self.stream.write("\r" + line.ljust(70) if self.enabled else line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()

    def summary(self) -> str:
        """How long each stage took, e.g. "reading 80 s, checking 95 s, writing 300 s"."""
        marks = [*sorted(self.stages.items(), key=lambda item: item[1]), ("", time.monotonic())]
        return ", ".join(
            f"{STAGES.get(stage, stage).lower()} {marks[i + 1][1] - began:.0f} s"
            for i, (stage, began) in enumerate(marks[:-1])
        )


@click.group("roster")
def roster_group() -> None:
    """Import and export provider rosters (CSV)."""


def _print_report(report: RosterReport) -> None:
    click.echo(("Dry run (nothing written): " if report.dry_run else "") + report.summary())
    for error in report.errors:
        click.echo(f"  rejected {error}", err=True)
    if report.cleared:
        click.echo(f"Values this file clears ({report.cleared}):")
        for change, diff in report.cleared_values():
            old = diff.old if len(diff.old) <= 60 else diff.old[:59] + "…"
            click.echo(f"  line {change.line}, {change.name}: {diff.column} (now {old!r})")
        shown = len(report.cleared_values())
        if shown < report.cleared:
            click.echo(f"  …and {report.cleared - shown} more.")


class _NotApplied(Exception):
    """Roll the import's transaction (and its job record) back: nothing was applied."""

    def __init__(self, report: RosterReport) -> None:
        super().__init__("not applied")
        self.report = report


def _import_roster_file(
    path: Path, dry_run: bool, blank: str, confirm: bool, progress, allowed: int | None = None
) -> tuple[RosterReport, str | None]:
    """Import a roster file in one transaction; with a job record so it can be undone."""
    try:
        with unit_of_work():
            _bulk_cache()
            job = None if dry_run else cli_job(path.name, _digest(path), blank, None)
            report = import_roster(
                path,
                dry_run=dry_run,
                progress=progress,
                filename=path.name,
                blank=blank,
                confirm_clear=confirm,
                log=ChangeLog(job.id) if job is not None else None,
                allowed_clears=allowed,
            )
            if job is not None and not report.applied:
                raise _NotApplied(report)
            if job is not None:
                finish_cli_job(job, report)
    except _NotApplied as stop:
        return stop.report, None
    return report, (job.token if job is not None else None)


def _digest(path: Path) -> str:
    """The file's SHA-256, read in chunks (a national file is hundreds of megabytes)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@roster_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and report; write nothing.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["roster", "nppes"]),
    default="roster",
    show_default=True,
    help="roster: our CSV contract; nppes: the NPPES monthly npidata_pfile_*.csv.",
)
@click.option(
    "--npi-list",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --format nppes: import the NPIs in FILE (one per line) instead of the "
    "NPIs already in the directory.",
)
@click.option(
    "--blank",
    type=click.Choice(["keep", "clear"]),
    default="keep",
    show_default=True,
    help="What a blank cell does to an existing listing: keep its value, or clear it. "
    "A (clear) cell always clears.",
)
@click.option(
    "--yes",
    "confirm",
    is_flag=True,
    help="Apply a file that clears values without asking (the values are listed first).",
)
@with_appcontext
def import_command(
    path: Path,
    dry_run: bool,
    file_format: str,
    npi_list: Path | None,
    blank: str,
    confirm: bool,
) -> None:
    """Import a roster CSV or an NPPES file in one transaction.

    A missing column or a blank cell leaves a listing's value as it is (``--blank=clear``
    makes blank cells clear). A file that clears values is applied only after you confirm
    (or with ``--yes``). Exits non-zero if any row is rejected; then nothing is imported.
    An applied roster can be undone with ``flask roster undo TOKEN`` for 30 days.
    """
    progress = ProgressLine()
    started = time.monotonic()
    if npi_list and file_format != "nppes":
        raise click.UsageError("--npi-list only applies to --format nppes.")
    # This command indexes the import itself, below, with progress, before it returns: a
    # background thread started by the commit would die with the process.
    sync_on_commit = current_app.config["SEARCH_SYNC_ON_COMMIT"]
    current_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    token = None
    try:
        if file_format == "nppes":
            with unit_of_work():
                _bulk_cache()
                report = _import_nppes(path, dry_run, npi_list, progress)
        else:
            report, token = _import_roster_file(path, dry_run, blank, confirm, progress)
            if report.needs_confirmation:
                progress.done()
                _print_report(report)
                if not sys.stdin.isatty() or not click.confirm(
                    ngettext("Clear this value?", "Clear these %(num)d values?", report.cleared),
                    default=False,
                ):
                    click.echo(
                        "Nothing was imported: the file clears values. Check them above, "
                        "then run again with --yes to apply it.",
                        err=True,
                    )
                    sys.exit(1)
                # Only what was listed and confirmed: more clears now applies nothing.
                report, token = _import_roster_file(
                    path, dry_run, blank, True, progress, allowed=report.cleared
                )
                if report.needs_confirmation:
                    click.echo(
                        "Nothing was imported: the listings changed while you confirmed, and "
                        "the file now clears other values. Run it again.",
                        err=True,
                    )
                    sys.exit(1)
    finally:
        current_app.config["SEARCH_SYNC_ON_COMMIT"] = sync_on_commit
    progress.done()
    _print_report(report)
    if not report.ok:
        if not dry_run:
            click.echo("Nothing was imported.", err=True)
        sys.exit(1)
    if not dry_run:
        click.echo(f"Imported in {time.monotonic() - started:.1f} s ({progress.summary()}).")
        if token:
            days = current_app.config["ROSTER_UNDO_DAYS"]
            click.echo(
                f"To undo this import within {days} days: flask roster undo {token} "
                f"(or the staff page /staff/roster/jobs/{token})."
            )
        try:
            indexed = _index_import()
        except search.SearchUnavailable as exc:
            # The import is committed; its outbox rows wait for the next apply.
            click.echo(
                f"Imported, but not indexed yet: {exc}. The search workers apply the changes "
                "when they can; `flask search rebuild` does it now.",
                err=True,
            )
            return
        if indexed:
            click.echo(f"Imported and indexed in {time.monotonic() - started:.1f} s.")


IMPORT_CACHE_MB = 256


def _bulk_cache() -> None:
    """Give this command's SQLite connection a page cache for a bulk write.

    SQLite's default cache is 2 MB. A national import adds a million rows to each of a
    dozen indexes, which with 2 MB means reading most index pages back from disk again
    and again. The setting lasts as long as this connection, so only this command uses it.
    """
    if db.engine.dialect.name == "sqlite":
        db.session.connection().exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_MB * 1024}")


def _index_import() -> bool:
    """Make the import searchable before the command ends; False when another process
    holds the index's writer (its next pass applies the import instead).

    An import that changes at least a quarter of the directory, and at least
    SEARCH_PARALLEL_FROM listings, or one into a directory without an index, is indexed
    by a full parallel rebuild: at a million listings that takes minutes, where applying
    a million changes one by one would take far longer. A smaller one is applied as
    changes (a 200,000-listing refresh of a million-listing directory among them).
    """
    info = search.service().status()
    pending, active = info["pending"], info["active_providers"]
    large = pending >= max(int(current_app.config["SEARCH_PARALLEL_FROM"]), active // 4)
    if info["generation"] and not large:
        started = time.monotonic()
        applied = search.service().apply()
        left = search.service().status()["pending"]
        if left:
            click.echo(
                f"The search index is busy in another process; it will apply the remaining "
                f"{left:,} change(s) itself (or run `flask search rebuild`).",
                err=True,
            )
            return False
        click.echo(f"Indexed {applied} change(s) in {time.monotonic() - started:.1f} s.")
        return True
    click.echo(f"Rebuilding the search index for {active:,} listings ({pending:,} changes)...")
    # A web worker that saw the import's changes first rebuilds them in a child process;
    # then this one waits for it (a national rebuild takes many minutes) and finds the
    # index up to date instead of rebuilding it twice.
    report = rebuild_with_progress(if_behind=True, wait=IMPORT_INDEX_WAIT)
    click.echo(
        f"Indexed {report['documents']:,} providers in {report['seconds']}s "
        f"({human_size(report['size_bytes'])})."
    )
    return True


def _import_nppes(path: Path, dry_run: bool, npi_list: Path | None, progress) -> RosterReport:
    npis = None
    if npi_list:
        with npi_list.open(encoding="utf-8") as fh:
            npis = read_npi_list(fh)
    started = time.monotonic()
    try:
        with open_text(path) as stream:
            report = import_nppes(
                stream, dry_run=dry_run, npis=npis, progress=progress, filename=path.name
            )
    except NppesFileError as exc:
        raise click.ClickException(str(exc)) from None
    seconds = max(time.monotonic() - started, 1e-6)
    click.echo(
        f"Scanned {progress.scanned:,} NPPES rows in {seconds:.1f} s "
        f"({progress.scanned / seconds:,.0f} rows/s)."
    )
    return report


@roster_group.command("undo")
@click.argument("token")
@with_appcontext
def undo_command(token: str) -> None:
    """Undo an applied roster import (TOKEN from its job page or the import's output).

    Every value the import changed goes back, unless it was edited since: those are listed
    and left as they are. Listings the import created are hidden again.
    """
    upload = db.session.scalar(select(RosterUpload).where(RosterUpload.token == token))
    if upload is None:
        raise click.ClickException("No roster import has that token.")
    with unit_of_work():
        refusal = claim_undo(upload)  # the same claim as the web page: one undo at a time
    if refusal:
        raise click.ClickException(refusal)
    sync_on_commit = current_app.config["SEARCH_SYNC_ON_COMMIT"]
    current_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    try:
        with unit_of_work():
            result = undo_import(db.session.get(RosterUpload, upload.id), None)
    except Exception:
        with unit_of_work():
            db.session.get(RosterUpload, upload.id).status = "done"  # nothing was undone
        raise
    finally:
        current_app.config["SEARCH_SYNC_ON_COMMIT"] = sync_on_commit
    click.echo(result.summary() + ".")
    for c in result.conflicts:
        what = c.get("problem") or f"set to {c.get('imported')!r}, now {c.get('now')!r}"
        click.echo(f"  kept {c['name']}: {c['column']} ({what})")
    try:
        _index_import()
    except search.SearchUnavailable as exc:
        click.echo(f"Undone, but not indexed yet: {exc}.", err=True)


@roster_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(path: Path) -> None:
    """Write every active listing to PATH in the roster CSV format."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        count = export_roster(fh)
    click.echo(f"Wrote {count} rows to {path}.")
