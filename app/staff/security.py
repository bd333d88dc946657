"""Second factors: the check after the password (and for step-up), passkey sign-in, and the
user's security page (authenticator app, passkeys, recovery codes, password)."""

from __future__ import annotations

import base64
import time

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from app.extensions import db
from app.models import User, WebAuthnCredential
from app.services import mfa
from app.services import passkeys as pk
from app.services.auth import serialize_attempts
from app.services.sessions import end_other_sessions
from app.services.users import UserError, record_login, set_password, verify_password
from app.staff import bp
from app.staff.forms import (
    ActionForm,
    CodeForm,
    PasskeyNameForm,
    PasswordChangeForm,
    TotpEnrolForm,
)
from app.staff.routes import safe_next
from app.staff.signin import complete_login, current_record, mark_second_factor, pending_user
from app.staff.step_up import step_up_required
from app.transaction import unit_of_work

CHALLENGE_SECONDS = 300


def _subject() -> tuple[User | None, str, str]:
    """Who is being checked ("login" after a password, or "step-up"), and where to go next."""
    if current_user.is_authenticated:
        target = safe_next(request.args.get("next")) or url_for(".dashboard")
        return current_user, "step-up", target
    user, target = pending_user()
    return user, "login", safe_next(target) or url_for(".dashboard")


def _client() -> str:
    return request.remote_addr or "unknown"


def _finish(user: User, mode: str, method: str) -> None:
    """A second factor passed: sign in, or note the fresh check (the caller commits)."""
    if mode == "login":
        complete_login(user, second_factor=True)
    else:
        mark_second_factor()
    if method == "recovery":
        unused, _ = mfa.recovery_counts(user)
        flash(
            f"You used a recovery code; {unused} left. If your phone or passkey is lost, "
            "set up a new one and make new recovery codes on your security page.",
            "info",
        )


def _locked_message(seconds: int) -> str:
    wait = f"about {max(1, (seconds + 59) // 60)} minutes" if seconds > 90 else "a minute or less"
    return (
        "Too many wrong codes. For your security, checking codes is paused for "
        f"{wait}. Please wait and try again, or ask an administrator for help."
    )


@bp.route("/mfa", methods=["GET", "POST"])
def mfa_verify() -> ResponseReturnValue:
    """Ask for the second factor: after the password, or again before a big action."""
    user, mode, target = _subject()
    if user is None:
        flash("Please log in again.", "info")
        return redirect(url_for(".login"))
    form = CodeForm()
    message, status, headers = None, 200, {}
    if form.validate_on_submit():
        with unit_of_work():
            result = mfa.check_code(user, form.code.data, _client())
            if result.ok:
                _finish(user, mode, result.method)
        if result.ok:
            return redirect(target)
        if result.locked_for is not None:
            message = _locked_message(result.retry_after)
            status, headers = 429, {"Retry-After": str(result.retry_after)}
        else:
            message = "That code is not right, or was used already. Try the newest code."
            status = 401
    elif request.method == "POST":
        status = 422
    html = render_template(
        "staff/mfa_verify.html",
        form=form,
        message=message,
        mode=mode,
        action=request.args.get("action", "")[:80],
        has_totp=bool(user.totp_secret),
        has_passkeys=bool(mfa.passkeys(user)),
    )
    return html, status, headers


def _json_error(message: str, status: int, headers: dict | None = None) -> ResponseReturnValue:
    return jsonify(error=message), status, headers or {}


def _keep_challenge(challenge: bytes, purpose: str, user_id: int | None = None) -> None:
    session["webauthn"] = {
        "c": base64.urlsafe_b64encode(challenge).decode(),
        "p": purpose,
        "u": user_id,
        "at": int(time.time()),
    }


def _take_challenge(purpose: str, user_id: int | None = None) -> bytes | None:
    """The challenge issued for this purpose (used once), or None."""
    data = session.pop("webauthn", None)
    if not isinstance(data, dict) or data.get("p") != purpose or data.get("u") != user_id:
        return None
    if time.time() - int(data.get("at") or 0) > CHALLENGE_SECONDS:
        return None
    return base64.urlsafe_b64decode(data["c"])


