"""Second factors: authenticator-app codes (TOTP), recovery codes, the MFA policy, resets.

Wrong codes are throttled by the password throttle (``app/services/auth.py``), under their
own key (``mfa:`` + email) so that a right password never resets the count of wrong codes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import LoginAttempt, RecoveryCode, User, WebAuthnCredential, now_utc
from app.services import audit
from app.services.auth import lock_remaining, serialize_attempts

TOTP_DIGITS = 6
TOTP_PERIOD = 30
# Codes from the step before and after now are accepted (clock drift); older ones are not.
TOTP_DRIFT_STEPS = 1
RECOVERY_CODES = 10
RECOVERY_BYTES = 15  # 120 bits: above ASVS 6.5.2's 112, so a plain SHA-256 is enough


class MfaError(ValueError):
    """A factor could not be enrolled or removed; the message says why."""


@dataclass
class CodeResult:
    """The outcome of a code check: accepted (and how), locked, or refused."""

    ok: bool = False
    method: str = ""
    locked_for: timedelta | None = None

    @property
    def retry_after(self) -> int:
        """Whole seconds until the lock lifts, for ``Retry-After``."""
        seconds = self.locked_for.total_seconds() if self.locked_for else 0
        return max(1, int(seconds + 0.999))


def throttle_key(user: User) -> str:
    """The login-attempt key of this user's second-factor attempts."""
    return f"mfa:{user.email}"[:254]


def mfa_required(user: User) -> bool:
    """True when this user's role must sign in with a second factor."""
    return user.role in current_app.config["MFA_REQUIRED_ROLES"]


def passkeys(user: User) -> list[WebAuthnCredential]:
    """The user's passkeys, oldest first."""
    stmt = (
        select(WebAuthnCredential)
        .where(WebAuthnCredential.user_id == user.id)
        .order_by(WebAuthnCredential.id)
    )
    return list(db.session.scalars(stmt))


def has_factor(user: User) -> bool:
    """True when the user has an authenticator app or at least one passkey."""
    if user.totp_secret:
        return True
    stmt = select(func.count()).where(WebAuthnCredential.user_id == user.id)
    return bool(db.session.scalar(stmt))


# --- TOTP --------------------------------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, user: User) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["ORG_NAME"]
    )


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG document, made here (no third party)."""
    qr = segno.make(uri, error="m")
    return qr.svg_inline(scale=4, dark="#000", light="#fff", title="QR code for your app")


def current_step(now: float | None = None) -> int:
    """The 30-second TOTP step of ``now``."""
    return int(now if now is not None else time.time()) // TOTP_PERIOD


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
    step = current_step(now)
    for candidate in range(step - TOTP_DRIFT_STEPS, step + TOTP_DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.at(candidate * TOTP_PERIOD), code):
            return candidate
    return None


def clean_code(code: str) -> str:
    """A typed code without spaces and hyphens, upper-cased."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").upper()[:64]


def _use_totp(user: User, code: str) -> bool:
    """Accept a TOTP code once: the step must be newer than the last accepted one.

    The conditional UPDATE makes two requests with the same code race safely.
    """
    if not user.totp_secret or not (code.isdigit() and len(code) == TOTP_DIGITS):
        return False
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return False
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def confirm_totp(user: User, secret: str, code: str, actor: User | None = None) -> bool:
    """Save ``secret`` as the user's authenticator app if ``code`` is right for it now."""
    code = clean_code(code)
    step = _matching_step(secret, code) if code.isdigit() else None
    if step is None:
        return False
    replacing = bool(user.totp_secret)
    user.totp_secret = secret
    user.totp_last_step = step
    user.totp_enrolled_at = now_utc()
    audit.record(
        "mfa_totp_replace" if replacing else "mfa_totp_add",
        "user",
        user.id,
        actor=actor or user,
        summary=user.email,
    )
    return True


def remove_totp(user: User, actor: User) -> None:
    """Remove the authenticator app (refused when it is the user's last required factor)."""
    if not user.totp_secret:
        return
    if mfa_required(user) and not passkeys(user):
        raise MfaError("Add a passkey before removing your authenticator app: you need one.")
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_enrolled_at = None
    audit.record("mfa_totp_remove", "user", user.id, actor=actor, summary=user.email)


# --- recovery codes ----------------------------------------------------------------------


def _digest(code: str) -> str:
    return hashlib.sha256(clean_code(code).encode()).hexdigest()


