"""Language rows: a typed code, name or alias becomes a ``language`` row (flush, no commit).

Reading what was typed is pure and lives in ``app/parsing/languages.py``.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Language
from app.parsing.languages import UnknownLanguage, resolve_language


def language_row(text: str) -> Language:
    """The Language row for a code, name or alias, adding it on first use (flush, no commit)."""
    code, name = resolve_language(text)
    row = db.session.scalar(select(Language).where(Language.code == code))
    if row is None:
        row = Language(code=code, name=name[:80])
        db.session.add(row)
        db.session.flush()
    return row


def language_rows(texts: list[str]) -> tuple[list[Language], list[str]]:
    """Rows for each text (in order, without repeats) and the messages for those refused."""
    rows: dict[int, Language] = {}
    problems = []
    for text in texts:
        try:
            row = language_row(text)
        except UnknownLanguage as exc:
            problems.append(str(exc))
            continue
        rows.setdefault(row.id, row)
    return list(rows.values()), problems
