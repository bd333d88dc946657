"""Roster previews kept in the database, and the background apply job that uses them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import BigIntPK, JSONType, UTCDateTime, now_utc

# previewed -> queued -> running -> done | failed (a failed one may be applied again);
# done -> undoing -> undone (or back to done when the undo could not run)
JOB_STATES = ("previewed", "queued", "running", "done", "failed", "undoing", "undone")


class RosterUpload(db.Model):
    """An uploaded roster that passed its dry run, and the state of applying it.

    Any host can apply or show it: the file and the job's progress live here, not on the
    disk of the host that took the upload.
    """

    __tablename__ = "roster_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(10), default="previewed")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(10), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worker: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(String(1000), default="")
    # How the file was read and what its preview showed: blank cells keep or clear values,
    # and how many values it clears (applying then needs one more confirmation).
    blank_mode: Mapped[str] = mapped_column(String(5), default="keep")
    clears: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(10), default="web")  # web | cli
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    undone_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    undo_message: Mapped[str] = mapped_column(String(1000), default="")
    # Values the undo left alone because they were edited after the import.
    undo_conflicts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)

    @property
    def rate(self) -> float:
        """Rows per second so far (0 before any progress)."""
        if not self.started_at or not self.heartbeat_at or not self.rows_done:
            return 0.0
        seconds = (self.heartbeat_at - self.started_at).total_seconds()
        return self.rows_done / seconds if seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> int | None:
        """Seconds left at the current rate, when it can be told."""
        rate = self.rate
        if not rate or not self.rows_total:
            return None
        return max(0, int((self.rows_total - self.rows_done) / rate))


class RosterChange(db.Model):
    """What one applied import did to one listing, so the import can be undone.

    ``before`` and ``after`` hold only the values the import changed, keyed as the staff
    form's operation takes them (``bio``, ``language_ids``, ``clinics`` ...). A listing the
    import created has ``created`` set and no ``before``.
    """

    __tablename__ = "roster_change"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("roster_upload.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(Integer)
    created: Mapped[bool] = mapped_column(Boolean, default=False)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