def format_code(raw: str) -> str:
    """Group a code in blocks of four for reading aloud and typing."""
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def new_recovery_codes(user: User, actor: User | None = None) -> list[str]:
    """Replace the user's recovery codes with 10 new ones; returns them (shown once)."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_bytes(RECOVERY_BYTES)
        code = format_code(base64.b32encode(raw).decode().rstrip("="))
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(code)))
    audit.record("mfa_recovery_new", "user", user.id, actor=actor or user, summary=user.email)
    return codes


def recovery_counts(user: User) -> tuple[int, int]:
    """(unused, used) recovery codes of this user."""
    rows = db.session.execute(
        select(RecoveryCode.used_at.is_(None), func.count())
        .where(RecoveryCode.user_id == user.id)
        .group_by(RecoveryCode.used_at.is_(None))
    ).all()
    counts = {bool(unused): n for unused, n in rows}
    return counts.get(True, 0), counts.get(False, 0)


def recovery_uses(user: User) -> list:
    """When this user's recovery codes were used, newest first."""
    stmt = (
        select(RecoveryCode.used_at)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_not(None))
        .order_by(RecoveryCode.used_at.desc())
    )
    return list(db.session.scalars(stmt))


def _use_recovery(user: User, code: str) -> bool:
    """Spend one unused recovery code (once, even under a race)."""
    if len(code) < 20:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    unused, _ = recovery_counts(user)
    audit.record(
        "mfa_recovery_used",
        "user",
        user.id,
        actor=user,
        summary=f"{user.email}: recovery code used, {unused} left",
    )
    return True


# --- checking a code ---------------------------------------------------------------------


def check_code(user: User, code: str, client: str) -> CodeResult:
    """Check an authenticator-app or recovery code, throttled like a password (stages)."""
    key = throttle_key(user)
    client = (client or "unknown")[:64]
    serialize_attempts(key)
    locked = lock_remaining(key, client)
    if locked is not None:
        return CodeResult(locked_for=locked)
    code = clean_code(code)
    method = ""
    if _use_totp(user, code):
        method = "totp"
    elif _use_recovery(user, code):
        method = "recovery"
    db.session.add(LoginAttempt(email=key, client=client, succeeded=bool(method), user_id=user.id))
    return CodeResult(ok=bool(method), method=method)


def record_factor_result(user: User, client: str, ok: bool) -> None:
    """Count a passkey check in the same throttle as codes (the caller commits)."""
    db.session.add(
        LoginAttempt(
            email=throttle_key(user),
            client=(client or "unknown")[:64],
            succeeded=ok,
            user_id=user.id,
        )
    )


def factor_lock(user: User, client: str) -> timedelta | None:
    """How long this user's second-factor attempts from ``client`` must wait, if at all."""
    return lock_remaining(throttle_key(user), (client or "unknown")[:64])


# --- reset -------------------------------------------------------------------------------


def reset_factors(user: User, actor: User | None) -> None:
    """Remove every factor and recovery code and end every session; audited.

    The user enrols again at their next sign-in.
    """
    had = {
        "authenticator_app": bool(user.totp_secret),
        "passkeys": len(passkeys(user)),
        "recovery_codes": recovery_counts(user)[0],
    }
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_enrolled_at = None
    db.session.execute(db.delete(WebAuthnCredential).where(WebAuthnCredential.user_id == user.id))
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    from app.services.sessions import end_all_sessions

    end_all_sessions(user, actor, reason="factors reset", audit_it=False)
    audit.record(
        "mfa_reset", "user", user.id, actor=actor, before=had, after={}, summary=user.email
    )


@dataclass
class FactorSummary:
    """What an administrator sees of a user's factors and sessions."""

    totp: bool
    passkeys: int
    sessions: int

    @property
    def any(self) -> bool:
        """True when the user has a factor to reset."""
        return self.totp or self.passkeys > 0

    @property
    def label(self) -> str:
        """ "App and 2 passkeys", "None" ..."""
        parts = ["App"] if self.totp else []
        if self.passkeys:
            parts.append(f"{self.passkeys} passkey{'s' if self.passkeys != 1 else ''}")
        return " and ".join(parts) or "None"


def factor_summaries(users: list[User]) -> dict[int, FactorSummary]:
    """Each user's factors and live session count, in two queries."""
    from app.services.sessions import live_sessions

    counts = dict(
        db.session.execute(
            select(WebAuthnCredential.user_id, func.count()).group_by(WebAuthnCredential.user_id)
        ).all()
    )
    return {
        u.id: FactorSummary(bool(u.totp_secret), counts.get(u.id, 0), len(live_sessions(u)))
        for u in users
    }
