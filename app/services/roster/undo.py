"""Undoing an applied roster import: every value it changed goes back, unless edited since.

While an import is applied, :class:`ChangeLog` keeps, for each listing it touched, the
values it changed before and after (``roster_change`` rows). :func:`undo_import` puts the
"before" values back through the staff form's own operation, one listing at a time, but
only where the listing still holds what the import wrote: a value edited since then is
left as it is and reported as a conflict. A listing the import created is hidden again
(nothing is deleted), unless it was edited since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import insert, select

from app.extensions import db
from app.models import (
    AuditEvent,
    InsurancePlan,
    Language,
    Location,
    Organization,
    Provider,
    RosterChange,
    RosterUpload,
    Specialty,
    User,
    now_utc,
)
from app.parsing import provider_details
from app.services import audit
from app.services.directory import provider_load_options
from app.services.providers import DETAIL_FIELDS, set_active, update_provider
from app.services.registry.findings import current_input
from app.transaction import InvalidInput

CHUNK = 1000
MAX_CONFLICTS = 1000  # kept on the job for its page; the count is always exact
# The words staff know a listing's values by (the roster's columns).
COLUMN_OF = {
    "specialty_ids": "specialties",
    "clinics": "clinics",
    "language_ids": "languages",
    "plan_ids": "insurance",
    "networks": "networks",
}


def listing_state(p: Provider, keys: Iterable[str]) -> dict[str, Any]:
    """The listing's values for ``keys`` (``ProviderInput`` names) as JSON-friendly data."""
    out: dict[str, Any] = {}
    for key in keys:
        if key == "specialty_ids":
            out[key] = [link.specialty_id for link in p.specialty_links]
        elif key == "clinics":
            out[key] = [[link.location_id, link.phone] for link in p.location_links]
        elif key == "language_ids":
            out[key] = sorted(x.id for x in p.languages)
        elif key == "plan_ids":
            out[key] = sorted(x.id for x in p.insurance_plans)
        elif key == "networks":
            out[key] = sorted(
                [x.location_id, x.network_id, x.accepting_new_patients] for x in p.participations
            )
        elif key in DETAIL_FIELDS:
            out[key] = list(getattr(p, key) or [])
        else:
            out[key] = getattr(p, key)
    return out


