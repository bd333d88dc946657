"""Roster upload, preview (dry run), background apply with progress; CSV export."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import (
    Response,
    abort,
    current_app,
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
from app.services.roster import export_chunks, import_roster
from app.services.roster_jobs import (
    QuotaFull,
    claim,
    fail_if_stale,
    find_upload,
    start_job,
    store_preview,
)
from app.staff import bp
from app.staff.forms import RosterApplyForm, RosterUploadForm
from app.transaction import unit_of_work

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _upload_or_abort(token: str):
    if not TOKEN_RE.match(token or ""):
        abort(400, "That upload reference is not valid. Upload the file again.")
    upload = find_upload(token)
    if upload is None:
        abort(404, "That upload is no longer available. Upload the file again.")
    return upload


@bp.get("/roster")
def roster() -> str:
    """Show the upload form and the export link."""
    return render_template("staff/roster.html", form=RosterUploadForm())


@bp.post("/roster")
def roster_preview() -> ResponseReturnValue:
    """Show a dry run of the uploaded file and keep it (in the database) for applying."""
    form = RosterUploadForm()
    if not form.validate():
        return render_template("staff/roster.html", form=form), 422
    with form.file.data.stream as stream:  # a big upload is a temporary file: close it
        data = stream.read()
    filename = form.file.data.filename or "roster.csv"
    report = import_roster(data, dry_run=True, filename=filename)
    apply_form = None
    if report.ok:
        try:
            with unit_of_work():
                upload = store_preview(data, filename, current_user)
        except QuotaFull:
            body, code = render_error(
                503,
                "Too many roster previews are waiting to be applied. Apply or let them "
                "expire, then try again.",
            )
            return body, code, {"Retry-After": "3600"}
        apply_form = RosterApplyForm(token=upload.token, digest=upload.digest)
    html = render_template(
        "staff/roster_preview.html", report=report, apply_form=apply_form, filename=filename
    )
    return html, 200 if report.ok else 422


@bp.post("/roster/apply")
def roster_apply() -> ResponseReturnValue:
    """Start applying a previewed roster in the background; a second click is told so."""
    form = RosterApplyForm()
    if not form.validate():
        abort(400, "That upload reference is not valid. Upload the file again.")
    upload = _upload_or_abort(form.token.data)
    if upload.digest != form.digest.data:
        abort(409, "The uploaded file changed after the preview. Upload it again.")
    fail_if_stale(upload)
    with unit_of_work():
        claimed = claim(upload)
    if not claimed:
        html = render_template("staff/roster_taken.html", upload=upload)
        return html, 409
    start_job(upload)
    return redirect(url_for(".roster_job", token=upload.token), 303)


@bp.get("/roster/jobs/<token>")
def roster_job(token: str) -> ResponseReturnValue:
    """Show a roster apply's progress; the page refreshes itself until it ends."""
    upload = _upload_or_abort(token)
    fail_if_stale(upload)
    refresh = int(current_app.config.get("ROSTER_JOB_REFRESH_SECONDS", 2))
    return render_template("staff/roster_job.html", upload=upload, refresh=refresh)


@bp.get("/roster/export.csv")
def roster_export() -> Response:
    """Download every active listing in the roster format."""
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    # Streamed as it is read: the first bytes leave at once and memory stays flat.
    size = int(current_app.config.get("ROSTER_EXPORT_CHUNK_ROWS") or 500)
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
