"""Patients' reports of wrong listings: taking them, when they are due, and closing them.

A report keeps no IP address, cookie or account: only the listing, the reason, the
optional text and contact, and its times. The contact is erased when the report is
closed; closed reports are deleted after ``REPORT_KEEP_DAYS``.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    REPORT_REASONS,
    REPORT_STATUSES,
    ListingReport,
    Location,
    Provider,
    User,
    now_utc,
)
from app.services import audit
from app.services.providers import mark_verified
from app.transaction import InvalidInput

MAX_DETAILS = 1000
MAX_CONTACT = 200
WEEKEND_START_HOUR = 9  # a weekend report counts as received Monday at 9:00


def due_after(received: datetime, tz: str) -> datetime:
    """One business day after ``received`` in the organisation's time zone (weekends skipped).

    A report received on a Saturday or Sunday counts as received on Monday at 9:00, so it
    is due on Tuesday at 9:00; a Friday report is due on Monday at the same time. Public
    holidays are not counted.
    """
    zone = ZoneInfo(tz)
    local = received.astimezone(zone)
    if local.weekday() >= 5:
        monday = local.date() + timedelta(days=7 - local.weekday())
        local = datetime(monday.year, monday.month, monday.day, WEEKEND_START_HOUR, tzinfo=zone)
    due = local + timedelta(days=1)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due.astimezone(received.tzinfo)


def submit_report(
    target: Provider | Location, reason: str, details: str | None = "", contact: str | None = ""
) -> ListingReport:
    """Stage a patient's report about a listing (the caller commits)."""
    if reason not in REPORT_REASONS:
        raise InvalidInput({"reason": "Choose what is wrong."})
    details, contact = (details or "").strip(), (contact or "").strip()
    if len(details) > MAX_DETAILS:
        raise InvalidInput({"details": f"Write at most {MAX_DETAILS:,} characters."})
    if len(contact) > MAX_CONTACT:
        raise InvalidInput({"contact": f"Write at most {MAX_CONTACT} characters."})
    now = now_utc()
    report = ListingReport(
        provider_id=target.id if isinstance(target, Provider) else None,
        location_id=target.id if isinstance(target, Location) else None,
        reason=reason,
        details=details,
        contact=contact,
        status="new",
        created_at=now,
        due_at=due_after(now, current_app.config["ORG_TIMEZONE"]),
    )
    db.session.add(report)
    db.session.flush()
    return report


def set_report_status(
    report: ListingReport, status: str, actor: User | None, note: str = ""
) -> ListingReport:
    """Move a report along; "fixed" on a provider's listing records a verification.

    Closing a report (fixed, not a problem) erases the patient's contact details.
    """
    if status not in REPORT_STATUSES:
        raise InvalidInput({"status": "Choose a status."})
    before = {"status": report.status, "staff_note": report.staff_note}
    report.status = status
    report.staff_note = note.strip()[:1000]
    report.handled_by_id = actor.id if actor is not None else None
    if status in OPEN_STATUSES:
        report.closed_at = None
    else:
        report.closed_at = now_utc()
        report.contact = ""
    if status == "fixed" and report.provider_id is not None:
        provider = db.session.get(Provider, report.provider_id)
        if provider is not None:
            mark_verified(
                provider,
                None,
                actor,
                method="patient_report",
                confirmed=f"Report {report.id}: {report.reason_label}",
                report_id=report.id,
            )
    audit.record(
        "report",
        "report",
        report.id,
        actor=actor,
        before=before,
        after={"status": report.status, "staff_note": report.staff_note},
        summary=f"Report {report.id}: {report.status_label}",
    )
    db.session.flush()
    return report


def purge_closed_reports() -> int:
    """Delete reports closed more than ``REPORT_KEEP_DAYS`` ago; return how many."""
    cutoff = now_utc() - timedelta(days=int(current_app.config["REPORT_KEEP_DAYS"]))
    result = db.session.execute(
        delete(ListingReport).where(
            ListingReport.closed_at.is_not(None), ListingReport.closed_at < cutoff
        )
    )
    return result.rowcount or 0


def open_counts(now: datetime | None = None) -> dict[str, int]:
    """Open reports and how many of them are overdue, for the dashboard."""
    now = now or now_utc()
    open_ = ListingReport.status.in_(OPEN_STATUSES)
    return {
        "open": db.session.scalar(select(func.count()).where(open_)) or 0,
        "overdue": db.session.scalar(select(func.count()).where(open_, ListingReport.due_at < now))
        or 0,
    }


class ReportThrottle:
    """How many reports each client sent lately, in this process's memory only.

    The key is a keyed hash of the client's address, kept for the window and never
    written anywhere, so the throttle stores no IP address. Each worker counts on its
    own; the hourly cap for everyone is counted in the database.
    """

    def __init__(self) -> None:
        self._seen: dict[bytes, deque[float]] = {}
        self._lock = threading.Lock()

    def _key(self, client: str) -> bytes:
        secret = str(current_app.config["SECRET_KEY"]).encode()
        return hmac.new(secret, client.encode(), hashlib.sha256).digest()

    def retry_after(self, client: str) -> int:
        """Seconds this client must wait before another report (0: it may send one now)."""
        limit = int(current_app.config["REPORTS_PER_CLIENT"])
        window = float(current_app.config["REPORT_WINDOW_SECONDS"])
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(self._key(client))
            if seen is None:
                return 0
            while seen and now - seen[0] > window:
                seen.popleft()
            if len(seen) < limit:
                return 0
            return max(1, int(window - (now - seen[0])) + 1)

    def note(self, client: str) -> None:
        """Count one report from this client."""
        now = time.monotonic()
        window = float(current_app.config["REPORT_WINDOW_SECONDS"])
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle clients
                for key in [k for k, v in self._seen.items() if not v or now - v[-1] > window]:
                    del self._seen[key]
            self._seen.setdefault(self._key(client), deque()).append(now)


def throttle() -> ReportThrottle:
    """This app's report throttle (one per app, in this process)."""
    return current_app.extensions.setdefault("report_throttle", ReportThrottle())


def everyone_retry_after() -> int:
    """Seconds until the hourly cap for all reports allows another (0: it does now)."""
    since = now_utc() - timedelta(hours=1)
    recent = db.session.scalar(select(func.count()).where(ListingReport.created_at >= since))
    if (recent or 0) < int(current_app.config["REPORTS_PER_HOUR"]):
        return 0
    return 300
