"""Public pages: home, article, find care, the directory and profiles."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import (  # noqa: E402,F401
    directory,
    filters,
    healthz,
    photos,
    reports,
    routes,
    sitemaps,
)
