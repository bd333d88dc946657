"""Your sessions: see where you are signed in and end any or all of the others; admins end
another user's sessions, reset their factors and change their role."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.extensions import db
from app.models import User, UserSession
from app.services.mfa import reset_factors
from app.services.sessions import end_all_sessions, end_other_sessions, end_session, live_sessions
from app.services.users import UserError, set_role
from app.staff import bp
from app.staff.forms import ActionForm, RoleForm
from app.staff.routes import admin_required
from app.staff.signin import current_record
from app.staff.step_up import step_up_required
from app.transaction import unit_of_work


@bp.get("/sessions")
def sessions() -> str:
    """List the user's live sessions, this one first."""
    record = current_record()
    live = live_sessions(current_user)
    live.sort(key=lambda s: s.id != (record.id if record else None))
    return render_template(
        "staff/sessions.html", sessions=live, current=record, action_form=ActionForm()
    )


@bp.post("/sessions/<id:session_id>/end")
@step_up_required("End a session")
def session_end(session_id: int) -> ResponseReturnValue:
    """End one of your other sessions; it is refused at its next request."""
    if not ActionForm().validate():
        abort(400)
    record = db.get_or_404(UserSession, session_id)
    if record.user_id != current_user.id:
        abort(404)
    current = current_record()
    if current is not None and record.id == current.id:
        flash("To end this session, log out.", "error")
        return redirect(url_for(".sessions"))
    with unit_of_work():
        end_session(record, current_user, "ended by the user")
    flash(f"Ended the session on {record.device}.", "info")
    return redirect(url_for(".sessions"))


@bp.post("/sessions/end-others")
@step_up_required("End your other sessions")
def sessions_end_others() -> ResponseReturnValue:
    """End every session of yours but this one."""
    if not ActionForm().validate():
        abort(400)
    with unit_of_work():
        count = end_other_sessions(
            current_user, current_record(), current_user, "ended by the user"
        )
    flash(f"Ended {count} other session{'s' if count != 1 else ''}.", "info")
    return redirect(url_for(".sessions"))


def _other_user(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate():
        abort(400)
    return user


@bp.post("/users/<id:user_id>/sessions/end")
@admin_required
def user_sessions_end(user_id: int) -> ResponseReturnValue:
    """End every session of another user (audited)."""
    user = _other_user(user_id)
    if user.id == current_user.id:
        flash("Use “Your sessions” to end your own sessions.", "error")
        return redirect(url_for(".users"))
    with unit_of_work():
        count = end_all_sessions(user, current_user, "ended by an administrator")
    flash(f"Ended {count} session{'s' if count != 1 else ''} of {user.email}.", "info")
    return redirect(url_for(".users"))


@bp.post("/users/<id:user_id>/reset-mfa")
@admin_required
@step_up_required("Reset a user's sign-in factors")
def user_reset_mfa(user_id: int) -> ResponseReturnValue:
    """Remove another user's passkeys, app and recovery codes; they enrol again."""
    user = _other_user(user_id)
    if user.id == current_user.id:
        flash("You cannot reset your own factors here; use your security page.", "error")
        return redirect(url_for(".users"))
    with unit_of_work():
        reset_factors(user, current_user)
    flash(f"Reset the sign-in factors of {user.email}; they set up new ones at next login.", "info")
    return redirect(url_for(".users"))


@bp.post("/users/<id:user_id>/role")
@admin_required
@step_up_required("Change a user's role")
def user_role(user_id: int) -> ResponseReturnValue:
    """Change another user's role (audited)."""
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate():
        abort(400, "Choose staff or admin.")
    if user.id == current_user.id:
        flash("You cannot change your own role.", "error")
        return redirect(url_for(".users"))
    try:
        with unit_of_work():
            set_role(user, form.role.data, current_user)
    except UserError as exc:
        abort(422, str(exc))
    flash(f"{user.email} is now {user.role}.", "info")
    return redirect(url_for(".users"))
