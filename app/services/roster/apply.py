"""Roster import (dry run or all-or-nothing) and export, in the CSV contract's format."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import ngettext
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Language,
    Provider,
    User,
)
from app.services import audit
from app.services.directory import provider_load_options
from app.services.locations import LocationInput, create_locations
from app.services.providers import (
    ProviderInput,
    create_providers,
    record_checks,
    update_provider,
)
from app.services.registry.findings import current_input
from app.services.roster.change import FieldChange, Plan, ProviderChange
from app.services.roster.plan import Planner
from app.services.roster.read import (
    BLANK_MODES,
    RosterFileError,
    Row,
    RowError,
    decode,
    file_lines,
    iter_rows,
)
from app.services.roster.stream import ChangeSpool, Groups, RowSpool, batches
from app.services.roster.undo import ChangeLog, listing_state

Progress = Callable[[str, int, int], None]
BATCH = 2000
SHOWN_CHANGES = 1000  # listings whose changes a report lists one by one (all are counted)


@dataclass
class RosterReport:
    """What an import did (or would do): provider counts and every rejected row."""

    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_clinics: int = 0
    skipped_deactivated: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    applied: bool = False
    blank: str = "keep"
    cleared: int = 0  # values the file empties
    cleared_listings: int = 0
    changes: list[ProviderChange] = field(default_factory=list)  # the first SHOWN_CHANGES
    needs_confirmation: bool = False  # it clears values and the caller did not confirm
    row_errors: list[RowError] = field(default_factory=list)  # while reading (then errors)

    def cleared_values(self) -> list[tuple[ProviderChange, FieldChange]]:
        """The values shown as cleared, listing by listing (from ``changes``)."""
        return [(c, d) for c in self.changes for d in c.diffs if d.cleared]

    @property
    def rejected(self) -> int:
        """Number of rejected rows."""
        return len({e.line for e in self.errors})

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.errors and not self.file_error

    def summary(self) -> str:
        """One line for people and logs."""
        if self.file_error:
            return f"Rejected the file: {self.file_error}"
        parts = [
            ngettext("%(num)d row", "%(num)d rows", self.rows)
            + f": {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected"
        ]
        if self.new_clinics:
            parts.append(ngettext("%(num)d new clinic", "%(num)d new clinics", self.new_clinics))
        if self.skipped_deactivated:
            parts.append(
                ngettext(
                    "%(num)d deactivated NPI skipped",
                    "%(num)d deactivated NPIs skipped",
                    self.skipped_deactivated,
                )
            )
        if self.cleared:
            parts.append(
                ngettext("%(num)d value cleared", "%(num)d values cleared", self.cleared)
                + " "
                + ngettext("on %(num)d listing", "on %(num)d listings", self.cleared_listings)
            )
        return ", ".join(parts)


def import_roster(
    data: bytes | Path,
    *,
    dry_run: bool,
    actor: User | None = None,
    progress: Progress | None = None,
    filename: str = "roster.csv",
    blank: str = "keep",
    confirm_clear: bool = False,
    log: ChangeLog | None = None,
    allowed_clears: int | None = None,
) -> RosterReport:
    """Validate a roster and, unless it is a dry run or any row is rejected, stage it.

    ``data`` is the file's bytes, or its path (a national file is read as it goes, never
    whole). A column the file lacks, and a blank cell, leave the listing's value as it is;
    with ``blank="clear"`` a blank cell clears it, and a ``(clear)`` cell always does. A
    file that clears any value is applied only with ``confirm_clear``, and then only if it
    clears no more than ``allowed_clears`` values (what the person confirmed), when given.
    ``log`` keeps what the import changed so it can be undone (see ``roster.undo``).

    Nothing is committed here: the caller runs this inside ``unit_of_work()`` so the whole
    file lands in one transaction or not at all.
    """
    if blank not in BLANK_MODES:
        raise ValueError(f"blank must be one of {BLANK_MODES}")
    report = RosterReport(dry_run=dry_run, blank=blank)
    with RowSpool() as spool:
        groups = Groups()
        try:
            lines = file_lines(data) if isinstance(data, Path) else decode(data)
            for _, row, error in iter_rows(lines):
                if error is not None:
                    report.errors.append(error)
                else:
                    _keep(row, spool, groups, report)
                if progress and report.rows % 1000 == 0:
                    progress("read", report.rows, 0)
        except RosterFileError as exc:
            report.file_error = str(exc)
            report.errors, report.rows = [], 0
            return report
        return _import_spooled(
            spool,
            groups,
            report,
            actor=actor,
            progress=progress,
            filename=filename,
            dry_run=dry_run,
            blank=blank,
            confirm_clear=confirm_clear,
            log=log,
            allowed_clears=allowed_clears,
        )


def _keep(row: Row, spool: RowSpool, groups: Groups, report: RosterReport) -> None:
    """One checked row: its errors into the report, or the row into the spool."""
    report.rows += 1
    if row.errors:
        report.row_errors.extend(row.errors)
    else:
        spool.add(row)
        groups.note(row)


def import_rows(
    rows: Iterable[Row],
    report: RosterReport,
    *,
    dry_run: bool,
    actor: User | None = None,
    progress: Progress | None = None,
    filename: str = "roster.csv",
    rename: Callable[[str], str] | None = None,
    blank: str = "keep",
    confirm_clear: bool = False,
    log: ChangeLog | None = None,
    verify_method: str = "roster",
    allowed_clears: int | None = None,
) -> RosterReport:
    """Plan checked rows (from a roster or an NPPES file) and, unless refused, stage them.

    ``rows`` may be a generator: each is kept on disk as it comes, not in memory.
    ``rename`` turns roster column names into the file's own in error messages;
    ``verify_method`` is how the listings the file names count as verified (``roster`` or
    ``nppes``). The other options are :func:`import_roster`'s.
    """
    with RowSpool() as spool:
        groups = Groups()
        for row in rows:
            _keep(row, spool, groups, report)
        return _import_spooled(
            spool,
            groups,
            report,
            dry_run=dry_run,
            actor=actor,
            progress=progress,
            filename=filename,
            rename=rename,
            blank=blank,
            confirm_clear=confirm_clear,
            log=log,
            verify_method=verify_method,
            allowed_clears=allowed_clears,
        )


def _import_spooled(
    spool: RowSpool,
    groups: Groups,
    report: RosterReport,
    *,
    dry_run: bool,
    actor: User | None = None,
    progress: Progress | None = None,
    filename: str = "roster.csv",
    rename: Callable[[str], str] | None = None,
    blank: str = "keep",
    confirm_clear: bool = False,
    log: ChangeLog | None = None,
    verify_method: str = "roster",
    allowed_clears: int | None = None,
) -> RosterReport:
    """Plan the spooled rows a batch of providers at a time (the check pass), keeping the
    changes on disk while the file may still be applied; then, when it passes, write them
    (the write pass). Nothing is written unless the whole file passes, each provider is
    planned once, and neither the file nor its changes are ever held whole."""
    report.rows += len([e for e in report.errors if not e.field])
    groups.settle(spool)
    planner = Planner(blank)
    with ChangeSpool(BATCH) as wanted:
        named = _check(spool, groups, planner, report, None if dry_run else wanted, progress)
        _settle_errors(report, planner.plan, rename)
        if _held_back(report, dry_run, confirm_clear, allowed_clears):
            return report
        _apply(wanted, planner.plan, actor, progress, log)
    # Every existing listing the file named was confirmed by it, changed or not. Written
    # last: on SQLite a write that outgrows the page cache locks readers out until the
    # commit, so the bulk of it comes just before the commit.
    record_checks(named, verify_method, filename, actor)
    audit.record("import", "roster", None, actor=actor, summary=f"{filename}: {report.summary()}")
    report.applied = True
    return report


def _check(
    spool: RowSpool,
    groups: Groups,
    planner: Planner,
    report: RosterReport,
    wanted: ChangeSpool | None,
    progress: Progress | None,
) -> array:
    """The check pass: plan and count every provider, a batch at a time, keeping the
    changes in ``wanted`` while nothing has been refused; returns the ids of the existing
    listings the file names."""
    named = array("q")
    for n, batch in enumerate(batches(groups.of(spool), BATCH), 1):
        changes = planner.changes(batch)
        named.extend(c.provider_id for c in changes if c.provider_id is not None)
        _count(changes, report)
        refused = report.errors or report.row_errors or planner.plan.errors
        if wanted is not None and not refused:
            wanted.add([c for c in changes if c.changed])
        if progress:
            progress("check", min(n * BATCH, len(groups)), len(groups))
    return named


def _settle_errors(report: RosterReport, plan: Plan, rename: Callable[[str], str] | None) -> None:
    """Every refused row in the report, by line, under the file's own column names."""
    errors = report.row_errors + plan.errors
    if rename:
        for error in errors:
            error.field = rename(error.field)
    report.errors = sorted(report.errors + errors, key=lambda e: (e.line, e.field))
    report.row_errors = []
    report.new_clinics = len(plan.new_clinics)