def _credential_json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        abort(400, "Send the passkey's answer as JSON.")
    return body


@bp.post("/mfa/passkey/options")
def mfa_passkey_options() -> ResponseReturnValue:
    """WebAuthn options to check one of this user's passkeys (second factor or step-up)."""
    user, _, _ = _subject()
    if user is None:
        return _json_error("Please log in again.", 401)
    keys = mfa.passkeys(user)
    if not keys:
        return _json_error("You have no passkey. Use a code instead.", 404)
    try:
        options, challenge = pk.authentication_options(keys)
    except pk.PasskeysUnavailable as exc:
        return _json_error(str(exc), 503)
    _keep_challenge(challenge, "verify", user.id)
    return current_app_json(options)


def current_app_json(options: str) -> ResponseReturnValue:
    """Options made by py_webauthn (already JSON) as a response."""
    return options, 200, {"Content-Type": "application/json"}


@bp.post("/mfa/passkey")
def mfa_passkey() -> ResponseReturnValue:
    """Check the passkey's answer; then sign in, or carry on with the action."""
    user, mode, target = _subject()
    if user is None:
        return _json_error("Please log in again.", 401)
    body = _credential_json()
    challenge = _take_challenge("verify", user.id)
    if challenge is None:
        return _json_error("That request expired. Try again.", 400)
    with unit_of_work():
        serialize_attempts(mfa.throttle_key(user))
        locked = mfa.factor_lock(user, _client())
    if locked is not None:
        seconds = max(1, int(locked.total_seconds()))
        return _json_error(_locked_message(seconds), 429, {"Retry-After": str(seconds)})
    passkey = pk.find_credential(body["credential"])
    ok, problem = False, "That passkey is not one of yours here."
    with unit_of_work():
        if passkey is not None and passkey.user_id == user.id:
            try:
                pk.authenticate(passkey, body["credential"], challenge, require_uv=False)
                ok = True
            except pk.PasskeyError as exc:
                problem = str(exc)
        mfa.record_factor_result(user, _client(), ok)
        if ok:
            _finish(user, mode, "passkey")
    if not ok:
        return _json_error(problem, 401)
    return jsonify(redirect=target)


@bp.post("/passkey/options")
def passkey_login_options() -> ResponseReturnValue:
    """WebAuthn options to sign in with a passkey alone (it must verify its user)."""
    try:
        options, challenge = pk.authentication_options(None)
    except pk.PasskeysUnavailable as exc:
        return _json_error(str(exc), 503)
    _keep_challenge(challenge, "login")
    return current_app_json(options)


@bp.post("/passkey/login")
def passkey_login() -> ResponseReturnValue:
    """Sign in with a passkey that verified its user (PIN or biometric): two factors."""
    body = _credential_json()
    challenge = _take_challenge("login")
    if challenge is None:
        return _json_error("That request expired. Try again.", 400)
    passkey = pk.find_credential(body["credential"])
    user = db.session.get(User, passkey.user_id) if passkey is not None else None
    if passkey is None or user is None or not user.active:
        return _json_error("That passkey is not registered here. Log in with your password.", 401)
    with unit_of_work():
        serialize_attempts(mfa.throttle_key(user))
        locked = mfa.factor_lock(user, _client())
    if locked is not None:
        seconds = max(1, int(locked.total_seconds()))
        return _json_error(_locked_message(seconds), 429, {"Retry-After": str(seconds)})
    ok, problem = False, ""
    with unit_of_work():
        try:
            pk.authenticate(passkey, body["credential"], challenge, require_uv=True)
            ok = True
        except pk.PasskeyError as exc:
            problem = str(exc)
        mfa.record_factor_result(user, _client(), ok)
        if ok:
            record_login(user)
            complete_login(user, second_factor=True)
    if not ok:
        if "verif" in problem.lower():
            problem = (
                "Your passkey did not confirm it was you (PIN, fingerprint or face). "
                "Try again, or log in with your password."
            )
        return _json_error(problem, 401)
    target = safe_next((request.get_json(silent=True) or {}).get("next")) or url_for(".dashboard")
    return jsonify(redirect=target)


