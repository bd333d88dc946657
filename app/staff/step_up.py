"""Step-up: actions that change a lot ask for the second factor again when the last check
is older than ``STEP_UP_SECONDS``, then return to the action with its form intact.

Use it on any view (it is meant for reuse, e.g. plan feed downloads once they exist)::

    @bp.post("/roster/apply")
    @step_up_required("Apply the roster import")
    def roster_apply(): ...

A GET goes back to its URL after the check (a download starts). A POST's fields are kept
in the server-side session record, and after the check a page shows them again in a form
with a fresh CSRF token and one "Continue" button; password fields are never kept and are
asked for again on that page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.services.mfa import has_factor, mfa_required
from app.staff import bp
from app.staff.signin import current_record
from app.transaction import unit_of_work

MAX_FIELDS = 2000
MAX_VALUE = 4000


def step_up_due() -> bool:
    """True when the signed-in user must check their second factor again now."""
    if not (has_factor(current_user) or mfa_required(current_user)):
        return False  # nothing to check with, and nothing required (MFA off for this role)
    checked = int(session.get("mfa_at") or 0)
    return time.time() - checked > int(current_app.config["STEP_UP_SECONDS"])


def step_up_required(
    label: str,
    secret_fields: dict[str, str] | None = None,
    methods: tuple[str, ...] | None = None,
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """Decorate a staff view so it asks for a fresh second factor first.

    ``label`` names the action on the page that asks; ``secret_fields`` (name: label) are
    fields never stored, asked for again when the action resumes; ``methods`` limits the
    check to those HTTP methods (all by default).
    """

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if (methods and request.method not in methods) or not step_up_due():
                return view(*args, **kwargs)
            return _start(label, secret_fields or {})

        return wrapped

    return decorate


def _start(label: str, secret_fields: dict[str, str]) -> ResponseReturnValue:
    target = request.full_path.rstrip("?")
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("staff.mfa_verify", next=target, action=label))
    if request.files:
        abort(400, "Confirm it's you first, then send the file again.")
    fields = [
        (name, value[:MAX_VALUE])
        for name, value in request.form.items(multi=True)
        if name != "csrf_token" and name not in secret_fields
    ][:MAX_FIELDS]
    record = current_record()
    if record is None:
        abort(400)
    with unit_of_work():
        record.pending_action = {
            "url": target,
            "label": label,
            "fields": fields,
            "secrets": list(secret_fields.items()),
            "at": int(time.time()),
        }
    return redirect(url_for("staff.mfa_verify", next=url_for("staff.step_up_resume"), action=label))


@bp.get("/step-up/resume")
def step_up_resume() -> ResponseReturnValue:
    """After a step-up check: the action's form, as it was sent, ready to send again."""
    record = current_record()
    pending = record.pending_action if record is not None else None
    if not pending or step_up_due():
        return redirect(url_for("staff.dashboard"))
    return render_template("staff/step_up_resume.html", pending=pending)
