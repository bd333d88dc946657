"""Audit events and search outbox rows, written in the caller's transaction.

Outbox rows are written by ``app.outbox.enqueue`` alone; it is named here as
``audit.enqueue`` because every operation writes both rows together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from app.extensions import db
from app.models import AuditEvent, User, now_utc
from app.outbox import enqueue  # noqa: F401  (services stage outbox rows as audit.enqueue)

SECRET_FIELDS = frozenset({"password", "password_hash", "session_token", "csrf_token"})


def scrub(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop secrets from a snapshot before it is stored."""
    if data is None:
        return None
    return {k: v for k, v in data.items() if k not in SECRET_FIELDS}


def actor_label(actor: User | None) -> str:
    """How the audit log names the actor."""
    return actor.email if actor is not None else "system"


def record(
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
) -> AuditEvent:
    """Add an audit event to the current session (the caller commits)."""
    event = AuditEvent(**event_row(action, entity_type, entity_id, actor, before, after, summary))
    db.session.add(event)
    return event


def event_row(
    action: str,
    entity_type: str,
    entity_id: int | None,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
) -> dict[str, Any]:
    """The columns of one audit event, for :func:`record` or :func:`record_many`."""
    return {
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "actor_id": actor.id if actor is not None else None,
        "actor_label": actor_label(actor),
        "before": scrub(before),
        "after": scrub(after),
        "summary": summary[:500],
    }


def record_many(rows: list[dict[str, Any]]) -> None:
    """Insert many audit events (built with :func:`event_row`) in one statement, now.

    A bulk import writes thousands of events per batch; one multi-row INSERT costs a
    fraction of staging each as an ORM object.
    """
    if rows:
        at = now_utc()
        db.session.execute(insert(AuditEvent.__table__), [{"at": at, **row} for row in rows])
