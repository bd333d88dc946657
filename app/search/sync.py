"""Keep the index in step with the database: after-commit apply, poller and catch-up.

* ``app.outbox.enqueue`` (the outbox's only writer) counts the rows a transaction wrote,
  and ``after_flush`` notes a change to reference data the query vocabulary depends on;
  ``after_commit`` then applies the outbox right away when
  ``SEARCH_SYNC_ON_COMMIT`` is set.  A rolled-back transaction never reaches the index,
  because only committed outbox rows are ever read.
  Only a small change set is applied inline: more than ``SEARCH_SYNC_MAX_ROWS`` outbox
  rows, rows fanning out to more than ``SEARCH_REQUEST_BATCH`` providers (a synonym edit
  touching thousands of listings), a missing or a damaged index is handed to the
  background applier, so no request waits for a rebuild.
* Each gunicorn worker starts, from ``post_worker_init`` (never from a request), a
  catch-up (a crash between commit and indexing, or a change committed by another host)
  and a light poller thread when ``SEARCH_POLL_SECONDS`` > 0; ``flask search watch`` runs
  the same poller in the foreground. A database that is down when the worker starts delays
  the warm-up (one log line per try, retried with a capped backoff), never ends it.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app.extensions import db
from app.outbox import take_written
from app.search.memory import release_free_memory
from app.search.vocab import VOCAB_SOURCES

log = logging.getLogger(__name__)
_VOCAB = "search_vocab_changed"
TRIM_SECONDS = 60.0  # how often the poller hands freed memory back to the system
_listening = False
_listen_lock = threading.Lock()


def _after_flush(session: Session, flush_context) -> None:
    touched = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(isinstance(obj, VOCAB_SOURCES) for obj in touched):  # reload the vocabulary
        session.info[_VOCAB] = True


def _after_commit(session: Session) -> None:
    outbox = take_written(session)
    if session.info.pop(_VOCAB, False):
        from app.search import vocab

        vocab.invalidate()
    if outbox:
        try:
            app = current_app._get_current_object()
        except RuntimeError:
            return
        if not app.config["SEARCH_SYNC_ON_COMMIT"]:
            return
        apply_after_commit(app, outbox)


def apply_after_commit(app: Flask, outbox_rows: int) -> None:
    """Apply a small change now; hand a large one (or a rebuild) to a background thread.

    A staff edit sees its change at once, while a synonym edit touching 100,000 providers
    returns immediately and the index catches up within seconds. Two limits: more than
    ``SEARCH_SYNC_MAX_ROWS`` outbox rows is handed off without looking further, and a few
    rows that fan out to more than ``SEARCH_REQUEST_BATCH`` providers (one specialty row
    re-indexes everyone practising it) are handed off before any work starts.
    """
    from app import search

    limit = int(app.config["SEARCH_REQUEST_BATCH"])
    try:
        if outbox_rows > int(app.config["SEARCH_SYNC_MAX_ROWS"]) or not index_healthy():
            hand_off(app)
        else:
            search.apply_changes(build_missing=False, max_batch=limit)
    except search.BatchTooLarge as exc:
        log.info("search: %s; applying in the background", exc)
        hand_off(app)
    except (search.SearchUnavailable, SQLAlchemyError, OSError):
        log.exception("search: applying outbox changes failed; will retry")
        hand_off(app)
    except Exception:
        # The transaction is already committed: an indexing hiccup must never look like a
        # failed save. The outbox row stays, and the background applier (or the poller,
        # or the next commit) picks it up.
        log.exception("search: indexing after commit failed; handing off to retry")
        hand_off(app)


def index_healthy() -> bool:
    from app import search

    st = search.store()
    return st.exists() and not st.integrity_problem()


_background: list[threading.Thread] = []
_background_lock = threading.Lock()


def hand_off(app: Flask) -> threading.Thread | None:
    """Apply the outbox (or rebuild a missing or damaged index) off the request thread.

    With a poller running in this process, it is woken (None is returned); otherwise a
    daemon thread does the work and is returned.
    """
    poller = app.extensions.get("search_poller")
    if poller is not None and poller.thread.is_alive():
        poller.wake.set()
        return None

    def run() -> None:
        with app.app_context():
            try:
                apply_quietly(app)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="search-apply", daemon=True)
    with _background_lock:
        _background[:] = [t for t in _background if t.is_alive()] + [thread]
    thread.start()
    return thread


def wait_for_background(timeout: float = 60.0) -> None:
    """Wait until background appliers started by this process have finished (tests, CLI)."""
    with _background_lock:
        threads = list(_background)
    for thread in threads:
        thread.join(timeout)


def _after_rollback(session: Session) -> None:
    take_written(session)
    session.info.pop(_VOCAB, None)


def apply_quietly(app: Flask, *, build_missing: bool = True) -> int:
    """Apply the outbox, logging (never raising) failures: the poller will retry."""
    from app import search

    try:
        return search.apply_changes(build_missing=build_missing)
    except (search.SearchUnavailable, SQLAlchemyError, OSError):
        log.exception("search: applying outbox changes failed; will retry")
        return 0


class Poller:
    """A daemon thread applying the outbox every few seconds in one process."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="search-poller", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        trimmed = time.monotonic()
        while not self.stop.is_set():
            self.wake.wait(self.interval)
            self.wake.clear()
            if self.stop.is_set():
                break
            if time.monotonic() - trimmed >= TRIM_SECONDS:
                release_free_memory()  # searches' freed temporaries back to the system
                trimmed = time.monotonic()
            with self.app.app_context():
                try:
                    apply_quietly(self.app)
                except Exception:
                    # The poller is what heals this worker's index; an unexpected error
                    # must be seen in the log but must not end the thread.
                    log.exception("search: poller iteration failed; continuing")
                finally:
                    db.session.remove()


