"""The transaction boundary: a view or CLI command commits its unit of work here, once.

Services (``app/services``) stage changes (add, flush, audit row, outbox row) and never
commit. The view or CLI command that called them commits once through
:func:`unit_of_work`, which rolls back on any error and turns the database's own conflict
reports into the errors below, so a caller only has to catch ``StaleEdit`` (409) and
``InvalidInput`` (422). A service that needs its changes written before it goes on calls
:func:`flush`, which reports a conflict the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db

T = TypeVar("T")

# Unique columns whose clash is the user's to fix: (table, column) -> (field, message).
UNIQUE_MESSAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("provider", "npi"): ("npi", "Another listing already has this NPI."),
    ("user_account", "email"): ("email", "A user with this email already exists."),
    # Two first saves of the same text at once (PostgreSQL names the constraint, SQLite
    # its first column).
    ("content_page", "kind_slug_lang"): ("body", "Someone else saved this text just now."),
    ("content_page", "kind"): ("body", "Someone else saved this text just now."),
}
# Unique columns the code chooses itself: a clash is a race, and trying again fixes it.
RETRYABLE_COLUMNS = frozenset({"slug"})
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")


class StaleEdit(Exception):
    """Someone saved the record after this edit began; ``current`` is their version."""

    def __init__(self, entity: Any) -> None:
        super().__init__("stale edit")
        self._model = type(entity) if entity is not None else None
        # Read the key from the identity map: loading ``entity.id`` could need a database
        # round trip, which a session awaiting rollback refuses.
        identity = inspect(entity).identity if entity is not None else None
        self._id = identity[0] if identity else None

    @property
    def current(self) -> Any:
        """The record as it is now in the database (reloaded after the rollback)."""
        if self._model is None or self._id is None:
            return None
        entity = db.session.get(self._model, self._id)
        if entity is not None:
            db.session.refresh(entity)
        return entity


class InvalidInput(ValueError):
    """Input that breaks a rule spanning fields or rows; ``errors`` maps field to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class SlugTaken(Exception):
    """Two writers picked the same generated slug at once; running the work again fixes it."""


def unique_violation(exc: IntegrityError) -> tuple[str, str] | None:
    """The (table, column) of the unique constraint an IntegrityError broke, if it was one."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None) if diag is not None else None
    if name:
        table = getattr(diag, "table_name", None) or ""
        prefix = f"uq_{table}_"
        return (table, name[len(prefix) :]) if table and name.startswith(prefix) else None
    match = _SQLITE_UNIQUE.search(str(orig))
    return (match.group(1), match.group(2)) if match else None


def translate(exc: Exception, entity: Any = None) -> Exception:
    """The error a caller should see for a database conflict (or ``exc`` itself)."""
    if isinstance(exc, StaleDataError):
        return StaleEdit(entity)
    if isinstance(exc, IntegrityError):
        clash = unique_violation(exc)
        if clash in UNIQUE_MESSAGES:
            field, message = UNIQUE_MESSAGES[clash]
            return InvalidInput({field: message})
        if clash is not None and clash[1] in RETRYABLE_COLUMNS:
            return SlugTaken(f"{clash[0]}.{clash[1]}")
    return exc


def flush(entity: Any = None) -> None:
    """Flush staged changes, turning lost races into StaleEdit/InvalidInput/SlugTaken.

    The session needs a rollback afterwards; :func:`unit_of_work` does that.
    """
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as exc:
        translated = translate(exc, entity)
        if translated is exc:
            raise
        raise translated from None


@contextmanager
def unit_of_work() -> Iterator[Any]:
    """Commit once at the end of the block; roll back (and translate conflicts) on error."""
    session = db.session
    try:
        yield session
        session.commit()
    except (StaleDataError, IntegrityError) as exc:
        session.rollback()
        translated = translate(exc)
        if translated is exc:
            raise
        raise translated from None
    except BaseException:
        session.rollback()
        raise


def perform(work: Callable[[], T], attempts: int = 3) -> T:
    """Run ``work`` in a unit of work, running it again when a generated slug raced."""
    for attempt in range(attempts):
        try:
            with unit_of_work():
                result = work()
            return result
        except SlugTaken:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
