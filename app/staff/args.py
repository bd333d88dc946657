"""Query-string readers for staff pages: bad or out-of-range values are ignored, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import request

from app.converters import MAX_ID

MAX_PAGE = 10_000


def _digits(name: str) -> str | None:
    """The argument without leading zeros if it is all ASCII digits, else None."""
    value = request.args.get(name, "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return value.lstrip("0") or "0"


def int_arg(name: str) -> int | None:
    """The argument as a row id from 1 to MAX_ID, else None."""
    digits = _digits(name)
    if digits is None or len(digits) > len(str(MAX_ID)):
        return None
    number = int(digits)
    return number if 1 <= number <= MAX_ID else None


def page_arg(name: str = "page") -> int:
    """The page number clamped to 1..MAX_PAGE; 1 when missing or garbled."""
    digits = _digits(name)
    if digits is None:
        return 1
    if len(digits) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(digits), 1), MAX_PAGE)


def date_arg(name: str) -> datetime | None:
    """The argument as a YYYY-MM-DD day (midnight UTC) before the year 9999, else None."""
    try:
        day = datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None
    if day.year >= 9999:  # the day after 9999-12-31 cannot be represented
        return None
    return datetime.combine(day, time.min, tzinfo=UTC)
