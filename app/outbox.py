"""The search outbox: the one function that writes its rows, and the housekeeping that drops
old ones.

Every change that alters a provider's search document stages an outbox row in the same
transaction (``app/services`` call :func:`enqueue`, through ``audit.enqueue``), so the index
can always catch up and a rolled-back change never reaches it. :func:`enqueue` is the only
writer: it inserts the rows with one multi-row INSERT and counts them on the session, and
the search package's after-commit hook reads that count with :func:`take_written` to decide
whether to apply them at once or hand them to the background applier.

This module imports only the extensions and the models, so both the services (which write)
and the search package (which reads) depend on it, and not on each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import SearchOutbox, now_utc

_WRITTEN = "search_outbox_written"  # session.info key: rows written in this transaction


def enqueue(entity_type: str, entity_ids: Iterable[int], op: str = "upsert") -> int:
    """Stage one search outbox row per entity in the current session; returns how many.

    Written at once with one multi-row INSERT, and counted for the after-commit indexing.
    """
    at = now_utc()
    rows = [
        {"entity_type": entity_type, "entity_id": entity_id, "op": op, "at": at}
        for entity_id in entity_ids
    ]
    if rows:
        session = db.session()
        session.execute(insert(SearchOutbox.__table__), rows)
        session.info[_WRITTEN] = session.info.get(_WRITTEN, 0) + len(rows)
    return len(rows)


def take_written(session: Session) -> int:
    """How many outbox rows this session's transaction wrote (and forget the count).

    Called once the transaction ends: after a commit to apply them, after a rollback to
    drop the count.
    """
    return session.info.pop(_WRITTEN, 0)


def prune_outbox(keep_days: int, applied_up_to: int) -> int:
    """Stage deletion of outbox rows older than ``keep_days`` and at or below
    ``applied_up_to`` (the last seq this host applied); returns how many rows go.

    Other hosts catch up within seconds, so a week's margin keeps every host safe; a host
    that was away longer rebuilds (``flask search rebuild``).
    """
    cutoff = now_utc() - timedelta(days=keep_days)
    result = db.session.execute(
        db.delete(SearchOutbox).where(SearchOutbox.at < cutoff, SearchOutbox.seq <= applied_up_to)
    )
    return result.rowcount or 0
