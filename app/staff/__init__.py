"""The front desk's area: listings, clinics, roster import, audit."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from app.staff import admin, locations, providers, roster, routes  # noqa: E402,F401
