"""The staff dashboard's figures and the "Due for re-check" queue.

Two queues, two words: a listing is **due for re-check** when staff last confirmed it with
the clinic more than ``VERIFY_EVERY_DAYS`` ago (or never); a **registry difference** is an
open NPPES finding (``app.models.Finding``).

Every read here is answered from an index, so the dashboard stays fast at a million
listings: the counts read ``ix_provider_active_accepting`` and
``ix_provider_active_verified`` (a fraction of one pass over the table; figures in
docs/benchmarks.md), and the queue pages walk the second in order: the never-checked
listings first, then the oldest checks, each an index range rather than one OR over every
active row and a sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Finding, Location, Provider, now_utc

ACTIVE = Provider.active.is_(True)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def recheck_cutoff(now: datetime | None = None) -> datetime:
    """The moment before which a last check makes a listing due for re-check."""
    days = int(current_app.config["VERIFY_EVERY_DAYS"])
    return (now or now_utc()) - timedelta(days=days)


@dataclass(frozen=True)
class CheckWindow:
    """Active listings by their last check: checked in ``[newer_than, older_than)`` and,
    when ``never``, the never-checked ones too (most overdue, so listed first)."""

    older_than: datetime | None = None
    newer_than: datetime | None = None
    never: bool = False

    def _dated(self) -> list:
        where = [ACTIVE, Provider.verified_at.is_not(None)]
        if self.older_than is not None:
            where.append(Provider.verified_at < self.older_than)
        if self.newer_than is not None:
            where.append(Provider.verified_at >= self.newer_than)
        return where

    def count_never(self) -> int:
        """How many never-checked listings the window holds."""
        return _count(Provider, ACTIVE, Provider.verified_at.is_(None)) if self.never else 0

    def count_dated(self) -> int:
        """How many listings checked at some time the window holds."""
        return _count(Provider, *self._dated())

    def count(self) -> int:
        """How many listings the window holds (two index ranges)."""
        return self.count_never() + self.count_dated()

    def page(self, offset: int, limit: int, never_count: int | None = None) -> list[Provider]:
        """``limit`` listings from ``offset``, most overdue first: never checked (by id),
        then by the date of the last check, oldest first.

        The ids are read from the index alone (a deep page skips index entries, not table
        rows); then the page's rows are loaded by id.
        """
        never = self.count_never() if never_count is None else never_count
        ids: list[int] = []
        if offset < never:
            ids = list(
                db.session.scalars(
                    select(Provider.id)
                    .where(ACTIVE, Provider.verified_at.is_(None))
                    .order_by(Provider.id)
                    .offset(offset)
                    .limit(limit)
                )
            )
        if len(ids) < limit:
            ids += db.session.scalars(
                select(Provider.id)
                .where(*self._dated())
                .order_by(Provider.verified_at, Provider.id)
                .offset(max(offset - never, 0))
                .limit(limit - len(ids))
            ).all()
        if not ids:
            return []
        rows = {p.id: p for p in db.session.scalars(select(Provider).where(Provider.id.in_(ids)))}
        return [rows[i] for i in ids if i in rows]


def due_for_recheck(cutoff: datetime) -> CheckWindow:
    """The listings due for re-check: never checked, or last checked before ``cutoff``."""
    return CheckWindow(older_than=cutoff, never=True)


def listing_counts(cutoff: datetime) -> dict[str, int]:
    """Active, accepting, inactive listings; the two queues; clinics (keyed by name, the
    template owns the words)."""
    return {
        "active": _count(Provider, ACTIVE),
        "accepting": _count(Provider, ACTIVE, Provider.accepting_new_patients.is_(True)),
        "inactive": _count(Provider, Provider.active.is_(False)),
        "recheck": due_for_recheck(cutoff).count(),
        "registry": _count(Finding, Finding.status == "open"),
        "clinics": _count(Location),
    }
