"""Staff pages."""

from __future__ import annotations

from app.staff import bp  # noqa: F401
