"""Audit events and search outbox rows, written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.extensions import db
from app.models import AuditEvent, SearchOutbox, User

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
    event = AuditEvent(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label(actor),
        before=scrub(before),
        after=scrub(after),
        summary=summary[:500],
    )
    db.session.add(event)
    return event


def enqueue(entity_type: str, entity_ids: Iterable[int], op: str = "upsert") -> None:
    """Add search outbox rows for changed entities to the current session."""
    db.session.add_all(
        SearchOutbox(entity_type=entity_type, entity_id=entity_id, op=op)
        for entity_id in entity_ids
    )
