"""Pieces shared by write operations: unique slugs and reordered link lists.

The transaction boundary itself (``unit_of_work``, ``flush`` and the conflict errors
``StaleEdit`` and ``InvalidInput``) is ``app/transaction.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import insert, select

from app.extensions import db

L = TypeVar("L")
K = TypeVar("K", bound=Hashable)


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
            counters[(model.__tablename__, base)] = _take_free(
                block, used, taken, found[base], wanted, base
            )
            if wanted[base] == 0:
                del wanted[base]
        width = min(width * 4, SLUG_PROBE)
    # Hand each base's slugs out in the order the bases came, lowest number first.
    handed = dict.fromkeys(found, 0)
    out = []
    for base in cleaned:
        out.append(found[base][handed[base]])
        handed[base] += 1
    return out


def _take_free(
    block: list[tuple[int, str]],
    used: set[str],
    taken: set[str],
    found: list[str],
    wanted: dict[str, int],
    base: str,
) -> int:
    """Hand out the block's free slugs (into ``found`` and ``taken``) until its base has all
    it wanted; return the number to probe from next time."""
    next_number = block[0][0]
    for i, slug in block:
        if wanted[base] == 0:
            break
        next_number = i + 1
        if slug in used or slug in taken:
            continue
        taken.add(slug)
        found.append(slug)
        wanted[base] -= 1
    return next_number


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


def insert_many(table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (dicts with the same keys) into ``table`` in the current transaction.

    Rows of plain values (every column given, none needing SQLAlchemy's conversion on this
    database, no Python-side default left to fill) go to the driver as tuples, with the
    driver's own placeholders: a national import's link rows skip SQLAlchemy's per-row
    parameter processing, which cost more than the insert. Any other table goes through
    ``insert(table)`` as usual.
    """
    if not rows:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    plain = all(
        c.type.dialect_impl(dialect).bind_processor(dialect) is None for c in columns
    ) and not any(c.default is not None for c in table.c if c.name not in names)
    if not plain:
        db.session.execute(insert(table), rows)
        return
    compiled = _driver_insert(table, tuple(names), dialect)
    if compiled.positional:
        order = compiled.positiontup or []
        conn.exec_driver_sql(compiled.string, [tuple(row[n] for n in order) for row in rows])
    else:
        conn.exec_driver_sql(compiled.string, rows)


@lru_cache(maxsize=64)
def _driver_insert(table: Any, names: tuple[str, ...], dialect: Any) -> Any:
    """``INSERT INTO table (names...)`` compiled once for the driver (its placeholders)."""
    # inline(): no RETURNING of a generated key (PostgreSQL would add one per row).
    return insert(table).inline().compile(dialect=dialect, column_keys=list(names))
