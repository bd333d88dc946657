"""Roster upload, preview (dry run), background apply with progress; CSV export."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from app.errors import render_error
from app.extensions import db
from app.models import RosterUpload
from app.services.roster.apply import RosterReport, import_roster
from app.services.roster.export import export_chunks, sample_csv
from app.services.roster.jobs import (
    QuotaFull,
    claim,
    claim_undo,
    discard_preview,
    fail_if_stale,
    find_upload,
    start_job,
    start_undo,
    store_preview,
)
from app.services.roster.read import CLEAR_MARKER, CLEARABLE, COLUMN_GUIDE
from app.services.roster.undo import undo_refusal
from app.staff import bp
from app.staff.forms import RosterApplyForm, RosterJobForm, RosterUploadForm
from app.staff.step_up import step_up_required
from app.transaction import unit_of_work

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _upload_or_abort(token: str):
    if not TOKEN_RE.match(token or ""):
        abort(400, "That upload reference is not valid. Upload the file again.")
    upload = find_upload(token)
    if upload is None:
        abort(404, "That upload is no longer available. Upload the file again.")
    return upload


def _roster_page(form: RosterUploadForm) -> str:
    recent = db.session.scalars(
        select(RosterUpload)
        .order_by(RosterUpload.created_at.desc(), RosterUpload.id.desc())
        .limit(10)
    ).all()
    return render_template(
        "staff/roster.html",
        form=form,
        guide=COLUMN_GUIDE,
        clear_marker=CLEAR_MARKER,
        clearable=CLEARABLE,
        recent=recent,
    )


@bp.get("/roster")
def roster() -> str:
    """Show the upload form, the columns, a sample file, recent imports and the export."""
    return _roster_page(RosterUploadForm())


@bp.get("/roster/sample.csv")
def roster_sample() -> Response:
    """Download a small sample roster with every column filled in."""
    return Response(
        sample_csv().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="roster-sample.csv"'},
    )


def _preview_page(
    report: RosterReport, filename: str, apply_form: RosterApplyForm | None, code: int
) -> ResponseReturnValue:
    html = render_template(
        "staff/roster_preview.html",
        report=report,
        apply_form=apply_form,
        discard_form=RosterJobForm(token=apply_form.token.data) if apply_form else None,
        filename=filename,
    )
    return html, code


@bp.post("/roster")
def roster_preview() -> ResponseReturnValue:
    """Show a dry run of the uploaded file and keep it (in the database) for applying."""
    form = RosterUploadForm()
    if not form.validate():
        return _roster_page(form), 422
    with form.file.data.stream as stream:  # a big upload is a temporary file: close it
        data = stream.read()
    filename = form.file.data.filename or "roster.csv"
    blank = "clear" if form.blank_clears.data else "keep"
    report = import_roster(data, dry_run=True, filename=filename, blank=blank)
    apply_form = None
    if report.ok:
        try:
            with unit_of_work():
                upload = store_preview(
                    data, filename, current_user, blank=blank, clears=report.cleared
                )
        except QuotaFull as full:
            whose = "yours" if full.mine else "all staff together"
            body, code = render_error(
                503,
                f"Too many roster previews are waiting to be applied ({whose}). Apply or "
                "discard one on its preview page, or wait until one expires, then try again.",
            )
            return body, code, {"Retry-After": str(full.retry_after)}
        apply_form = RosterApplyForm(token=upload.token, digest=upload.digest)
    return _preview_page(report, filename, apply_form, 200 if report.ok else 422)


@bp.post("/roster/apply")
@step_up_required("Apply the roster import")
def roster_apply() -> ResponseReturnValue:
    """Start applying a previewed roster in the background; a second click is told so.

    A file that clears values needs its "Yes, clear these values" box ticked.
    """
    form = RosterApplyForm()
    if not form.validate():
        abort(400, "That upload reference is not valid. Upload the file again.")
    upload = _upload_or_abort(form.token.data)
    if upload.digest != form.digest.data:
        abort(409, "The uploaded file changed after the preview. Upload it again.")
    fail_if_stale(upload)
    if upload.status in ("previewed", "failed") and not upload.size:
        abort(409, "This file no longer passed its checks and was discarded. Upload it again.")
    if upload.clears and upload.status == "previewed" and not form.confirm_clear.data:
        report = import_roster(
            upload.data, dry_run=True, filename=upload.filename, blank=upload.blank_mode
        )
        form.confirm_clear.errors = [
            "This file clears values. Tick “Yes, clear these values” to apply it."
        ]
        return _preview_page(report, upload.filename, form, 422)
    with unit_of_work():
        claimed = claim(upload)
    if not claimed:
        html = render_template("staff/roster_taken.html", upload=upload)
        return html, 409
    start_job(upload)
    return redirect(url_for(".roster_job", token=upload.token), 303)


@bp.post("/roster/discard")
def roster_discard() -> ResponseReturnValue:
    """Throw away a preview (its file and its share of the quota)."""
    form = RosterJobForm()
    if not form.validate():
        abort(400, "That upload reference is not valid.")
    upload = _upload_or_abort(form.token.data)
    with unit_of_work():
        discarded = discard_preview(upload)
    if not discarded:
        return render_template("staff/roster_taken.html", upload=upload), 409
    flash(f"Discarded the preview of {upload.filename}. Nothing was imported.", "success")
    return redirect(url_for(".roster"), 303)


@bp.get("/roster/jobs/<token>")
def roster_job(token: str) -> ResponseReturnValue:
    """Show a roster job: progress until it ends, then what it did and its undo."""
    upload = _upload_or_abort(token)
    fail_if_stale(upload)
    refresh = int(current_app.config["ROSTER_JOB_REFRESH_SECONDS"])
    refusal = undo_refusal(upload)
    return render_template(
        "staff/roster_job.html",
        upload=upload,
        refresh=refresh,
        undo_form=None if refusal else RosterJobForm(token=upload.token),
        undo_refusal=refusal,
        undo_until=(upload.finished_at or upload.created_at)
        + timedelta(days=int(current_app.config["ROSTER_UNDO_DAYS"])),
    )


@bp.post("/roster/jobs/<token>/undo")
def roster_undo(token: str) -> ResponseReturnValue:
    """Undo an applied import in the background: values edited since are kept and listed."""
    form = RosterJobForm()
    if not form.validate() or form.token.data != token:
        abort(400, "That import reference is not valid.")
    upload = _upload_or_abort(token)
    fail_if_stale(upload)
    with unit_of_work():
        refusal = claim_undo(upload)
    if refusal:
        abort(409, refusal)
    start_undo(upload, current_user)
    return redirect(url_for(".roster_job", token=upload.token), 303)


@bp.get("/roster/export.csv")
@step_up_required("Export the roster")
def roster_export() -> Response:
    """Download every active listing in the roster format."""
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    # Streamed as it is read: the first bytes leave at once and memory stays flat.
    size = int(current_app.config["ROSTER_EXPORT_CHUNK_ROWS"])
    chunks = (text.encode("utf-8") for text in export_chunks(size))
    # Touch the database before the headers go, so an outage answers 503 rather than a
    # 200 that breaks off; the export itself then reads in its own transaction as it streams.
    db.session.execute(select(1))
    db.session.rollback()
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="roster-{stamp}.csv"'},
    )
