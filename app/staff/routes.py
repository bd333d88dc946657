"""Staff login, logout, the dashboard, and the login wall around every staff page."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user
from sqlalchemy import select

from app.extensions import db, login_manager
from app.models import AuditEvent
from app.services import dashboard as figures
from app.services.auth import attempt_login, prune_attempts
from app.services.health import directory_health
from app.services.mfa import has_factor, mfa_required
from app.services.reports import open_counts
from app.services.sessions import end_session, touch
from app.staff import bp
from app.staff.forms import ActionForm, LoginForm
from app.staff.signin import begin_pending, complete_login, current_record
from app.transaction import unit_of_work

# Reachable without a session: the password form, the second-factor step after it (which
# checks its own pending state) and passkey sign-in.
OPEN_ENDPOINTS = frozenset(
    {
        "staff.login",
        "staff.mfa_verify",
        "staff.mfa_passkey_options",
        "staff.mfa_passkey",
        "staff.passkey_login_options",
        "staff.passkey_login",
    }
)
# Reachable signed in but before a required second factor is enrolled (or checked).
ENROL_ENDPOINTS = frozenset(
    {
        "staff.security",
        "staff.totp_enrol",
        "staff.passkey_register_options",
        "staff.passkey_register",
        "staff.logout",
    }
)
DUE_SHOWN = 10  # the dashboard's preview of the "Due for re-check" page
LISTING_ENTITIES = ("provider", "location", "specialty", "directory", "roster")


@bp.before_request
def require_login() -> ResponseReturnValue | None:
    """Send anyone not logged in to the login page (every staff page but login), and anyone
    whose role needs a second factor they have not checked to enrolment or the check."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        if g.get("session_end_state") in ("idle", "expired"):
            session.clear()
            flash("Your session timed out. Please log in again.", "info")
        return login_manager.unauthorized()
    record = current_record()
    if record is not None and touch(record):
        with unit_of_work():
            pass
    if session.get("mfa_at") or request.endpoint in ENROL_ENDPOINTS:
        return None
    if has_factor(current_user):
        # A session from before a factor was added: check it now, then carry on.
        return redirect(url_for(".mfa_verify", next=request.full_path.rstrip("?")))
    if mfa_required(current_user):
        flash("Set up a second factor to use the staff area.", "info")
        return redirect(url_for(".security"))
    return None


def admin_required(view):
    """Answer 403 unless the user is an administrator."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str | None:
    """Return ``target`` only if it is a path on this site, never another host."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form and log staff in, with throttling."""
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for(".dashboard"))
        form.next.data = safe_next(request.args.get("next")) or ""
    message, status, headers = None, 200, {}
    if form.validate_on_submit():
        client = request.remote_addr or "unknown"
        with unit_of_work():
            result = attempt_login(form.email.data, form.password.data, client)
            prune_attempts()  # the privacy notice promises sign-in attempts go after 30 days
        if result.user is not None:
            target = safe_next(form.next.data) or url_for(".dashboard")
            if has_factor(result.user):
                begin_pending(result.user, target)  # no session yet: the factor comes first
                return redirect(url_for(".mfa_verify"))
            with unit_of_work():
                complete_login(result.user, second_factor=False)  # fresh session: no fixation
            if mfa_required(result.user):
                flash("Set up a second factor (a passkey or an authenticator app).", "info")
                return redirect(url_for(".security", next=target))
            flash("You are logged in.", "info")
            return redirect(target)
        if result.locked_for is not None:
            wait = (
                f"about {result.locked_minutes} minutes"
                if result.retry_after > 90
                else "a minute or less"
            )
            message = (
                "Too many failed login attempts. For your security, logging in is paused "
                f"for {wait}. Please wait and try again, or ask an administrator for help."
            )
            status, headers = 429, {"Retry-After": str(result.retry_after)}
        else:
            message = "That email and password do not match an active account."
            status = 401
    elif request.method == "POST":
        status = 422
    return render_template("staff/login.html", form=form, message=message), status, headers


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out and forget the session."""
    record = current_record()
    if record is not None:
        with unit_of_work():
            end_session(record, current_user, "signed out")  # a copied cookie dies too
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for(".login"))


@bp.get("/")
def dashboard() -> str:
    """Show counts (each a link to its list), the most overdue listings due for re-check,
    directory health and recent changes."""
    cutoff = figures.recheck_cutoff()
    counts = figures.listing_counts(cutoff)
    reports = open_counts()
    counts["reports"], counts["reports_overdue"] = reports["open"], reports["overdue"]
    due = figures.due_for_recheck(cutoff).page(0, DUE_SHOWN)
    recent_stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(15)
    if not current_user.is_admin:  # the full audit log (users, passwords) is for admins only
        recent_stmt = recent_stmt.where(AuditEvent.entity_type.in_(LISTING_ENTITIES))
    recent = db.session.scalars(recent_stmt).all()
    return render_template(
        "staff/dashboard.html",
        counts=counts,
        due=due,
        every_days=current_app.config["VERIFY_EVERY_DAYS"],
        recent=recent,
        health=directory_health(),
        action_form=ActionForm(),
    )
