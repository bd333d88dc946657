"""Registry differences: open NPPES findings with Accept and Dismiss; the NPPES upload.

The URL keeps its old name (``/staff/verification``); listings by the date of their last
check are the other queue, "Due for re-check" (``recheck.py``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import FINDING_KINDS, Finding
from app.services.registry.findings import accept_finding, dismiss_finding
from app.services.registry.nppes import NppesFileError, Utf8Lines
from app.services.registry.reconcile import WHY, kind_counts, reconcile
from app.staff import bp
from app.staff.args import page_arg
from app.staff.forms import ActionForm, NppesUploadForm
from app.staff.step_up import step_up_required
from app.transaction import InvalidInput, StaleEdit, unit_of_work

PER_PAGE = 50


def _queue(status: int = 200, problem: str = "") -> ResponseReturnValue:
    kind = request.args.get("kind", "")
    if kind and kind not in FINDING_KINDS:
        abort(404)
    stmt = (
        select(Finding)
        .where(Finding.status == "open")
        .options(selectinload(Finding.provider))
        .order_by(Finding.detected_at, Finding.id)
    )
    if kind:
        stmt = stmt.where(Finding.kind == kind)
    findings = db.paginate(stmt, page=page_arg(), per_page=PER_PAGE, error_out=False)
    html = render_template(
        "staff/verification.html",
        findings=findings,
        kind=kind,
        kinds=FINDING_KINDS,
        why=WHY,
        problem=problem,
    )
    return html, status


@bp.get("/verification")
def verification() -> ResponseReturnValue:
    """List the registry differences: open NPPES findings, oldest first, by kind."""
    if "age" in request.args:  # listings by days since their last check moved
        return redirect(url_for(".recheck", age=request.args["age"]), 301)
    return _queue()


@bp.post("/findings/<id:finding_id>/accept")
def finding_accept(finding_id: int) -> ResponseReturnValue:
    """Apply the registry's value to the listing (audited, indexed)."""
    return _decide(finding_id, "accept")


@bp.post("/findings/<id:finding_id>/dismiss")
def finding_dismiss(finding_id: int) -> ResponseReturnValue:
    """Keep our value; the finding is kept (dismissed) and audited."""
    return _decide(finding_id, "dismiss")


MAX_BULK = 500


@bp.post("/findings/accept")
@step_up_required("Accept registry values in bulk")
def findings_accept() -> ResponseReturnValue:
    """Accept the registry's value for every selected finding, each in its own unit of work."""
    ids = sorted({int(v) for v in request.form.getlist("finding") if v.isdigit()})[:MAX_BULK]
    if not ids:
        return _queue(422, "Select at least one registry difference to accept.")
    accepted, problems = 0, []
    for finding_id in ids:
        finding = db.session.get(Finding, finding_id)
        if finding is None:
            continue
        label = f"{finding.kind_label} (NPI {finding.npi})"
        try:
            with unit_of_work():
                accept_finding(finding, current_user)
        except (InvalidInput, StaleEdit) as exc:
            reason = "; ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else "changed"
            problems.append(f"{label}: {reason}")
        else:
            accepted += 1
    if problems:
        return _queue(409, f"Accepted {accepted}. Not accepted: " + " · ".join(problems[:20]))
    flash(f"Applied the registry's value for {accepted} difference(s).", "info")
    return redirect(url_for(".verification", kind=request.args.get("kind") or None), 303)


def _decide(finding_id: int, decision: str) -> ResponseReturnValue:
    """Accept or dismiss one finding in its own unit of work."""
    if not ActionForm().validate():
        abort(400, "Your form expired. Reload the page and try again.")
    finding = db.get_or_404(Finding, finding_id)
    label, npi = finding.kind_label, finding.npi
    try:
        with unit_of_work():
            (accept_finding if decision == "accept" else dismiss_finding)(finding, current_user)
    except InvalidInput as exc:
        message = "; ".join(exc.errors.values())
        return _queue(409 if "already handled" in message else 422, message)
    except StaleEdit:
        return _queue(409, "The listing changed meanwhile; reload the queue and try again.")
    verb = "Applied the registry's value" if decision == "accept" else "Dismissed"
    flash(f"{verb}: {label} (NPI {npi}).", "info")
    return redirect(url_for(".verification", kind=request.args.get("kind") or None), 303)


@bp.route("/nppes", methods=["GET", "POST"])
def nppes_upload() -> ResponseReturnValue:
    """Reconcile the directory with an uploaded NPPES extract (up to 5 MB)."""
    form = NppesUploadForm()
    if request.method == "GET":
        return render_template("staff/nppes.html", form=form, report=None)
    if not form.validate():
        return render_template("staff/nppes.html", form=form, report=None), 422
    upload = form.file.data
    try:
        with unit_of_work(), Utf8Lines(upload.stream) as lines:
            report = reconcile(
                lines,
                actor=current_user,
                complete=False,
                filename=upload.filename or "nppes.csv",
            )
    except NppesFileError as exc:
        form.file.errors = [*form.file.errors, str(exc)]
        return render_template("staff/nppes.html", form=form, report=None), 422
    return render_template(
        "staff/nppes.html", form=NppesUploadForm(), report=report, counts=kind_counts(report)
    )
