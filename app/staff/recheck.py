"""Due for re-check: listings whose last check with the clinic is old, most overdue first.

Not to be confused with the registry differences (NPPES findings, ``verification.py``).
"Confirmed unchanged" on each row is the provider quick action ``verify``
(``providers.provider_action``): versioned, audited, back to this page.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from app.models import now_utc
from app.services.dashboard import due_for_recheck, recheck_cutoff
from app.services.health import AGE_BANDS, age_window
from app.staff import bp
from app.staff.args import page_arg
from app.staff.paging import window_page

PER_PAGE = 50
AGE_LABELS = {key: label for key, label, _low, _high in AGE_BANDS}


@bp.get("/re-check")
def recheck() -> str:
    """List active listings due for re-check, most overdue first; ``age`` picks a band of
    days since the last check instead (the dashboard's health chart links to them)."""
    age = request.args.get("age", "")
    now = now_utc()
    if age:
        window = age_window(age, now)
        if window is None:
            abort(404)
    else:
        window = due_for_recheck(recheck_cutoff(now))
    return render_template(
        "staff/recheck.html",
        page=window_page(window, page_arg(), PER_PAGE),
        age=age,
        age_labels=AGE_LABELS,
        every_days=current_app.config["VERIFY_EVERY_DAYS"],
        now=now,
    )
