"""The index on disk: generations, the ``CURRENT`` pointer, applied-seq state and locks.

Layout of ``SEARCH_INDEX_DIR``::

    CURRENT        name of the live generation (replaced atomically on rebuild)
    gen-<id>/      a Whoosh index plus state.json (last outbox seq applied)
    write.lock     fcntl lock held by the single writer (apply or rebuild)

Readers hold one searcher per process, re-opened only when CURRENT or state.json change.
state.json also lists every index file with its size and mtime, so a damaged generation
(files overwritten behind the writer's back) is seen the same way by every worker, and
with its SHA-256 digest (``sha256``, with the saved per-segment arrays present when it was
written), which a copy made for another host is checked against before anything reads it.

Whoosh's own files hold pickles (its table of contents, stored fields and postings), so
they are opened only when written by this host's writer or checked against the digests;
nothing this app saves is a pickle, and a generation holding a ``.pkl`` file (an older
release's arrays) is treated as an old index and rebuilt.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from app.search.schema import make_schema

if TYPE_CHECKING:
    from app.search.snapshot import Codes, Snapshot
    from app.search.text import FuzzyLexicon

POINTER = "CURRENT"
STATE = "state.json"
LOCKFILE = "write.lock"
# Left in a generation whose files a reader could not decode although the manifest matched
# (see app/search/guard.py): the writer then rebuilds it like any damaged generation.
UNREADABLE = ".unreadable"


DIGEST_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def is_cache_file(name: str) -> bool:
    """A saved per-segment arrays file: rebuilt from its segment whenever it is missing."""
    return name.startswith("arrays-")


class SearchUnavailable(RuntimeError):
    """The index cannot be opened."""


class IndexMissing(SearchUnavailable):
    """No index has been built in this directory yet."""


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _stat_sig(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _pointer_sig(path: Path) -> tuple[int, int, int, int] | None:
    """The pointer file's identity: inode, size, mtime and ctime (a rename or a rewrite
    changes at least one, short of an inode reused within one clock tick with the same
    size)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _ignored(name: str) -> bool:
    """Files outside the integrity manifest: locks, temporaries and the per-segment arrays
    (a cache any reader may write or prune; a damaged one is rebuilt, never trusted)."""
    return (
        name.startswith(".")
        or name.endswith(("LOCK", ".lock"))
        or (name.startswith("arrays-") and name.endswith((".npz", ".keys", ".pkl")))
    )


