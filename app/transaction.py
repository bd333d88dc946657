"""The transaction boundary: a view or CLI command commits its unit of work here, once.

Services (``app/services``) only stage changes; see ``app/services/write.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.services.write import SlugTaken, translate

T = TypeVar("T")


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
