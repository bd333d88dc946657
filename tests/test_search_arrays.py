"""Per-segment arrays are saved beside the index, so a restarted worker does not rebuild them."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import Provider
from app.search import cards as stored_cards
from app.search import segments, snapshot
from app.search.interface import Card
from app.search.strtable import FileStrings
from app.services import audit

QUERIES = [
    {"q": "smith"},
    {"q": "physical therapist", "location": "98104", "radius": "25", "sort": "distance"},
    {"q": "pediatrics", "language": "es"},
    {"clinic": "first-hill", "sort": "name"},
    {"q": "kids doctor", "accepting": "1", "gender": "F"},
]


def _answers() -> list:
    out = []
    for params in QUERIES:
        r = search.search(search.parse_params(MultiDict(params), api=True))
        out.append(
            (
                r.total,
                [(h.provider_id, h.distance_miles, h.location_distances) for h in r.hits],
                {k: [(f.value, f.count) for f in v] for k, v in r.facets.items()},
            )
        )
    out.append(search.suggest("smi"))
    return out


def _folder() -> Path:
    st = search.store()
    return st.gen_path(st.current_generation())


def test_a_fresh_process_answers_the_same_from_saved_arrays(seeded_app, monkeypatch):
    with seeded_app.app_context():
        search.RESULT_CACHE = False
        try:
            search.rebuild()
            saved = sorted(_folder().glob("arrays-*.npz"))
            assert saved, "rebuild should save the arrays"
            before = _answers()
            search.close_all()  # what a restarted worker sees

            def built(*args, **kwargs):
                raise AssertionError("arrays were rebuilt instead of loaded")

            monkeypatch.setattr(snapshot.SegmentArrays, "__init__", built)
            # Another process interns facet values in another order: codes must not leak.
            codes = snapshot.Codes()
            for facet in snapshot.FACETS:
                codes.code(facet, "zz-unrelated-value")
            search.store().codes = codes
            assert _answers() == before
        finally:
            search.RESULT_CACHE = True


@pytest.mark.parametrize("junk", [b"", b"not a pickle", b"\x80\x05N."])
def test_a_damaged_arrays_file_is_rebuilt(seeded_app, junk: bytes):
    with seeded_app.app_context():
        search.rebuild()
        before = _answers()
        for path in _folder().glob("arrays-*.npz"):
            path.write_bytes(junk)
        search.close_all()
        assert _answers() == before
        assert all(p.stat().st_size > 100 for p in _folder().glob("arrays-*.npz"))


def _typeahead() -> list:
    return [
        search.suggest(prefix)["providers"] for prefix in ("sm", "rebecca s", "nu", "maria", "zz")
    ]


@pytest.mark.parametrize("damage", ["junk", "empty", "missing", "another process's"])
def test_a_damaged_typeahead_keys_file_is_rebuilt(seeded_app, damage: str):
    """The keys file is mapped, not trusted: a bad one rebuilds the arrays and typeahead
    answers the same."""
    with seeded_app.app_context():
        search.rebuild()
        before = (_answers(), _typeahead())
        assert any(p["name"] for p in before[1][0]), "typeahead should find a Smith"
        keys = sorted(_folder().glob("arrays-*.keys"))
        assert keys, "rebuild should save the typeahead keys beside the arrays"
        for path in keys:
            if damage == "junk":
                path.write_bytes(b"\x00" * 64 + path.read_bytes()[64:])
            elif damage == "empty":
                path.write_bytes(b"")
            elif damage == "missing":
                path.unlink()
            else:  # same layout, another token: a racing writer replaced it
                raw = bytearray(path.read_bytes())
                raw[:16] = bytes(16)
                path.write_bytes(bytes(raw))
        search.close_all()
        assert (_answers(), _typeahead()) == before
        assert all(p.stat().st_size > 16 for p in _folder().glob("arrays-*.keys"))
        search.close_all()  # and the rewritten file now loads, mapped rather than read
        assert (_answers(), _typeahead()) == before
        for arrays, _ in _snapshot().segments:
            blob = arrays.suggest_keys()[0].blob
            assert isinstance(blob.base.obj, mmap.mmap) and not blob.flags.writeable


def test_edits_add_segment_arrays_and_merges_drop_stale_ones(seeded_app):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        search.rebuild()
        first = {p.name for p in _folder().glob("arrays-*.npz")}
        search.search(search.parse_params(MultiDict({"q": "smith"}), api=True))
        for slug in ("rebecca-smith-md", "maria-nunez-dpt"):
            provider = db.session.scalar(db.select(Provider).filter_by(slug=slug))
            provider.accepting_new_patients = not provider.accepting_new_patients
            audit.enqueue("provider", [provider.id])
            db.session.commit()
            search.search(search.parse_params(MultiDict({"q": "smith"}), api=True))
        names = {p.name for p in _folder().glob("arrays-*.npz")}
        assert names > first or names != first
        ix = search.store().open_index()
        ix.optimize()  # merge every segment into one
        ix.storage.close()
        search.store().write_state(search.store().current_generation(), search.store().read_state())
        search.search(search.parse_params(MultiDict({"q": "smith"}), api=True))
        assert len(list(_folder().glob("arrays-*.npz"))) == 1
        assert len(list(_folder().glob("arrays-*.keys"))) == 1  # its typeahead keys too
        assert search.verify() == []


def _snapshot():
    st = search.store()
    with st.read_mutex:
        return search.view(st)[0]


def test_many_segments_answer_as_one_and_hold_their_arrays_once(seeded_app):
    """Edits add segments (and deletions); searches over them equal a fresh rebuild's, and
    each cached segment's arrays are views of the snapshot's, not a second copy."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        search.RESULT_CACHE = False
        try:
            search.rebuild()
            _answers()
            people = db.session.scalars(db.select(Provider).order_by(Provider.id)).all()
            for n, provider in enumerate(people[:12]):
                if n % 4 == 3:
                    provider.active = False  # a deletion in an earlier segment
                else:
                    provider.accepting_new_patients = not provider.accepting_new_patients
                    provider.telehealth = not provider.telehealth
                audit.enqueue("provider", [provider.id])
                db.session.commit()
                _answers()  # each edit's snapshot is built from the previous one's cache
            snap = _snapshot()
            assert len(snap.segments) > 1, "the edits should have added segments"
            for arrays, base in snap.segments:
                assert arrays.doc_base == base
                for name, _ in snapshot.PER_DOC:
                    assert getattr(arrays, name).base is not None, name  # a view
                    assert snapshot.np.shares_memory(getattr(arrays, name), getattr(snap, name))
                for facet in snapshot.FACETS:
                    assert snapshot.np.shares_memory(arrays.pairs[facet][0], snap.pairs[facet][0])
            incremental = _answers()
            search.close_all()  # a new process: the same segments, arrays loaded from disk
            assert _answers() == incremental
            search.rebuild()  # one segment again
            assert _answers() == incremental
            assert search.verify() == []
        finally:
            search.RESULT_CACHE = True


