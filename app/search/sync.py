"""Keeps the index in step with the database (placeholder)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the after-commit hook and poller."""