# --- the user's security page ------------------------------------------------------------


@bp.get("/security")
def security() -> ResponseReturnValue:
    """The user's factors, recovery codes, password and a link to their sessions."""
    user = current_user
    unused, used = mfa.recovery_counts(user)
    return render_template(
        "staff/security.html",
        user=user,
        passkeys=mfa.passkeys(user),
        unused=unused,
        used=used,
        uses=mfa.recovery_uses(user),
        needs_factor=mfa.mfa_required(user) and not mfa.has_factor(user),
        confirm_first=_self_step_up_due(),
        next=safe_next(request.args.get("next")) or "",
        action_form=ActionForm(),
        name_form=PasskeyNameForm(),
        password_form=PasswordChangeForm(),
    )


def _factor_changed(user: User) -> None:
    """A factor was added or removed: every other session of the user ends."""
    end_other_sessions(user, current_record(), user, "factors changed")


def _self_step_up_due() -> bool:
    """Changing factors when you have one needs a fresh check, like the big actions."""
    from app.staff.step_up import step_up_due

    return mfa.has_factor(current_user) and step_up_due()


@bp.route("/security/totp", methods=["GET", "POST"])
def totp_enrol() -> ResponseReturnValue:
    """Add (or replace) the authenticator app: a QR code and the secret, then a code."""
    if _self_step_up_due():
        return redirect(url_for(".mfa_verify", next=url_for(".totp_enrol"), action="Set up an app"))
    user = current_user
    form = TotpEnrolForm()
    secret = session.get("totp_setup")
    if not isinstance(secret, str) or len(secret) != 32:
        secret = mfa.new_totp_secret()
        session["totp_setup"] = secret
    status = 200
    if form.validate_on_submit():
        first = not mfa.has_factor(user)
        with unit_of_work():
            ok = mfa.confirm_totp(user, secret, form.code.data)
            if ok:
                _factor_changed(user)
        if ok:
            session.pop("totp_setup", None)
            mark_second_factor()
            flash(
                "Your authenticator app is set up."
                + (" Next, make recovery codes on your security page." if first else ""),
                "success",
            )
            return redirect(safe_next(request.args.get("next")) or url_for(".dashboard"))
        form.code.errors = [
            *form.code.errors,
            "That code does not match. Check the app shows this account, and type the newest code.",
        ]
        status = 422
    elif request.method == "POST":
        status = 422
    uri = mfa.provisioning_uri(secret, user)
    html = render_template(
        "staff/totp_enrol.html",
        form=form,
        secret=secret,
        grouped=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr=Markup(mfa.qr_svg(uri)),  # noqa: S704 - SVG made here by segno, no user HTML
        replacing=bool(user.totp_secret),
    )
    return html, status


@bp.post("/security/totp/remove")
@step_up_required("Remove the authenticator app")
def totp_remove() -> ResponseReturnValue:
    """Remove the authenticator app (not the last factor when one is required)."""
    if not ActionForm().validate():
        abort(400)
    try:
        with unit_of_work():
            mfa.remove_totp(current_user, current_user)
            _factor_changed(current_user)
    except mfa.MfaError as exc:
        flash(str(exc), "error")
    else:
        flash("Removed the authenticator app.", "info")
    return redirect(url_for(".security"))


@bp.post("/security/recovery")
@step_up_required("Make new recovery codes")
def recovery_new() -> ResponseReturnValue:
    """Make 10 new recovery codes (the old ones stop working) and show them once."""
    if not ActionForm().validate():
        abort(400)
    if not mfa.has_factor(current_user):
        flash("Set up a passkey or an authenticator app first.", "error")
        return redirect(url_for(".security"))
    with unit_of_work():
        codes = mfa.new_recovery_codes(current_user)
    return render_template("staff/recovery_codes.html", codes=codes)


