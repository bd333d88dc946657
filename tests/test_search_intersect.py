"""The engine's sorted-array intersection agrees with numpy's on any postings."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.engine import contains_sorted, intersect_sorted

postings = st.lists(st.integers(0, 5_000), max_size=300).map(
    lambda xs: np.array(sorted(set(xs)), dtype=np.int64)
)


@settings(max_examples=300, deadline=None)
@given(postings, postings)
def test_intersection_matches_numpy(a, b):
    common, ia, ib = intersect_sorted(a, b)
    want, wa, wb = np.intersect1d(a, b, assume_unique=True, return_indices=True)
    assert common.tolist() == want.tolist()
    assert ia.tolist() == wa.tolist() and ib.tolist() == wb.tolist()
    assert (a[ia] == common).all() and (b[ib] == common).all()


@settings(max_examples=300, deadline=None)
@given(postings, postings)
def test_membership_matches_numpy(a, b):
    assert contains_sorted(a, b).tolist() == np.isin(a, b).tolist()


def test_edges():
    empty = np.zeros(0, np.int64)
    one = np.array([7], np.int64)
    assert intersect_sorted(empty, one)[0].tolist() == []
    assert intersect_sorted(one, empty)[0].tolist() == []
    assert intersect_sorted(one, one)[0].tolist() == [7]
    assert contains_sorted(one, empty).tolist() == [False]
    assert contains_sorted(empty, one).tolist() == []
    big = np.array([1, 3, 5, 9], np.int64)
    assert intersect_sorted(np.array([9, 10], np.int64), big)[0].tolist() == [9]


@settings(max_examples=300, deadline=None)
@given(postings, postings, postings, st.booleans())
def test_word_scores_match_the_merge_of_all_three_lists(prefix, exact, last, nested):
    """Prefix 2, exact 3, last name 0, best per doc, +0.5 for a last name: the fast path
    (a word among its own prefixes, a last name among the names) and the general merge
    agree with a plain max."""
    from app.search.engine import word_scores

    if nested:  # the usual shape of an index: last within exact within prefix
        exact = np.union1d(exact, last)
        prefix = np.union1d(prefix, exact)
    docs, score = word_scores(prefix, exact, last)
    want: dict[int, float] = {}
    for ids, value in ((prefix, 2.0), (exact, 3.0), (last, 0.0)):
        for doc in ids.tolist():
            want[doc] = max(want.get(doc, value), value)
    for doc in last.tolist():
        want[doc] += 0.5
    assert docs.tolist() == sorted(want)
    assert score.tolist() == [want[d] for d in sorted(want)]


def test_word_scores_when_the_lists_coincide():
    """A surname's prefix, exact and last-name lists are often the very same docs."""
    from app.search.engine import word_scores

    docs = np.array([2, 5, 9], np.int64)
    got, score = word_scores(docs, docs.copy(), docs.copy())
    assert got.tolist() == [2, 5, 9] and score.tolist() == [3.5, 3.5, 3.5]
    got, score = word_scores(docs, docs.copy(), np.zeros(0, np.int64))
    assert score.tolist() == [3.0, 3.0, 3.0]
    got, score = word_scores(docs, np.array([5], np.int64), np.array([5], np.int64))
    assert score.tolist() == [2.0, 3.5, 2.0]
    got, score = word_scores(np.zeros(0, np.int64), docs, np.zeros(0, np.int64))
    assert got.tolist() == [2, 5, 9] and score.tolist() == [3.0, 3.0, 3.0]
