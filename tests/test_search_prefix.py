"""The typeahead's word-prefix index answers exactly what a scan of every entry would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.search.prefix import WordPrefixIndex


def _scan_rank(folded: str, text: str) -> float | None:
    """The old per-entry test the index replaces: the oracle."""
    if folded == text:
        return 0.0
    if folded.startswith(text):
        return 1.0
    if f" {text}" in f" {folded}":
        return 2.0
    return None


def _expected(texts: list[str], text: str) -> dict[int, float]:
    ranks = {n: _scan_rank(t, text) for n, t in enumerate(texts)}
    return {n: r for n, r in ranks.items() if r is not None}


def test_ranks_exact_prefix_and_later_word():
    index = WordPrefixIndex(["back pain", "low back pain", "backache", "knee", "pain"])
    assert index.ranks("back") == {0: 1.0, 1: 2.0, 2: 1.0}
    assert index.ranks("pain") == {0: 2.0, 1: 2.0, 4: 0.0}
    assert index.ranks("back pa") == {0: 1.0, 1: 2.0}
    assert index.ranks("zzz") == {} and index.ranks("") == {}
    assert WordPrefixIndex([]).ranks("a") == {}


_word = st.text(alphabet="abcé ", min_size=1, max_size=6).map(lambda s: " ".join(s.split()))


@given(
    texts=st.lists(_word.filter(bool), max_size=30),
    typed=st.text(alphabet="abcé ", min_size=1, max_size=5)
    .map(lambda s: " ".join(s.split()))
    .filter(bool),  # the typeahead answers an empty text before it asks the index
)
def test_index_answers_like_a_scan(texts, typed):
    assert WordPrefixIndex(texts).ranks(typed) == _expected(texts, typed)