class Store:
    """One index directory: its writer lock, live generation and open searcher."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.write_mutex = threading.Lock()
        self.read_mutex = threading.RLock()
        self.pending = False
        self._searcher: Searcher | None = None
        self._gen: str | None = None
        self._sig: tuple | None = None
        self._pointer: tuple | None = None  # (the pointer file's stat, the generation it named)
        # The Snapshot built for the open searcher, and what it reuses between generations:
        # per-segment arrays, facet value codes and the typo lexicon of provider names.
        self.view: Snapshot | None = None
        self.segment_cache: dict[str, object] = {}
        self.codes: Codes | None = None
        self.fuzzy: FuzzyLexicon | None = None
        self.renewed = False  # the searcher moved to another generation: free the old one

    # -- generations and state -------------------------------------------------------
    def current_generation(self) -> str | None:
        """Name of the live generation, or None when no index exists."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name).is_dir() else None

    def exists(self) -> bool:
        """True when a built index is in place."""
        return self.current_generation() is not None

    def gen_path(self, gen: str) -> Path:
        return self.root / gen

    def read_state(self, gen: str | None = None) -> dict:
        """The applied-seq state of a generation (defaults to the live one)."""
        gen = gen or self.current_generation()
        if gen is None:
            return {"last_seq": 0, "recent": []}
        try:
            return json.loads((self.gen_path(gen) / STATE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {"last_seq": 0, "recent": []}

    def write_state(self, gen: str, state: dict) -> None:
        """Record the applied seqs and the files the writer left, atomically.

        Called by the single writer right after each commit, so ``files`` (name -> size and
        mtime) describes exactly what a healthy generation holds on disk, and ``sha256``
        (name -> size, mtime and digest) those files and the saved arrays present now.
        Digests already known for a file of the same size and mtime (in the state on disk
        or in ``state["sha256"]``) are kept, so an apply hashes only its new segment.
        """
        files = self.file_manifest(gen)
        known = {**self.read_state(gen).get("sha256", {}), **state.get("sha256", {})}
        state = {**state, "files": files, "sha256": self._digests(gen, files, known)}
        write_atomic(self.gen_path(gen) / STATE, json.dumps(state, separators=(",", ":")))

    def _digests(self, gen: str, files: dict, known: dict) -> dict[str, list]:
        """name -> [size, mtime, SHA-256] of the index files and saved arrays of ``gen``."""
        out = {}
        folder = self.gen_path(gen)
        sigs = dict(files)
        for f in folder.glob("arrays-*"):
            if not f.name.startswith(".") and f.suffix in (".npz", ".keys"):
                with contextlib.suppress(FileNotFoundError):  # pruned by a reader meanwhile
                    st = f.stat()
                    sigs[f.name] = [st.st_size, st.st_mtime_ns]
        for name, (size, mtime) in sorted(sigs.items()):
            old = known.get(name)
            if old and old[:2] == [size, mtime] and len(old) == 3:
                out[name] = old
                continue
            try:
                out[name] = [size, mtime, file_digest(folder / name)]
            except FileNotFoundError:
                continue
        return out

    def file_manifest(self, gen: str) -> dict[str, list[int]]:
        """Size and mtime of each index file of a generation (not state or lock files)."""
        files = {}
        try:
            children = list(self.gen_path(gen).iterdir())
        except FileNotFoundError:
            return files  # another process swapped generations and removed this one
        for f in children:
            if f.name == STATE or _ignored(f.name):
                continue
            try:
                st = f.stat()
            except FileNotFoundError:
                continue  # a concurrent writer merged it away; judged under the lock
            if stat.S_ISREG(st.st_mode):
                files[f.name] = [st.st_size, st.st_mtime_ns]
        return files

    def integrity_problem(self, gen: str | None = None) -> str | None:
        """Why the live generation's files are not the ones its writer left, or None.

        It reads the disk, not this process's memory, so every worker gives the same
        answer. While a writer works (the lock is busy) the files are in flux: no verdict.
        """
        # The common case (nothing wrong) takes no lock, so readers never get in a writer's
        # way; only a suspicious result is confirmed under the writer lock.
        if self.integrity_problem_locked(gen) is None:
            return None
        with self.writer_lock(blocking=False) as free:
            return self.integrity_problem_locked(gen) if free else None

    def integrity_problem_locked(self, gen: str | None = None) -> str | None:
        """``integrity_problem`` without the lock (for the writer, or a first look)."""
        gen = gen or self.current_generation()
        if gen is None:
            return None
        try:
            reason = (self.gen_path(gen) / UNREADABLE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        else:
            return f"index files in {gen} could not be read ({reason})"
        if any(self.gen_path(gen).glob("*.pkl")):
            return f"index {gen} was written by an older release (pickle files)"
        expected = self.read_state(gen).get("files")
        if not expected:
            return None  # an index written before manifests existed
        actual = self.file_manifest(gen)
        for name, sig in sorted(expected.items()):
            if name not in actual:
                return f"index file {gen}/{name} is missing"
            if actual[name] != sig:
                return f"index file {gen}/{name} was changed outside the index writer"
        return None

    def new_generation(self) -> tuple[str, whoosh_index.FileIndex]:
        """Create an empty index in a fresh generation directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        gen = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        path = self.gen_path(gen)
        path.mkdir()
        return gen, whoosh_index.create_in(str(path), make_schema())

    def swap(self, gen: str) -> None:
        """Make ``gen`` live and delete generations older than the previous one."""
        previous = self.current_generation()
        write_atomic(self.root / POINTER, gen + "\n")
        keep = {gen, previous}
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def open_index(self, gen: str | None = None) -> whoosh_index.FileIndex:
        gen = gen or self.current_generation()
        if gen is None:
            raise IndexMissing(f"no search index in {self.root}; run `flask search rebuild`")
        try:
            return whoosh_index.open_dir(str(self.gen_path(gen)))
        except (OSError, whoosh_index.IndexError) as exc:
            raise SearchUnavailable(f"cannot open the search index: {exc}") from exc

    # -- locking ---------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self, blocking: bool = False, timeout: float = 600.0) -> Iterator[bool]:
        """Hold the single-writer lock (thread + fcntl); yields False when it is busy."""
        if not self.write_mutex.acquire(blocking, timeout if blocking else -1):
            yield False
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / LOCKFILE, "a+b") as fh:
                deadline = time.monotonic() + (timeout if blocking else 0)
                while True:
                    try:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            yield False
                            return
                        time.sleep(0.05)
                try:
                    yield True
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            self.write_mutex.release()

    # -- reading ---------------------------------------------------------------------
    def signature(self) -> tuple:
        """(live generation, the pointer file's stat, its state file's stat): it changes
        whenever the index does.

        Asked on every search: the pointer is read again only when its stat changed (it is
        replaced by a rename, so a new generation is a new inode), which saves an open and
        a read per request.
        """
        pointer = _pointer_sig(self.root / POINTER)
        known = self._pointer
        if pointer is not None and known is not None and known[0] == pointer:
            state = _stat_sig(self.gen_path(known[1]) / STATE)
            if state is not None:
                return known[1], pointer, state
        gen = self.current_generation()
        state = _stat_sig(self.gen_path(gen) / STATE) if gen else None
        self._pointer = (pointer, gen) if gen and state is not None else None
        return gen, pointer, state

    def searcher(self) -> Searcher:
        """The process's searcher, re-opened when the index changed (hold read_mutex)."""
        sig = self.signature()
        if self._searcher is None or sig != self._sig:
            gen = sig[0]
            if gen is None:
                raise IndexMissing(f"no search index in {self.root}; run `flask search rebuild`")
            problem = self.integrity_problem(gen)
            if problem:
                raise SearchUnavailable(f"the search index is damaged ({problem}); rebuilding")
            ix = self.open_index(gen)
            try:
                searcher = ix.searcher()
            except OSError as exc:
                raise SearchUnavailable(f"cannot read the search index: {exc}") from exc
            self._close_searcher()
            if gen != self._gen:
                # A new generation (a rebuild): nothing of the old one is reused, and the
                # typo lexicon starts again from its names instead of growing with each.
                self.segment_cache.clear()
                self.fuzzy = None
                self.renewed = self._gen is not None
            self._searcher, self._gen, self._sig = searcher, gen, sig
        return self._searcher

    def mark_unreadable(self, gen: str, reason: str) -> None:
        """Record that ``gen``'s files could not be decoded, so every worker and the writer
        treat it as damaged (the marker is outside the manifest, like other dot files)."""
        with contextlib.suppress(FileNotFoundError):  # already swapped away and removed
            write_atomic(self.gen_path(gen) / UNREADABLE, reason[:300] + "\n")

    def drop_searcher(self) -> None:
        """Close the open searcher (after a failed read), keeping the per-segment caches."""
        with self.read_mutex:
            self._close_searcher()

    @property
    def reading_generation(self) -> str | None:
        """The generation the open searcher reads (None before one is open)."""
        return self._gen

    def live_path(self) -> Path | None:
        """The folder of the generation the open searcher reads (None before one is open)."""
        return self.gen_path(self._gen) if self._gen else None

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher, self.view, self._sig = None, None, None

    def close(self) -> None:
        """Close the searcher and drop caches."""
        with self.read_mutex:
            self._close_searcher()
            self.segment_cache.clear()

    def size_bytes(self) -> int:
        """Bytes on disk of the live generation."""
        gen = self.current_generation()
        if gen is None:
            return 0
        return sum(size for size, _ in self.file_manifest(gen).values())


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()
MAX_STORES = 8


def get_store(root: str) -> Store:
    """The Store for an index directory (a few are kept open; the oldest is closed)."""
    key = os.path.abspath(root)
    with _stores_lock:
        store = _stores.pop(key, None) or Store(key)
        _stores[key] = store
        while len(_stores) > MAX_STORES:
            _stores.pop(next(iter(_stores))).close()
        return store


def close_all() -> None:
    """Close every open searcher (tests and shutdown)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
