"""Postings read a block at a time give exactly Whoosh's own answer; the engine sees live
docs only."""

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
    clinic = factories.location()  # a listing is public only at an open clinic
    for n in range(700):
        factories.provider(
            first_name=firsts[n % len(firsts)],
            last_name="Smith" if n % 3 else f"Solo{n}",
            slug=f"p-{n}",
            locations=[clinic],
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


def test_postings_keep_deleted_docs_and_term_docs_drops_them(app):
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
            snap = search.view(st)[0]
            live = snap.term_docs("last", "smith")  # what the engine uses: live docs only
            assert len(live) == 466 - 40 and snap.live[live].all()


def test_a_deleted_provider_never_wins_a_name_search(app):
    """Mary Smith leaves; "mary smith" then shows those matching most words, not nobody."""
    from werkzeug.datastructures import MultiDict

    with app.app_context():
        clinic = factories.location()  # a listing is public only at an open clinic
        for n in range(300):  # enough documents that Whoosh keeps the deletion unmerged
            factories.provider(
                first_name="Filler", last_name=f"Person{n}", slug=f"f-{n}", locations=[clinic]
            )
        people = {
            name: factories.provider(
                first_name=name.split()[0], last_name=name.split()[1], locations=[clinic]
            )
            for name in ("Mary Smith", "Mary Jones", "Anne Smith")
        }
        db.session.flush()
        audit.enqueue("provider", [p.id for p in db.session.scalars(db.select(Provider))])
        db.session.commit()
        search.rebuild()
        people["Mary Smith"].active = False
        audit.enqueue("provider", [people["Mary Smith"].id])
        db.session.commit()
        search.apply_changes()
        found = search.search(search.parse_params(MultiDict({"q": "mary smith"}), api=True))
        ids = {hit.provider_id for hit in found.hits}
        assert ids == {people["Mary Jones"].id, people["Anne Smith"].id}