def _held_back(
    report: RosterReport, dry_run: bool, confirm_clear: bool, allowed_clears: int | None
) -> bool:
    """True when nothing may be written: a dry run, a refused row, or values cleared that
    were not confirmed (then ``needs_confirmation`` is set)."""
    if dry_run or not report.ok:
        return True
    over = allowed_clears is not None and report.cleared > allowed_clears
    if report.cleared and (not confirm_clear or over):
        report.needs_confirmation = True
        return True
    return False


def _count(changes: list[ProviderChange], report: RosterReport) -> None:
    """Add a batch's changes to the report: counts, the changes shown, values cleared."""
    for change in changes:
        if change.provider_id is None:
            report.created += 1
            continue
        if not change.diffs:
            report.unchanged += 1
            continue
        report.updated += 1
        if len(report.changes) < SHOWN_CHANGES:
            report.changes.append(change)
        cleared = sum(1 for d in change.diffs if d.cleared)
        report.cleared += cleared
        report.cleared_listings += 1 if cleared else 0


class _Created:
    """The languages and clinics the plan adds, created before any listing is written,
    by the plan's placeholder (a language's negative id, a clinic's key)."""

    def __init__(self, plan: Plan, actor: User | None, beat: Callable[[], None]) -> None:
        self.languages: dict[int, int] = {}
        for n, (code, name) in enumerate(plan.new_languages.items(), 1):
            row = Language(code=code, name=name[:80])
            db.session.add(row)
            db.session.flush()
            self.languages[-n] = row.id
        self.clinics: dict[tuple[str, str], int] = {}
        keys = list(plan.new_clinics)
        for start in range(0, len(keys), BATCH):  # the clinic form's operation, a batch a time
            chunk = keys[start : start + BATCH]
            made = create_locations([LocationInput(**plan.new_clinics[k]) for k in chunk], actor)
            self.clinics.update(zip(chunk, made, strict=True))
            beat()

    def swap(self, changes: list[ProviderChange]) -> None:
        """Put the new languages' ids in place of their placeholders."""
        for change in changes:
            if change.language_ids:
                change.language_ids = [self.languages.get(i, i) for i in change.language_ids]

    def loc_id(self, ref: int | tuple[str, str]) -> int:
        """A clinic's id, the plan's key of a new one included."""
        return ref if isinstance(ref, int) else self.clinics[ref]


