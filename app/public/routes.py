"""Public content pages."""

from __future__ import annotations

from flask import render_template

from app.public import bp


@bp.get("/")
def home() -> str:
    """Show the home page."""
    return render_template("public/home.html")
