"""Flask-Login's user loader: a session is valid only for an active user and current token."""

from __future__ import annotations

from app.extensions import db, login_manager
from app.models import User


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Return the user named by the session, or None if it is stale or inactive."""
    user_id, _, token = identity.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user
