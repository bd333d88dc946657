"""Adding a host: copy a peer's index generation, checked file by file against its SHA-256
manifest, and catch up from its recorded outbox seq."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from contextlib import nullcontext
from pathlib import Path

from app.search.indexer import apply_locked, rebuild_locked, store
from app.search.store import DIGEST_CHUNK, IndexMissing, SearchUnavailable, Store, is_cache_file

log = logging.getLogger(__name__)


def clone(source: str | Path) -> dict:
    """Copy a peer's live index generation here, then catch up from its recorded outbox seq.

    ``source`` is a peer's index folder (a shared mount, or a copy made with rsync).  The
    peer's writer lock is held while copying when it can be taken, so the copy is a
    consistent generation. Only the files the peer's manifest lists are copied, each
    checked against its SHA-256 digest there before anything opens it: Whoosh's files
    hold pickles, so a file that fails (or a peer index of an older release, without
    digests) is never loaded: this host's index is rebuilt from the database instead
    (``rebuilt`` in the report says why). The outbox rows committed since the copy's
    ``last_seq`` (and its recorded gaps) are then applied here, as on any host.
    """
    started = time.monotonic()
    peer = Store(source)
    st = store()
    if peer.root.resolve() == st.root.resolve():
        raise SearchUnavailable("the source is this host's own index folder")
    # A read-only copy (e.g. made by rsync under the peer's lock) needs no lock here.
    writable = os.access(peer.root, os.W_OK)
    lock = peer.writer_lock(blocking=True, timeout=60) if writable else nullcontext(True)
    with lock as peer_ok:
        if not peer_ok:
            raise SearchUnavailable("the peer's index is busy being written; try again")
        gen = peer.current_generation()
        if gen is None:
            raise IndexMissing(f"no search index in {peer.root}")
        state = peer.read_state(gen)
        with st.writer_lock(blocking=True) as ok:
            if not ok:
                raise SearchUnavailable("the index is locked by another writer")
            st.root.mkdir(parents=True, exist_ok=True)
            target = st.gen_path(f"{gen}-copy-{int(time.time())}")
            problem, verified = _copy_verified(peer.gen_path(gen), target, state)
    with st.writer_lock(blocking=True) as ok:
        if not ok:
            raise SearchUnavailable("the index is locked by another writer")
        if problem is not None:
            shutil.rmtree(target, ignore_errors=True)
            log.error("search: %s; rebuilding this host's index from the database", problem)
            built = rebuild_locked(st)
            return {
                "generation": built["generation"],
                "copied_seq": 0,
                "applied": 0,
                "rebuilt": problem,
                "seconds": round(time.monotonic() - started, 2),
                "size_bytes": st.size_bytes(),
            }
        kept = {k: v for k, v in state.items() if k not in ("files", "sha256")}
        st.write_state(target.name, {**kept, "sha256": verified})
        st.swap(target.name)
        applied = apply_locked(st)
    return {
        "generation": target.name,
        "copied_seq": int(state.get("last_seq", 0)),
        "applied": applied,
        "rebuilt": None,
        "seconds": round(time.monotonic() - started, 2),
        "size_bytes": st.size_bytes(),
    }


def _copy_verified(source: Path, target: Path, state: dict) -> tuple[str | None, dict]:
    """Copy the files ``state["sha256"]`` lists from ``source`` to ``target``, hashing each
    as it is copied. Returns why the copy cannot be used (None when it can) and the copied
    files' [size, mtime, digest] here.

    A saved arrays file that is missing or fails is only left out (this host rebuilds it
    from its segment); an index file that does stops the copy.
    """
    expected = state.get("sha256")
    if not expected or any(source.glob("*.pkl")):
        return "the peer's index was written by an older release (no SHA-256 manifest)", {}
    target.mkdir()
    verified = {}
    for name, entry in sorted(expected.items()):
        if Path(name).name != name or name.startswith("."):
            return f"the peer's manifest names a file outside its index ({name!r})", {}
        here = target / name
        try:
            digest = _copy_hashing(source / name, here)
        except FileNotFoundError:
            digest = None
        if digest == entry[2]:
            st_ = here.stat()
            verified[name] = [st_.st_size, st_.st_mtime_ns, digest]
            continue
        here.unlink(missing_ok=True)
        if not is_cache_file(name):
            return f"the copied index file {name} does not match the peer's SHA-256 manifest", {}
    return None, verified


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy one file, returning the SHA-256 of the bytes written."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(DIGEST_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()
