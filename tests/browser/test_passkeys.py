"""Passkeys in Chromium with its virtual authenticator (the CDP WebAuthn domain).

WebAuthn needs a secure context and a domain as relying-party ID, so these pages are
opened at http://localhost:PORT (loopback counts as secure; an IP address is no RP ID).
"""

from __future__ import annotations

import itertools
import re

import pytest

from app.extensions import db
from bench.pages import serve_on_loopback
from tests.browser.conftest import StaffUser, staff_login

PASSWORD = "quiet harbor lantern 42"
_n = itertools.count(1)


def _local(base: str) -> str:
    return base.replace("127.0.0.1", "localhost")


@pytest.fixture
def fresh_user(live_app) -> StaffUser:
    """A new front-desk account with an authenticator app (a passkey test each)."""
    from app.services.mfa import new_totp_secret
    from app.services.users import create_user
    from app.transaction import unit_of_work

    email = f"passkey{next(_n)}-{id(object())}@example.org"
    with live_app.app_context():
        with unit_of_work():
            user = create_user(email, "staff", PASSWORD)
            user.totp_secret = new_totp_secret()
        secret = user.totp_secret
        db.session.remove()
    return StaffUser(email, PASSWORD, secret)


def _authenticator(page, verified: bool = True) -> tuple[object, str]:
    """A platform authenticator with user verification (a fingerprint reader, say)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    made = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": verified,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, made["authenticatorId"]


def _register(page, base: str, name: str) -> None:
    page.goto(base + "/staff/security")
    page.get_by_label("Name for the new passkey").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector(f"text=Added the passkey “{name}”")


def _logout(page) -> None:
    page.get_by_role("button", name=re.compile("^Log out")).click()
    page.wait_for_url(re.compile(r"/staff/login"))


def _passkey_login(page, base: str) -> None:
    page.goto(base + "/staff/login")
    page.get_by_role("button", name="Log in with a passkey").click()


def test_register_a_passkey_sign_out_and_sign_in_with_it(page, live_app, live_server, fresh_user):
    base = _local(live_server)
    cdp, authenticator = _authenticator(page)
    staff_login(page, base, fresh_user, live_app)
    _register(page, base, "Work laptop")
    assert page.get_by_role("cell", name="Work laptop", exact=True).is_visible()
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["rpId"] == "localhost"
    _logout(page)
    _passkey_login(page, base)
    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.get_by_role("heading", name=re.compile("Dashboard")).is_visible()
    page.goto(base + "/staff/security")
    row = page.get_by_role("row", name=re.compile("Work laptop"))
    assert "UTC" in row.inner_text()  # its last use is shown
    # The passkey also answers the second-factor step after a password.
    _logout(page)
    page.goto(base + "/staff/login")
    page.get_by_label("Email").fill(fresh_user.email)
    page.get_by_label("Password").fill(fresh_user.password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/staff/mfa"))
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def test_a_passkey_used_from_another_origin_is_refused(page, live_app, live_server, fresh_user):
    base = _local(live_server)
    _authenticator(page)
    staff_login(page, base, fresh_user, live_app)
    _register(page, base, "Desk PC")
    _logout(page)
    # The site is at SITE_URL; a look-alike on another origin (same host name, another
    # port) relays the sign-in: the browser signs its own origin, and the server refuses.
    saved = live_app.config.get("SITE_URL")
    live_app.config["SITE_URL"] = base
    try:
        with serve_on_loopback(live_app) as other:
            _passkey_login(page, _local(other))
            error = page.locator("[data-passkey-error]")
            error.wait_for(state="visible")
            assert "not accepted" in error.inner_text()
            assert "/staff/login" in page.url
            page.goto(_local(other) + "/staff/")
            assert "/staff/login" in page.url
    finally:
        live_app.config["SITE_URL"] = saved


def test_a_passkey_for_another_site_is_not_offered(page, live_app, live_server, fresh_user):
    """A credential whose RP ID is another site's cannot answer this site's request."""
    base = _local(live_server)
    cdp, authenticator = _authenticator(page)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    import base64

    cdp.send(
        "WebAuthn.addCredential",
        {
            "authenticatorId": authenticator,
            "credential": {
                "credentialId": base64.b64encode(b"other-site-credential-1").decode(),
                "isResidentCredential": True,
                "rpId": "evil.example",
                "privateKey": base64.b64encode(pkcs8).decode(),
                "userHandle": base64.b64encode(b"someone").decode(),
                "signCount": 0,
            },
        },
    )
    _passkey_login(page, base)
    error = page.locator("[data-passkey-error]")
    error.wait_for(state="visible")
    assert "/staff/login" in page.url


def test_a_passkey_that_did_not_verify_its_user_cannot_sign_in_alone(
    page, live_app, live_server, fresh_user
):
    base = _local(live_server)
    cdp, authenticator = _authenticator(page)
    staff_login(page, base, fresh_user, live_app)
    _register(page, base, "Phone")
    _logout(page)
    cdp.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": False}
    )
    _passkey_login(page, base)
    error = page.locator("[data-passkey-error]")
    error.wait_for(state="visible")
    print("refused with:", error.inner_text())
    assert "/staff/login" in page.url
    page.goto(base + "/staff/")
    assert "/staff/login" in page.url
