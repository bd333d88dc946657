"""Per-searcher arrays for fast filtering, facet counts, distance and name order.

Whoosh finds text matches; everything else (filters, disjunctive facet counts, distances,
sorting) runs on numpy arrays built once per index segment (app.search.segments) and
cached for as long as the segment lives, so a small change only costs the new segment.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.searching import Searcher

from app.geo import haversine_radians
from app.search import cards
from app.search.segments import (
    FACETS,
    GENDER_CODES,
    Codes,
    SegmentArrays,
    forget_stale_arrays,
    segment_arrays,
)
from app.search.types import Card
from app.search.whoosh_adapter import block_postings

__all__ = ["FACETS", "Codes", "SegmentArrays", "Snapshot"]

GENDER_VALUES = ("", "F", "M", "X")
CACHE_BYTES = 16 * 2**20  # per-process budget for cached masks, distances and results
CACHE_ENTRIES = 2048
BITSET_MAX_VALUES = 64  # facets with at most this many values count broad matches by bitset
BITSET_CHUNK = 16  # values whose bitsets are built in one pass
CACHE_BYTES_PER_DOC = 48  # ... or this much per doc in a large index
SPARSE_RATIO = 16  # fewer matches than 1 in 16 docs: count facets from the matches' own values


@dataclass(frozen=True)
class Miles:
    """Miles from a search's origin: per clinic id (``per_clinic``), else per
    provider-clinic entry; the last value is a spare inf."""

    per_clinic: bool
    values: np.ndarray


def _nbytes(value) -> int:
    if isinstance(value, Miles):
        return value.values.nbytes + 100
    if isinstance(value, np.ndarray):
        return value.nbytes + 100
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value) + 100
    return 4096


# Per-doc and per-clinic-site arrays, and the types a snapshot keeps them in.
PER_DOC = (
    ("pid", np.int32),
    ("acc", bool),
    ("tel", bool),
    ("wc", bool),
    ("kid", bool),
    ("gender", np.int8),
    ("primary", np.int32),
    ("name_hi", np.uint64),
    ("name_lo", np.uint64),
)
PER_LOC = (("loc_id", np.int32), ("loc_lat", np.float32), ("loc_lon", np.float32))


def _gather(parts: list[np.ndarray], dtype) -> np.ndarray:
    """Segments' arrays end to end; one segment (after a rebuild) is shared, not copied."""
    if not parts:
        return np.zeros(0, dtype)
    if len(parts) == 1:
        return parts[0].astype(dtype, copy=False)
    return np.concatenate(parts, dtype=dtype)


def doc_starts(docs: np.ndarray, n: int) -> np.ndarray:
    """Where each doc's entries start in ``docs`` (ascending doc numbers), for docs 0..n:
    ``np.searchsorted(docs, np.arange(n + 1))``, counted in one pass instead of a binary
    search per doc."""
    if len(docs) and docs[0] < 0:  # not doc numbers: the general way
        return np.searchsorted(docs, np.arange(n + 1)).astype(np.int32)
    out = np.zeros(n + 1, np.int32)
    if n:
        np.cumsum(np.bincount(docs, minlength=n)[:n], out=out[1:])
    return out


def _rebased(arrays: SegmentArrays, docs: np.ndarray, base: int) -> np.ndarray:
    """A segment's doc numbers shifted to start at ``base`` (they start at doc_base)."""
    delta = base - arrays.doc_base
    return docs + delta if delta else docs


def postings(leaf, field: str, text: str) -> np.ndarray:
    """Doc numbers (in the leaf, ascending, deleted ones included) having ``text`` in
    ``field``, read a block at a time (see ``whoosh_adapter.block_postings``)."""
    return block_postings(leaf, field, text)


