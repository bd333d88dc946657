"""Per-segment arrays: built from a Whoosh segment's stored fields, saved beside it.

A segment never changes once written, so its arrays are built once (by the rebuild, or by
the first process that reads a new segment) and saved in the generation folder; other
processes load them instead of reading every stored document.  Facet values are saved as
text and re-coded on load, because each process interns its own codes.
"""

from __future__ import annotations

import math
import mmap
import os
import threading
import zipfile
from array import array
from pathlib import Path

import msgspec
import numpy as np

from app.search.strtable import FileStrings, StringTable

FACETS = ("specialty", "clinic", "language", "insurance")
GENDER_CODES = {"": 0, "F": 1, "M": 2, "X": 3}


class Codes:
    """Interned facet values: value <-> small integer, per index directory."""

    def __init__(self) -> None:
        self.index: dict[str, dict[str, int]] = {f: {} for f in FACETS}
        self.values: dict[str, list[str]] = {f: [] for f in FACETS}

    def code(self, facet: str, value: str) -> int:
        table = self.index[facet]
        found = table.get(value)
        if found is None:
            found = table[value] = len(self.values[facet])
            self.values[facet].append(value)
        return found

    def codes(self, facet: str, values: list[str]) -> np.ndarray:
        """The codes of many values at once (new ones interned), as int32; [0] for none."""
        return np.array([self.code(facet, v) for v in values] or [0], np.int32)

    def lookup(self, facet: str, values) -> list[int]:
        table = self.index[facet]
        return [table[v] for v in values if v in table]


def _pack(key: str) -> tuple[int, int]:
    raw = key.encode("ascii", "ignore")[:16].ljust(16, b"\0")
    return int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big")


