"""Public pages: home, article, find care, the directory and profiles."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import directory, filters, healthz, photos, routes, sitemaps  # noqa: E402,F401
