"""The write boundary shared by every service, view and CLI command.

Services stage changes (add, flush, audit row, outbox row) and never commit. The view or
CLI command that called them commits once through ``app.transaction.unit_of_work``, which
rolls back on any error and turns the database's own conflict reports into the errors
below, so a caller only has to catch ``StaleEdit`` (409) and ``InvalidInput`` (422).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db

L = TypeVar("L")
K = TypeVar("K", bound=Hashable)

# Unique columns whose clash is the user's to fix: (table, column) -> (field, message).
UNIQUE_MESSAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("provider", "npi"): ("npi", "Another listing already has this NPI."),
    ("user_account", "email"): ("email", "A user with this email already exists."),
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


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100] or "item"


SLUG_PROBE = 64  # candidates checked per query for one base
SLUG_PARAMS = 500  # candidates per query when a batch checks many bases at once


def unique_slug(model: Any, base: str, taken: set[str] | None = None) -> str:
    """A slug for ``model`` not yet used in the database (nor in ``taken``, which grows)."""
    return unique_slugs(model, [base], taken)[0]


def unique_slugs(model: Any, bases: list[str], taken: set[str] | None = None) -> list[str]:
    """One unused slug per base, in order: ``base``, else ``base-2``, ``base-3``, ...

    Candidates are checked by equality on the slug's unique index (which works under any
    collation), many bases per query, so a batch of 2,000 new listings costs a few queries.
    The session remembers where each base got to, so a million-row import with hundreds of
    Ana Smiths never reads its namesakes again. ``taken`` (slugs staged but not yet
    written) grows with every slug handed out.
    """
    taken = taken if taken is not None else set()
    counters = db.session.info.setdefault("unique_slug_next", {})
    cleaned = [slugify(base) for base in bases]
    wanted: dict[str, int] = {}
    for base in cleaned:
        wanted[base] = wanted.get(base, 0) + 1
    found: dict[str, list[str]] = {base: [] for base in wanted}
    width = 1
    while wanted:
        # Each base still short of slugs probes its next few numbers; a base that keeps
        # colliding widens its probe (up to SLUG_PROBE) on the next round.
        blocks = {}
        for base, need in wanted.items():
            n = counters.get((model.__tablename__, base), 1)
            numbers = range(n, n + min(need + width - 1, max(need, SLUG_PROBE)))
            blocks[base] = [(i, base if i == 1 else f"{base}-{i}") for i in numbers]
        candidates = [slug for block in blocks.values() for _, slug in block]
        used = set()
        for start in range(0, len(candidates), SLUG_PARAMS):
            chunk = candidates[start : start + SLUG_PARAMS]
            used.update(db.session.scalars(select(model.slug).where(model.slug.in_(chunk))))
        for base, block in blocks.items():
            for i, slug in block:
                if wanted.get(base, 0) == 0:
                    break
                counters[(model.__tablename__, base)] = i + 1
                if slug in used or slug in taken:
                    continue
                taken.add(slug)
                found[base].append(slug)
                wanted[base] -= 1
            if wanted.get(base) == 0:
                del wanted[base]
        width = min(width * 4, SLUG_PROBE)
    # Hand each base's slugs out in the order the bases came, lowest number first.
    handed = dict.fromkeys(found, 0)
    out = []
    for base in cleaned:
        out.append(found[base][handed[base]])
        handed[base] += 1
    return out


def replace_links(
    current: Iterable[L],
    key: Callable[[L], K],
    wanted: Iterable[K],
    make: Callable[[K], L],
    update: Callable[[L, int, K], None] | None = None,
) -> list[L]:
    """The new, ordered link list for ``wanted`` keys, reusing the link rows that stay.

    Reusing rows keeps their ids (and avoids delete-then-insert unique clashes); ``update``
    sets per-position values such as ``is_primary`` or a phone on each kept or new link.
    """
    old = {key(link): link for link in current}
    links = []
    for position, k in enumerate(dict.fromkeys(wanted)):
        link = old.get(k)
        if link is None:
            link = make(k)
        if update is not None:
            update(link, position, k)
        links.append(link)
    return links
