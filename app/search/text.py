"""Text normalisation shared by indexing and querying: folding, tokens, name variants."""

from __future__ import annotations

import re
import unicodedata
import zlib
from array import array
from functools import lru_cache

import numpy as np
from rapidfuzz.distance import OSA
from whoosh.lang.porter import stem as _porter_stem

from app.text import fold

MAX_TEXT = 200
MAX_TOKENS = 12


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Dotted abbreviations ("M.D.", "Ph.D.", "P.T.") read as one word, so "M.D." finds "MD".
_DOTTED_RE = re.compile(r"(?<![^\W_])(?:[^\W\d_]{1,2}\.){2,}(?![^\W_])")

HONORIFICS = wordset("dr dr. dra doctor doc mr mrs ms miss mx prof professor sir madam")
# Credentials and suffixes people type after a name; ignored as name terms.  Credentials
# that are also specialty synonyms (pt, pa, np, arnp, lmp, atc, lac, eamp) are left to the
# specialty matcher instead.
CREDENTIALS = wordset(
    "md do dpt phd psyd dc dpm od rn ocs otr otd rdn dds dmd mph mba facs facp faap cscs scs "
    "ms mpt bsn msn dnp jr sr ii iii iv esq mbbs"
)
STOPWORDS = wordset("a an and the of for with in near at around by to my me i who")
# Words that describe a complaint rather than name anyone ("my back hurts", "lower back").
# Dropped only when the text also holds a specialty or care-path phrase, so a provider whose
# name is one of these can still be found by name alone.
FILLER = wordset(
    "my hurts hurt hurting lower upper pain pains painful ache aches aching sore bad chronic "
    "severe doctor doctors specialist specialists for with i have has having need see "
    # The same in Spanish ("me duele la rodilla", "necesito un médico para mi hijo").
    "dolor duele duelen molestia molestias tengo tiene necesito busco medico medicos medica "
    "doctora especialista cronico cronica fuerte "
    # Wanting and feeling ("quiero un pediatra", "no quiero vivir"): never typos of a health
    # word ("quiero" is one letter from "quiro", as in quiropráctico).
    "quiero quiere queremos quisiera siento"
)
# Spanish little words ("dolor de rodilla", "pediatra en Seattle", "cerca de 98104"). Not
# stopwords: "de la" and "del" also start surnames ("de la Cruz"), so they are dropped only
# beside a specialty or condition phrase, like the filler words.
GLUE = wordset("de del la el los las en un una para con y cerca alrededor mis")


def clean(text: object, cap: int = MAX_TEXT) -> str:
    """Make any user text safe to work with: no control characters, trimmed and capped."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[: cap * 4]
    text = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) not in ("Cf", "Cs", "Co", "Cn") or c == " "
    )
    return " ".join(text.split())[:cap].strip()


def words(text: str) -> list[str]:
    """Folded word tokens; apostrophes inside words are dropped ("o'rourke" -> "orourke")."""
    return list(_words(text))


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str, ...]:
    folded = fold(text)
    if "." in folded:
        folded = _DOTTED_RE.sub(lambda m: m.group(0).replace(".", ""), folded)
    found = _WORD_RE.findall(folded)
    if "'" in folded:
        return tuple(w.replace("'", "") for w in found)
    return tuple(found)


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """Porter stem of a folded word (for matching specialty phrases)."""
    return _porter_stem(word) if len(word) > 3 else word


def stems(tokens: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Stem every token."""
    return tuple(stem(t) for t in tokens)


def name_terms(*parts: str) -> list[str]:
    """Every token a name should be found by, including joined multi-part names.

    "García-López" gives garcia, lopez and garcialopez; "De la Cruz" also gives delacruz.
    """
    out: list[str] = []
    for part in parts:
        tokens = words(part)
        out.extend(tokens)
        if len(tokens) > 1:
            out.append("".join(tokens))
    seen: set[str] = set()
    return [t for t in out if t and not (t in seen or seen.add(t))]


def sort_key(last: str, first: str) -> str:
    """The folded "last first" key used for sorting by name."""
    return " ".join(words(last) + words(first))


def damerau(a: str, b: str, cap: int = 3) -> int:
    """Optimal-string-alignment edit distance (a transposition counts once), capped.

    rapidfuzz's C++ implementation: the same answers as the textbook dynamic programme,
    about 30 times faster, and it stops early past ``cap`` (returning ``cap + 1``).
    """
    return OSA.distance(a, b, score_cutoff=cap)