def build_bitsets(
    docs: np.ndarray, vals: np.ndarray, n_values: int, n: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """(value codes present, one packed bit row per value over ``n`` docs) from a facet's
    (doc, value) pairs; None past BITSET_MAX_VALUES values. A test seam (docs/architecture.md)."""
    present = np.flatnonzero(np.bincount(vals, minlength=n_values))
    if len(present) > BITSET_MAX_VALUES:
        return None
    # A scatter into a (values x docs) bool matrix, then packed: much faster than sorting
    # the pairs by value. BITSET_CHUNK values at a time (one pass for languages and plans)
    # bound the matrix. Flat int32 positions where they fit: int64 row numbers and 2-D
    # indexes were most of a worker's first build in fresh pages (docs/benchmarks.md).
    row = np.full(n_values, -1, np.int32)
    row[present] = np.arange(len(present), dtype=np.int32)
    rows_of = row[vals]
    wide = min(len(present), BITSET_CHUNK) * n >= 2**31
    bits = np.zeros((len(present), (n + 7) // 8), np.uint8)
    for first in range(0, len(present), BITSET_CHUNK):
        last = min(first + BITSET_CHUNK, len(present))
        if first == 0 and last == len(present):  # one pass: every pair belongs to it
            chunk_rows, chunk_docs = rows_of, docs
        else:
            chosen = (rows_of >= first) & (rows_of < last)
            chunk_rows, chunk_docs = rows_of[chosen] - first, docs[chosen]
        flat = chunk_rows.astype(np.int64) if wide else chunk_rows.copy()
        flat *= n
        flat += chunk_docs
        member = np.zeros((last - first) * n, bool)
        member[flat] = True
        bits[first:last] = np.packbits(member.reshape(last - first, n), axis=1)
    return present, bits


def build_sites(
    loc_id: np.ndarray, loc_lat: np.ndarray, loc_lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each clinic's coordinates indexed by clinic id, from the per-entry arrays; None when
    a clinic's entries disagree (a moved clinic whose old entries linger in deleted docs).
    A test seam (docs/architecture.md)."""
    size = int(loc_id.max()) + 1 if len(loc_id) else 0
    lat, lon = np.full(size, np.nan), np.full(size, np.nan)
    lat[loc_id], lon[loc_id] = loc_lat, loc_lon
    same = np.array_equal(lat[loc_id], loc_lat, equal_nan=True) and (
        np.array_equal(lon[loc_id], loc_lon, equal_nan=True)
    )
    return (lat, lon) if same else None


def _segment_key(reader, base: int) -> str:
    segment = reader.segment()
    return segment.segment_id() if segment is not None else f"anon{base}"


def _open_segments(
    leaves, segment_cache: dict, codes: Codes, folder: Path | None
) -> tuple[list[tuple[SegmentArrays, int]], list[np.ndarray]]:
    """Each leaf's arrays (from the cache, else read or built) and its live-doc mask; drop
    cached and saved arrays of segments no longer in the index."""
    segs: list[tuple[SegmentArrays, int]] = []
    live_parts = []
    for reader, base in leaves:
        segment = reader.segment()
        key = _segment_key(reader, base)
        arrays = segment_cache.get(key)
        if arrays is None:
            arrays = segment_cache[key] = segment_arrays(reader, codes, folder, key)
        live = np.ones(arrays.n, bool)
        if reader.has_deletions() and segment is not None:
            dead = np.fromiter(segment.deleted_docs(), np.int64)
            live[dead[dead < arrays.n]] = False
        live &= arrays.pid > 0
        segs.append((arrays, base))
        live_parts.append(live)
    live_keys = {_segment_key(r, b) for r, b in leaves}
    for stale in set(segment_cache) - live_keys:
        del segment_cache[stale]
    if folder is not None:
        forget_stale_arrays(folder, live_keys)
    return segs, live_parts


class Snapshot:
    """The whole index as arrays, for one open searcher."""

    def __init__(
        self, searcher: Searcher, segment_cache: dict, codes: Codes, folder: Path | None = None
    ) -> None:
        self.searcher = searcher
        self.codes = codes
        leaves = searcher.reader().leaf_readers()
        segs, live_parts = _open_segments(leaves, segment_cache, codes, folder)
        self.segments = segs
        self.n = sum(a.n for a, _ in segs)
        self.live = np.concatenate(live_parts) if segs else np.zeros(0, bool)
        self._join_segments()
        self.loc_first = doc_starts(self.loc_doc, self.n)
        self.doc_count = int(np.count_nonzero(self.live))
        self._first: dict[str, np.ndarray] = {}
        self._site_cache: tuple | None = None
        self._doc_site_cache: tuple | None = None
        self._primary_present: set[int] | None = None
        self._bits: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        # One build of each lazy table: a restarted worker's first search would otherwise
        # build the same bitsets as the warm-up thread, at once, sharing the two cores.
        self._build_lock = threading.RLock()
        self._cache: OrderedDict = OrderedDict()
        self._cache_bytes = 0
        # A broad search at a national size caches masks and doc lists per specialty; a
        # fixed budget would evict "physical therapist"'s own masks mid-search.
        self._cache_budget = max(CACHE_BYTES, self.n * CACHE_BYTES_PER_DOC)

    def _join_segments(self) -> None:
        """Concatenate every segment's per-doc, per-facet and per-clinic arrays."""
        segs = self.segments
        for name, dtype in PER_DOC:
            setattr(self, name, _gather([getattr(a, name) for a, _ in segs], dtype))
        self.pairs = {
            f: (
                _gather([_rebased(a, a.pairs[f][0], base) for a, base in segs], np.int32),
                _gather([a.pairs[f][1] for a, _ in segs], np.int32),
            )
            for f in FACETS
        }
        self.loc_doc = _gather([_rebased(a, a.loc_doc, base) for a, base in segs], np.int32)
        for name, dtype in PER_LOC:
            setattr(self, name, _gather([getattr(a, name) for a, _ in segs], dtype))
        self._share_with_segments()

    def _share_with_segments(self) -> None:
        """Point each cached segment's arrays at its slice of this snapshot's.

        Otherwise every segment's arrays would be held twice, once in the segment cache and
        once joined here; the next snapshot copies from these views, and this one's arrays
        are freed with it.
        """
        starts = {f: 0 for f in FACETS}
        loc_start = 0
        for arrays, base in self.segments:
            for name, _ in PER_DOC:
                setattr(arrays, name, getattr(self, name)[base : base + arrays.n])
            pairs = {}
            for f in FACETS:
                size = len(arrays.pairs[f][0])
                docs, vals = self.pairs[f]
                pairs[f] = (docs[starts[f] : starts[f] + size], vals[starts[f] : starts[f] + size])
                starts[f] += size
            arrays.pairs = pairs
            size = len(arrays.loc_doc)
            arrays.loc_doc = self.loc_doc[loc_start : loc_start + size]
            for name, _ in PER_LOC:
                setattr(arrays, name, getattr(self, name)[loc_start : loc_start + size])
            loc_start += size
            arrays.doc_base = base

    def prepare(self) -> None:
        """Build now what the first searches would otherwise build as they need it: the
        clinic coordinate table, facet bitsets and per-doc facet offsets (paid by the warm-up
        instead of a visitor). Facet tables first:
        every search counts facets, only distance searches need the clinic tables."""
        for facet in FACETS:
            if self.bitsets(facet) is None:
                self.offsets(facet)
        if self.sites() is not None:
            self.doc_sites()

    # -- small helpers -----------------------------------------------------------------
    def cached(self, key, build):
        """Memoise per snapshot within a memory budget (the cache dies with the searcher)."""
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key][0]
        value = build()
        size = _nbytes(value)
        self._cache[key] = (value, size)
        self._cache_bytes += size
        while self._cache_bytes > self._cache_budget or len(self._cache) > CACHE_ENTRIES:
            _, (_, dropped) = self._cache.popitem(last=False)
            self._cache_bytes -= dropped
        return value

    def locate(self, doc: int) -> tuple[SegmentArrays, int]:
        for arrays, base in reversed(self.segments):
            if doc >= base:
                return arrays, doc - base
        raise IndexError(doc)

    def card(self, doc: int) -> Card:
        """The result card of one doc (read from its segment's saved card table)."""
        arrays, local = self.locate(doc)
        try:
            raw = arrays.card(local)
            if raw:
                return cards.decode(raw)
        except (ValueError, OSError):
            pass  # a damaged or unreadable saved table: the index's own copy answers
        return cards.decode(self.searcher.stored_fields(doc)["card"])  # no saved table

    # -- building blocks for search ----------------------------------------------------
    def term_docs(self, field: str, text: str) -> np.ndarray:
        """Live doc numbers whose ``field`` contains ``text`` (ascending)."""

        def build() -> np.ndarray:
            parts = [
                postings(leaf, field, text) + base
                for leaf, base in self.searcher.reader().leaf_readers()
                if (field, text) in leaf
            ]
            if not parts:
                return np.zeros(0, np.int64)
            ids = parts[0] if len(parts) == 1 else np.concatenate(parts)
            return ids[self.live[ids]]  # a deleted doc must never win a name match

        return self.cached(("term", field, text), build)

    def facet_mask(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        """Docs having any of ``values`` for a facet (or the gender facet)."""

        def build() -> np.ndarray:
            if facet == "gender":
                codes = [GENDER_CODES[v] for v in values if v in GENDER_CODES]
                return np.isin(self.gender, codes)
            rows = self._value_rows(facet, values)
            if rows is not None:  # a facet with bitsets: OR the values' rows
                if not len(rows):
                    return np.zeros(self.n, bool)
                bits = self._bits[facet][1]
                packed = bits[rows[0]] if len(rows) == 1 else np.bitwise_or.reduce(bits[rows])
                return np.unpackbits(packed, count=self.n).view(bool)
            docs, vals = self.pairs[facet]
            mask = np.zeros(self.n, bool)
            mask[docs[np.isin(vals, self.codes.lookup(facet, values))]] = True
            return mask

        return self.cached(("facet", facet, values), build)

    def facet_docs(self, facet: str, values: tuple[str, ...]) -> np.ndarray:
        """Doc numbers having any of ``values`` for a facet (ascending, with repeats)."""

        def build() -> np.ndarray:
            rows = self._value_rows(facet, values)
            if rows is not None:
                bits = self._bits[facet][1]
                parts = [
                    np.flatnonzero(np.unpackbits(bits[r], count=self.n)).astype(np.int32)
                    for r in rows
                ]
                if not parts:
                    return np.zeros(0, np.int32)
                return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
            docs, vals = self.pairs[facet]
            return docs[np.isin(vals, self.codes.lookup(facet, values))]

        return self.cached(("facet-docs", facet, values), build)

    def _value_rows(self, facet: str, values: tuple[str, ...]) -> np.ndarray | None:
        """The bitset rows of ``values`` (none for values no doc has), or None when the
        facet keeps no bitsets. A specialty family names dozens of NUCC codes, most held
        by nobody: those now cost nothing instead of a scan of every (doc, value) pair."""
        built = self.bitsets(facet)
        if built is None:
            return None
        present = built[0]
        return np.flatnonzero(np.isin(present, self.codes.lookup(facet, values)))

    def primary_docs(self, slugs: tuple[str, ...]) -> np.ndarray:
        """Doc numbers whose primary specialty is one of ``slugs``."""
        codes = self._primary_codes(slugs)
        return self.cached(
            ("primary-docs", slugs),
            lambda: (
                np.flatnonzero(np.isin(self.primary, codes)).astype(np.int32)
                if codes
                else np.zeros(0, np.int32)
            ),
        )

    def primary_mask(self, slugs: tuple[str, ...]) -> np.ndarray:
        codes = self._primary_codes(slugs)
        return self.cached(
            ("primary", slugs),
            lambda: np.isin(self.primary, codes) if codes else np.zeros(self.n, bool),
        )

    def _primary_codes(self, slugs: tuple[str, ...]) -> list[int]:
        """The codes of ``slugs`` that are some doc's primary specialty."""
        if self._primary_present is None:
            self._primary_present = set(np.unique(self.primary).tolist())
        return [c for c in self.codes.lookup("specialty", slugs) if c in self._primary_present]

    def counts(self, facet: str, mask: np.ndarray, limit: int | None = None) -> dict[str, int]:
        """Value -> number of docs in ``mask`` having it (a bool per doc, or doc numbers).

        With ``limit``, only values whose count reaches the ``limit``-th largest are kept
        (ties included), so 25,000 clinics never become 25,000 Python objects per search.
        """
        if facet == "gender":
            found = np.bincount(self.gender[mask], minlength=4)
            return {GENDER_VALUES[i]: int(c) for i, c in enumerate(found) if i and c}
        found = self._bitset_counts(facet, mask)
        if found is None:
            found = np.bincount(
                self._values_of(facet, mask), minlength=len(self.codes.values[facet])
            )
        names = self.codes.values[facet]
        present = np.flatnonzero(found)
        if limit is not None and len(present) > limit:
            counted = found[present]
            kth = np.partition(counted, len(counted) - limit)[len(counted) - limit]
            present = present[counted >= kth]
        return {names[i]: int(c) for i in present for c in (found[i],)}

    def bitsets(self, facet: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(value codes, one packed bit row per value) for a facet with few values."""
        if facet not in self._bits:
            with self._build_lock:
                if facet not in self._bits:
                    self._bits[facet] = build_bitsets(
                        *self.pairs[facet], len(self.codes.values[facet]), self.n
                    )
        return self._bits[facet]

    def _bitset_counts(self, facet: str, mask: np.ndarray) -> np.ndarray | None:
        """Counts for a facet with few values (languages, plans, most specialty sets), from
        one packed bitset per value.

        A broad match ANDs its own packed mask with each row (one bit per doc and value),
        where gathering every (doc, plan) pair costs far more. A narrow one reads each
        match's bit in every row, so these facets need no per-doc offsets.
        """
        built = self.bitsets(facet)
        if built is None:
            return None
        present, bits = built
        found = np.zeros(len(self.codes.values[facet]), np.int64)
        if mask.dtype == bool and np.count_nonzero(mask) * SPARSE_RATIO >= self.n:
            found[present] = np.bitwise_count(bits & np.packbits(mask)).sum(axis=1, dtype=np.int64)
            return found
        hits = np.flatnonzero(mask) if mask.dtype == bool else np.asarray(mask, np.int64)
        if len(hits):
            shift = (7 - (hits & 7)).astype(np.uint8)
            found[present] = ((bits[:, hits >> 3] >> shift) & 1).sum(axis=1, dtype=np.int64)
        return found

    def _values_of(self, facet: str, mask: np.ndarray) -> np.ndarray:
        """The facet value codes of every doc in ``mask`` (a bool per doc or doc numbers),
        with repeats.

        A narrow search (a full name) gathers just its docs' values through per-doc
        offsets, so its cost follows the matches rather than the directory's size.
        """
        docs, vals = self.pairs[facet]
        if mask.dtype == bool:
            hits = np.flatnonzero(mask)
            if len(hits) * SPARSE_RATIO >= self.n:
                return vals[mask[docs]]
        else:
            hits = mask
        first = self.offsets(facet)
        starts = first[hits].astype(np.int64)
        lens = first[hits + 1] - starts
        total = int(lens.sum())
        if not total:
            return vals[:0]
        before = np.cumsum(lens) - lens
        return vals[np.repeat(starts - before, lens) + np.arange(total)]

    def offsets(self, facet: str) -> np.ndarray:
        """Where each doc's values start in the facet's (doc, value) pairs."""
        first = self._first.get(facet)
        if first is None:
            with self._build_lock:
                first = self._first.get(facet)
                if first is None:
                    first = self._first[facet] = doc_starts(self.pairs[facet][0], self.n)
        return first

    def distances(self, lat: float, lon: float) -> tuple[Miles, np.ndarray]:
        """(miles to each clinic, per-doc nearest miles as float32; inf without a located
        clinic).

        With consistent clinic coordinates the miles are computed once per clinic (not per
        provider-clinic pair) and each doc's nearest is gathered from its first clinic, with
        only the docs at several clinics reduced over theirs: less time and a smaller cache
        entry (docs/benchmarks.md).
        """

        def build() -> tuple[Miles, np.ndarray]:
            p1, l1 = math.radians(lat), math.radians(lon)
            sites = self.sites()
            with np.errstate(invalid="ignore"):
                if sites is not None:
                    miles = haversine_radians(p1, l1, *sites)
                else:
                    lat64, lon64 = self.loc_lat.astype(float), self.loc_lon.astype(float)
                    miles = haversine_radians(p1, l1, lat64, lon64)
            # One spare inf at the end: what a doc without a clinic points at.
            miles = np.append(np.where(np.isnan(miles), np.inf, miles), np.inf)
            if sites is not None:
                first, multi, multi_sites, multi_starts = self.doc_sites()
                nearest = miles[first].astype(np.float32)
                if len(multi):
                    reduced = np.minimum.reduceat(miles[multi_sites], multi_starts)
                    nearest[multi] = reduced
                return Miles(True, miles), nearest
            nearest = np.full(self.n, np.inf, np.float32)
            if len(self.loc_id):
                starts = self.loc_first[:-1]
                has = self.loc_first[1:] > starts
                top = len(self.loc_id) - 1
                reduced = np.minimum.reduceat(miles[:-1], np.minimum(starts, top))
                nearest[has] = reduced[has]
            return Miles(False, miles), nearest

        return self.cached(("dist", round(lat, 5), round(lon, 5)), build)

    def doc_sites(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per doc, its first clinic's id (the spare last slot when it has none); and for
        the docs at several clinics: those docs, all their clinic ids, and where each
        doc's run of ids starts."""
        if self._doc_site_cache is not None:
            return self._doc_site_cache
        with self._build_lock:
            return self._doc_sites_built()

    def _doc_sites_built(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._doc_site_cache is None:
            sites = self.sites()
            spare = len(sites[0]) if sites is not None else 0
            starts, ends = self.loc_first[:-1], self.loc_first[1:]
            counts = ends - starts
            first = np.full(self.n, spare, np.int32)
            has = counts > 0
            first[has] = self.loc_id[starts[has]]
            multi = np.flatnonzero(counts > 1).astype(np.int32)
            lens = counts[multi].astype(np.int64)
            offsets = np.cumsum(lens) - lens
            picks = np.repeat(starts[multi].astype(np.int64) - offsets, lens) + np.arange(
                int(lens.sum())
            )
            self._doc_site_cache = (first, multi, self.loc_id[picks], offsets)
        return self._doc_site_cache

    def sites(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Each clinic's coordinates, indexed by clinic id; None when a clinic's entries
        disagree (a moved clinic whose old entries linger in deleted docs)."""
        if self._site_cache is not None:
            return self._site_cache or None
        with self._build_lock:
            return self._sites_built()

    def _sites_built(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self._site_cache is None:
            self._site_cache = build_sites(self.loc_id, self.loc_lat, self.loc_lon) or ()
        return self._site_cache or None

    def doc_locations(self, doc: int, miles: Miles | None) -> dict[int, float]:
        """Clinic id -> miles for one doc's located clinics."""
        if miles is None:
            return {}
        out = {}
        for j in range(int(self.loc_first[doc]), int(self.loc_first[doc + 1])):
            clinic = int(self.loc_id[j])
            value = miles.values[clinic if miles.per_clinic else j]
            if np.isfinite(value):
                out[clinic] = round(float(value), 1)
        return out

    def prefix_docs(self, prefix: str, limit: int) -> list[int]:
        """Live docs whose name starts with ``prefix`` (folded), alphabetical."""
        found: list[tuple[str, int]] = []
        for arrays, base in self.segments:
            keys, docs = arrays.suggest_keys()
            i = keys.bisect_left(prefix)
            start = prefix.encode("utf-8")
            while i < len(keys) and len(found) < limit * 20:
                key = keys.raw(i)
                if not key.startswith(start):
                    break
                doc = int(docs[i]) + base
                if self.live[doc]:
                    found.append((key, doc))
                i += 1
        found.sort()
        seen: list[int] = []
        for _, doc in found:
            if doc not in seen:
                seen.append(doc)
            if len(seen) >= limit:
                break
        return seen
