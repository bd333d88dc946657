"""Flask-Login's user loader: a session is valid only for an active user, the current
token, and a live server-side session record (not ended, idle or past its absolute limit)."""

from __future__ import annotations

from flask import g, session

from app.extensions import db, login_manager
from app.models import User
from app.services.sessions import find_session, session_state


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Return the user named by the session, or None if it is stale, ended or inactive."""
    user_id, _, token = identity.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    record = find_session(session.get("_sid"))
    if record is None or record.user_id != user.id:
        return None
    state = session_state(record)
    if state != "active":
        g.session_end_state = state
        return None
    g.session_record = record
    return user
