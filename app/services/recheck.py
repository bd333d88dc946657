"""When a listing is due for re-checking, and when it is overdue enough to warn patients.

Every listing is due ``VERIFY_EVERY_DAYS`` after its last verification. Once it is overdue
by more than ``VERIFY_GRACE_DAYS`` its profile says the details are being re-checked, and
with ``HIDE_UNVERIFIED`` it leaves the public directory until someone verifies it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Provider, now_utc
from app.services import audit


def due_date(verified_at: datetime | None) -> datetime | None:
    """When a listing verified at ``verified_at`` is due again (None: never verified)."""
    if verified_at is None:
        return None
    return verified_at + timedelta(days=int(current_app.config["VERIFY_EVERY_DAYS"]))


def stale_cutoff(now: datetime | None = None) -> datetime:
    """Listings last verified before this are overdue by more than the grace period."""
    days = int(current_app.config["VERIFY_EVERY_DAYS"]) + int(
        current_app.config["VERIFY_GRACE_DAYS"]
    )
    return (now or now_utc()) - timedelta(days=days)


def is_stale(verified_at: datetime | None, now: datetime | None = None) -> bool:
    """True when a listing is overdue by more than the grace period (or never verified)."""
    return verified_at is None or verified_at < stale_cutoff(now)


def sweep_unverified(now: datetime | None = None, days: int = 2) -> int:
    """Queue for re-indexing every active listing that crossed the ``HIDE_UNVERIFIED``
    line in the last ``days`` (run daily): search then drops it, as the API, FHIR and the
    profile already do. Returns how many were queued (0 when the setting is off).

    Stages outbox rows only; the caller commits.
    """
    if not current_app.config["HIDE_UNVERIFIED"]:
        return 0
    now = now or now_utc()
    line, earlier = stale_cutoff(now), stale_cutoff(now - timedelta(days=days))
    ids = list(
        db.session.scalars(
            select(Provider.id).where(
                Provider.active.is_(True),
                Provider.verified_at >= earlier,
                Provider.verified_at < line,
            )
        )
    )
    never = select(Provider.id).where(Provider.active.is_(True), Provider.verified_at.is_(None))
    ids += list(db.session.scalars(never))
    audit.enqueue("provider", ids)
    return len(ids)
