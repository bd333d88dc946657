"""Staff login: password checks with database-backed throttling shared by all workers."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, text
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import LoginAttempt, User, now_utc
from app.services.users import find_user, hash_password, normalize_email, record_login
from app.services.users import verify_password as check_password

# Failures allowed per (account, client) pair before that pair waits out the window.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
# One client failing across many accounts (password spraying) waits out the window too.
CLIENT_MAX_FAILURES = 10
# An account failing from many clients: after ACCOUNT_FREE_FAILURES, each attempt waits
# 1, 2, 4 ... seconds after the last failure, never more than ACCOUNT_MAX_DELAY, so its
# owner is slowed during an attack but never locked out for good.
ACCOUNT_FREE_FAILURES = 5
ACCOUNT_MAX_DELAY = timedelta(seconds=60)
_DUMMY_HASHES: dict[str, str] = {}


@dataclass
class LoginResult:
    """The outcome of a login attempt: a user, a lock, or a plain refusal."""

    user: User | None = None
    locked_for: timedelta | None = None

    @property
    def locked_minutes(self) -> int:
        """Whole minutes until the lock lifts (at least 1)."""
        seconds = self.locked_for.total_seconds() if self.locked_for else 0
        return max(1, math.ceil(seconds / 60))

    @property
    def retry_after(self) -> int:
        """Whole seconds until the lock lifts (at least 1), for ``Retry-After``."""
        seconds = self.locked_for.total_seconds() if self.locked_for else 0
        return max(1, math.ceil(seconds))


def _failures(since: datetime, *where) -> list[datetime]:
    stmt = (
        select(LoginAttempt.at)
        .where(*where, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
        .order_by(LoginAttempt.at)
    )
    return list(db.session.scalars(stmt))


def _last_success(email: str) -> datetime | None:
    stmt = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
    )
    return db.session.scalar(stmt)


def account_delay(failures: int) -> timedelta:
    """How long an account waits after its latest failure, given its recent failures."""
    extra = failures - ACCOUNT_FREE_FAILURES
    if extra < 0:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(extra, 16)), ACCOUNT_MAX_DELAY)


def lock_remaining(email: str, client: str, now: datetime | None = None) -> timedelta | None:
    """How long this attempt must wait, or None when it may try now."""
    now = now or now_utc()
    since = now - WINDOW
    last_ok = _last_success(email)
    account_since = max(since, last_ok) if last_ok else since
    remaining = []
    # A success resets the account's counts but not the client's: one client cannot
    # unlock itself by logging into an account it controls.
    pair = _failures(account_since, LoginAttempt.email == email, LoginAttempt.client == client)
    if len(pair) >= MAX_FAILURES:
        remaining.append(pair[-MAX_FAILURES] + WINDOW - now)
    by_client = _failures(since, LoginAttempt.client == client)
    if len(by_client) >= CLIENT_MAX_FAILURES:
        remaining.append(by_client[-CLIENT_MAX_FAILURES] + WINDOW - now)
    by_account = _failures(account_since, LoginAttempt.email == email)
    if by_account:
        wait = by_account[-1] + account_delay(len(by_account)) - now
        if wait > timedelta(0):
            remaining.append(wait)
    return max(remaining) if remaining else None


def serialize_attempts(email: str) -> None:
    """Let one attempt per account count and check at a time (until the caller commits).

    PostgreSQL: a transaction-scoped advisory lock keyed by the email. SQLite: take the
    database's write lock now, before counting (SQLite has one writer at a time).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(email.encode(), digest_size=8).digest(), "big")
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key - 2**63})
    else:
        db.session.execute(text("DELETE FROM login_attempt WHERE 1 = 0"))


def _dummy_hash() -> str:
    """A hash of nobody's password, made with the configured method and cost (once per
    method and process), for attempts with no active account to check against."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_urlsafe(24))
    return _DUMMY_HASHES[method]


def _verify(user: User | None, password: str, dummy: str) -> bool:
    """Check the password of an active account; with none, hash against ``dummy`` anyway.

    Every attempt costs one hash of the same method and cost, so the time a refusal takes
    does not tell whether the email has an account, or whether it was deactivated.
    """
    if user is not None and user.active:
        return check_password(user, password)
    check_password_hash(dummy, password)
    return False


def attempt_login(email: str, password: str, client: str) -> LoginResult:
    """Check a login and stage the attempt (the caller commits); refuse all while locked."""
    email = normalize_email(email)[:254]
    client = (client or "unknown")[:64]
    serialize_attempts(email)
    locked = lock_remaining(email, client)
    if locked is not None:
        return LoginResult(locked_for=locked)
    dummy = _dummy_hash()  # made before the lookup: the first attempt of every kind pays it
    user = find_user(email)
    ok = _verify(user, password, dummy)
    db.session.add(
        LoginAttempt(email=email, client=client, succeeded=ok, user_id=user.id if user else None)
    )
    if ok and user is not None:
        record_login(user)
    return LoginResult(user=user if ok else None)


def prune_attempts(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete old login attempts; returns how many went."""
    result = db.session.execute(
        db.delete(LoginAttempt).where(LoginAttempt.at < now_utc() - older_than)
    )
    return result.rowcount or 0
