"""Writing the index: full rebuild, applying the outbox, verification and status.

One writer at a time (see Store.writer_lock).  The index records the last outbox seq it
applied plus the *gaps* below it: seqs that were skipped because their transaction had not
committed yet (PostgreSQL hands out sequence numbers before commit, so they can commit out
of order).  Gaps are re-checked on every apply until they show up or expire.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Provider, ProviderLocation, ProviderSpecialty, SearchOutbox, Specialty
from app.models.visibility import public_listing
from app.search import cards
from app.search.parallel import WatchedMpWriter
from app.search.schema import (
    INDEX_FORMAT,
    load_documents,
    make_schema,
    spec_names,
    whoosh_fields,
)
from app.search.snapshot import Codes, Snapshot
from app.search.store import SearchUnavailable, Store, get_store

log = logging.getLogger(__name__)
GAP_TTL = 15 * 60  # seconds a missing seq may still commit
MAX_GAPS = 500
REBUILD_CHUNK = 5000
BIG_BATCH = 20000  # above this many changed providers, a rebuild is faster
LOCK_WAIT = 600.0  # seconds a rebuild waits for another writer, unless told otherwise


class BatchTooLarge(SearchUnavailable):
    """The pending work is too large for a web request; a background thread should do it."""


def store() -> Store:
    """The Store for the current app's index directory."""
    return get_store(current_app.config["SEARCH_INDEX_DIR"])


def _missing_ranges(present: list[int], lo: int, hi: int, now: float) -> list[list]:
    """Ranges of seqs in (lo, hi] that are not in sorted ``present``."""
    gaps, expect = [], lo + 1
    for seq in present:
        if seq > expect:
            gaps.append([expect, seq - 1, now])
        expect = max(expect, seq + 1)
    if expect <= hi:
        gaps.append([expect, hi, now])
    return gaps


def rebuild(
    progress: Callable[[int, int], None] | None = None,
    procs: int = 1,
    if_behind: bool = False,
    wait: float = LOCK_WAIT,
) -> dict:
    """Rebuild the whole index into a new generation and swap it in atomically.

    With ``procs`` above 1, a directory of at least SEARCH_PARALLEL_FROM providers is
    written by that many processes (one segment each) while this one reads the database.
    With ``if_behind``, an index that already holds every committed change (another
    process rebuilt it while this one waited for the lock) is left as it is. ``wait`` is
    how many seconds to wait for another writer before giving up.
    """
    st = store()
    with st.writer_lock(blocking=True, timeout=wait) as ok:
        if not ok:
            raise SearchUnavailable("the index is locked by another writer")
        if if_behind and not _behind(st):
            return _current(st)
        return rebuild_locked(st, progress, procs)


def _behind(st: Store) -> bool:
    """Whether the live index misses committed changes, or is missing, damaged or old
    (the caller holds the writer lock)."""
    if not st.exists() or st.integrity_problem_locked() or outdated(st):
        return True
    last = int(st.read_state().get("last_seq", 0))
    with db.engine.connect() as conn:
        return (conn.scalar(select(func.max(SearchOutbox.seq))) or 0) > last


def _current(st: Store) -> dict:
    """``rebuild``'s report for the live generation, when it was already up to date."""
    gen = st.current_generation()
    ix = st.open_index(gen)
    try:
        documents = ix.doc_count()
    finally:
        ix.storage.close()
    return {
        "documents": documents,
        "seconds": 0.0,
        "last_seq": int(st.read_state(gen).get("last_seq", 0)),
        "generation": gen,
        "size_bytes": st.size_bytes(),
    }


def rebuild_procs() -> int:
    """Processes `flask search rebuild` writes with (SEARCH_REBUILD_PROCS; 0 = per core)."""
    configured = int(current_app.config["SEARCH_REBUILD_PROCS"])
    return configured if configured > 0 else max(1, min(4, os.cpu_count() or 1))


