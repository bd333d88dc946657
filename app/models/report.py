"""What patients tell us is wrong with a listing, and each time staff verified one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, now_utc

# The CMS National Provider Directory's feedback categories, as keys and staff/patient words.
REPORT_REASONS = {
    "address": "Wrong address or location",
    "phone": "Wrong phone number",
    "specialty": "Wrong specialty",
    "accepting": "Wrong “accepting new patients”",
    "insurance": "Wrong insurance plans",
    "affiliation": "Wrong clinic or hospital affiliation",
    "other": "Something else",
}
REPORT_STATUSES = {
    "new": "New",
    "in_progress": "In progress",
    "fixed": "Fixed",
    "not_a_problem": "Not a problem",
}
OPEN_STATUSES = ("new", "in_progress")
# How a listing was verified.
VERIFY_METHODS = {
    "created": "Listing created",
    "earlier": "Checked before this log began",
    "phone": "Phone call",
    "attestation": "Provider attestation",
    "roster": "Roster file",
    "nppes": "NPPES match",
    "patient_report": "Patient report",
}


class ListingReport(db.Model):
    """A patient's report of a wrong detail on a provider's or a clinic's listing.

    It keeps no IP address and no cookie: only what the form asked for, the listing and
    the times. The optional contact is erased when the report is closed.
    """

    __tablename__ = "listing_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), nullable=True, index=True
    )
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), nullable=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    staff_note: Mapped[str] = mapped_column(String(1000), default="")

    @property
    def reason_label(self) -> str:
        """The reason in words."""
        return REPORT_REASONS.get(self.reason, self.reason)

    @property
    def status_label(self) -> str:
        """The status in words."""
        return REPORT_STATUSES.get(self.status, self.status)


class Verification(db.Model):
    """One check of a listing: when, by whom, how, and what was confirmed."""

    __tablename__ = "verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    actor_label: Mapped[str] = mapped_column(String(254), default="system")
    method: Mapped[str] = mapped_column(String(20))
    confirmed: Mapped[str] = mapped_column(String(500), default="")
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("listing_report.id", ondelete="SET NULL"), nullable=True
    )

    @property
    def method_label(self) -> str:
        """The method in words."""
        return VERIFY_METHODS.get(self.method, self.method)
