"""Directory health: how fresh the listings are and what the registry found, for a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import FINDING_KINDS, Finding, Provider, now_utc

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


def age_filter(key: str):
    """The SQL condition for a listing whose last verification is in band ``key``.

    Ages are whole days: 0–30 means verified less than 31 days ago. Never verified counts
    as over 180. None for an unknown key.
    """
    for band, _label, low, high in AGE_BANDS:
        if band != key:
            continue
        now = now_utc()
        if high is None:
            return or_(
                Provider.verified_at.is_(None), Provider.verified_at < now - timedelta(days=low)
            )
        recent_enough = Provider.verified_at >= now - timedelta(days=high + 1)
        if not low:
            return recent_enough
        return recent_enough & (Provider.verified_at < now - timedelta(days=low))
    return None


def _bars(pairs: list[tuple[str, str, int]]) -> list[Bar]:
    top = max((n for _, _, n in pairs), default=0) or 1
    return [Bar(key, label, n, n / top) for key, label, n in pairs]


def directory_health() -> dict[str, list[Bar]]:
    """Active listings by days since verification, and open findings by kind."""
    ages = []
    for key, label, _low, _high in AGE_BANDS:
        n = db.session.scalar(
            select(func.count())
            .select_from(Provider)
            .where(Provider.active.is_(True), age_filter(key))
        )
        ages.append((key, label, n or 0))
    counts = dict(
        db.session.execute(
            select(Finding.kind, func.count())
            .where(Finding.status == "open")
            .group_by(Finding.kind)
        ).all()
    )
    kinds = [(kind, label, counts.get(kind, 0)) for kind, label in FINDING_KINDS.items()]
    return {"ages": _bars(ages), "findings": _bars(kinds)}
