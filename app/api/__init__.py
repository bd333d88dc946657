"""The JSON API, version 1."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes, triage  # noqa: E402,F401
