"""Postings read a block at a time give exactly Whoosh's own answer, deletions aside."""

from __future__ import annotations

import numpy as np

from app import search
from app.extensions import db
from app.models import Provider
from app.search.snapshot import postings
from app.services import audit
from tests import factories

FIELDS = ("name", "name_prefix", "last")


def _people() -> None:
    """700 providers: some names on hundreds of them (several 128-id blocks), some on one."""
    firsts = ["Mary", "José", "Wei", "Anh", "Zoë"]
    for n in range(700):
        factories.provider(
            first_name=firsts[n % len(firsts)],
            last_name="Smith" if n % 3 else f"Solo{n}",
            slug=f"p-{n}",
        )
    db.session.flush()
    audit.enqueue("provider", [p.id for p in db.session.scalars(db.select(Provider))])
    db.session.commit()


def _whoosh_and_ours(field: str, text: str) -> tuple[set[int], np.ndarray]:
    st = search.store()
    with st.read_mutex:
        searcher = st.searcher()
        theirs = {
            base + doc
            for leaf, base in searcher.reader().leaf_readers()
            if (field, text) in leaf
            for doc in leaf.postings(field, text).all_ids()
        }
        ours = [
            postings(leaf, field, text) + base
            for leaf, base in searcher.reader().leaf_readers()
            if (field, text) in leaf
        ]
    return theirs, np.concatenate(ours) if ours else np.zeros(0, np.int64)


def _terms() -> list[tuple[str, str]]:
    st = search.store()
    with st.read_mutex:
        reader = st.searcher().reader()
        return [(f, t.decode()) for f in FIELDS for t in reader.lexicon(f)]


def test_every_term_reads_the_same_as_whoosh(app):
    with app.app_context():
        _people()
        search.rebuild()
        terms = _terms()
        assert ("last", "smith") in terms and len(terms) > 700
        for field, text in terms:
            theirs, ours = _whoosh_and_ours(field, text)
            assert list(ours) == sorted(theirs), (field, text)
        _, smith = _whoosh_and_ours("last", "smith")
        assert len(smith) == 466  # four blocks of up to 128


def test_deleted_docs_come_back_for_the_caller_to_mask(app):
    with app.app_context():
        _people()
        search.rebuild()
        gone = db.session.scalars(db.select(Provider).filter_by(last_name="Smith").limit(40)).all()
        for provider in gone:
            provider.active = False
        audit.enqueue("provider", [p.id for p in gone])
        db.session.commit()
        search.apply_changes()
        theirs, ours = _whoosh_and_ours("last", "smith")
        assert set(ours) >= theirs and len(theirs) == 466 - 40
        st = search.store()
        with st.read_mutex:
            snap = search._view(st)[0]
            live = snap.term_docs("last", "smith")
            assert int(np.count_nonzero(snap.live[live])) == 466 - 40
