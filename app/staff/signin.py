"""Signing in: the password step, the pending second-factor step, and the session it starts.

The browser session holds, after a right password, only ``pending`` (who, their session
token, when, and where to go next) until a second factor is checked; then the session is
cleared again (a fresh one: no fixation), the user is logged in, a server-side session
record is started and ``mfa_at`` notes the time of the check (for step-up).
"""

from __future__ import annotations

import time

from flask import g, request, session
from flask_login import current_user, login_user

from app.extensions import db
from app.models import User, UserSession
from app.services.sessions import start_session

PENDING_SECONDS = 300  # the second-factor page waits this long after the password


def begin_pending(user: User, target: str) -> None:
    """Remember a right password while the second factor is asked for."""
    session.clear()
    session["pending"] = {
        "uid": user.id,
        "tok": user.session_token,
        "at": int(time.time()),
        "next": target,
    }


def pending_user() -> tuple[User | None, str]:
    """The user whose password was right a moment ago (and their target), or None."""
    data = session.get("pending")
    if not isinstance(data, dict):
        return None, ""
    if int(time.time()) - int(data.get("at") or 0) > PENDING_SECONDS:
        session.pop("pending", None)
        return None, ""
    user = db.session.get(User, int(data.get("uid") or 0))
    if user is None or not user.active or user.session_token != data.get("tok"):
        return None, ""
    return user, str(data.get("next") or "")


def complete_login(user: User, second_factor: bool) -> None:
    """Log the user in on a fresh session with a new server-side record (the caller commits)."""
    session.clear()
    record, key = start_session(user, request.user_agent.string, request.remote_addr)
    login_user(user)
    g.session_record = record
    session.permanent = True
    session["_sid"] = key
    if second_factor:
        session["mfa_at"] = int(time.time())


def mark_second_factor() -> None:
    """Note that the signed-in user has just passed a second-factor check."""
    session["mfa_at"] = int(time.time())


def current_record() -> UserSession | None:
    """The server-side record of the signed-in session (set by the user loader)."""
    if not current_user.is_authenticated:
        return None
    return g.get("session_record")