class SegmentArrays:
    """Arrays for one Whoosh segment, indexed by the segment's local doc numbers."""

    def __init__(self, reader, codes: Codes) -> None:
        n = reader.doc_count_all()
        self.n = n
        self.pid = np.zeros(n, np.int32)
        self.acc = np.zeros(n, bool)
        self.tel = np.zeros(n, bool)
        self.wc = np.zeros(n, bool)  # at a wheelchair-accessible clinic
        self.kid = np.zeros(n, bool)  # sees children
        self.gender = np.zeros(n, np.int8)
        self.primary = np.full(n, -1, np.int32)
        self.name_hi = np.zeros(n, np.uint64)
        self.name_lo = np.zeros(n, np.uint64)
        self.keys: list[str] = [""] * n
        self.labels: StringTable | list[str] = [""] * n  # "Name, Cred\tslug" per doc
        self.firsts: list[str] = [""] * n
        self.lasts: list[str] = [""] * n
        # Each doc's result card, as the JSON the index stores, packed as it is read (a list
        # of a million strings and its joined copy would hold the table four times over).
        card_blob = bytearray()
        card_ends = array("q")
        # Compact typed arrays while reading: Python int lists would cost many times more.
        pairs = {f: (array("i"), array("i")) for f in FACETS}
        loc_doc, loc_id = array("i"), array("i")
        loc_lat, loc_lon = array("d"), array("d")
        for i in range(n):
            fields = reader.stored_fields(i)
            d = fields.get("data")
            if d:
                card_blob += (fields.get("card") or "").encode("utf-8")
            card_ends.append(len(card_blob))
            if not d:
                continue
            self.pid[i] = d["pid"]
            self.acc[i] = d["acc"]
            self.tel[i] = d["tel"]
            self.wc[i] = d.get("wc", False)
            self.kid[i] = d.get("kid", False)
            self.gender[i] = GENDER_CODES.get(d["g"], 0)
            self.keys[i] = d["sk"]
            self.labels[i] = f"{d['name']}\t{d['slug']}"
            self.firsts[i], self.lasts[i] = d["first"], d["last"]
            self.name_hi[i], self.name_lo[i] = _pack(d["sk"])
            if d["spec"]:
                self.primary[i] = codes.code("specialty", d["spec"][0])
            for facet, values in (
                ("specialty", d["spec"]),
                ("clinic", [slug for _, slug, _, _ in d["locs"]]),
                ("language", d["lang"]),
                ("insurance", d["ins"]),
            ):
                docs, vals = pairs[facet]
                for v in values:
                    docs.append(i)
                    vals.append(codes.code(facet, v))
            for lid, _, lat, lon in d["locs"]:
                loc_doc.append(i)
                loc_id.append(lid)
                loc_lat.append(math.nan if lat is None else lat)
                loc_lon.append(math.nan if lon is None else lon)
        self.pairs = {
            f: (np.frombuffer(docs, np.int32).copy(), np.frombuffer(vals, np.int32).copy())
            for f, (docs, vals) in pairs.items()
        }
        self.loc_doc = np.frombuffer(loc_doc, np.int32).copy()
        self.loc_id = np.frombuffer(loc_id, np.int32).copy()
        self.doc_base = 0  # what the doc numbers in pairs and loc_doc start from
        # Radians as float32 (about 0.5 m): distance math widens them to float64 first.
        self.loc_lat = np.radians(np.frombuffer(loc_lat, float)).astype(np.float32)
        self.loc_lon = np.radians(np.frombuffer(loc_lon, float)).astype(np.float32)
        self._suggest: tuple[StringTable, np.ndarray] | None = None
        # Typeahead shows a provider's name and slug; packed, and mapped from the keys file
        # once saved, so a worker holds only the pages of the names it has shown.
        self.labels = StringTable.of(self.labels)
        # A page of results reads its cards from here: once saved, one pread from the keys
        # file per card (strtable.FileStrings), instead of Whoosh's stored fields (a seek, a
        # read, zlib and pickle per card, with every other stored field).
        offsets = np.zeros(n + 1, np.int64)
        offsets[1:] = np.frombuffer(card_ends, np.int64)
        # None once served without a saved file (see segment_arrays): Whoosh's stored
        # fields answer then, rather than a table held in this process's heap.
        self.cards: StringTable | FileStrings | None = StringTable(
            np.frombuffer(card_blob, np.uint8), offsets
        )

    def card(self, local: int) -> bytes | None:
        """The stored result card (JSON) of one doc, b"" when it has none, or None when this
        segment has no saved card table (read the index's stored fields instead)."""
        return None if self.cards is None else self.cards.raw(local)

    def label(self, local: int) -> tuple[str, str]:
        """(display name, slug) of one doc."""
        name, _, slug = self.labels[local].rpartition("\t")
        return name, slug

    def suggest_keys(self) -> tuple[StringTable, np.ndarray]:
        """Sorted name keys for typeahead ("last first", "first last", later name parts),
        and the local doc number of each."""
        if self._suggest is None:
            from app.search.text import words

            entries = set()
            for i, key in enumerate(self.keys):
                if not key:
                    continue
                first, last = words(self.firsts[i]), words(self.lasts[i])
                entries.add((key, i))
                entries.add((" ".join(first + last), i))
                for j in range(1, len(last)):
                    entries.add((" ".join(last[j:] + first), i))
            ordered = sorted(entries)
            self._suggest = (
                StringTable.of(k for k, _ in ordered),
                np.fromiter((i for _, i in ordered), np.int32, count=len(ordered)),
            )
        return self._suggest


# 2: wheelchair and sees-children flags; 3: packed names and typeahead keys; 4: no names or
# slugs (typeahead reads its few from the stored cards), int32 ids, float32 coordinates
# 5: typeahead keys in a memory-mapped file beside the arrays; 6: and the names it shows;
# 7: and the result cards; 8: arrays in .npz and the rest in msgpack (never a pickle)
ARRAYS_FORMAT = 8
_ARRAY_FIELDS = (
    "pid",
    "acc",
    "tel",
    "wc",
    "kid",
    "gender",
    "name_hi",
    "name_lo",
    "loc_doc",
    "loc_id",
    "loc_lat",
    "loc_lon",
)
_BUILD_ONLY = ("keys", "firsts", "lasts")
_KEYS_PARTS = 7  # typeahead keys, offsets, docs; names, offsets; cards, offsets


class _Part(msgspec.Struct, array_like=True, frozen=True):
    """Where one array lies in the keys file: byte offset, numpy dtype string, length."""

    at: int
    dtype: str
    count: int