def _writer(ix, procs: int, total: int):
    if procs > 1 and total >= current_app.config["SEARCH_PARALLEL_FROM"]:
        # Sub-processes index batches of documents into their own segments (no final
        # merge, which would be single-threaded again); the searcher joins the segments.
        batch = max(1, min(500, total // (4 * procs)))  # enough batches for every process
        return WatchedMpWriter(
            ix, procs=procs, multisegment=True, batchsize=batch, limitmb=128, compound=False
        )
    return ix.writer(limitmb=256, compound=False)


def rebuild_locked(st: Store, progress=None, procs: int = 1) -> dict:
    """``rebuild`` for a caller already holding the writer lock."""
    started = time.monotonic()
    p = Provider.__table__.c
    with db.engine.connect() as conn:
        max_seq = conn.scalar(select(func.max(SearchOutbox.seq))) or 0
        present = list(
            conn.scalars(
                select(SearchOutbox.seq)
                .where(SearchOutbox.seq > max_seq - 5000)
                .order_by(SearchOutbox.seq)
            )
        )
        names = spec_names(conn)
        total = conn.scalar(select(func.count(p.id)).where(public_listing())) or 0
        top = conn.scalar(select(func.max(p.id))) or 0
        gen, ix = st.new_generation()
        writer = _writer(ix, procs, total)
        done = 0
        try:
            for lo in range(0, top + 1, REBUILD_CHUNK):
                docs = load_documents(conn, id_range=(lo, lo + REBUILD_CHUNK - 1))
                for pid in sorted(docs):
                    writer.add_document(**whoosh_fields(docs[pid], names))
                done += len(docs)
                if progress and docs:
                    progress(done, total)
            writer.commit()
        except BaseException:
            writer.cancel()
            _discard(st, ix, gen)
            raise
        try:
            with ix.searcher() as searcher:
                # A writer process that died would leave its documents out without a word.
                if searcher.doc_count_all() != done:
                    raise SearchUnavailable(
                        f"the rebuild wrote {searcher.doc_count_all()} of {done} documents"
                    )
                # Save the per-segment arrays now, so no worker builds them on first search.
                Snapshot(searcher, {}, Codes(), st.gen_path(gen))
        except BaseException:
            _discard(st, ix, gen)
            raise
        ix.storage.close()
    gaps = _missing_ranges(present, max(0, max_seq - 5000), max_seq, time.time())
    st.write_state(gen, {"last_seq": max_seq, "gaps": gaps, "format": INDEX_FORMAT})
    st.swap(gen)
    return {
        "documents": done,
        "seconds": round(time.monotonic() - started, 2),
        "last_seq": max_seq,
        "generation": gen,
        "size_bytes": st.size_bytes(),
    }


def _discard(st: Store, ix, gen: str) -> None:
    """Throw away a generation that was never swapped in."""
    ix.storage.close()
    shutil.rmtree(st.gen_path(gen), ignore_errors=True)


def apply_changes(*, build_missing: bool = True, max_batch: int | None = None) -> int:
    """Apply pending outbox rows to this host's index; 0 if another writer is busy.

    A missing or damaged index (files changed behind the writer's back) is rebuilt from
    the database into a fresh generation, which includes every edit made meanwhile. With
    ``build_missing`` false that is left for the poller or the CLI, so no web request
    ever waits for a full rebuild. With ``max_batch``, more than that many providers to
    re-index (or a rebuild of more than that many) raises BatchTooLarge before any work,
    so a web request can hand the job to a background thread instead of waiting for it.
    """
    st = store()
    total = 0
    for _ in range(5):
        apart = 0
        with st.writer_lock(blocking=False) as ok:
            if not ok:
                st.pending = True  # the holder loops once more and picks our rows up
                return total
            st.pending = False
            damaged = st.integrity_problem_locked() if st.exists() else None
            if damaged:
                log.error("search: %s; rebuilding into a fresh generation", damaged)
            elif st.exists() and outdated(st):
                damaged = "written in an older format"
                log.warning("search: the index was %s; rebuilding it", damaged)
            if not st.exists() or damaged:
                if not build_missing:
                    return total
                _check_batch(_active_count(), max_batch)
                if in_web_worker():
                    apart = 1
                else:
                    total += rebuild_locked(st)["documents"]
            else:
                try:
                    total += apply_locked(st, max_batch)
                except _RebuildApart as big:
                    apart = big.rows
        if apart:
            # Outside the lock: the child process takes it (and skips the rebuild if another
            # writer, such as the import that wrote these rows, got there first).
            rebuild_apart()
            total += apart
        if not st.pending:
            break
    return total


class _RebuildApart(Exception):
    """Too many changes for a web worker: rebuild in a child process instead."""

    def __init__(self, rows: int) -> None:
        super().__init__(f"{rows} outbox rows")
        self.rows = rows


def in_web_worker() -> bool:
    """Whether this process serves requests (gunicorn's config sets the variable)."""
    return os.environ.get("FINDCARE_WEB_WORKER") == "1"


def rebuild_apart() -> None:
    """``flask search rebuild --if-behind`` in a child process, waited for.

    A rebuild reads every listing; in a web worker that would leave hundreds of megabytes
    in its heap for as long as it lives (docs/benchmarks.md has the national figures).
    The child's memory goes back to the system when it ends.
    """
    env = {k: v for k, v in os.environ.items() if k != "FINDCARE_WEB_WORKER"}
    root = Path(current_app.root_path).parent
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "search", "rebuild", "--if-behind"]
    done = subprocess.run(  # noqa: S603 - our own interpreter and command
        command, cwd=root, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        log.error("search: the rebuild in a child process failed: %s", done.stderr[-2000:])
        raise SearchUnavailable("the rebuild in a child process failed")


def outdated(st: Store, gen: str | None = None) -> bool:
    """Whether a generation (the live one by default) was written in another index format.

    Such an index is rebuilt, never read: its stored cards are not this release's.
    """
    return st.read_state(gen).get("format") != INDEX_FORMAT


def _check_batch(size: int, max_batch: int | None) -> None:
    if max_batch is not None and size > max_batch:
        raise BatchTooLarge(f"{size} providers to index is more than {max_batch}")


def _active_count() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count(Provider.id)).where(public_listing())) or 0


