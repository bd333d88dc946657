"""Many short strings packed in one UTF-8 buffer with offsets.

A Python ``str`` costs about 50 bytes before its first character, and a list adds 8 more
per item, so the names, slugs and typeahead keys of a national directory would hold hundreds
of megabytes in a worker (docs/benchmarks.md).  Packed, they cost their UTF-8 bytes plus
4 or 8 bytes of offset each, load from disk as two arrays, and answer ``table[i]`` by
decoding one slice.

A table built from sorted strings stays sorted by bytes too (UTF-8 keeps code-point
order), so ``bisect_left`` can binary-search it for typeahead prefixes.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable, Iterator

import numpy as np


def _span(offsets: np.ndarray, i: int) -> tuple[int, int]:
    """(start, end) of item ``i`` (negative counts from the end) in a packed table."""
    count = len(offsets) - 1
    if i < 0:
        i += count
    if not 0 <= i < count:
        raise IndexError(i)
    return int(offsets[i]), int(offsets[i + 1])


class StringTable:
    """An immutable sequence of strings stored as one byte buffer and an offsets array."""

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def of(cls, items: Iterable[str]) -> StringTable:
        """Pack ``items`` (in order)."""
        encoded = [s.encode("utf-8") for s in items]
        lengths = np.fromiter((len(b) for b in encoded), np.int64, count=len(encoded))
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        kind = np.int32 if total < 2**31 else np.int64
        offsets = np.zeros(len(encoded) + 1, kind)
        offsets[1:] = ends
        blob = np.frombuffer(b"".join(encoded), np.uint8).copy()
        return cls(blob, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, i: int) -> bytes:
        """The UTF-8 bytes of item ``i``."""
        start, end = _span(self.offsets, i)
        return self.blob[start:end].tobytes()

    def __getitem__(self, i: int) -> str:
        return self.raw(i).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self[i]

    def bisect_left(self, text: str) -> int:
        """Where ``text`` would go in a table built from sorted strings."""
        key = text.encode("utf-8")
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.raw(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    @property
    def nbytes(self) -> int:
        """Memory held by the table's two arrays."""
        return self.blob.nbytes + self.offsets.nbytes


class FileStrings:
    """Strings stored end to end in an open file, each read on its own with ``pread``.

    For large tables read a few items at a time (a page of result cards): a memory map would
    count every page it touched, and the kernel maps up to 16 neighbouring pages per touch,
    in the worker's resident memory, which grows with every search. Read this way they stay
    in the page cache, shared and reclaimable, at one system call per item.
    """

    __slots__ = ("__weakref__", "at", "fd", "offsets")

    def __init__(self, fd: int, at: int, offsets: np.ndarray) -> None:
        """Take ownership of ``fd``: it is closed when the table is garbage-collected (never
        before, so a search still reading an old snapshot never reads a reused descriptor)."""
        self.fd = fd
        self.at = at  # where item 0 starts in the file
        self.offsets = offsets
        weakref.finalize(self, os.close, fd)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, i: int) -> bytes:
        """The bytes of item ``i``."""
        start, end = _span(self.offsets, i)
        return os.pread(self.fd, end - start, self.at + start)
