"""Keep the index in step with the database: after-commit apply, poller and catch-up.

* ``after_flush`` notes that the transaction wrote outbox rows (or reference data the
  query vocabulary depends on); ``after_commit`` then applies the outbox right away when
  ``SEARCH_SYNC_ON_COMMIT`` is set.  A rolled-back transaction never reaches the index,
  because only committed outbox rows are ever read.
* The first request in each process catches up (a crash between commit and indexing, or a
  change committed by another host) and starts a light poller thread when
  ``SEARCH_POLL_SECONDS`` > 0.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import CarePath, Location, SearchOutbox, Specialty

log = logging.getLogger(__name__)
_OUTBOX = "search_outbox_pending"
_VOCAB = "search_vocab_changed"
_listening = False
_listen_lock = threading.Lock()


def _after_flush(session: Session, flush_context) -> None:
    touched = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, SearchOutbox) for obj in session.new):
        session.info[_OUTBOX] = True
    if any(isinstance(obj, Specialty | CarePath | Location) for obj in touched):
        session.info[_VOCAB] = True


def _after_commit(session: Session) -> None:
    outbox = session.info.pop(_OUTBOX, False)
    if session.info.pop(_VOCAB, False):
        from app.search import vocab

        vocab.invalidate()
    if outbox:
        try:
            app = current_app._get_current_object()
        except RuntimeError:
            return
        if app.config.get("SEARCH_SYNC_ON_COMMIT"):
            apply_after_commit(app)


def _after_rollback(session: Session) -> None:
    session.info.pop(_OUTBOX, None)
    session.info.pop(_VOCAB, None)


def apply_quietly(app: Flask, *, build_missing: bool = True) -> int:
    """Apply the outbox, logging (never raising) failures: the poller will retry."""
    from app import search

    try:
        return search.apply_changes(build_missing=build_missing)
    except (search.SearchUnavailable, SQLAlchemyError, OSError):
        log.exception("search: applying outbox changes failed; will retry")
        return 0


REQUEST_BATCH = 2000  # providers a request may re-index itself (a few hundred ms at most)


def apply_after_commit(app: Flask) -> None:
    """Apply a small change now; hand a large one (or a rebuild) to a background thread.

    A staff edit sees its change at once, while a synonym edit touching 100,000 providers
    returns immediately and the index catches up within seconds.
    """
    from app import search

    limit = int(app.config.get("SEARCH_REQUEST_BATCH") or REQUEST_BATCH)
    try:
        search.apply_changes(max_batch=limit)
    except search.BatchTooLarge as exc:
        log.info("search: %s; applying in the background", exc)
        apply_in_background(app)
    except (search.SearchUnavailable, SQLAlchemyError, OSError):
        log.exception("search: applying outbox changes failed; will retry")


def apply_in_background(app: Flask) -> threading.Thread:
    """Apply the outbox (whatever its size) in a daemon thread of this process."""

    def run() -> None:
        with app.app_context():
            try:
                apply_quietly(app)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="search-apply", daemon=True)
    thread.start()
    return thread


class Poller:
    """A daemon thread applying the outbox every few seconds in one process."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="search-poller", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            with self.app.app_context():
                try:
                    apply_quietly(self.app)
                except Exception:
                    # The poller is what heals this worker's index; an unexpected error
                    # must be seen in the log but must not end the thread.
                    log.exception("search: poller iteration failed; continuing")
                finally:
                    db.session.remove()


_warmed = threading.Event()


def _warm_geography() -> None:
    """Load the offline ZIP table in the background so no search waits ~1 s for it."""
    if not _warmed.is_set():
        _warmed.set()
        from app.search.geo import city_centroid

        threading.Thread(target=city_centroid, args=("Seattle", "WA"), daemon=True).start()


def start_warmup(app: Flask) -> threading.Thread:
    """Catch up with the outbox and warm the searcher in the background (worker start)."""

    def run() -> None:
        from app import search

        with app.app_context():
            try:
                apply_quietly(app, build_missing=False)
                search.warm()
            except search.SearchUnavailable as exc:
                log.warning("search: not warmed (%s); the first search will open the index", exc)
            finally:
                db.session.remove()

    _warm_geography()
    thread = threading.Thread(target=run, name="search-warmup", daemon=True)
    thread.start()
    return thread


def _listen() -> None:
    global _listening
    with _listen_lock:
        if _listening:
            return
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        event.listen(Session, "after_soft_rollback", lambda s, t: _after_rollback(s))
        _listening = True


def init_app(app: Flask) -> None:
    """Install the commit hooks, the first-request catch-up and the poller."""
    _listen()
    state = {"pid": None}
    lock = threading.Lock()

    @app.before_request
    def _catch_up() -> None:
        if state["pid"] == os.getpid():
            return
        with lock:
            if state["pid"] == os.getpid():
                return
            state["pid"] = os.getpid()
            _warm_geography()
            apply_quietly(app, build_missing=False)
            interval = float(app.config.get("SEARCH_POLL_SECONDS") or 0)
            if interval > 0:
                poller = Poller(app, interval)
                app.extensions["search_poller"] = poller
                poller.start()
