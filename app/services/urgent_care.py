"""Urgent-care and walk-in sites: which are open now, in each clinic's own time zone.

"Open now" and "opens at 8 AM" are computed from the clinic's walk-in hours (or its opening
hours when it keeps no separate walk-in hours) in the time zone of the clinic's state, so a
clinic in Phoenix and one in Seattle are each judged by their own wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Location
from app.services.geo import haversine_miles

Span = tuple[int, time, time]  # weekday (0 = Monday), opens, closes


@dataclass(frozen=True)
class OpenStatus:
    """Whether a site is open at a moment, and the next change.

    Open: ``until`` is when this stretch of walk-in hours ends. Closed: ``opens`` is the next
    opening, ``days_ahead`` how many local days away it is (0 today, 1 tomorrow) and
    ``weekday`` its day (0 = Monday). A site with no hours at all has neither.
    """

    open_now: bool
    until: time | None = None
    opens: time | None = None
    days_ahead: int | None = None
    weekday: int | None = None


@dataclass(frozen=True)
class UrgentSite:
    """One walk-in or urgent-care clinic with its status and, given a place, its distance."""

    location: Location
    status: OpenStatus
    distance_miles: float | None


def clock_now() -> datetime:
    """The current moment (UTC); the ``CLOCK_NOW`` setting (ISO 8601) pins it in tests."""
    pinned = current_app.config["CLOCK_NOW"] if has_app_context() else None
    if pinned:
        moment = datetime.fromisoformat(pinned)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _until(spans: list[Span], day: int, start: time) -> time:
    """The end of the stretch that opens at ``start`` on ``day``, joining back-to-back spans."""
    end = start
    for weekday, opens, closes in sorted(spans):
        if weekday == day and opens <= end < closes:
            end = closes
    return end


def opening_status(spans: list[Span], time_zone: str, now: datetime) -> OpenStatus:
    """Open or closed at ``now`` in ``time_zone``, and until or from when."""
    local = now.astimezone(ZoneInfo(time_zone))
    today, clock = local.weekday(), local.time().replace(tzinfo=None)
    for weekday, opens, closes in spans:
        if weekday == today and opens <= clock < closes:
            return OpenStatus(True, until=_until(spans, today, opens))
    for ahead in range(8):
        day = (today + ahead) % 7
        later = sorted(
            opens for weekday, opens, _ in spans if weekday == day and (ahead or opens > clock)
        )
        if later:
            return OpenStatus(False, opens=later[0], days_ahead=ahead, weekday=day)
    return OpenStatus(False)


def site_status(loc: Location, now: datetime) -> OpenStatus:
    """A clinic's walk-in status at ``now``, in the clinic's own time zone."""
    spans = [(h.weekday, h.opens, h.closes) for h in loc.walk_in_spans()]
    return opening_status(spans, loc.time_zone, now)


def urgent_sites(
    now: datetime, origin: tuple[float, float] | None = None, limit: int = 20
) -> list[UrgentSite]:
    """Active walk-in and urgent-care sites: open now first, then nearest to ``origin``."""
    stmt = (
        select(Location)
        .where(Location.active.is_(True), Location.walk_in != "")
        .options(selectinload(Location.hours), selectinload(Location.walk_in_hours))
    )
    sites = []
    for loc in db.session.scalars(stmt):
        distance = None
        if origin and loc.latitude is not None and loc.longitude is not None:
            distance = haversine_miles(origin[0], origin[1], loc.latitude, loc.longitude)
        sites.append(UrgentSite(loc, site_status(loc, now), distance))

    def order(site: UrgentSite) -> tuple:
        status = site.status
        far = site.distance_miles if site.distance_miles is not None else float("inf")
        if origin is None:
            # Without a place, the soonest to open comes next after those open now.
            wait = (status.days_ahead, status.opens) if status.opens else (99, time.max)
            return (not status.open_now, wait, site.location.name)
        return (not status.open_now, far, site.location.name)

    return sorted(sites, key=order)[:limit]
