"""A narrow search (a name) works on its matches only; its answers equal the dense path's.

The dense oracle below is the engine's earlier whole-directory name scoring, kept here so
every name, typo and partial name of the demo directory is checked against it; then whole
searches run once in the sparse space and once with dense masks must give equal results.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import Provider
from app.search import engine, snapshot
from app.search.text import words


def _dense_name_scores(snap, terms, fuzzy, no_fuzzy):
    """The earlier implementation: one float per doc, 0 = no match."""
    total = np.zeros(snap.n, np.float32)
    every = np.ones(snap.n, bool)
    matched_each = []
    for term in terms:
        score = np.zeros(snap.n, np.float32)
        prefix = snap.term_docs("name_prefix", term)
        score[prefix] = 2.0
        exact = snap.term_docs("name", term)
        score[exact] = 3.0
        score[snap.term_docs("last", term)] += 0.5
        if len(exact) == 0 and len(prefix) == 0 and term not in no_fuzzy:
            for cand, dist in fuzzy.lookup(term)[:8]:
                docs = snap.term_docs("name", cand)
                score[docs] = np.maximum(score[docs], 1.0 - 0.2 * (dist - 1))
        total += score
        matched_each.append(score > 0)
        every &= matched_each[-1]
    if terms and not every.any():
        hits = np.sum(matched_each, axis=0)
        best = hits.max() if len(hits) else 0
        return np.where((hits == best) & (best > 0), total, 0)
    return np.where(every, total, 0)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return rng.choice([word[:i] + word[i + 1 :], word[:i] + word[i + 1] + word[i] + word[i + 2 :]])


def _name_queries(app) -> list[list[str]]:
    """Every demo provider's name, in both orders, as prefixes, with typos, and mixes."""
    rng = random.Random(7)
    with app.app_context():
        people = db.session.execute(db.select(Provider.first_name, Provider.last_name)).all()
    queries: list[list[str]] = []
    for first, last in people:
        f, la = words(first), words(last)
        queries += [f + la, la + f, la, f, [la[-1][:3]], [_typo(w, rng) for w in f + la]]
    queries += [["zz"], ["smith", "nobodyhere"], ["a"], ["dr"], ["mar", "lee", "tran"]]
    return [q for q in queries if q]


@pytest.fixture
def view(demo_app):
    with demo_app.app_context():
        st = search.store()
        with st.read_mutex:
            snap, fuzzy = search.view(st)
        yield demo_app, snap, fuzzy, search.get_vocab()


def test_sparse_name_scores_equal_the_dense_oracle(view):
    app, snap, fuzzy, vocab = view
    for terms in _name_queries(app):
        docs, scores, _, _ = engine.name_scores(snap, terms, fuzzy, vocab.plain_words)
        dense = _dense_name_scores(snap, terms, fuzzy, vocab.plain_words)
        assert list(docs) == list(np.flatnonzero(dense)), terms
        assert np.allclose(scores, dense[docs], atol=1e-5), terms
        assert list(docs) == sorted(set(docs.tolist())), terms


def _everything(results) -> tuple:
    facets = {k: [(f.value, f.count, f.selected) for f in v] for k, v in results.facets.items()}
    hits = [(h.provider_id, h.score, h.distance_miles, h.location_distances) for h in results.hits]
    return (results.total, results.pages, hits, facets, results.did_you_mean, results.reasons)


def test_whole_searches_agree_in_the_sparse_and_dense_spaces(view, monkeypatch):
    app, _, _, _ = view
    monkeypatch.setattr(search, "RESULT_CACHE", False)
    rng = random.Random(11)
    extras = [
        {},
        {"location": "98104"},
        {"location": "98104", "radius": "10", "sort": "distance"},
        {"accepting": "1"},
        {"telehealth": "1", "gender": "F"},
        {"language": "es"},
        {"sort": "name"},
        {"children": "1", "wheelchair": "1"},
        {"page": "2", "per_page": "1"},
    ]
    compared = nonempty = 0
    with app.app_context():
        for terms in _name_queries(app)[::3]:
            for extra in rng.sample(extras, 3):
                args = MultiDict({"q": " ".join(terms), **extra})
                params = search.parse_params(args, api=True)
                monkeypatch.setattr(engine, "SPARSE_RATIO", 0)  # always the sparse space
                sparse = search.search(params)
                monkeypatch.setattr(engine, "SPARSE_RATIO", 10**9)  # always dense masks
                dense = search.search(params)
                assert _everything(sparse) == _everything(dense), args
                compared += 1
                nonempty += bool(dense.total)
    assert compared > 100 and nonempty > compared // 2


