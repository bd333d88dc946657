"""Directory health: how recently listings were checked and what the registry found, for a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import FINDING_KINDS, Finding, now_utc
from app.services.dashboard import CheckWindow

# (key used in URLs, label, lower bound in days, upper bound in days or None)
AGE_BANDS = (
    ("0-30", "0–30 days", 0, 30),
    ("31-90", "31–90 days", 31, 90),
    ("91-180", "91–180 days", 91, 180),
    ("over-180", "Over 180 days or never", 181, None),
)


@dataclass(frozen=True)
class Bar:
    """One bar of the chart: its label, count, share of the largest bar and filter."""

    key: str
    label: str
    count: int
    share: float


def age_window(key: str, now: datetime | None = None) -> CheckWindow | None:
    """The listings whose last check is in band ``key``; None for an unknown key.

    Ages are whole days: 0–30 means checked less than 31 days ago. Never checked counts
    as over 180.
    """
    for band, _label, low, high in AGE_BANDS:
        if band != key:
            continue
        now = now or now_utc()
        older_than = now - timedelta(days=low) if low else None
        if high is None:
            return CheckWindow(older_than=older_than, never=True)
        return CheckWindow(older_than=older_than, newer_than=now - timedelta(days=high + 1))
    return None


def _bars(pairs: list[tuple[str, str, int]]) -> list[Bar]:
    top = max((n for _, _, n in pairs), default=0) or 1
    return [Bar(key, label, n, n / top) for key, label, n in pairs]


def directory_health() -> dict[str, list[Bar]]:
    """Active listings by days since their last check, and open registry findings by kind."""
    ages, now = [], now_utc()
    for key, label, _low, _high in AGE_BANDS:
        window = age_window(key, now)
        assert window is not None  # every key of AGE_BANDS has a window
        ages.append((key, label, window.count()))
    counts = dict(
        db.session.execute(
            select(Finding.kind, func.count())
            .where(Finding.status == "open")
            .group_by(Finding.kind)
        ).all()
    )
    kinds = [(kind, label, counts.get(kind, 0)) for kind, label in FINDING_KINDS.items()]
    return {"ages": _bars(ages), "findings": _bars(kinds)}
