"""The provider search engine (Whoosh). The only package that imports ``whoosh``.

Public face (a contract for the pages, the API and staff editing):
``parse_params``, ``search``, ``suggest``, ``apply_changes``, ``rebuild``, ``verify``,
``status`` and ``document_count``.
"""

from __future__ import annotations

import threading
from typing import Any

from app.search import engine
from app.search import suggest as _suggest
from app.search.indexer import (
    apply_changes,
    document_count,
    integrity_problem,
    rebuild,
    status,
    store,
    verify,
)
from app.search.params import ParamError, SearchParams, parse_params
from app.search.snapshot import Codes, Snapshot
from app.search.store import SearchUnavailable, close_all
from app.search.text import FuzzyLexicon
from app.search.types import FacetValue, Hit, Interpretation, Origin, Results
from app.search.vocab import get_vocab

__all__ = [
    "FacetValue",
    "Hit",
    "Interpretation",
    "Origin",
    "ParamError",
    "Results",
    "SearchParams",
    "SearchUnavailable",
    "apply_changes",
    "close_all",
    "document_count",
    "integrity_problem",
    "parse_params",
    "rebuild",
    "search",
    "status",
    "suggest",
    "verify",
    "warm",
]

_fuzzy_lock = threading.Lock()
# Whole-result caching per index generation; the benchmark switches it off to time real work.
RESULT_CACHE = True


def _view(st) -> tuple[Snapshot, FuzzyLexicon]:
    """The snapshot for the store's current searcher (call with st.read_mutex held)."""
    searcher = st.searcher()
    if st.view is None or st.view.searcher is not searcher:
        if st.codes is None:
            st.codes = Codes()
        st.view = Snapshot(searcher, st.segment_cache, st.codes)
        lexicon = getattr(st, "fuzzy", None)
        if lexicon is None:
            lexicon = st.fuzzy = FuzzyLexicon(())
        with _fuzzy_lock:
            for field in ("name",):
                lexicon.extend(t.decode() for t in searcher.reader().lexicon(field))
    return st.view, st.fuzzy


def warm() -> None:
    """Open the searcher and build its arrays now, so a worker's first search is fast."""
    get_vocab()
    st = store()
    with st.read_mutex:
        _view(st)


def search(params: SearchParams) -> Results:
    """Run a search and return one page of results with facet counts."""
    vocab = get_vocab()
    st = store()
    with st.read_mutex:
        snap, fuzzy = _view(st)
        if not RESULT_CACHE:
            return engine.run(snap, vocab, fuzzy, params)
        return snap.cached(
            ("results", params, id(vocab)), lambda: engine.run(snap, vocab, fuzzy, params)
        )


def suggest(prefix: str, limit: int = 5) -> dict[str, Any]:
    """Grouped typeahead suggestions: providers, specialties and clinics."""
    vocab = get_vocab()
    st = store()
    limit = max(1, min(int(limit), 20))
    with st.read_mutex:
        snap, fuzzy = _view(st)
        return snap.cached(
            ("suggest", prefix[:100], limit, id(vocab)),
            lambda: _suggest.suggest(snap, vocab, fuzzy, prefix, limit),
        )
