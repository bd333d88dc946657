"""Housekeeping for the search outbox: old, applied rows can go."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import SearchOutbox, now_utc


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
