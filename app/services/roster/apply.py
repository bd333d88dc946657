"""Roster import (dry run or all-or-nothing) and export, in the CSV contract's format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
from app.services.locations import LocationInput, create_location
from app.services.providers import (
    ProviderInput,
    create_providers,
    record_checks,
    update_provider,
)
from app.services.registry.findings import current_input
from app.services.roster.change import FieldChange, Plan, ProviderChange
from app.services.roster.plan import build_plan
from app.services.roster.read import (
    BLANK_MODES,
    RosterFileError,
    Row,
    RowError,
    decode,
    iter_rows,
)
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
    data: bytes,
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

    A column the file lacks, and a blank cell, leave the listing's value as it is; with
    ``blank="clear"`` a blank cell clears it, and a ``(clear)`` cell always does. A file
    that clears any value is applied only with ``confirm_clear``, and then only if it clears
    no more than ``allowed_clears`` values (what the person confirmed), when given. ``log``
    keeps what the import changed so it can be undone (see ``roster.undo``).

    Nothing is committed here: the caller runs this inside ``unit_of_work()`` so the whole
    file lands in one transaction or not at all.
    """
    if blank not in BLANK_MODES:
        raise ValueError(f"blank must be one of {BLANK_MODES}")
    report = RosterReport(dry_run=dry_run, blank=blank)
    try:
        rows = []
        for _, row, error in iter_rows(decode(data)):
            if error is not None:
                report.errors.append(error)
            else:
                rows.append(row)
            if progress and len(rows) % 1000 == 0:
                progress("read", len(rows), 0)
    except RosterFileError as exc:
        report.file_error = str(exc)
        return report
    return import_rows(
        rows,
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


def import_rows(
    rows: list[Row],
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

    ``rename`` turns roster column names into the file's own in error messages;
    ``verify_method`` is how the listings the file names count as verified (``roster`` or
    ``nppes``). The other options are :func:`import_roster`'s.
    """
    report.rows = len(rows) + len([e for e in report.errors if not e.field])
    plan = build_plan(rows, progress=progress, blank=blank)
    if rename:
        for error in plan.errors:
            error.field = rename(error.field)
    _count(plan, report)
    if dry_run or not report.ok:
        return report
    over = allowed_clears is not None and report.cleared > allowed_clears
    if report.cleared and (not confirm_clear or over):
        report.needs_confirmation = True
        return report
    _apply(plan, actor, progress, filename, report, log)
    # Every existing listing the file named was confirmed by it, changed or not.
    record_checks(
        [c.provider_id for c in plan.changes if c.provider_id is not None],
        verify_method,
        filename,
        actor,
    )
    report.applied = True
    return report


def _count(plan: Plan, report: RosterReport) -> None:
    """Fill the report from the plan: errors in file order, counts, changes, clears."""
    report.errors = sorted(report.errors + plan.errors, key=lambda e: (e.line, e.field))
    existing = [c for c in plan.changes if c.provider_id is not None]
    report.created = len(plan.changes) - len(existing)
    report.updated = sum(1 for c in existing if c.changed)
    report.unchanged = len(existing) - report.updated
    report.new_clinics = len(plan.new_clinics)
    changed = [c for c in existing if c.diffs]
    report.changes = changed[:SHOWN_CHANGES]
    for change in changed:
        cleared = sum(1 for d in change.diffs if d.cleared)
        report.cleared += cleared
        report.cleared_listings += 1 if cleared else 0


def _create_languages(plan: Plan) -> None:
    """Add the languages first used by this roster and swap in their real ids."""
    if not plan.new_languages:
        return
    real = {}
    for n, (code, name) in enumerate(plan.new_languages.items(), 1):
        row = Language(code=code, name=name[:80])
        db.session.add(row)
        db.session.flush()
        real[-n] = row.id
    for change in plan.changes:
        if change.language_ids:
            change.language_ids = [real.get(i, i) for i in change.language_ids]


def _create_clinics(plan: Plan, actor: User | None) -> dict[tuple[str, str], int]:
    """Create the new clinics through the same operation as the staff clinic form."""
    ids: dict[tuple[str, str], int] = {}
    for key, spec in plan.new_clinics.items():
        loc = create_location(LocationInput(**spec), actor)
        ids[key] = loc.id
    return ids


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
    plan: Plan,
    actor: User | None,
    progress: Progress | None,
    filename: str,
    report: RosterReport,
    log: ChangeLog | None,
) -> None:
    """Write the plan with the staff forms' own operations (they stage; the caller commits)."""
    work = [c for c in plan.changes if c.changed]
    if progress:
        progress("write", 0, len(work))
    _create_languages(plan)
    new_clinic_ids = _create_clinics(plan, actor)

    def loc_id(ref: int | tuple[str, str]) -> int:
        return ref if isinstance(ref, int) else new_clinic_ids[ref]

    done = 0
    for start in range(0, len(work), BATCH):
        batch = work[start : start + BATCH]
        _apply_batch(batch, actor, loc_id, log)
        done += len(batch)
        if progress:
            progress("write", done, len(work))
    audit.record("import", "roster", None, actor=actor, summary=f"{filename}: {report.summary()}")