@bp.post("/security/passkeys/options")
def passkey_register_options() -> ResponseReturnValue:
    """WebAuthn options to add a passkey."""
    if _self_step_up_due():
        return _json_error(
            "Confirm it's you first.",
            403,
        )
    keys = mfa.passkeys(current_user)
    try:
        with unit_of_work():
            options, challenge = pk.registration_options(current_user, keys)
    except pk.PasskeysUnavailable as exc:
        return _json_error(str(exc), 503)
    _keep_challenge(challenge, "register", current_user.id)
    return current_app_json(options)


@bp.post("/security/passkeys")
def passkey_register() -> ResponseReturnValue:
    """Verify and save a new passkey."""
    body = _credential_json()
    challenge = _take_challenge("register", current_user.id)
    if challenge is None:
        return _json_error("That request expired. Try again.", 400)
    name = str(body.get("name") or "")
    try:
        with unit_of_work():
            passkey = pk.register(
                current_user, body["credential"], challenge, name, len(mfa.passkeys(current_user))
            )
            _factor_changed(current_user)
    except pk.PasskeyError as exc:
        return _json_error(str(exc), 422)
    except pk.PasskeysUnavailable as exc:
        return _json_error(str(exc), 503)
    mark_second_factor()
    flash(f"Added the passkey “{passkey.name}”.", "success")
    return jsonify(redirect=safe_next(str(body.get("next") or "")) or url_for(".security"))


def _own_passkey(passkey_id: int) -> WebAuthnCredential:
    passkey = db.get_or_404(WebAuthnCredential, passkey_id)
    if passkey.user_id != current_user.id:
        abort(404)
    return passkey


@bp.post("/security/passkeys/<id:passkey_id>/rename")
def passkey_rename(passkey_id: int) -> ResponseReturnValue:
    """Rename one of your passkeys."""
    passkey = _own_passkey(passkey_id)
    form = PasskeyNameForm()
    if not form.validate():
        abort(400)
    with unit_of_work():
        pk.rename(passkey, form.name.data or "", current_user)
    flash(f"Renamed the passkey to “{passkey.name}”.", "info")
    return redirect(url_for(".security"))


@bp.post("/security/passkeys/<id:passkey_id>/remove")
@step_up_required("Remove a passkey")
def passkey_remove(passkey_id: int) -> ResponseReturnValue:
    """Remove one of your passkeys (not your last factor when one is required)."""
    passkey = _own_passkey(passkey_id)
    if not ActionForm().validate():
        abort(400)
    others = len(mfa.passkeys(current_user)) - 1
    if mfa.mfa_required(current_user) and others == 0 and not current_user.totp_secret:
        flash("Add another passkey or an authenticator app before removing your last one.", "error")
        return redirect(url_for(".security"))
    with unit_of_work():
        pk.remove(passkey, current_user)
        _factor_changed(current_user)
    flash("Removed the passkey.", "info")
    return redirect(url_for(".security"))


@bp.post("/security/password")
@step_up_required(
    "Change your password",
    secret_fields={
        "current": "Current password",
        "password": "New password",
        "confirm": "Confirm new password",
    },
)
def password_change() -> ResponseReturnValue:
    """Change your password: every other session of yours ends."""
    form = PasswordChangeForm()
    problem = None
    if form.validate():
        if not verify_password(current_user, form.current.data):
            problem = "Your current password is not right."
        else:
            try:
                with unit_of_work():
                    set_password(current_user, form.password.data, current_user, current_record())
            except UserError as exc:
                problem = str(exc)
            else:
                flash("Your password is changed. Your other sessions have ended.", "success")
                return redirect(url_for(".security"))
    else:
        problem = next(iter(e for errs in form.errors.values() for e in errs), "Check the form.")
    flash(problem, "error")
    return redirect(url_for(".security"), 303)
