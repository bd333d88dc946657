"""Staff login: password checks with database-backed throttling shared by all workers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import LoginAttempt, User, now_utc
from app.services.users import find_user, hash_password, normalize_email, record_login
from app.services.users import verify_password as check_password

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
_DUMMY_HASH: list[str] = []


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


def _failures_since(column, value: str, since: datetime) -> list[datetime]:
    stmt = (
        select(LoginAttempt.at)
        .where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
        .order_by(LoginAttempt.at)
    )
    return list(db.session.scalars(stmt))


def _last_success(email: str) -> datetime | None:
    stmt = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
    )
    return db.session.scalar(stmt)


def lock_remaining(email: str, client: str, now: datetime | None = None) -> timedelta | None:
    """How long this account or client stays locked, or None when it may try again."""
    now = now or now_utc()
    since = now - WINDOW
    last_ok = _last_success(email)
    account_since = max(since, last_ok) if last_ok else since
    remaining = []
    # A success resets the account's count but not the client's: one client cannot
    # unlock itself by logging into an account it controls.
    for failures in (
        _failures_since(LoginAttempt.email, email, account_since),
        _failures_since(LoginAttempt.client, client, since),
    ):
        if len(failures) >= MAX_FAILURES:
            remaining.append(failures[-MAX_FAILURES] + WINDOW - now)
    return max(remaining) if remaining else None


def _burn_time(password: str) -> None:
    """Hash anyway for unknown emails, so response time does not reveal who has an account."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("not-a-real-password-just-timing"))
    dummy = User(password_hash=_DUMMY_HASH[0])
    check_password(dummy, password)


def attempt_login(email: str, password: str, client: str) -> LoginResult:
    """Check a login and stage the attempt (the caller commits); refuse all while locked."""
    email = normalize_email(email)[:254]
    client = (client or "unknown")[:64]
    locked = lock_remaining(email, client)
    if locked is not None:
        return LoginResult(locked_for=locked)
    user = find_user(email)
    if user is None:
        _burn_time(password)
        ok = False
    else:
        ok = user.active and check_password(user, password)
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
