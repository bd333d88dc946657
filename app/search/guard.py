"""Reads of a damaged index answer "unavailable" (a 503), never a 500.

Whoosh reads its files lazily, so a segment overwritten behind the writer's back (a bad
disk, a stray ``cp``) surfaces in the middle of a search already holding an open searcher,
as whatever its decoder trips on: ``OSError`` (EINVAL from a seek), ``ValueError``,
``struct.error``, a bare ``Exception("Block tag error")``. A read that fails is therefore
judged by the index itself:

* the live generation's files differ from its manifest: damaged;
* or the exception was raised inside Whoosh's own code while decoding (files intact by
  size and time, their bytes not): the generation is marked unreadable.

Either way the searcher is dropped, the writer is woken to rebuild into a fresh
generation (the poller, or a background thread), and the caller gets SearchUnavailable.
Anything else is a bug and is raised as it is.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import whoosh
from flask import current_app, has_app_context

from app.search.store import SearchUnavailable, Store

log = logging.getLogger(__name__)
_WHOOSH = str(Path(whoosh.__file__).resolve().parent)
# What a programming error looks like, even when Whoosh raises it: never called damage.
BUGS = (TypeError, AttributeError, NameError, AssertionError, NotImplementedError)


def raised_by_whoosh(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by Whoosh's own code (its innermost frame is Whoosh's)
    and is not a programming error."""
    if isinstance(exc, BUGS):
        return False
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return str(Path(tb.tb_frame.f_code.co_filename).resolve()).startswith(_WHOOSH)


@contextlib.contextmanager
def guarded(st: Store, repair: bool = True) -> Iterator[None]:
    """Turn a read that fails on damaged index files into SearchUnavailable.

    With ``repair``, the writer is asked to rebuild at once (a web request; the CLI
    reports instead).
    """
    try:
        yield
    except SearchUnavailable:
        raise
    except Exception as exc:
        gen = st.reading_generation
        if gen is None:
            raise
        # A first look without the lock: with a failed read in hand, any difference from
        # the manifest is reason enough to answer "unavailable" (the writer judges it).
        problem = st.integrity_problem_locked(gen)
        decoder = problem is None and raised_by_whoosh(exc)
        if decoder:
            problem = f"{type(exc).__name__}: {exc}"
            st.mark_unreadable(gen, problem)
        if problem is None:
            raise
        # One line for a known damage; the traceback when only the decoder's error tells.
        log.error(
            "search: the index could not be read (%s); unavailable until it is rebuilt",
            problem,
            exc_info=exc if decoder else None,
        )
        st.drop_searcher()
        if repair:
            _wake_writer()
        raise SearchUnavailable(f"the search index is damaged ({problem}); rebuilding") from exc


def _wake_writer() -> None:
    """Start the rebuild now: wake this process's poller, or hand off to a thread."""
    if not has_app_context():
        return
    from app.search.sync import hand_off  # sync needs the models; imported when needed

    hand_off(current_app._get_current_object())