def max_edits(word: str) -> int:
    """Allowed typos for a word: none below 4 letters, one up to 7, two beyond."""
    n = len(word)
    return 0 if n < 4 else 1 if n < 8 else 2


def deletions(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _key(text: str) -> int:
    """A deletion key's stable 32-bit hash (the same in every process, so it can be saved)."""
    return zlib.crc32(text.encode("utf-8"))


class FuzzyLexicon:
    """Symmetric-delete typo lookup over a vocabulary (fast at any size, and compact).

    Every word's deletion keys are kept as sorted 32-bit hashes beside the number of the
    word they came from, in numpy arrays: far smaller than a dict of key strings in every worker,
    and it loads from the saved vocabulary as two buffers instead of one string per key
    (docs/benchmarks.md). Two keys that share a hash only bring an extra candidate, which the edit
    distance then rules out.
    """

    MAX_CHUNKS = 8  # words added later (new index segments) are merged past this many

    def __init__(self, vocabulary=()) -> None:
        self.words: set[str] = set()
        self._by_id: list[str] = []
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, word ids)
        self.extend(vocabulary)

    def parts(self) -> tuple[list[str], list[tuple[bytes, bytes]]]:
        """What ``from_parts`` needs: the words by number, and each chunk's sorted uint32
        hashes and int32 word numbers as native buffers."""
        return list(self._by_id), [(h.tobytes(), i.tobytes()) for h, i in self.chunks]

    @classmethod
    def from_parts(cls, by_id: list[str], chunks: list[tuple[bytes, bytes]]) -> FuzzyLexicon:
        """A lexicon from ``parts()`` (as saved with the vocabulary)."""
        lexicon = cls()
        lexicon._by_id = by_id
        lexicon.words = set(by_id)
        for hashes, ids in chunks:
            chunk = np.frombuffer(hashes, np.uint32), np.frombuffer(ids, np.int32)
            if len(chunk[0]) != len(chunk[1]) or (len(chunk[1]) and chunk[1].max() >= len(by_id)):
                raise ValueError("a saved typo lookup does not match its words")
            lexicon.chunks.append(chunk)
        return lexicon

    def extend(self, vocabulary) -> None:
        """Add words (words already known, and words under four letters, are skipped)."""
        hashes, ids = array("I"), array("i")
        try:
            for word in vocabulary:
                if len(word) < 4 or word in self.words:
                    continue
                keys = [_key(d) for d in deletions(word, 2 if len(word) >= 8 else 1)]
                number = len(self._by_id)
                self._by_id.append(word)
                self.words.add(word)
                hashes.extend(keys)
                ids.extend([number] * len(keys))
        finally:
            # Publish what was read even if the words' source failed part-way (a word marked
            # known without its keys could never be found again).
            self._add_chunk(hashes, ids)

    def _add_chunk(self, hashes: array, ids: array) -> None:
        if not hashes:
            return
        # A word's id is in _by_id before any chunk naming it is published, so a lookup in
        # another thread never meets an id it cannot resolve.
        chunk = _sorted_chunk(np.frombuffer(hashes, np.uint32), np.frombuffer(ids, np.int32))
        chunks = [*self.chunks, chunk]
        if len(chunks) > self.MAX_CHUNKS:
            # Merge the later, smaller chunks only: the first (every word known at start)
            # is not re-sorted while the searches of this worker wait.
            first, *rest = chunks
            chunks = [
                first,
                _sorted_chunk(
                    np.concatenate([h for h, _ in rest]), np.concatenate([i for _, i in rest])
                ),
            ]
        self.chunks = chunks

    def lookup(self, word: str) -> list[tuple[str, int]]:
        """Words within the allowed edit distance of ``word``, nearest first."""
        limit = max_edits(word)
        if not limit or not self.chunks:
            return []
        keys = np.fromiter((_key(d) for d in deletions(word, limit)), np.uint32)
        numbers: set[int] = set()
        for hashes, ids in self.chunks:
            lo = np.searchsorted(hashes, keys, "left")
            hi = np.searchsorted(hashes, keys, "right")
            for a, b in zip(lo[hi > lo].tolist(), hi[hi > lo].tolist(), strict=True):
                numbers.update(ids[a:b].tolist())
        found: dict[str, int] = {}
        for number in numbers:
            cand = self._by_id[number]
            if cand != word:
                dist = damerau(word, cand, limit)
                if dist <= min(limit, max_edits(cand) or 1):
                    found[cand] = dist
        return sorted(found.items(), key=lambda kv: (kv[1], kv[0]))


def _sorted_chunk(hashes: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(hashes, kind="stable")
    return hashes[order], ids[order]