def _provider_ids(conn, rows) -> set[int]:
    ids: set[int] = set()
    for row in rows:
        if row.entity_type == "provider":
            ids.add(row.entity_id)
        elif row.entity_type == "location":
            ids.update(
                conn.scalars(
                    select(ProviderLocation.provider_id).where(
                        ProviderLocation.location_id == row.entity_id
                    )
                )
            )
        elif row.entity_type == "specialty":
            ids.update(
                conn.scalars(
                    select(ProviderSpecialty.provider_id).where(
                        ProviderSpecialty.specialty_id == row.entity_id
                    )
                )
            )
    return ids


def apply_locked(st: Store, max_batch: int | None = None) -> int:
    """Apply pending outbox rows (the caller holds the writer lock)."""
    gen = st.current_generation()
    state = st.read_state(gen)
    last = int(state.get("last_seq", 0))
    now = time.time()
    gaps = [g for g in state.get("gaps", []) if now - g[2] < GAP_TTL]
    o = SearchOutbox.__table__.c
    cond = or_(o.seq > last, *[and_(o.seq >= lo, o.seq <= hi) for lo, hi, _ in gaps])
    with db.engine.connect() as conn:
        if in_web_worker():
            # Count before reading: a national import's million rows are a rebuild's work,
            # and reading them here alone would grow the worker for good.
            waiting = conn.scalar(select(func.count()).select_from(SearchOutbox).where(cond))
            if waiting > BIG_BATCH:
                _check_batch(_active_count(), max_batch)
                raise _RebuildApart(waiting)
        rows = conn.execute(
            select(o.seq, o.entity_type, o.entity_id).where(cond).order_by(o.seq)
        ).all()
        if not rows:
            if len(gaps) != len(state.get("gaps", [])):
                st.write_state(gen, {"last_seq": last, "gaps": gaps, "format": INDEX_FORMAT})
            return 0
        ids = _provider_ids(conn, rows)
        _check_batch(len(ids), max_batch)
        if len(ids) > BIG_BATCH:
            if in_web_worker():
                raise _RebuildApart(len(rows))
            rebuild_locked(st)
            return len(rows)
        docs = load_documents(conn, ids)
        names = spec_names(conn) if docs else {}
    ix = st.open_index(gen)
    if set(ix.schema.names()) != set(make_schema().names()):
        # An index written by an older release (e.g. before result cards): rebuild it once.
        ix.storage.close()
        _check_batch(_active_count(), max_batch)
        rebuild_locked(st)
        return len(rows)
    _write_documents(ix, ids, docs, names)
    st.write_state(gen, _state_after(rows, last, gaps, now))
    return len(rows)


def _write_documents(ix, ids: set[int], docs: dict[int, dict], names: dict[str, str]) -> None:
    """Update each changed provider's document, or delete it when it is no longer listed."""
    writer = ix.writer(compound=False)
    try:
        for pid in sorted(ids):
            if pid in docs:
                writer.update_document(**whoosh_fields(docs[pid], names))
            else:
                writer.delete_by_term("id", str(pid))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.storage.close()


def _state_after(rows, last: int, gaps: list, now: float) -> dict:
    """The index state once ``rows`` are applied: the new last seq and the gaps still open."""
    seqs = [r.seq for r in rows]
    new_last = max(last, seqs[-1])
    found = set(seqs)
    remaining: list[list] = []
    for lo, hi, t in gaps:
        remaining.extend(_missing_ranges([s for s in seqs if lo <= s <= hi], lo - 1, hi, t))
    remaining.extend(_missing_ranges([s for s in seqs if s > last], last, new_last, now))
    remaining = [g for g in remaining if not (g[0] == g[1] and g[0] in found)][-MAX_GAPS:]
    return {"last_seq": new_last, "gaps": remaining, "format": INDEX_FORMAT}


