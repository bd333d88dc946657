"""Passkeys (WebAuthn) with py_webauthn: registration, and sign-in or a second-factor check.

The relying party is this site: its ID (a host name) and origin come from ``SITE_URL``, or
from the request's host when that host is one of ``TRUSTED_HOSTS``. In production with
neither set, passkeys are refused rather than bound to whatever Host a client sends.
User verification is *preferred* in every request; a passkey used alone to sign in (no
password) must have verified its user, so it counts as two factors.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, request
from sqlalchemy import select
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.extensions import db
from app.models import User, WebAuthnCredential, now_utc
from app.services import audit

MAX_PASSKEYS = 10
NAME_LENGTH = 60
TIMEOUT_MS = 120_000


class PasskeyError(ValueError):
    """A passkey could not be registered or checked; the message says why."""


class PasskeysUnavailable(RuntimeError):
    """Passkeys need SITE_URL or TRUSTED_HOSTS in production."""


@dataclass(frozen=True)
class RelyingParty:
    """Who passkeys are bound to: the host name (RP ID) and the exact origin."""

    id: str
    origin: str
    name: str


def relying_party() -> RelyingParty:
    """The relying party for this request, from SITE_URL or a trusted Host header."""
    name = current_app.config["ORG_NAME"]
    site = current_app.config["SITE_URL"]
    if site:
        parts = urlsplit(site)
        if parts.scheme in ("http", "https") and parts.hostname:
            return RelyingParty(parts.hostname, f"{parts.scheme}://{parts.netloc}", name)
    trusted = current_app.config["TRUSTED_HOSTS"] or []
    host = (request.host or "").rsplit(":", 1)[0] if request else ""
    if host and host in trusted:
        return RelyingParty(host, f"{request.scheme}://{request.host}", name)
    if current_app.config["APP_ENV"] == "production" or trusted:
        raise PasskeysUnavailable(
            "Passkeys need SITE_URL (or TRUSTED_HOSTS naming this host) to be set."
        )
    host = request.host.rsplit(":", 1)[0]  # development only: the host the browser used
    return RelyingParty(host, f"{request.scheme}://{request.host}", name)


def _handle(user: User) -> bytes:
    if not user.webauthn_handle:
        user.webauthn_handle = bytes_to_base64url(secrets.token_bytes(32))
    return base64url_to_bytes(user.webauthn_handle)


def registration_options(user: User, existing: list[WebAuthnCredential]) -> tuple[str, bytes]:
    """Options for ``navigator.credentials.create`` (JSON) and the challenge to keep."""
    rp = relying_party()
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=_handle(user),
        user_name=user.email,
        user_display_name=user.email,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id)) for c in existing
        ],
    )
    return options_to_json(options), options.challenge


def clean_name(name: str, count: int) -> str:
    """The passkey's name as typed (trimmed), or "Passkey N"."""
    name = " ".join((name or "").split())[:NAME_LENGTH]
    return name or f"Passkey {count + 1}"


def register(
    user: User, credential: dict | str, challenge: bytes, name: str, count: int
) -> WebAuthnCredential:
    """Verify a new passkey and stage it (audited)."""
    if count >= MAX_PASSKEYS:
        raise PasskeyError(f"You have {MAX_PASSKEYS} passkeys; remove one to add another.")
    rp = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=False,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(f"That passkey could not be registered: {exc}") from None
    cred_id = bytes_to_base64url(verified.credential_id)
    taken = db.session.scalar(
        select(WebAuthnCredential).where(WebAuthnCredential.credential_id == cred_id)
    )
    if taken is not None:
        raise PasskeyError("That passkey is already registered.")
    transports = None
    if isinstance(credential, str):
        credential = json.loads(credential)
    raw = (credential.get("response") or {}).get("transports")
    if isinstance(raw, list):
        transports = [str(t)[:20] for t in raw[:8]]
    passkey = WebAuthnCredential(
        user_id=user.id,
        credential_id=cred_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=clean_name(name, count),
        transports=transports,
    )
    db.session.add(passkey)
    audit.record("mfa_passkey_add", "user", user.id, actor=user, summary=passkey.name)
    return passkey


def authentication_options(allowed: list[WebAuthnCredential] | None) -> tuple[str, bytes]:
    """Options for ``navigator.credentials.get``: for these passkeys, or any (sign-in)."""
    rp = relying_party()
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
            for c in (allowed or [])
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def find_credential(credential: dict) -> WebAuthnCredential | None:
    """The stored passkey a browser's answer names, or None."""
    raw_id = credential.get("rawId") or credential.get("id")
    if not isinstance(raw_id, str) or len(raw_id) > 1400:
        return None
    return db.session.scalar(
        select(WebAuthnCredential).where(WebAuthnCredential.credential_id == raw_id)
    )


def authenticate(
    passkey: WebAuthnCredential, credential: dict, challenge: bytes, require_uv: bool
) -> None:
    """Verify an assertion by this passkey; stage its new counter and last use."""
    rp = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=require_uv,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(f"That passkey was not accepted: {exc}") from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now_utc()


def rename(passkey: WebAuthnCredential, name: str, actor: User) -> None:
    """Rename a passkey (audited)."""
    before = {"name": passkey.name}
    passkey.name = clean_name(name, 0) if name.strip() else passkey.name
    audit.record(
        "mfa_passkey_rename",
        "user",
        passkey.user_id,
        actor=actor,
        before=before,
        after={"name": passkey.name},
    )


def remove(passkey: WebAuthnCredential, actor: User) -> None:
    """Delete a passkey (audited)."""
    audit.record("mfa_passkey_remove", "user", passkey.user_id, actor=actor, summary=passkey.name)
    db.session.delete(passkey)
