"""Roster import (dry run or all-or-nothing) and export, in the CSV contract's format."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Location,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    User,
    now_utc,
    provider_insurance,
    provider_language,
)
from app.services import audit
from app.services.directory import provider_load_options
from app.services.geo import zip_centroid
from app.services.providers import slugify
from app.services.roster_change import Plan, ProviderChange
from app.services.roster_plan import build_plan
from app.services.roster_rows import (
    COLUMNS,
    RosterFileError,
    RowError,
    decode,
    iter_rows,
    neutralize,
)

Progress = Callable[[str, int, int], None]
BATCH = 2000


@dataclass
class RosterReport:
    """What an import did (or would do): provider counts and every rejected row."""

    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_clinics: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    applied: bool = False

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
        return (
            f"{self.rows} rows: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
            f"{f', {self.new_clinics} new clinics' if self.new_clinics else ''}"
        )


def import_roster(
    data: bytes,
    *,
    dry_run: bool,
    actor: User | None = None,
    progress: Progress | None = None,
    filename: str = "roster.csv",
) -> RosterReport:
    """Validate a roster and, unless it is a dry run or any row is rejected, apply it."""
    report = RosterReport(dry_run=dry_run)
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
    report.rows = len(rows) + len([e for e in report.errors if not e.field])
    plan = build_plan(rows, progress=progress)
    report.errors = sorted(report.errors + plan.errors, key=lambda e: (e.line, e.field))
    report.created = sum(1 for c in plan.changes if c.provider_id is None)
    report.updated = sum(1 for c in plan.changes if c.provider_id is not None and c.changed)
    report.unchanged = sum(1 for c in plan.changes if c.provider_id is not None and not c.changed)
    report.new_clinics = len(plan.new_clinics)
    if dry_run or not report.ok:
        return report
    try:
        _apply(plan, actor, progress, filename, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.applied = True
    return report


def _create_clinics(plan: Plan, actor: User | None) -> dict[tuple[str, str], int]:
    slugs = set(db.session.scalars(select(Location.slug)))
    ids: dict[tuple[str, str], int] = {}
    for key, spec in plan.new_clinics.items():
        base, slug, n = slugify(spec["name"]), "", 1
        slug = base
        while slug in slugs:
            n += 1
            slug = f"{base}-{n}"
        slugs.add(slug)
        lat_lon = zip_centroid(spec["zip"]) or (None, None)
        loc = Location(slug=slug, latitude=lat_lon[0], longitude=lat_lon[1], **spec)
        db.session.add(loc)
        db.session.flush()
        audit.record("create", "location", loc.id, actor=actor, after=spec, summary=loc.name)
        ids[key] = loc.id
    return ids


def _apply(
    plan: Plan, actor: User | None, progress: Progress | None, filename: str, report: RosterReport
) -> None:
    new_clinic_ids = _create_clinics(plan, actor)

    def loc_id(ref: int | tuple[str, str]) -> int:
        return ref if isinstance(ref, int) else new_clinic_ids[ref]

    creates = [c for c in plan.changes if c.provider_id is None]
    updates = [c for c in plan.changes if c.provider_id is not None and c.changed]
    slugs = set(db.session.scalars(select(Provider.slug)))
    now = now_utc()
    done = 0
    for start in range(0, len(creates), BATCH):
        batch = creates[start : start + BATCH]
        params = []
        for change in batch:
            base = slugify(
                f"{change.fields['first_name']} {change.fields['last_name']} "
                f"{change.fields.get('credentials', '')}"
            )
            slug, n = base, 1
            while slug in slugs:
                n += 1
                slug = f"{base}-{n}"
            slugs.add(slug)
            params.append(
                {
                    **change.provider_row(),
                    "slug": slug,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "verified_at": now,
                }
            )
        ids = db.session.scalars(
            insert(Provider).returning(Provider.id, sort_by_parameter_order=True), params
        ).all()
        _insert_links(batch, ids, loc_id)
        for change, pid in zip(batch, ids, strict=True):
            audit.record(
                "import",
                "provider",
                pid,
                actor=actor,
                after=change.snapshot(),
                summary=f"Created from {filename}",
            )
        audit.enqueue("provider", ids)
        db.session.flush()
        done += len(batch)
        if progress:
            progress("write", done, len(creates) + len(updates))
    _apply_updates(updates, actor, filename, loc_id, progress, done, len(creates) + len(updates))
    audit.record("import", "roster", None, actor=actor, summary=f"{filename}: {report.summary()}")


def _insert_links(batch: list[ProviderChange], ids: list[int], loc_id) -> None:
    specs, locs, langs, plans = [], [], [], []
    for change, pid in zip(batch, ids, strict=True):
        for i, sid in enumerate(change.specialty_ids or []):
            specs.append(
                {"provider_id": pid, "specialty_id": sid, "is_primary": i == 0, "position": i}
            )
        for i, (ref, phone) in enumerate(change.clinics or []):
            locs.append(
                {"provider_id": pid, "location_id": loc_id(ref), "phone": phone, "position": i}
            )
        langs += [{"provider_id": pid, "language_id": x} for x in change.language_ids or []]
        plans += [{"provider_id": pid, "insurance_plan_id": x} for x in change.plan_ids or []]
    for model, rows in ((ProviderSpecialty, specs), (ProviderLocation, locs)):
        if rows:
            db.session.execute(insert(model), rows)
    if langs:
        db.session.execute(provider_language.insert(), langs)
    if plans:
        db.session.execute(provider_insurance.insert(), plans)


def _apply_updates(updates, actor, filename, loc_id, progress, done, total) -> None:
    from app.services.providers import snapshot

    for start in range(0, len(updates), BATCH):
        batch = updates[start : start + BATCH]
        ids = [c.provider_id for c in batch]
        loaded = {
            p.id: p
            for p in db.session.scalars(
                select(Provider).where(Provider.id.in_(ids)).options(*provider_load_options())
            )
        }
        for change in batch:
            p = loaded[change.provider_id]
            before = snapshot(p)
            with db.session.no_autoflush:
                change.apply_to(p, loc_id)
            db.session.flush()
            audit.record(
                "import",
                "provider",
                p.id,
                actor=actor,
                before=before,
                after=snapshot(p),
                summary=f"Updated from {filename}",
            )
        audit.enqueue("provider", ids)
        db.session.flush()
        done += len(batch)
        if progress:
            progress("write", done, total)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows() -> Iterator[dict[str, str]]:
    """Every active listing as contract rows: one per provider per clinic, read in batches."""
    stmt = (
        select(Provider)
        .where(Provider.active.is_(True))
        .options(
            selectinload(Provider.specialty_links),
            selectinload(Provider.location_links),
            selectinload(Provider.languages),
            selectinload(Provider.insurance_plans),
        )
        .order_by(Provider.last_name, Provider.first_name, Provider.id)
        .execution_options(yield_per=1000)
    )
    for p in db.session.scalars(stmt):
        base: dict[str, Any] = {
            "npi": p.npi or "",
            "first_name": p.first_name,
            "last_name": p.last_name,
            "credentials": p.credentials,
            "gender": p.gender or "",
            "specialties": ";".join(link.specialty.code for link in p.specialty_links),
            "languages": ";".join(sorted(lang.code for lang in p.languages)),
            "accepting_new_patients": _yes_no(p.accepting_new_patients),
            "telehealth": _yes_no(p.telehealth),
            "insurance": ";".join(sorted(plan.slug for plan in p.insurance_plans)),
            "bio": p.bio,
        }
        links = p.location_links or [None]
        for link in links:
            row = dict(base)
            if link is not None:
                loc = link.location
                row.update(
                    location_name=loc.name,
                    address=", ".join(x for x in (loc.address_line1, loc.address_line2) if x),
                    city=loc.city,
                    state=loc.state,
                    zip=loc.zip,
                    phone=link.effective_phone,
                )
            yield row


def _csv_chunks(rows_per_chunk: int) -> Iterator[tuple[str, int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows = 0
    for row in export_rows():
        writer.writerow([neutralize(str(row.get(c, ""))) for c in COLUMNS])
        rows += 1
        if rows == rows_per_chunk:
            yield buffer.getvalue(), rows
            buffer.seek(0)
            buffer.truncate()
            rows = 0
    yield buffer.getvalue(), rows


def export_chunks(rows_per_chunk: int = 500) -> Iterator[str]:
    """The roster CSV as text chunks (formula cells neutralized), for streaming downloads."""
    for text, _ in _csv_chunks(rows_per_chunk):
        yield text


def export_roster(stream: IO[str]) -> int:
    """Write the roster CSV (formula cells neutralized); return the number of rows."""
    count = 0
    for text, rows in _csv_chunks(500):
        stream.write(text)
        count += rows
    return count
