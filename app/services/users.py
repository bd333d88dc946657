"""Staff accounts: creation, passwords and deactivation."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ROLES, User, UserSession, now_utc
from app.models.user import new_session_token
from app.services import audit, passwords

MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not acceptable for ``email`` here, or None if it is."""
    return passwords.password_problem(password, email, current_app.config["ORG_NAME"])


def hash_password(password: str) -> str:
    """Hash a password with scrypt (cost from ``PASSWORD_HASH_METHOD``; tests use a cheap one)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(user: User, password: str) -> bool:
    """Check a password against the user's hash."""
    return check_password_hash(user.password_hash, password)


def normalize_email(email: str) -> str:
    """Trim and lower-case an email address."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """Look a user up by email, case-insensitively."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(email: str, role: str, password: str, actor: User | None = None) -> User:
    """Stage a staff or admin account after checking the email, role and password."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 254 or " " in email:
        raise UserError("Enter a valid email address.")
    if role not in ROLES:
        raise UserError(f"Role must be one of: {', '.join(ROLES)}.")
    problem = password_problem(password, email)
    if problem:
        raise UserError(problem)
    if find_user(email) is not None:
        raise UserError(f"A user with email {email} already exists.")
    user = User(email=email, role=role, password_hash=hash_password(password), active=True)
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, actor=actor, after={"email": email, "role": role})
    return user


def set_active(user: User, active: bool, actor: User | None = None) -> User:
    """Activate or deactivate a user; deactivation ends their sessions."""
    before = {"active": user.active}
    user.active = active
    user.session_token = new_session_token()
    audit.record(
        "activate" if active else "deactivate",
        "user",
        user.id,
        actor=actor,
        before=before,
        after={"active": active},
        summary=user.email,
    )
    return user


def set_password(
    user: User, password: str, actor: User | None = None, keep: UserSession | None = None
) -> User:
    """Change a password after checking it; ends every session of the user but ``keep``."""
    from app.services.sessions import end_all_sessions, end_other_sessions

    problem = password_problem(password, user.email)
    if problem:
        raise UserError(problem)
    user.password_hash = hash_password(password)
    audit.record("password", "user", user.id, actor=actor, summary=user.email)
    if keep is None:
        end_all_sessions(user, actor, "password changed")
    else:
        end_other_sessions(user, keep, actor, "password changed")
    return user


def set_role(user: User, role: str, actor: User | None = None) -> User:
    """Change a user's role (audited)."""
    if role not in ROLES:
        raise UserError(f"Role must be one of: {', '.join(ROLES)}.")
    if role == user.role:
        return user
    before = {"role": user.role}
    user.role = role
    audit.record(
        "role",
        "user",
        user.id,
        actor=actor,
        before=before,
        after={"role": role},
        summary=user.email,
    )
    return user


def end_sessions(user: User) -> None:
    """End every session of this user by rotating their session token."""
    user.session_token = new_session_token()


def record_login(user: User) -> None:
    """Stamp the user's last login time (the caller commits)."""
    user.last_login_at = now_utc()