def test_a_moved_clinic_measures_from_where_it_is_now(seeded_app):
    """Distances are worked out once per clinic; a clinic that moved must not be measured
    from its old spot, which lingers in the deleted docs of older segments."""
    from app.models import Location

    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    params = {"q": "physical therapist", "location": "98104", "sort": "distance"}
    with seeded_app.app_context():
        search.RESULT_CACHE = False
        try:
            search.rebuild()
            first = search.search(search.parse_params(MultiDict(params), api=True)).hits[0]
            clinic = db.session.get(Location, next(iter(first.location_distances)))
            clinic.latitude, clinic.longitude = 47.6588, -117.4260  # Spokane, ~230 miles east
            audit.enqueue("location", [clinic.id])
            db.session.commit()
            snap = _snapshot()
            assert len(snap.segments) > 1 and snap.sites() is None  # old spot still in a segment
            moved = search.search(search.parse_params(MultiDict(params), api=True))
            far = [h for h in moved.hits if clinic.id in h.location_distances]
            assert all(h.location_distances[clinic.id] > 200 for h in far)
            assert far or moved.hits[0].provider_id != first.provider_id
            search.rebuild()  # one segment: one spot per clinic again
            assert _snapshot().sites() is not None
            again = search.search(search.parse_params(MultiDict(params), api=True))
            assert [(h.provider_id, h.location_distances) for h in again.hits] == [
                (h.provider_id, h.location_distances) for h in moved.hits
            ]
        finally:
            search.RESULT_CACHE = True


def _cards_by_pid(snap) -> dict[int, Card]:
    """Each live doc's card as the snapshot serves it (from the segments' saved tables)."""
    return {int(snap.pid[d]): snap.card(int(d)) for d in snapshot.np.flatnonzero(snap.live)}


def _stored_cards_by_pid(snap) -> dict[int, Card]:
    """Each live doc's card as Whoosh stored it (what the saved tables must repeat)."""
    out = {}
    for d in snapshot.np.flatnonzero(snap.live):
        fields = snap.searcher.stored_fields(int(d))
        out[fields["data"]["pid"]] = stored_cards.decode(fields["card"])
    return out


