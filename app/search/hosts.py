"""Adding a host: copy a peer's index generation and catch up from its recorded outbox seq."""

from __future__ import annotations

import os
import shutil
import time
from contextlib import nullcontext
from pathlib import Path

from app.search.indexer import apply_locked, store
from app.search.store import IndexMissing, SearchUnavailable, Store


def clone(source: str | Path) -> dict:
    """Copy a peer's live index generation here, then catch up from its recorded outbox seq.

    ``source`` is a peer's index folder (a shared mount, or a copy made with rsync).  The
    peer's writer lock is held while copying when it can be taken, so the copy is a
    consistent generation; the outbox rows committed since its ``last_seq`` (and its
    recorded gaps) are then applied here, as on any host.
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
        with st.writer_lock(blocking=True) as ok:
            if not ok:
                raise SearchUnavailable("the index is locked by another writer")
            st.root.mkdir(parents=True, exist_ok=True)
            target = st.gen_path(f"{gen}-copy-{int(time.time())}")
            shutil.copytree(peer.gen_path(gen), target, ignore=shutil.ignore_patterns("*.tmp"))
    state = st.read_state(target.name)
    with st.writer_lock(blocking=True) as ok:
        if not ok:
            raise SearchUnavailable("the index is locked by another writer")
        _restamp(st, target.name, state)
        st.swap(target.name)
        applied = apply_locked(st)
    return {
        "generation": target.name,
        "copied_seq": int(state.get("last_seq", 0)),
        "applied": applied,
        "seconds": round(time.monotonic() - started, 2),
        "size_bytes": st.size_bytes(),
    }


def _restamp(st: Store, gen: str, state: dict) -> None:
    """Check the copy against the peer's manifest, then record it as this host's own.

    A copy made with tar or scp keeps the files but not always their exact modification
    times, which the integrity check compares; sizes must match, then the manifest is
    rewritten from the copy (this host's writer lock is held).
    """
    expected = state.get("files") or {}
    actual = st.file_manifest(gen)
    for name, (size, _) in sorted(expected.items()):
        if name not in actual or actual[name][0] != size:
            shutil.rmtree(st.gen_path(gen), ignore_errors=True)
            raise SearchUnavailable(f"the copied index is incomplete ({name}); copy it again")
    st.write_state(gen, {k: v for k, v in state.items() if k != "files"})
