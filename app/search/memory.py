"""Giving freed heap memory back to the system (glibc's ``malloc_trim``)."""

from __future__ import annotations

import ctypes
import gc


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system.

    A worker's warm-up and its searches free many temporaries that glibc keeps in its heap, so
    the worker's RSS stays at its peak. A no-op where the C library is not glibc.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return


def collect_frozen() -> None:
    """Free what a warmed worker froze and has since dropped (the previous generation's
    snapshot, searcher and vocabulary), then freeze what lives on.

    ``gc.freeze()`` after the warm-up keeps the collector off the worker's long-lived
    objects, but a frozen object caught in a reference cycle is never freed: after each
    rebuild the old generation's arrays would stay in the worker for good. A no-op in a
    process that froze nothing (tests, the CLI).
    """
    if not gc.get_freeze_count():
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    release_free_memory()
