"""Roster previews in the database and the background job that applies one.

A preview is stored with a size quota and an expiry, so any host can apply or show it.
Applying runs in a background thread, in ONE transaction (all or nothing): if the worker
dies, the database rolls the transaction back and the job is marked failed the next time
anyone looks, so a file is never left half applied. Progress (rows done, rate, ETA) is
written to the job's row in short separate transactions.

On SQLite only one connection may write at a time, so while the import itself is writing,
progress is not recorded (it resumes at the end); reading and checking, the long part of
a big file, are reported live. PostgreSQL reports every stage live.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import RosterChange, RosterUpload, User, now_utc
from app.services.roster.apply import RosterReport, import_roster
from app.services.roster.undo import ChangeLog, undo_days, undo_import, undo_refusal
from app.transaction import unit_of_work

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=15)
PROGRESS_EVERY = 0.5  # seconds between progress writes
APPLIABLE = ("previewed", "failed")
WAITING = ("previewed", "queued", "running", "failed")  # states whose file is kept


class QuotaFull(Exception):
    """Stored previews already use the whole quota; ``retry_after`` says when one frees it."""

    def __init__(self, retry_after: int, mine: bool) -> None:
        super().__init__("roster preview quota full")
        self.retry_after = retry_after
        self.mine = mine  # the user's own quota, not everyone's


def new_token() -> str:
    """A job's secret (192 bits). Hex, so it never starts with "-": a clerk pastes it after
    ``flask roster undo``, where a leading dash read as an option."""
    return secrets.token_hex(24)


def purge_expired() -> int:
    """Delete expired previews and jobs that are not running; return how many.

    A preview or failed job goes when its preview expires; an applied (or undone) job's
    record stays as long as it can be undone, so its page and undo keep working.
    """
    now = now_utc()
    expired = select(RosterUpload.id).where(
        or_(
            and_(RosterUpload.expires_at < now, RosterUpload.status.in_(APPLIABLE)),
            and_(
                RosterUpload.status.in_(("done", "undone")),
                RosterUpload.finished_at < now - timedelta(days=undo_days()),
            ),
        )
    )
    ids = list(db.session.scalars(expired))
    if not ids:
        return 0
    # Explicitly, not by ON DELETE CASCADE: SQLite enforces foreign keys only when asked.
    db.session.execute(delete(RosterChange).where(RosterChange.upload_id.in_(ids)))
    result = db.session.execute(delete(RosterUpload).where(RosterUpload.id.in_(ids)))
    return result.rowcount or 0


def _retry_after(waiting: list[tuple[int, object]], need: int) -> int:
    """Seconds until enough of ``waiting`` (size, expiry) previews expire to free ``need``."""
    freed = 0
    now = now_utc()
    for size, expires in sorted(waiting, key=lambda item: item[1]):
        freed += size
        if freed >= need:
            return max(1, int((expires - now).total_seconds()) + 1)
    return max(1, int(current_app.config["ROSTER_PREVIEW_HOURS"]) * 3600)


def _check_quota(size: int, actor: User | None) -> None:
    """Raise QuotaFull when this file would overfill the user's or everyone's quota."""
    rows = db.session.execute(
        select(RosterUpload.size, RosterUpload.expires_at, RosterUpload.created_by_id).where(
            RosterUpload.status.in_(WAITING), RosterUpload.size > 0
        )
    ).all()
    # Only previews and failed jobs expire; a queued or running one frees its space when done.
    expiring = [(r.size, r.expires_at) for r in rows]
    total = sum(r.size for r in rows)
    quota = int(current_app.config["ROSTER_PREVIEW_QUOTA"])
    if actor is not None:
        own = [r for r in rows if r.created_by_id == actor.id]
        own_used = sum(r.size for r in own)
        user_quota = int(current_app.config["ROSTER_PREVIEW_USER_QUOTA"])
        if own_used + size > user_quota:
            need = own_used + size - user_quota
            raise QuotaFull(_retry_after([(r.size, r.expires_at) for r in own], need), True)
    if total + size > quota:
        raise QuotaFull(_retry_after(expiring, total + size - quota), False)


def store_preview(
    data: bytes,
    filename: str,
    actor: User | None,
    *,
    blank: str = "keep",
    clears: int = 0,
) -> RosterUpload:
    """Keep a previewed file for applying later (stages; the caller commits).

    The same file previewed again by the same user, read the same way, is the same
    preview (its expiry is renewed), so re-uploading never uses the quota twice.
    """
    purge_expired()
    digest = hashlib.sha256(data).hexdigest()
    hours = int(current_app.config["ROSTER_PREVIEW_HOURS"])
    same = db.session.scalar(
        select(RosterUpload).where(
            RosterUpload.digest == digest,
            RosterUpload.status == "previewed",
            RosterUpload.blank_mode == blank,
            RosterUpload.created_by_id == (actor.id if actor is not None else None),
        )
    )
    if same is not None:
        same.expires_at = now_utc() + timedelta(hours=hours)
        same.clears = clears
        same.filename = (filename or "roster.csv")[:200]
        db.session.flush()
        return same
    _check_quota(len(data), actor)
    upload = RosterUpload(
        token=new_token(),
        digest=digest,
        filename=(filename or "roster.csv")[:200],
        data=data,
        size=len(data),
        expires_at=now_utc() + timedelta(hours=hours),
        created_by_id=actor.id if actor is not None else None,
        blank_mode=blank,
        clears=clears,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def discard_preview(upload: RosterUpload) -> bool:
    """Delete a preview (or a failed job) and its file; False if it is applied or running."""
    result = db.session.execute(
        delete(RosterUpload).where(RosterUpload.id == upload.id, RosterUpload.status.in_(APPLIABLE))
    )
    return result.rowcount == 1


def cli_job(filename: str, data: bytes | str, blank: str, actor: User | None) -> RosterUpload:
    """The job record of an import applied from the command line, so it can be undone.

    ``data`` is the file, or its SHA-256 already worked out (hex). The file itself is not
    kept. The caller marks it done in the import's transaction.
    """
    now = now_utc()
    upload = RosterUpload(
        token=new_token(),
        digest=data if isinstance(data, str) else hashlib.sha256(data).hexdigest(),
        filename=(filename or "roster.csv")[:200],
        data=b"",
        size=0,
        expires_at=now,
        created_by_id=actor.id if actor is not None else None,
        status="running",
        started_at=now,
        worker=worker_id(),
        blank_mode=blank,
        source="cli",
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def finish_cli_job(upload: RosterUpload, report: RosterReport) -> None:
    """Mark a command-line import's job done (in the import's own transaction)."""
    db.session.flush()  # the import's audit events get their times before the job's end
    upload.status = "done"
    upload.finished_at = upload.heartbeat_at = now_utc()
    upload.rows_done = upload.rows_total = report.rows
    upload.stage = "done"
    upload.clears = report.cleared
    upload.message = report.summary()[:1000]


def find_upload(token: str) -> RosterUpload | None:
    """The stored preview for a token (None if unknown or expired before being applied)."""
    upload = db.session.scalar(select(RosterUpload).where(RosterUpload.token == token))
    if upload is None:
        return None
    if upload.status in APPLIABLE and upload.expires_at < now_utc():
        return None
    return upload


def claim(upload: RosterUpload) -> bool:
    """Atomically move a preview to "queued"; False if it is applied or being applied.

    A conditional UPDATE, so two clicks (or two hosts) can never both start it.
    """
    result = db.session.execute(
        update(RosterUpload)
        .where(
            RosterUpload.id == upload.id,
            RosterUpload.status.in_(APPLIABLE),
            RosterUpload.size > 0,  # a failed file that no longer passed was freed
        )
        .values(
            status="queued",
            rows_done=0,
            stage="",
            message="",
            worker=worker_id(),
            started_at=now_utc(),
            heartbeat_at=now_utc(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def worker_id() -> str:
    """This process: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(upload: RosterUpload) -> bool:
    """True when the process applying this job is gone (so its transaction rolled back)."""
    if upload.status not in ("queued", "running", "undoing"):
        return False
    host, _, pid = upload.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _pid_alive(int(pid))
    if db.engine.dialect.name == "sqlite":
        return False  # one host; no heartbeat while SQLite writes
    beat = upload.heartbeat_at or upload.started_at or upload.created_at
    return now_utc() - beat > STALE_AFTER


