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
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import RosterUpload, User, now_utc
from app.services.roster import import_roster
from app.transaction import unit_of_work

log = logging.getLogger(__name__)
DEFAULT_QUOTA = 50 * 1024 * 1024
DEFAULT_HOURS = 24
STALE_AFTER = timedelta(minutes=15)
PROGRESS_EVERY = 0.5  # seconds between progress writes
APPLIABLE = ("previewed", "failed")


class QuotaFull(Exception):
    """Stored previews already use the whole quota; try again when some expire."""


def _quota() -> int:
    return int(current_app.config.get("ROSTER_PREVIEW_QUOTA", DEFAULT_QUOTA))


def purge_expired() -> int:
    """Delete previews past their expiry that are not being applied; return how many."""
    result = db.session.execute(
        delete(RosterUpload).where(
            RosterUpload.expires_at < now_utc(),
            RosterUpload.status.in_(("previewed", "failed", "done")),
        )
    )
    return result.rowcount or 0


def store_preview(data: bytes, filename: str, actor: User | None) -> RosterUpload:
    """Keep a previewed file for applying later (stages; the caller commits)."""
    purge_expired()
    used = db.session.scalar(
        select(func.coalesce(func.sum(RosterUpload.size), 0)).where(
            RosterUpload.status.in_(("previewed", "queued", "running", "failed"))
        )
    )
    if used + len(data) > _quota():
        raise QuotaFull
    hours = int(current_app.config.get("ROSTER_PREVIEW_HOURS", DEFAULT_HOURS))
    upload = RosterUpload(
        token=secrets.token_urlsafe(32),
        digest=hashlib.sha256(data).hexdigest(),
        filename=(filename or "roster.csv")[:200],
        data=data,
        size=len(data),
        expires_at=now_utc() + timedelta(hours=hours),
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def find_upload(token: str) -> RosterUpload | None:
    """The stored preview for a token (None if unknown or expired before being applied)."""
    upload = db.session.scalar(select(RosterUpload).where(RosterUpload.token == token))
    if upload is None:
        return None
    if upload.status == "previewed" and upload.expires_at < now_utc():
        return None
    return upload


def claim(upload: RosterUpload) -> bool:
    """Atomically move a preview to "queued"; False if it is applied or being applied.

    A conditional UPDATE, so two clicks (or two hosts) can never both start it.
    """
    result = db.session.execute(
        update(RosterUpload)
        .where(RosterUpload.id == upload.id, RosterUpload.status.in_(APPLIABLE))
        .values(status="queued", rows_done=0, stage="", message="", worker=worker_id())
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
    if upload.status not in ("queued", "running"):
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
        actor = db.session.get(User, actor_id) if actor_id else None
        db.session.rollback()  # end the read (nothing was written); the import opens its own
        now = now_utc()
        _set(upload_id, status="running", started_at=now, heartbeat_at=now, worker=worker_id())
        progress = _Progress(upload_id, db.engine.dialect.name == "sqlite")
        try:
            with unit_of_work():
                report = import_roster(
                    data, dry_run=False, actor=actor, progress=progress, filename=filename
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
        state = "done" if report.ok else "failed"
        extra = {"data": b""} if report.ok else {}  # an applied file frees its quota
        message = (
            report.summary()
            if report.ok
            else (
                "Nothing was applied: the file no longer passes its checks ("
                + "; ".join(str(e) for e in report.errors[:5])
                + ("" if not report.file_error else report.file_error)
                + "). Upload it again to see every problem."
            )
        )
        _set(
            upload_id,
            status=state,
            finished_at=now_utc(),
            heartbeat_at=now_utc(),
            rows_done=report.rows,
            rows_total=report.rows,
            stage="done",
            message=message[:1000],
            **extra,
        )


def start_job(upload: RosterUpload) -> threading.Thread:
    """Run the claimed job in a background thread of this process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=run_job, args=(app, upload.id), name=f"roster-job-{upload.id}", daemon=True
    )
    thread.start()
    return thread