class _Arrays:
    def __init__(self, acc, hi, lo):
        self.acc, self.name_hi, self.name_lo = acc, hi, lo


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    st.integers(1, 400),
    st.integers(1, 60),
    st.sampled_from(["relevance", "name", "distance"]),
    st.integers(0, 2**32 - 1),
)
def test_ordering_keeps_exactly_the_first_k_of_a_full_sort(n, k, sort, seed):
    """Cutting ties by name before sorting gives the same first k as sorting everything."""
    rng = np.random.default_rng(seed)
    snap = _Arrays(
        rng.random(n) < 0.6,
        rng.integers(0, 5, n).astype(np.uint64),  # few distinct names: many ties
        rng.integers(0, 3, n).astype(np.uint64),
    )
    score = rng.integers(0, 3, n).astype(np.float32)  # few distinct scores
    nearest = rng.integers(0, 4, n).astype(float)
    docs = np.sort(rng.choice(n, size=rng.integers(1, n + 1), replace=False))
    acc, hi, lo = snap.acc[docs], snap.name_hi[docs], snap.name_lo[docs]
    if sort == "name":
        keys = (lo, hi)
    elif sort == "distance":
        keys = (lo, hi, ~acc, -score[docs], nearest[docs])
    else:
        # relevance: accepting new patients adds to the score (engine.ACCEPT_WEIGHT)
        keys = (lo, hi, ~acc, -(score[docs] + engine.ACCEPT_WEIGHT * acc))
    full = docs[np.lexsort(keys)][:k]
    got = engine.order(snap, docs, score, nearest, sort, k)

    # Docs equal in every key may come in either order; their keys must match position by position.
    def key_rows(found):
        return [
            tuple(
                int(x) if x.dtype != bool else bool(x)
                for x in (snap.name_hi[d], snap.name_lo[d], snap.acc[d], score[d], nearest[d])
            )
            for d in found
        ]

    assert key_rows(got) == key_rows(full)


def _nearest_oracle(snap, lat: float, lon: float) -> np.ndarray:
    """Each doc's nearest clinic by brute force over every provider-clinic entry (float64)."""
    import math

    from app.geo import haversine_radians

    p1, l1 = math.radians(lat), math.radians(lon)
    out = np.full(snap.n, np.inf)
    for doc in range(snap.n):
        for j in range(int(snap.loc_first[doc]), int(snap.loc_first[doc + 1])):
            la, lo = float(snap.loc_lat[j]), float(snap.loc_lon[j])
            if not (math.isnan(la) or math.isnan(lo)):
                out[doc] = min(out[doc], float(haversine_radians(p1, l1, la, lo)))
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lat=st.floats(18, 65), lon=st.floats(-160, -65))
def test_nearest_clinic_per_doc_equals_brute_force(demo_app, lat, lon):
    """Per-clinic miles gathered per doc (first clinic, then the docs at several clinics
    reduced) equal the brute force, and so does the per-entry fallback used when a
    clinic's entries disagree. (The app only reads, so one serves every example.)"""
    with demo_app.app_context():
        st = search.store()
        with st.read_mutex:
            snap, _ = search.view(st)
        oracle = _nearest_oracle(snap, lat, lon)
        several = np.flatnonzero(np.diff(snap.loc_first) > 1)
        assert len(several), "the demo directory has providers at several clinics"
        miles, nearest = snap.distances(lat, lon)
        assert miles.per_clinic and nearest.dtype == np.float32
        np.testing.assert_allclose(nearest, oracle, rtol=1e-5)
        for doc in several[:20]:
            shown = snap.doc_locations(int(doc), miles)
            assert min(shown.values()) == round(float(oracle[doc]), 1)
        # As if a moved clinic's old entries lingered: build_sites is a test seam
        # (docs/architecture.md); a fresh snapshot then measures every entry.
        with pytest.MonkeyPatch.context() as patch, st.read_mutex:
            patch.setattr(snapshot, "build_sites", lambda *arrays: None)
            disagreeing = snapshot.Snapshot(st.searcher(), {}, st.codes)
            fallback_miles, fallback = disagreeing.distances(lat, lon)
        assert not fallback_miles.per_clinic
        np.testing.assert_allclose(fallback, oracle, rtol=1e-5)
