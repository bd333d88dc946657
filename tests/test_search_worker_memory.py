"""A web worker stays small after a national import: the big rebuild runs elsewhere, and
what the previous generation and vocabulary held is freed."""

from __future__ import annotations

import gc
import weakref

from app import search
from app.extensions import db
from app.models import Provider
from app.search import indexer
from app.search.memory import collect_frozen
from app.services import audit
from app.transaction import unit_of_work


def _touch_every_provider(times: int) -> None:
    """Outbox rows for every listing, ``times`` over, left for the next apply."""
    ids = list(db.session.scalars(db.select(Provider.id)))
    with unit_of_work():
        for _ in range(times):
            audit.enqueue("provider", ids)


def test_a_web_worker_rebuilds_a_big_change_in_a_child_process(seeded_app, monkeypatch):
    """Many outbox rows in a web worker: rebuilt by ``flask search rebuild --if-behind`` in
    a child process (whose memory goes back to the system), never read in the worker."""
    config = seeded_app.config
    config["SEARCH_SYNC_ON_COMMIT"] = False
    monkeypatch.setenv("DATABASE_URL", config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("SEARCH_INDEX_DIR", config["SEARCH_INDEX_DIR"])
    monkeypatch.setenv("SECRET_KEY", "test-only")
    monkeypatch.setenv("FINDCARE_WEB_WORKER", "1")
    monkeypatch.setattr(indexer, "BIG_BATCH", 5)
    read_here = []
    monkeypatch.setattr(indexer, "rebuild_locked", lambda *a, **k: read_here.append(a))
    with seeded_app.app_context():
        before = search.index_version()
        _touch_every_provider(2)
        applied = search.apply_changes()
        assert applied > 5
        assert read_here == []  # not rebuilt in this process
        generation, _ = search.index_version()
        assert generation != before[0]  # the child swapped in a new generation
        assert search.status()["pending"] == 0
        assert search.verify() == []


def test_rebuild_if_behind_leaves_an_up_to_date_index(seeded_app):
    """The import's own rebuild is skipped when another process already rebuilt."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    with seeded_app.app_context():
        first = search.rebuild()
        again = search.rebuild(if_behind=True)
        assert again["generation"] == first["generation"]
        assert again["documents"] == first["documents"]
        _touch_every_provider(1)
        third = search.rebuild(if_behind=True)
        assert third["generation"] != first["generation"]
        assert search.status()["pending"] == 0


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle, as searchers and snapshots have


def test_collect_frozen_frees_a_dropped_frozen_cycle():
    """What a warmed worker froze and later dropped is freed, not kept for good."""
    node = _Node()
    gone = weakref.ref(node)
    gc.freeze()
    try:
        del node
        gc.collect()
        assert gone() is not None  # frozen: the collector never looks at it
        collect_frozen()
        assert gone() is None
    finally:
        gc.unfreeze()
