"""Giving freed heap memory back to the system (glibc's ``malloc_trim``)."""

from __future__ import annotations

import ctypes


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system.

    A worker's warm-up and its searches free many temporaries that glibc keeps in its heap, so
    the worker's RSS stays at its peak. A no-op where the C library is not glibc.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return
