"""Word-prefix lookup for the typeahead: which entries have a word starting with the text.

The typeahead used to test every specialty, synonym, care-path term, condition and clinic
against what was typed, on every keystroke: a few thousand Python comparisons per request,
and 25,000 clinics in a national directory. A ``WordPrefixIndex`` sorts every word-start
suffix of every entry once (when the vocabulary loads) and answers with a binary search
plus the matching run, so a keystroke costs what it finds, not what exists.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence

EXACT, PREFIX, LATER_WORD = 0.0, 1.0, 2.0


def _word_starts(text: str) -> list[int]:
    return [0, *(i + 1 for i, ch in enumerate(text) if ch == " ")]


class WordPrefixIndex:
    """Entries (folded, space-separated text) found by the prefix of any of their words."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        pairs = [(n, s) for n, text in enumerate(self.texts) for s in _word_starts(text)]
        pairs.sort(key=lambda pair: self.texts[pair[0]][pair[1] :])
        # Two int arrays rather than the suffix strings: 8 bytes a key instead of ~70.
        self._entry = array("i", (n for n, _ in pairs))
        self._start = array("i", (s for _, s in pairs))

    def __len__(self) -> int:
        return len(self.texts)

    def parts(self) -> tuple[list[str], bytes, bytes]:
        """What ``from_parts`` needs to rebuild this index without sorting again: the
        entries, and the sorted (entry, word start) pairs as two native int32 buffers."""
        return self.texts, self._entry.tobytes(), self._start.tobytes()

    @classmethod
    def from_parts(cls, texts: list[str], entry: bytes, start: bytes) -> WordPrefixIndex:
        """An index from ``parts()`` (as saved with the vocabulary)."""
        index = cls.__new__(cls)
        index.texts = texts
        index._entry, index._start = array("i"), array("i")
        index._entry.frombytes(entry)
        index._start.frombytes(start)
        if len(index._entry) != len(index._start) or (
            len(index._entry) and max(index._entry) >= len(texts)
        ):
            raise ValueError("a saved prefix index does not match its entries")
        return index

    def _key(self, i: int) -> str:
        return self.texts[self._entry[i]][self._start[i] :]

    def ranks(self, text: str) -> dict[int, float]:
        """Entry number -> how it matches ``text``: 0 exactly, 1 as a prefix, 2 by a later
        word (the same order as testing ``text`` against each entry in turn)."""
        out: dict[int, float] = {}
        if not text:
            return out
        i = bisect_left(range(len(self._entry)), text, key=self._key)
        while i < len(self._entry):
            key = self._key(i)
            if not key.startswith(text):
                break
            n, start = self._entry[i], self._start[i]
            rank = LATER_WORD if start else EXACT if key == text else PREFIX
            if rank < out.get(n, 3.0):
                out[n] = rank
            i += 1
        return out
