"""Roster upload, preview (dry run) and apply; CSV export."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

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

from app.services.roster import export_chunks, import_roster
from app.staff import bp
from app.staff.forms import RosterApplyForm, RosterUploadForm

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "roster-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_old_uploads(max_age: float = 24 * 3600) -> None:
    """Delete previews nobody applied within a day."""
    cutoff = time.time() - max_age
    for old in _upload_dir().glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _stored(token: str, digest: str) -> Path:
    """The uploaded file for a token, if it exists and still has the previewed checksum."""
    if not TOKEN_RE.match(token or "") or not re.fullmatch(r"[0-9a-f]{64}", digest or ""):
        abort(400, "That upload reference is not valid. Upload the file again.")
    path = _upload_dir() / f"{token}.csv"
    if not path.is_file():
        abort(404, "That upload is no longer available. Upload the file again.")
    if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        abort(409, "The uploaded file changed after the preview. Upload it again.")
    return path


@bp.get("/roster")
def roster() -> str:
    """Show the upload form and the export link."""
    return render_template("staff/roster.html", form=RosterUploadForm())


@bp.post("/roster")
def roster_preview() -> ResponseReturnValue:
    """Keep the uploaded file and show a dry run of it."""
    form = RosterUploadForm()
    if not form.validate():
        return render_template("staff/roster.html", form=form), 422
    data = form.file.data.read()
    report = import_roster(data, dry_run=True, filename=form.file.data.filename or "roster.csv")
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(data).hexdigest()
    apply_form = RosterApplyForm(token=token, digest=digest)
    if report.ok:
        _forget_old_uploads()
        (_upload_dir() / f"{token}.csv").write_bytes(data)
    status = 200 if report.ok else 422
    html = render_template(
        "staff/roster_preview.html",
        report=report,
        apply_form=apply_form,
        filename=form.file.data.filename,
    )
    return html, status


@bp.post("/roster/apply")
def roster_apply() -> ResponseReturnValue:
    """Apply a previewed roster in one transaction (nothing if any row is rejected)."""
    form = RosterApplyForm()
    if not form.validate():
        abort(400, "That upload reference is not valid. Upload the file again.")
    path = _stored(form.token.data, form.digest.data)
    report = import_roster(
        path.read_bytes(), dry_run=False, actor=current_user, filename="uploaded roster"
    )
    if not report.ok:
        html = render_template(
            "staff/roster_preview.html", report=report, apply_form=None, filename="uploaded roster"
        )
        return html, 422
    path.unlink(missing_ok=True)
    flash(f"Roster applied: {report.summary()}.", "info")
    return redirect(url_for(".roster"))


@bp.get("/roster/export.csv")
def roster_export() -> Response:
    """Download every active listing in the roster format."""
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    # Streamed as it is read: the first bytes leave at once and memory stays flat.
    size = int(current_app.config.get("ROSTER_EXPORT_CHUNK_ROWS") or 500)
    chunks = (text.encode("utf-8") for text in export_chunks(size))
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="roster-{stamp}.csv"'},
    )
