"""The front desk's area: listings, clinics, roster import, audit."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from app.staff import routes  # noqa: E402,F401
