"""The front desk's area: listings, clinics, the two queues (due for re-check, registry
differences), roster import, audit."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from app.staff import (  # noqa: E402,F401
    admin,
    content,
    feeds,
    locations,
    providers,
    recheck,
    reports,
    roster,
    routes,
    security,
    sessions,
    step_up,
    verification,
)