def _input_for(change: ProviderChange, p: Provider | None, loc_id) -> ProviderInput:
    """The whole wanted listing for the staff form's operations: the row over what exists."""
    changes: dict[str, Any] = dict(change.fields)
    for attr in ("specialty_ids", "language_ids", "plan_ids"):
        if getattr(change, attr) is not None:
            changes[attr] = list(getattr(change, attr))
    if change.clinics is not None:
        changes["clinics"] = [(loc_id(ref), phone) for ref, phone in change.clinics]
    if change.participation is not None:
        changes["networks"] = {loc_id(ref): dict(n) for ref, n in change.participation.items()}
    if "npi" in changes:
        changes["npi"] = changes["npi"] or None
    if "gender" in changes:
        changes["gender"] = changes["gender"] or None
    if p is not None:
        return current_input(p, **changes)
    return ProviderInput(**changes)


def _apply_batch(
    batch: list[ProviderChange],
    actor: User | None,
    loc_id: Callable[[int | tuple[str, str]], int],
    log: ChangeLog | None,
) -> None:
    """Update the batch's existing listings one by one and create its new ones together."""
    ids = [c.provider_id for c in batch if c.provider_id is not None]
    loaded = {
        p.id: p
        for p in db.session.scalars(
            select(Provider).where(Provider.id.in_(ids)).options(*provider_load_options())
        )
    }
    new = []
    for change in batch:
        existing = loaded.get(change.provider_id) if change.provider_id else None
        data = _input_for(change, existing, loc_id)
        if existing is None:
            new.append(data)
            continue
        keys = list(dict.fromkeys(d.key for d in change.diffs))
        before = listing_state(existing, keys) if log else {}
        update_provider(existing, data, None, actor)
        if log:
            log.updated(existing.id, before, listing_state(existing, keys))
    created = create_providers(new, actor)  # the whole batch in one INSERT per table
    if log:
        log.created(created)
        log.flush()


def _apply(
    wanted: ChangeSpool,
    plan: Plan,
    actor: User | None,
    progress: Progress | None,
    log: ChangeLog | None,
) -> None:
    """Write the changes the check pass planned, a batch at a time, with the staff forms'
    own operations (they stage; the caller commits): first the clinics and languages the
    plan adds, then the listings. The directory is as it was when the file was checked
    (one transaction), so what was planned still holds."""
    total = wanted.count

    def beat() -> None:
        if progress:
            progress("write", 0, total)

    beat()
    created = _Created(plan, actor, beat)
    done = 0
    for batch in wanted.frames():
        created.swap(batch)
        _apply_batch(batch, actor, created.loc_id, log)
        done += len(batch)
        if progress:
            progress("write", done, total)