# The warm-up retries while the database is down: first after this many seconds, doubling
# up to the cap, for as long as the worker lives (it is a daemon thread).
WARMUP_FIRST_DELAY = 1.0
WARMUP_MAX_DELAY = 60.0
_DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


class Warmup:
    """Catch up with the outbox and warm the searcher in a daemon thread (worker start).

    A database that is down at start-up costs one log line per try, never a traceback or
    the thread: it tries again after ``first_delay`` seconds, doubling up to ``max_delay``,
    until it succeeds, ``stop`` is set, or the process ends.
    """

    def __init__(
        self, app: Flask, first_delay: float | None = None, max_delay: float | None = None
    ) -> None:
        self.app = app
        self.first_delay = WARMUP_FIRST_DELAY if first_delay is None else first_delay
        self.max_delay = max(self.first_delay, WARMUP_MAX_DELAY if max_delay is None else max_delay)
        self.attempts = 0
        self.stop = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="search-warmup", daemon=True)

    def start(self) -> Warmup:
        self.thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        """Wait for the warm-up to end (tests)."""
        self.thread.join(timeout)

    def _run(self) -> None:
        delay = self.first_delay
        while not self.stop.is_set():
            self.attempts += 1
            if self._attempt(delay):
                self.done.set()
                return
            if self.stop.wait(delay):
                return
            delay = min(delay * 2, self.max_delay)

    def _attempt(self, delay: float) -> bool:
        """One try; False when the database was down (try again after ``delay``)."""
        from app import search

        with self.app.app_context():
            try:
                try:
                    search.apply_changes(build_missing=False)
                except search.SearchUnavailable as exc:
                    log.warning("search: outbox not applied at start (%s); the poller will", exc)
                search.warm()
            except search.SearchUnavailable as exc:
                log.warning("search: not warmed (%s); the first search will open the index", exc)
            except _DATABASE_DOWN as exc:
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                log.warning(
                    "search: warm-up waits for the database (%s: %s); retrying in %g s",
                    type(exc).__name__,
                    reason,
                    delay,
                )
                return False
            finally:
                _remove_session()
        return True


def _remove_session() -> None:
    try:
        db.session.remove()
    except SQLAlchemyError:  # closing a connection to a database that went away
        log.debug("search: closing the warm-up session failed", exc_info=True)


def start_warmup(app: Flask) -> Warmup:
    """Catch up with the outbox and warm the searcher in the background (worker start)."""
    return Warmup(app).start()


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


def start_poller(app: Flask) -> Poller | None:
    """Start this process's poller thread (once) when ``SEARCH_POLL_SECONDS`` > 0."""
    interval = float(app.config["SEARCH_POLL_SECONDS"])
    existing = app.extensions.get("search_poller")
    if interval <= 0 or (existing is not None and existing.thread.is_alive()):
        return existing
    poller = Poller(app, interval)
    app.extensions["search_poller"] = poller
    poller.start()
    return poller


def start_worker(app: Flask) -> None:
    """What each gunicorn worker runs after it starts: catch up, warm up, poll."""
    start_warmup(app)
    start_poller(app)


def init_app(app: Flask) -> None:
    """Install the commit hooks (the poller is started by gunicorn or the CLI)."""
    _listen()
