"""Staff users and login attempts."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, now_utc

ROLES = ("staff", "admin")


def new_session_token() -> str:
    """A random token that ties browser sessions to the user's current state."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A front-desk staff member or an administrator."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on deactivation or password change, which ends every existing session.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The authenticator app's shared secret (base32), once enrolment is confirmed, and the
    # last 30-second step whose code was accepted: a code is good once (RFC 6238 5.2).
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The opaque WebAuthn user handle (never the email), made at the first passkey.
    webauthn_handle: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    def __repr__(self) -> str:
        return f"<User {self.email}>"

    def get_id(self) -> str:
        """Session identity: id plus the current session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Inactive users cannot hold a session."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return self.role == "admin"


class LoginAttempt(db.Model):
    """One login attempt, kept in the database so every worker sees the same count."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