def fail_if_stale(upload: RosterUpload) -> bool:
    """Mark a job whose worker died as failed (nothing was applied); True if it was."""
    if not is_stale(upload):
        return False
    if upload.status == "undoing":
        _set(
            upload.id,
            status="done",
            undo_message="The worker undoing this import stopped before it finished, so "
            "nothing was undone. Undo it again.",
        )
        db.session.refresh(upload)
        return True
    _set(
        upload.id,
        status="failed",
        finished_at=now_utc(),
        message="The worker applying this file stopped before it finished, so nothing was "
        "applied. Apply it again.",
    )
    db.session.refresh(upload)
    return True


def _set(upload_id: int, **values) -> bool:
    """Write job state in its own short transaction; False if the database is busy."""
    try:
        with db.engine.begin() as conn:
            conn.execute(update(RosterUpload).where(RosterUpload.id == upload_id).values(**values))
    except OperationalError:
        log.info("roster job %s: progress not recorded (database busy)", upload_id)
        return False
    return True


class _Progress:
    """The import's progress callback: rows done, stage and heartbeat, throttled."""

    def __init__(self, upload_id: int, sqlite: bool) -> None:
        self.upload_id, self.sqlite, self.last = upload_id, sqlite, 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY or (self.sqlite and stage == "write"):
            return
        self.last = now
        values = {"stage": stage, "rows_done": done, "heartbeat_at": now_utc()}
        if total:
            values["rows_total"] = total
        self._write(values)

    def _write(self, values: dict) -> None:
        _set(self.upload_id, **values)