def test_result_cards_come_from_saved_tables_and_follow_edits(seeded_app):
    """A page of results reads its cards from each segment's saved table: they
    equal the stored cards after a rebuild, after edits (new segments, built by this
    process) and in a fresh process, and an edit's new card replaces the old one."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        search.rebuild()
        snap = _snapshot()
        assert _cards_by_pid(snap) == _stored_cards_by_pid(snap)
        provider = db.session.scalar(db.select(Provider).filter_by(slug="rebecca-smith-md"))
        provider.accepting_new_patients = not provider.accepting_new_patients
        provider.credentials = "MD, PhD"
        audit.enqueue("provider", [provider.id])
        db.session.commit()
        snap = _snapshot()
        assert len(snap.segments) > 1, "the edit should have added a segment"
        cards = _cards_by_pid(snap)
        assert cards == _stored_cards_by_pid(snap)
        assert cards[provider.id].credentials == "MD, PhD"
        assert cards[provider.id].accepting_new_patients == provider.accepting_new_patients
        keys_files = {p.stat().st_ino for p in _folder().glob("arrays-*.keys")}
        for arrays, _ in snap.segments:  # the new segment's too: read from its saved file
            assert isinstance(arrays.cards, FileStrings), "cards must be read, not mapped"
            assert os.fstat(arrays.cards.fd).st_ino in keys_files
        search.close_all()
        assert _cards_by_pid(_snapshot()) == cards
        hits = search.search(search.parse_params(MultiDict({"q": "rebecca smith"}), api=True))
        assert any(h.card == cards[provider.id] for h in hits.hits)


def test_a_segment_whose_arrays_cannot_be_saved_reads_cards_from_the_index(seeded_app, monkeypatch):
    """A read-only index folder (or a file another process replaced): the segment's cards
    are not kept in the worker's heap; Whoosh's stored cards answer, the same."""
    with seeded_app.app_context():
        search.rebuild()
        expected = _stored_cards_by_pid(_snapshot())
        search.close_all()
        for path in _folder().glob("arrays-*"):
            path.unlink()
        monkeypatch.setattr(segments, "save_arrays", lambda *args, **kwargs: None)
        snap = _snapshot()
        assert all(arrays.cards is None for arrays, _ in snap.segments)
        assert _cards_by_pid(snap) == expected
        hits = search.search(search.parse_params(MultiDict({"q": "smith"}), api=True)).hits
        assert hits and all(h.card for h in hits)


@pytest.mark.parametrize("damage", ["unreadable", "different"])
def test_a_damaged_saved_card_is_reported_and_never_breaks_a_search(seeded_app, damage: str):
    """The card table is a cache beside the index: bytes gone bad in it must not turn a
    search into an error, and `flask search verify` names the provider."""
    with seeded_app.app_context():
        search.rebuild()
        snap = _snapshot()
        stored = _stored_cards_by_pid(snap)
        provider = db.session.scalar(db.select(Provider).filter_by(slug="rebecca-smith-md"))
        doc = int(np.flatnonzero(snap.live & (snap.pid == provider.id))[0])
        arrays, local = snap.locate(doc)
        raw = arrays.card(local)
        start = arrays.cards.at + int(arrays.cards.offsets[local])
        path = next(
            p
            for p in _folder().glob("arrays-*.keys")
            if p.stat().st_ino == os.fstat(arrays.cards.fd).st_ino
        )
        if damage == "unreadable":
            bad = b"\xff" * len(raw)
        else:  # still JSON, but not the card: a name misspelt, same length
            assert b"Rebecca" in raw
            bad = raw.replace(b"Rebecca", b"Rebekka", 1)
        with open(path, "r+b") as fh:
            fh.seek(start)
            fh.write(bad)
        search.close_all()
        search.RESULT_CACHE = False
        try:
            r = search.search(search.parse_params(MultiDict({"q": "rebecca smith"}), api=True))
        finally:
            search.RESULT_CACHE = True
        card = next(h.card for h in r.hits if h.provider_id == provider.id)
        if damage == "unreadable":
            assert card == stored[provider.id]  # the index's own copy answered
        drift = search.verify()
        assert any(f"provider {provider.id} " in line and damage in line for line in drift)


@settings(deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=60), max_size=200),
    st.integers(min_value=0, max_value=80),
)
def test_doc_starts_match_a_binary_search_per_doc(docs, n):
    """Where each doc's entries start: counted in one pass, as searchsorted would find."""
    import numpy as np

    ordered = np.array(sorted(d for d in docs if d < n + 5), np.int32)
    expected = np.searchsorted(ordered, np.arange(n + 1)).astype(np.int32)
    found = snapshot.doc_starts(ordered, n)
    assert found.dtype == np.int32 and found.tolist() == expected.tolist()


def test_a_first_search_and_the_warm_up_build_each_table_once(seeded_app, monkeypatch):
    """A restarted worker's warm-up and its first search ask for the same bitsets, offsets
    and clinic tables at once: one thread builds, the other waits and shares them."""
    import threading
    import time

    calls: list = []
    real_bits, real_sites = snapshot.build_bitsets, snapshot.build_sites

    def slow_bits(docs, vals, n_values, n):
        calls.append(n_values)
        time.sleep(0.05)  # long enough for the other threads to arrive
        return real_bits(docs, vals, n_values, n)

    def slow_sites(*arrays):
        calls.append("sites")
        time.sleep(0.05)
        return real_sites(*arrays)

    # The builders are test seams (docs/architecture.md): a fresh snapshot has built nothing.
    monkeypatch.setattr(snapshot, "build_bitsets", slow_bits)
    monkeypatch.setattr(snapshot, "build_sites", slow_sites)
    with seeded_app.app_context():
        st = search.store()
        with st.read_mutex:
            search.view(st)
            snap = snapshot.Snapshot(st.searcher(), {}, st.codes)
        languages = len(snap.codes.values["language"])
        results = []

        def ask():
            results.append((snap.bitsets("language"), snap.offsets("clinic"), snap.sites()))

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert calls.count(languages) == 1 and calls.count("sites") == 1
        assert len(results) == 4
        first = results[0]
        for other in results[1:]:
            assert all(a is b for a, b in zip(first, other, strict=True))
