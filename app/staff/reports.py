"""The "Reports" inbox: patients' reports of wrong listings, each due in a business day."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    REPORT_STATUSES,
    ListingReport,
    Location,
    Provider,
    now_utc,
)
from app.services.reports import purge_closed_reports, set_report_status
from app.staff import bp
from app.staff.forms import ReportStatusForm
from app.transaction import unit_of_work

SHOWN = 200
VIEWS = {"open": "Open", **{k: v for k, v in REPORT_STATUSES.items()}}


@bp.get("/reports")
def reports() -> str:
    """List reports, open ones first by due time (the oldest due at the top)."""
    view = request.args.get("status", "open")
    if view not in VIEWS:
        abort(404)
    with unit_of_work():
        purge_closed_reports()
    stmt = select(ListingReport)
    if view == "open":
        stmt = stmt.where(ListingReport.status.in_(OPEN_STATUSES))
    else:
        stmt = stmt.where(ListingReport.status == view)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(
        stmt.order_by(ListingReport.due_at, ListingReport.id).limit(SHOWN)
    ).all()
    providers = _names(Provider, [r.provider_id for r in items if r.provider_id])
    clinics = _names(Location, [r.location_id for r in items if r.location_id])
    counts = dict(
        db.session.execute(
            select(ListingReport.status, func.count()).group_by(ListingReport.status)
        ).all()
    )
    return render_template(
        "staff/reports.html",
        items=items,
        total=total,
        view=view,
        views=VIEWS,
        counts=counts,
        providers=providers,
        clinics=clinics,
        now=now_utc(),
        forms={r.id: ReportStatusForm(status=r.status, note=r.staff_note) for r in items},
    )


def _names(model, ids: list[int]) -> dict[int, object]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


@bp.post("/reports/<int:report_id>")
def report_status(report_id: int) -> ResponseReturnValue:
    """Set a report's status; "Fixed" on a provider also records a verification."""
    report = db.get_or_404(ListingReport, report_id)
    form = ReportStatusForm()
    if not form.validate():
        abort(400, "Choose a status.")
    with unit_of_work():
        set_report_status(report, form.status.data, current_user, form.note.data or "")
    flash(f"Report {report_id} is now “{REPORT_STATUSES[form.status.data]}”.", "success")
    return redirect(url_for(".reports", status=request.args.get("view", "open")), 303)
