"""Audit events and search outbox rows, written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert

from app.extensions import db
from app.models import AuditEvent, SearchOutbox, User, now_utc
from app.search.sync import outbox_written

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


def enqueue(entity_type: str, entity_ids: Iterable[int], op: str = "upsert") -> None:
    """Add search outbox rows for changed entities to the current session.

    Written at once with one multi-row INSERT, and counted for the after-commit indexing.
    """
    at = now_utc()
    rows = [
        {"entity_type": entity_type, "entity_id": entity_id, "op": op, "at": at}
        for entity_id in entity_ids
    ]
    if rows:
        db.session.execute(insert(SearchOutbox.__table__), rows)
        outbox_written(db.session(), len(rows))
