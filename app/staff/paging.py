"""Staff list paging at a million rows: pages read from index ranges, counts capped or cheap."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select

from app.extensions import db
from app.services.dashboard import CheckWindow


class _IdsPagination(Pagination):
    """A page cut from matching ids already read in order; the rows are loaded by id."""

    def _query_items(self) -> list[Any]:
        model, ids = self._query_args["model"], self._query_args["ids"]
        wanted = ids[self._query_offset : self._query_offset + self.per_page]
        if not wanted:
            return []
        rows = {
            row.id: row for row in db.session.scalars(select(model).where(model.id.in_(wanted)))
        }
        return [rows[i] for i in wanted if i in rows]

    def _query_count(self) -> int:
        return len(self._query_args["ids"])


def capped_page(
    stmt: Select, model: Any, page: int, per_page: int, cap: int
) -> tuple[Pagination, bool]:
    """The ``page`` of ``stmt`` (a select of ``model``, ordered), and whether more than
    ``cap`` rows match (the total then says ``cap``).

    The matching ids, up to ``cap + 1``, are read once in the statement's order: the
    database walks one narrow index (the search key's or the name order's) for both the
    page and the count, where a page query plus a count query walked it twice, and a rare
    word or part of an NPI, which never stops early, paid for two full scans. A page past
    the cap (typed into the address bar) falls back to an offset query.
    """
    ids = list(db.session.scalars(stmt.with_only_columns(model.id).limit(cap + 1)))
    capped = len(ids) > cap
    ids = ids[:cap]
    # A page is cut from the ids only when it lies wholly among them: with more than ``cap``
    # matches, a page that straddles the cap (a cap that is not a multiple of the page size)
    # would otherwise come out short and its last rows would appear on no page.
    within = page * per_page <= len(ids) if capped else (page - 1) * per_page < len(ids)
    if within or not ids:
        pagination: Pagination = _IdsPagination(
            page=page, per_page=per_page, error_out=False, count=True, model=model, ids=ids
        )
    else:
        pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=False)
        pagination.total = len(ids)
    return pagination, capped


class _WindowPagination(Pagination):
    """A page of a :class:`CheckWindow`: never-checked listings first, then the oldest."""

    def _query_items(self) -> list[Any]:
        window, never = self._query_args["window"], self._query_args["never"]
        return window.page(self._query_offset, self.per_page, never)

    def _query_count(self) -> int:
        return self._query_args["never"] + self._query_args["window"].count_dated()


def window_page(window: CheckWindow, page: int, per_page: int) -> Pagination:
    """The ``page`` of the listings in ``window``, most overdue first, with their total."""
    return _WindowPagination(
        page=page, per_page=per_page, error_out=False, window=window, never=window.count_never()
    )