class ChangeLog:
    """Collects what an import does to each listing and stages it as ``roster_change`` rows."""

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id
        self.rows: list[dict[str, Any]] = []

    def updated(self, provider_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Note the values an update changed (only those)."""
        self.rows.append(
            {
                "upload_id": self.upload_id,
                "provider_id": provider_id,
                "created": False,
                "before": before,
                "after": after,
            }
        )

    def created(self, provider_ids: Iterable[int]) -> None:
        """Note listings the import created (as version 1)."""
        self.rows.extend(
            {
                "upload_id": self.upload_id,
                "provider_id": pid,
                "created": True,
                "before": None,
                "after": {"version": 1},
            }
            for pid in provider_ids
        )

    def flush(self) -> None:
        """Stage the collected rows with one multi-row INSERT (the caller commits)."""
        if self.rows:
            db.session.execute(insert(RosterChange.__table__), self.rows)
            self.rows = []


def undo_days() -> int:
    """How long an applied import can be undone."""
    return int(current_app.config["ROSTER_UNDO_DAYS"])


def undo_refusal(upload: RosterUpload) -> str | None:
    """Why this job cannot be undone now, or None when it can."""
    if upload.status in ("undoing",):
        return "This import is being undone now."
    if upload.status == "undone" or upload.undone_at is not None:
        return "This import was already undone."
    if upload.status != "done" or upload.finished_at is None:
        return "Only an applied import can be undone."
    if now_utc() - upload.finished_at > timedelta(days=undo_days()):
        return f"An import can be undone for {undo_days()} days after it was applied."
    return None


@dataclass
class UndoResult:
    """What an undo did: values restored, listings hidden again, and what it left alone."""

    restored: int = 0
    listings: int = 0
    hidden: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    conflict_count: int = 0

    def summary(self) -> str:
        """One line for people and the audit log."""
        text = ngettext("Restored %(num)d value", "Restored %(num)d values", self.restored)
        text += " " + ngettext("on %(num)d listing", "on %(num)d listings", self.listings)
        if self.hidden:
            text += ", " + ngettext(
                "hid %(num)d listing the import created",
                "hid %(num)d listings the import created",
                self.hidden,
            )
        if self.conflict_count:
            text += "; " + ngettext(
                "kept %(num)d value edited since the import",
                "kept %(num)d values edited since the import",
                self.conflict_count,
            )
        return text

    def conflict(self, p: Provider | None, provider_id: int, column: str, **more: str) -> None:
        self.conflict_count += 1
        if len(self.conflicts) < MAX_CONFLICTS:
            name = p.full_name if p is not None else f"listing {provider_id}"
            self.conflicts.append(
                {"provider_id": provider_id, "name": name, "column": column, **more}
            )


def undo_import(upload: RosterUpload, actor: User | None) -> UndoResult:
    """Put back every value the job changed that nobody edited since (stages; caller commits)."""
    result = UndoResult()
    ids = db.session.scalars(
        select(RosterChange.id).where(RosterChange.upload_id == upload.id).order_by(RosterChange.id)
    ).all()
    for start in range(0, len(ids), CHUNK):
        changes = db.session.scalars(
            select(RosterChange).where(RosterChange.id.in_(ids[start : start + CHUNK]))
        ).all()
        wanted = [c.provider_id for c in changes]
        edited = _edited_since(wanted, upload.finished_at)
        loaded = {
            p.id: p
            for p in db.session.scalars(
                select(Provider).where(Provider.id.in_(wanted)).options(*provider_load_options())
            )
        }
        for change in sorted(changes, key=lambda c: c.id):
            touched = edited.get(change.provider_id, set())
            _undo_one(change, loaded.get(change.provider_id), actor, result, touched)
    upload.status = "undone"
    upload.undone_at = now_utc()
    upload.undone_by_id = actor.id if actor is not None else None
    upload.undo_message = result.summary()[:1000]
    upload.undo_conflicts = result.conflicts
    audit.record(
        "undo",
        "roster",
        upload.id,
        actor=actor,
        summary=f"{upload.filename}: {result.summary()}",
    )
    return result


# The audit snapshot's name for each listing key (``providers.snapshot``).
SNAPSHOT_NAME = {**COLUMN_OF, "clinics": "clinics"}


def _edited_since(provider_ids: list[int], since) -> dict[int, set[str]]:
    """Per listing, the snapshot fields any audited change after ``since`` touched (an
    edit, another import, a registry finding): a value edited and even set back since the
    import is the editor's, not the import's, to undo."""
    out: dict[int, set[str]] = {}
    if since is None or not provider_ids:
        return out
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "provider",
            AuditEvent.entity_id.in_(provider_ids),
            AuditEvent.at > since,
        )
    )
    for event in events:
        out.setdefault(event.entity_id, set()).update(n for n, _, _ in event.changed_fields())
    return out


def _undo_one(
    change: RosterChange,
    p: Provider | None,
    actor: User | None,
    result: UndoResult,
    touched: set[str] | frozenset[str] = frozenset(),
) -> None:
    if p is None:
        result.conflict(None, change.provider_id, "listing", problem="The listing is gone.")
        return
    if change.created:
        _hide_created(change, p, actor, result, touched)
        return
    restore = _restorable(change, p, result, touched)
    if not restore:
        return
    if "clinics" in restore:
        restore["clinics"] = [(lid, phone) for lid, phone in restore["clinics"]]
    if "networks" in restore:
        clinics = restore.get("clinics") or current_input(p).clinics
        nets: dict[int, dict[int, bool]] = {lid: {} for lid, _ in clinics}
        for lid, nid, ok in restore["networks"]:
            nets.setdefault(lid, {})[nid] = ok
        restore["networks"] = nets
    try:
        update_provider(p, current_input(p, **restore), None, actor)
    except InvalidInput as exc:
        problem = " ".join(str(v) for v in exc.errors.values())
        for key in restore:
            result.conflict(p, p.id, COLUMN_OF.get(key, key), problem=problem)
        return
    result.restored += len(restore)
    result.listings += 1


def _hide_created(
    change: RosterChange,
    p: Provider,
    actor: User | None,
    result: UndoResult,
    touched: set[str] | frozenset[str],
) -> None:
    """Hide a listing the import created, unless it was edited since."""
    if p.version != (change.after or {}).get("version") or touched:
        result.conflict(
            p,
            p.id,
            "listing",
            problem="Created by the import and edited since, so it stays listed.",
        )
    elif p.active:
        set_active(p, False, None, actor)
        result.hidden += 1


def _restorable(
    change: RosterChange,
    p: Provider,
    result: UndoResult,
    touched: set[str] | frozenset[str],
) -> dict[str, Any]:
    """The values the import changed that can go back (a conflict is noted for the rest)."""
    before, after = change.before or {}, change.after or {}
    now = listing_state(p, before)
    restore: dict[str, Any] = {}
    for key, old in before.items():
        if now[key] == after.get(key) and SNAPSHOT_NAME.get(key, key) not in touched:
            restore[key] = old
        elif now[key] == after.get(key):
            result.conflict(
                p,
                p.id,
                COLUMN_OF.get(key, key),
                problem="Edited after the import (then set back), so it stays as it is.",
            )
        else:
            result.conflict(
                p,
                p.id,
                COLUMN_OF.get(key, key),
                imported=describe(key, after.get(key)),
                now=describe(key, now[key]),
            )
    return restore


def describe(key: str, value: Any) -> str:
    """A stored value as staff read it: names for ids, yes/no for flags, cells for lists."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    names = {
        "specialty_ids": Specialty.display_name,
        "language_ids": Language.name,
        "plan_ids": InsurancePlan.name,
    }
    if key in names:
        column = names[key]
        model = column.class_
        found = dict(db.session.execute(select(model.id, column).where(model.id.in_(value))).all())
        return "; ".join(found.get(i, str(i)) for i in value)
    if key == "clinics":
        ids = [lid for lid, _ in value]
        found = dict(
            db.session.execute(select(Location.id, Location.name).where(Location.id.in_(ids)))
        )
        return "; ".join(
            found.get(lid, str(lid)) + (f" ({phone})" if phone else "") for lid, phone in value
        )
    if key == "networks":
        names = dict(db.session.execute(select(Organization.id, Organization.name)).all())
        return "; ".join(
            f"#{lid} {names.get(nid, str(nid))}" + ("" if ok else " (closed)")
            for lid, nid, ok in value
        )
    if key in provider_details.CELLS:
        return provider_details.CELLS[key][1](value)
    return str(value)
