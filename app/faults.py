"""Faults a request can meet on its way to the database, answered clearly, never with a 500.

* A NUL character in the path is a 404, in the query string or form a 400, before any view
  runs (PostgreSQL cannot store NUL in text, and no real input contains one).
* The database unreachable, refusing connections or busy (a long SQLite write) answers 503
  with ``Retry-After``; the next request tries again, so the site recovers by itself.
* A value the database refuses (``DataError``) answers 422; a write conflict no view
  handled (``StaleEdit``, ``InvalidInput``, ``SlugTaken``) answers 409 or 422.
* SQLite runs in WAL mode, so readers never wait on a writer; a writer waits at most
  ``SQLITE_BUSY_TIMEOUT_MS`` for another writer.
* A search index that cannot be read (damaged, being rebuilt) answers 503 with
  ``Retry-After`` wherever no view handled it, in the surface's own format.
* A URL longer than ``MAX_URL_BYTES`` answers 414 (an HTML page, a JSON error under /api,
  an OperationOutcome under /fhir) before any view runs; gunicorn's own limit
  (``limit_request_line``) sits above it, so its bare HTML page is not what people see.
"""

from __future__ import annotations

import sqlite3

from flask import Flask, abort, current_app, g, make_response, request
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.extensions import db, login_manager
from app.search import interface as search
from app.transaction import InvalidInput, SlugTaken, StaleEdit

NUL = "\x00"
# Words people read, in the request's language (babel.cfg extracts this module).
UNAVAILABLE_MESSAGE = _l(
    "The directory is briefly unavailable while we reconnect to our database. "
    "Nothing you saved is lost. Please try again in a minute."
)
SEARCH_UNAVAILABLE_MESSAGE = _l(
    "Search is briefly unavailable while its index is rebuilt. Please try again in a minute."
)
_sqlite_listening = False


def _has_nul(multidict) -> bool:
    return any(NUL in key or NUL in value for key, value in multidict.items(multi=True))


def reject_nul() -> None:
    """Answer 404 for a path, 400 for a query or form, holding a NUL character."""
    if NUL in request.path:
        abort(404)
    if _has_nul(request.args) or (
        request.method in ("POST", "PUT", "PATCH") and _has_nul(request.form)
    ):
        abort(400, gettext("The request contained a character that is not allowed (NUL)."))


def url_bytes() -> int:
    """Length in bytes of the request's target (path and query string) as it was sent."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:  # a server that keeps no raw target: WSGI strings hold one char per byte
        query = environ.get("QUERY_STRING", "")
        raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        raw += f"?{query}" if query else ""
    return len(raw)


def reject_long_url() -> None:
    """Answer 414 for a URL longer than ``MAX_URL_BYTES`` (path and query string)."""
    limit = int(current_app.config["MAX_URL_BYTES"])
    if limit and url_bytes() > limit:
        abort(
            414,
            gettext(
                "The address is too long (over %(limit)s bytes). Shorten the search and try again.",
                limit=format_decimal(limit),
            ),
        )


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.debug("rollback after a database fault failed", exc_info=True)


def database_unavailable(error: Exception) -> ResponseReturnValue:
    """503 with Retry-After for an unreachable, refusing or busy database."""
    from app.errors import render_error

    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    _rollback_quietly()
    # The page must not try to load the signed-in user from the database that just failed.
    g._login_user = login_manager.anonymous_user()
    response = make_response(render_error(503, UNAVAILABLE_MESSAGE))
    response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    return response


def search_unavailable(error: search.SearchUnavailable) -> ResponseReturnValue:
    """503 with Retry-After when the search index cannot be read (damaged or rebuilding)."""
    from app.errors import render_error

    current_app.logger.warning("search unavailable: %s", str(error).splitlines()[0])
    response = make_response(render_error(503, SEARCH_UNAVAILABLE_MESSAGE))
    response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    return response


def data_refused(error: DataError) -> ResponseReturnValue:
    """422 for a value the database refuses (a type or length it cannot store)."""
    from app.errors import render_error

    current_app.logger.info("database refused a value: %s", str(error).splitlines()[0])
    _rollback_quietly()
    return render_error(
        422, gettext("Some of what was sent could not be stored. Check it and try again.")
    )


def stale_edit(error: StaleEdit) -> ResponseReturnValue:
    """409 for a stale save no view handled itself (views normally show a diff)."""
    from app.errors import render_error

    _rollback_quietly()
    return render_error(
        409,
        gettext("Someone else saved this record after you opened it. Reload it and try again."),
    )


def invalid_input(error: InvalidInput) -> ResponseReturnValue:
    """422 for a rule a view did not turn into field errors itself."""
    from app.errors import render_error

    _rollback_quietly()
    return render_error(422, " ".join(error.errors.values()))


def slug_taken(error: SlugTaken) -> ResponseReturnValue:
    """409 when a generated name clashed with a simultaneous save even after retries."""
    from app.errors import render_error

    _rollback_quietly()
    return render_error(
        409, gettext("Someone saved a record with the same name just now. Save again.")
    )


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    try:
        timeout = int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
    except RuntimeError:  # no app context (a script using the engine directly)
        timeout = 1000
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={timeout:d}")
    cursor.close()


def init_app(app: Flask) -> None:
    """Install the URL and NUL checks, the fault handlers and the SQLite settings."""
    global _sqlite_listening
    app.before_request(reject_long_url)
    app.before_request(reject_nul)
    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, database_unavailable)
    app.register_error_handler(search.SearchUnavailable, search_unavailable)
    app.register_error_handler(DataError, data_refused)
    app.register_error_handler(StaleEdit, stale_edit)
    app.register_error_handler(InvalidInput, invalid_input)
    app.register_error_handler(SlugTaken, slug_taken)
    if not _sqlite_listening:
        event.listen(Engine, "connect", _sqlite_on_connect)
        _sqlite_listening = True