def integrity_problem() -> str | None:
    """Why the live index's files are damaged, or None (the same answer on every worker)."""
    return store().integrity_problem()


def document_count() -> int:
    """Number of providers in the index."""
    st = store()
    with st.read_mutex:
        return st.searcher().doc_count()


def status() -> dict:
    """Counts, the last outbox seq applied, pending rows and size on disk.

    ``active_providers`` counts the publicly listed providers (``app.models.visibility``),
    which is what ``documents`` should equal once the outbox is applied.
    """
    st = store()
    gen = st.current_generation()
    state = st.read_state(gen)
    last = int(state.get("last_seq", 0))
    with db.engine.connect() as conn:
        pending = conn.scalar(
            select(func.count()).select_from(SearchOutbox).where(SearchOutbox.seq > last)
        )
        active = conn.scalar(select(func.count(Provider.id)).where(public_listing()))
    return {
        "path": str(st.root),
        "generation": gen,
        "documents": document_count() if gen else 0,
        "active_providers": active,
        "last_seq": last,
        "pending": pending,
        "gaps": len(state.get("gaps", [])),
        "size_bytes": st.size_bytes(),
    }


def _comparable(data: dict) -> dict:
    return {
        "slug": data["slug"],
        "name": data["name"],
        "accepting_new_patients": data["acc"],
        "telehealth": data["tel"],
        "wheelchair": data.get("wc", False),
        "children": data.get("kid", False),
        "gender": data["g"],
        "specialties": list(data["spec"]),
        "clinics": [(lid, lat, lon) for lid, _, lat, lon in data["locs"]],
        "languages": list(data["lang"]),
        "insurance": list(data["ins"]),
    }


def _served_card_drift(st, indexed: dict[int, dict]) -> list[str]:
    """Providers whose result card as searches serve it (from the segments' saved card
    tables) is not the card the index stores (call with st.read_mutex held)."""
    from app.search import view  # the snapshot searches read; imported late (a cycle)

    snap, _ = view(st)
    out = []
    for doc in np.flatnonzero(snap.live).tolist():
        arrays, local = snap.locate(doc)
        pid = int(snap.pid[doc])
        raw = arrays.card(local)
        if raw is None or pid not in indexed:  # no saved table: the stored card is served
            continue
        try:
            served = cards.decode(raw) if raw else None
        except cards.CardError:
            served = "unreadable"
        if served != indexed[pid]["card"]:
            drift = "unreadable" if served == "unreadable" else "different"
            out.append(
                f"provider {pid} ({indexed[pid]['slug']}): its saved result card is {drift} "
                "(searches fall back to the stored one only when unreadable; "
                "`flask search rebuild` writes them again)"
            )
    return out


def _stored_card(raw: str | None) -> object:
    """The card the index stores, None without one, or "unreadable"."""
    try:
        return cards.decode(raw) if raw else None
    except cards.CardError:
        return "unreadable"


def verify() -> list[str]:
    """Compare the database with the index; describe every difference.

    Raises SearchUnavailable naming the file when the index itself is damaged.
    """
    st = store()
    damaged = st.integrity_problem()
    if damaged:
        raise SearchUnavailable(f"the search index is damaged: {damaged}")
    with db.engine.connect() as conn:
        names = {
            s.slug: s.display_name
            for s in conn.execute(select(Specialty.slug, Specialty.display_name))
        }
        expected = {}
        for pid, doc in load_documents(conn).items():
            fields = whoosh_fields(doc, names)
            expected[pid] = _comparable(fields["data"]) | {"card": cards.decode(fields["card"])}
    indexed: dict[int, dict] = {}
    drift: list[str] = []
    with st.read_mutex:
        searcher = st.searcher()
        for fields in searcher.reader().all_stored_fields():
            data = fields.get("data") or {}
            pid = data.get("pid")
            if pid in indexed:
                drift.append(f"provider {pid}: indexed more than once")
            indexed[pid] = _comparable(data) | {"card": _stored_card(fields.get("card"))}
        drift.extend(_served_card_drift(st, indexed))
    for pid in sorted(set(expected) - set(indexed)):
        drift.append(f"provider {pid} ({expected[pid]['slug']}): missing from the index")
    for pid in sorted(set(indexed) - set(expected)):
        drift.append(f"provider {pid} ({indexed[pid]['slug']}): in the index but not listed")
    for pid in sorted(set(expected) & set(indexed)):
        changed = [k for k in expected[pid] if expected[pid][k] != indexed[pid][k]]
        if changed:
            drift.append(
                f"provider {pid} ({expected[pid]['slug']}): differs in {', '.join(changed)}"
            )
    return drift
