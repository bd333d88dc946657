"""The front desk's area: listings, clinics, roster import, audit."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from app.staff import (  # noqa: E402,F401
    admin,
    locations,
    providers,
    reports,
    roster,
    routes,
    verification,
)