class _Meta(msgspec.Struct, frozen=True):
    """What a segment's ``.npz`` holds besides plain arrays (stored in it as msgpack bytes).

    ``values`` are each facet's values by local code (``-primary`` for primary specialties);
    ``token`` and ``layout`` describe the keys file written with it.
    """

    format: int
    n: int
    values: dict[str, list[str]]
    token: bytes
    layout: list[_Part]


_meta_decoder = msgspec.msgpack.Decoder(_Meta)
# What reading a saved arrays file can raise when it is damaged or foreign: it is rebuilt.
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, msgspec.MsgspecError)


def _arrays_path(folder: Path, key: str) -> Path:
    return folder / f"arrays-{ARRAYS_FORMAT}-{key}.npz"


def _keys_path(path: Path) -> Path:
    """The typeahead keys' file beside a segment's arrays file."""
    return path.with_suffix(".keys")


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _save_keys(path: Path, parts: tuple[np.ndarray, ...]) -> tuple[bytes, list[_Part]]:
    """Write the typeahead keys' arrays end to end (raw bytes, 8-byte aligned), after a
    random token the arrays file records: a keys file replaced by another process's is then
    noticed, not misread. Returns the token and where each array lies."""
    token = os.urandom(16)
    layout, at = [], len(token)
    tmp = _tmp(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(token)
            for part in parts:
                pad = -at % 8
                fh.write(b"\0" * pad)
                at += pad
                layout.append(_Part(at, part.dtype.str, len(part)))
                fh.write(np.ascontiguousarray(part).tobytes())
                at += part.nbytes
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return token, layout


def _load_keys(path: Path, meta: _Meta) -> tuple[tuple[np.ndarray, ...], int] | None:
    """The typeahead keys', names' and result cards' arrays, mapped read-only from their
    file, and a descriptor of that file for the card table (the caller owns it).

    A keystroke touches a few dozen pages of the keys and names, so a worker keeps those
    resident instead of the whole tables, and workers share the pages. Result cards are
    read with ``pread`` instead (``strtable.FileStrings``): a page of results touches 20
    scattered cards, and mapped they would fill the worker's resident memory with the whole
    card table over a few thousand searches.
    """
    if not meta.token or len(meta.layout) != _KEYS_PARTS:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        if mapped[: len(meta.token)] != meta.token:
            mapped.close()
            os.close(fd)
            return None
        parts = tuple(
            np.frombuffer(mapped, _plain_dtype(p.dtype), p.count, p.at) for p in meta.layout
        )
    except (OSError, TypeError, ValueError):
        os.close(fd)
        return None
    return parts, fd


def _plain_dtype(text: str) -> np.dtype:
    """A numeric dtype named in a saved layout (never an object dtype)."""
    kind = np.dtype(text)
    if kind.hasobject or kind.kind not in "biuf":
        raise ValueError(f"not a plain numeric dtype: {text}")
    return kind


def save_arrays(arrays: SegmentArrays, codes: Codes, path: Path) -> None:
    """Write a segment's arrays next to it (``.npz``), with facet values as text (codes are
    per process) in a msgpack record inside it, and its string tables in the keys file."""
    data: dict[str, np.ndarray] = {f: getattr(arrays, f) for f in _ARRAY_FIELDS}
    values: dict[str, list[str]] = {}
    for facet in FACETS:
        docs, vals = arrays.pairs[facet]
        used, local = np.unique(vals, return_inverse=True)
        data[f"docs-{facet}"] = docs.astype(np.int32)
        data[f"local-{facet}"] = local.astype(np.int32)
        values[facet] = [codes.values[facet][c] for c in used.tolist()]
    primary_used = sorted({int(c) for c in np.unique(arrays.primary) if c >= 0})
    data["primary-local"] = np.searchsorted(
        np.array(primary_used, np.int32), arrays.primary
    ).astype(np.int32)
    data["primary-has"] = arrays.primary >= 0
    values["-primary"] = [codes.values["specialty"][c] for c in primary_used]
    keys, docs = arrays.suggest_keys()
    tmp = _tmp(path)
    try:
        parts = (
            keys.blob,
            keys.offsets,
            docs,
            arrays.labels.blob,
            arrays.labels.offsets,
            arrays.cards.blob,
            arrays.cards.offsets,
        )
        token, layout = _save_keys(_keys_path(path), parts)
        meta = _Meta(ARRAYS_FORMAT, arrays.n, values, token, layout)
        data["meta"] = np.frombuffer(msgspec.msgpack.encode(meta), np.uint8)
        with open(tmp, "wb") as fh:
            np.savez(fh, **data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only index only costs the next process a rebuild


def _read_saved(path: Path) -> tuple[_Meta, dict[str, np.ndarray]] | None:
    """A saved arrays file's record and arrays (``allow_pickle=False``: an array of Python
    objects is refused, never unpickled); None when absent, damaged or of another format."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = _meta_decoder.decode(saved["meta"].tobytes())
            if meta.format != ARRAYS_FORMAT:
                return None
            return meta, {name: saved[name] for name in saved.files if name != "meta"}
    except _UNREADABLE:
        return None


def load_arrays(path: Path, codes: Codes) -> SegmentArrays | None:
    """A segment's saved arrays, re-coded for this process; None when absent or unreadable."""
    found = _read_saved(path)
    if found is None:
        return None
    meta, data = found
    try:
        arrays = _from_saved(meta, data, codes)
    except (KeyError, ValueError, IndexError):
        return None
    loaded = _load_keys(_keys_path(path), meta)
    if loaded is None:
        return None
    parts, fd = loaded
    blob, offsets, docs, label_blob, label_offsets, _, card_offsets = parts
    arrays._suggest = (StringTable(blob, offsets), docs)
    arrays.labels = StringTable(label_blob, label_offsets)
    arrays.cards = FileStrings(fd, meta.layout[5].at, card_offsets)
    return arrays


def _from_saved(meta: _Meta, data: dict[str, np.ndarray], codes: Codes) -> SegmentArrays:
    """The per-doc and per-clinic arrays of a saved segment, its facet values re-coded."""
    arrays = SegmentArrays.__new__(SegmentArrays)
    arrays.n = meta.n
    arrays.doc_base = 0
    for f in _ARRAY_FIELDS:
        setattr(arrays, f, data[f])
    if len(arrays.pid) != meta.n:
        raise ValueError("the saved arrays do not match their record")
    arrays.pairs = {}
    for facet in FACETS:
        docs, local = data[f"docs-{facet}"], data[f"local-{facet}"]
        mapping = codes.codes(facet, meta.values[facet])
        arrays.pairs[facet] = (docs.astype(np.int32, copy=False), mapping[local])
    local, has = data["primary-local"], data["primary-has"]
    mapping = codes.codes("specialty", meta.values["-primary"])
    arrays.primary = np.where(has, mapping[np.minimum(local, len(mapping) - 1)], -1).astype(
        np.int32
    )
    for f in _BUILD_ONLY:
        setattr(arrays, f, [])
    return arrays


def segment_arrays(reader, codes: Codes, folder: Path | None, key: str) -> SegmentArrays:
    """A segment's arrays: from the file saved beside the index, else built and saved."""
    path = _arrays_path(folder, key) if folder is not None else None
    if path is not None:
        found = load_arrays(path, codes)
        if found is not None and found.n == reader.doc_count_all():
            return found
    arrays = SegmentArrays(reader, codes)
    if path is not None:
        save_arrays(arrays, codes, path)
        # Serve from the saved file, as every other process will: its cards, names and keys
        # then stay in the page cache (shared) instead of in this process's heap.
        saved = load_arrays(path, codes)
        if saved is not None and saved.n == arrays.n:
            return saved
    # Not saved (a read-only index folder, or another process replaced the file): the cards
    # are read from Whoosh's stored fields rather than kept in the worker's heap.
    arrays.cards = None
    arrays.suggest_keys()
    for f in _BUILD_ONLY:  # only needed to build the suggest keys
        setattr(arrays, f, [])
    return arrays


def forget_stale_arrays(folder: Path, live_keys: set[str]) -> None:
    """Remove saved arrays of segments merged away (best effort)."""
    prefix = f"arrays-{ARRAYS_FORMAT}-"
    for path in folder.glob("arrays-*"):
        if path.suffix not in (".npz", ".keys", ".pkl"):
            continue
        key = path.stem[len(prefix) :] if path.name.startswith(prefix) else None
        if key not in live_keys:
            path.unlink(missing_ok=True)