def run_job(app: Flask, upload_id: int) -> None:
    """Apply a claimed preview in one transaction, recording progress; never raises."""
    with app.app_context():
        upload = db.session.get(RosterUpload, upload_id)
        data, filename, actor_id = upload.data, upload.filename, upload.created_by_id
        blank, confirmed = upload.blank_mode, upload.clears
        actor = db.session.get(User, actor_id) if actor_id else None
        db.session.rollback()  # end the read (nothing was written); the import opens its own
        now = now_utc()
        _set(upload_id, status="running", started_at=now, heartbeat_at=now, worker=worker_id())
        progress = _Progress(upload_id, db.engine.dialect.name == "sqlite")
        try:
            with unit_of_work():
                report = import_roster(
                    data,
                    dry_run=False,
                    actor=actor,
                    progress=progress,
                    filename=filename,
                    blank=blank,
                    confirm_clear=bool(confirmed),
                    log=ChangeLog(upload_id),
                    allowed_clears=confirmed,
                )
                if report.applied:
                    # Done in the import's own transaction: the job is marked done exactly
                    # when its changes are in, never left "running" or called failed.
                    _finish(
                        db.session.get(RosterUpload, upload_id), "done", report.summary(), report
                    )
        except Exception as exc:  # the job must record why; the transaction rolled back
            log.exception("roster job %s failed", upload_id)
            _set(
                upload_id,
                status="failed",
                finished_at=now_utc(),
                message=f"Nothing was applied: {type(exc).__name__}: {exc}"[:1000],
            )
            return
        finally:
            db.session.remove()
        if report.applied:
            return
        message = (
            _not_applied(report)
            if report.ok
            else (
                "Nothing was applied: the file no longer passes its checks ("
                + "; ".join(str(e) for e in report.errors[:5])
                + ("" if not report.file_error else report.file_error)
                + "). Upload it again to see every problem."
            )
        )
        # A file that no longer passes frees its quota: to retry, upload it again.
        _set(
            upload_id,
            status="failed",
            finished_at=now_utc(),
            heartbeat_at=now_utc(),
            rows_done=report.rows,
            rows_total=report.rows,
            stage="done",
            message=message[:1000],
            data=b"",
            size=0,
        )


def _finish(upload: RosterUpload, status: str, message: str, report: RosterReport) -> None:
    """Record a job's end on its row, in the caller's transaction; an applied file's data
    is freed (it frees its quota; undo needs only the change records)."""
    db.session.flush()  # the import's audit events get their times before the job's end
    now = now_utc()
    upload.status, upload.message = status, message[:1000]
    upload.finished_at = upload.heartbeat_at = now
    upload.rows_done = upload.rows_total = report.rows
    upload.stage = "done"
    upload.data, upload.size = b"", 0


def _not_applied(report: RosterReport) -> str:
    return (
        f"Nothing was applied: the file now clears {report.cleared} value(s), which its "
        "preview did not show. Upload it again to see and confirm them."
    )


def start_job(upload: RosterUpload) -> threading.Thread:
    """Run the claimed job in a background thread of this process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=run_job, args=(app, upload.id), name=f"roster-job-{upload.id}", daemon=True
    )
    thread.start()
    return thread


def claim_undo(upload: RosterUpload) -> str | None:
    """Atomically move an applied job to "undoing"; the reason it can't be, or None."""
    refusal = undo_refusal(upload)
    if refusal:
        return refusal
    result = db.session.execute(
        update(RosterUpload)
        .where(RosterUpload.id == upload.id, RosterUpload.status == "done")
        .values(status="undoing", worker=worker_id(), heartbeat_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    return None if result.rowcount == 1 else "This import is being undone or was undone."


def run_undo(app: Flask, upload_id: int, actor_id: int | None) -> None:
    """Undo a claimed job in one transaction; on failure it is "done" again. Never raises."""
    with app.app_context():
        try:
            with unit_of_work():
                upload = db.session.get(RosterUpload, upload_id)
                actor = db.session.get(User, actor_id) if actor_id else None
                undo_import(upload, actor)
        except Exception as exc:  # record why; the transaction rolled back
            log.exception("roster undo %s failed", upload_id)
            _set(
                upload_id,
                status="done",
                undo_message=f"The undo stopped and changed nothing: {type(exc).__name__}: {exc}"[
                    :1000
                ],
            )
        finally:
            db.session.remove()


def start_undo(upload: RosterUpload, actor: User | None) -> threading.Thread:
    """Run a claimed undo in a background thread of this process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=run_undo,
        args=(app, upload.id, actor.id if actor is not None else None),
        name=f"roster-undo-{upload.id}",
        daemon=True,
    )
    thread.start()
    return thread
