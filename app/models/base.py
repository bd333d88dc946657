"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.types import DateTime, TypeDecorator


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored naive-in-UTC and always returned timezone-aware.

    SQLite has no time zones; storing UTC and re-attaching it on load keeps comparisons
    correct on both SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is UTC:  # now_utc()'s, the common case (a bulk insert's every row)
            return value.replace(tzinfo=None)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# An auto-incrementing big integer that still autoincrements on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
JSONType = JSON
