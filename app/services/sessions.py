"""Server-side session records: start, check (idle and absolute timeouts), list and end.

The signed session cookie holds a random key; the database holds its SHA-256 digest with
when the session started, when it was last seen, a coarse device description and, only
when ``TRUSTED_PROXY_COUNT`` makes it trustworthy, the client address. Ending a record
takes effect at that session's next request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import User, UserSession, now_utc
from app.models.user import new_session_token
from app.services import audit

# A request refreshes "last seen" at most this often, so browsing is not a write per page.
TOUCH_EVERY = timedelta(seconds=60)
BROWSERS = (("Edg", "Edge"), ("Firefox", "Firefox"), ("Chrome", "Chrome"), ("Safari", "Safari"))
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def key_digest(key: str) -> str:
    """The stored form of a session key."""
    return hashlib.sha256(key.encode()).hexdigest()


def describe_device(user_agent: str | None) -> str:
    """A coarse description of a browser ("Firefox on Windows"), never the whole header."""
    ua = user_agent or ""
    browser = next((name for token, name in BROWSERS if token in ua), "")
    if "HeadlessChrome" in ua:
        browser = "Headless Chrome"
    system = next((name for token, name in SYSTEMS if re.search(re.escape(token), ua)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def client_address(remote_addr: str | None) -> str | None:
    """The client's address, kept only when proxies are configured to report it."""
    if int(current_app.config["TRUSTED_PROXY_COUNT"]) > 0 and remote_addr:
        return remote_addr[:64]
    return None


def start_session(
    user: User, user_agent: str | None, remote_addr: str | None
) -> tuple[UserSession, str]:
    """Stage a new session record; returns it and the key for the cookie."""
    key = secrets.token_urlsafe(32)
    now = now_utc()
    record = UserSession(
        user_id=user.id,
        key_hash=key_digest(key),
        created_at=now,
        last_seen_at=now,
        device=describe_device(user_agent)[:120],
        client=client_address(remote_addr),
    )
    db.session.add(record)
    return record, key


def find_session(key: str | None) -> UserSession | None:
    """The record of a session key, or None."""
    if not key or not isinstance(key, str) or len(key) > 100:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.key_hash == key_digest(key)))


def idle_limit() -> timedelta:
    """How long a session may go without a request."""
    return timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))


def absolute_limit() -> timedelta:
    """How long a session may last from sign-in."""
    return timedelta(hours=int(current_app.config["SESSION_ABSOLUTE_HOURS"]))


def session_state(record: UserSession, now: datetime | None = None) -> str:
    """ "active", "ended", "idle" (timed out) or "expired" (past the absolute limit)."""
    now = now or now_utc()
    if record.ended_at is not None:
        return "ended"
    if now - record.created_at >= absolute_limit():
        return "expired"
    if now - record.last_seen_at >= idle_limit():
        return "idle"
    return "active"


def touch(record: UserSession) -> bool:
    """Refresh "last seen" when it is older than a minute; True when it staged a write."""
    now = now_utc()
    if now - record.last_seen_at < TOUCH_EVERY:
        return False
    record.last_seen_at = now
    return True


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that have not ended or timed out, newest first."""
    stmt = (
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    now = now_utc()
    return [s for s in db.session.scalars(stmt) if session_state(s, now) == "active"]


def end_session(record: UserSession, actor: User | None, reason: str) -> None:
    """End one session (audited); it is refused at its next request."""
    if record.ended_at is not None:
        return
    record.ended_at = now_utc()
    record.end_reason = reason[:40]
    audit.record(
        "session_end",
        "user",
        record.user_id,
        actor=actor,
        after={"session": record.id, "reason": reason, "device": record.device},
        summary=f"session {record.id} ended: {reason}",
    )


def end_other_sessions(
    user: User, keep: UserSession | None, actor: User | None, reason: str
) -> int:
    """End every live session of ``user`` but ``keep``; audited once. Returns how many."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now_utc(), end_reason=reason[:40])
        .execution_options(synchronize_session=False)
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    count = db.session.execute(stmt).rowcount or 0
    if count:
        audit.record(
            "session_end_others" if keep is not None else "session_end_all",
            "user",
            user.id,
            actor=actor,
            after={"sessions": count, "reason": reason},
            summary=f"{count} session(s) of {user.email} ended: {reason}",
        )
    return count


def end_all_sessions(user: User, actor: User | None, reason: str, audit_it: bool = True) -> int:
    """End every session of ``user``, including cookies made before session records."""
    user.session_token = new_session_token()
    if not audit_it:
        stmt = (
            update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .values(ended_at=now_utc(), end_reason=reason[:40])
            .execution_options(synchronize_session=False)
        )
        return db.session.execute(stmt).rowcount or 0
    return end_other_sessions(user, None, actor, reason)


def prune_sessions(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete session records that ended or started long ago; returns how many went."""
    cutoff = now_utc() - older_than
    result = db.session.execute(
        db.delete(UserSession).where(
            (UserSession.created_at < cutoff)
            | (UserSession.ended_at.is_not(None) & (UserSession.ended_at < cutoff))
        )
    )
    return result.rowcount or 0
