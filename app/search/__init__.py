"""The provider search engine (Whoosh). The only package that imports ``whoosh``.

Code outside this package imports only ``app.search.interface``: the ``SearchService``
protocol, its types, and ``service()`` (the Whoosh implementation in ``service.py``,
which calls the functions below). These functions are the package's own working surface,
used by that implementation, the benchmark and the tests.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy.orm import configure_mappers

from app import geo
from app.search import engine, redflags, understand
from app.search import suggest as _suggest
from app.search.guard import guarded
from app.search.hosts import clone
from app.search.indexer import (
    BatchTooLarge,
    apply_changes,
    document_count,
    integrity_problem,
    outdated,
    rebuild,
    rebuild_procs,
    status,
    store,
    verify,
)
from app.search.memory import collect_frozen, release_free_memory
from app.search.params import (
    FACET_KEYS,
    GENDER_LABELS,
    LIST_FIELDS,
    MAX_PAGE,
    PAGE_RADII,
    ParamError,
    SearchParams,
    parse_params,
)
from app.search.params import filter_values as _filter_values
from app.search.snapshot import Codes, Snapshot
from app.search.store import SearchUnavailable, close_all
from app.search.text import FuzzyLexicon
from app.search.types import (
    Card,
    FacetValue,
    Hit,
    Interpretation,
    Origin,
    Reason,
    Results,
    Suggestions,
)
from app.search.understand import resolve_place as _resolve_place
from app.search.vocab import get_vocab

__all__ = [
    "FACET_KEYS",
    "GENDER_LABELS",
    "LIST_FIELDS",
    "MAX_PAGE",
    "PAGE_RADII",
    "BatchTooLarge",
    "Card",
    "FacetValue",
    "Hit",
    "Interpretation",
    "Origin",
    "ParamError",
    "Reason",
    "Results",
    "SearchParams",
    "SearchUnavailable",
    "Suggestions",
    "apply_changes",
    "clone",
    "close_all",
    "document_count",
    "filter_values",
    "index_version",
    "integrity_problem",
    "locate",
    "miles_from",
    "parse_params",
    "rebuild",
    "rebuild_procs",
    "red_flag",
    "resolve_place",
    "search",
    "specialty_family",
    "specialty_names",
    "status",
    "suggest",
    "verify",
    "warm",
]

_fuzzy_lock = threading.Lock()
# Whole-result caching per index generation; the benchmark switches it off to time real work.
RESULT_CACHE = True


def view(st) -> tuple[Snapshot, FuzzyLexicon]:
    """The snapshot for the store's current searcher (call with st.read_mutex held)."""
    searcher = st.searcher()
    if st.view is None or st.view.searcher is not searcher:
        live = st.live_path()
        if live is not None and outdated(st, live.name):
            # Its stored cards are not this release's: rebuilt by the next apply, not read.
            raise SearchUnavailable("the search index was written in an older format")
        if st.codes is None:
            st.codes = Codes()
        st.view = Snapshot(searcher, st.segment_cache, st.codes, st.live_path())
        lexicon = st.fuzzy
        if lexicon is None:
            lexicon = st.fuzzy = FuzzyLexicon(())
        with _fuzzy_lock:
            for field in ("name",):
                lexicon.extend(t.decode() for t in searcher.reader().lexicon(field))
        if st.renewed:
            st.renewed = False
            collect_frozen()
    return st.view, st.fuzzy


def index_version() -> tuple[str | None, int]:
    """(live generation, last outbox seq applied): changes whenever the index does."""
    st = store()
    gen = st.current_generation()
    return gen, int(st.read_state(gen).get("last_seq", 0)) if gen else 0


def warm() -> None:
    """Open the searcher and build its arrays and lexicons now, so a first search is fast."""
    vocab = get_vocab()
    engine.health_lexicon(vocab)
    engine.place_lexicon(vocab)
    st = store()
    with st.read_mutex, guarded(st):
        snap, _ = view(st)
    snap.prepare()
    # Only distance and place searches need the ZIP and city tables: a restarted worker
    # answers a name search first, then loads them before anyone asks.
    geo.tables()
    # Nothing above needs the ORM's mappers (a first search does not either), so they are
    # configured here, after the searcher is ready, not by the first visitor to a profile.
    configure_mappers()
    # The arrays, name lists and vocabulary live as long as the worker: move them out of
    # the collector's reach, or every full collection walks them.
    gc.freeze()
    release_free_memory()


def search(params: SearchParams) -> Results:
    """Run a search and return one page of results with facet counts."""
    vocab = get_vocab()
    settings = _settings()
    st = store()
    with st.read_mutex, guarded(st):
        snap, fuzzy = view(st)
        if not RESULT_CACHE or not _result_cache_on():
            return engine.run(snap, vocab, fuzzy, params, settings)
        return snap.cached(
            ("results", params, id(vocab), settings),
            lambda: engine.run(snap, vocab, fuzzy, params, settings),
        )


@dataclass(frozen=True)
class SpecialtyFamily:
    """A NUCC code's classification (parent) and its specializations (children)."""

    parent: str | None
    children: list[str]


def specialty_family(slug: str) -> SpecialtyFamily:
    """The classification a specialty belongs to, and the specializations it includes."""
    vocab = get_vocab()
    parent = next((p for p, kids in vocab.children.items() if slug in kids), None)
    return SpecialtyFamily(parent, list(vocab.children.get(slug, [])))


def filter_values() -> dict[str, list[str]]:
    """Every value the list filters (specialty, clinic, language, insurance) accept now."""
    return _filter_values(get_vocab())


def locate(text: str) -> Origin | None:
    """The point a place names (ZIP, city, neighborhood or clinic), or None if unknown."""
    text = " ".join(text.split())[:120]
    if not text:
        return None
    origin, _ = understand.resolve_place(text, get_vocab(), _settings().default_state)
    return origin


def miles_from(origin: Origin, lat: float | None, lon: float | None) -> float | None:
    """Miles from ``origin`` to a point (to one decimal, as results show), None without one."""
    if lat is None or lon is None:
        return None
    return round(geo.haversine_miles(origin.lat, origin.lon, lat, lon), 1)


def specialty_names(slugs: list[str]) -> list[str]:
    """The display names of these specialties (NUCC's, or the friendlier one staff chose)."""
    vocab = get_vocab()
    return [vocab.specialties[s].name for s in slugs if s in vocab.specialties]


def red_flag(text: str) -> str | None:
    """The red-flag level ("emergency" or "crisis") that ``text`` calls for, or None."""
    return redflags.detect(text)


def resolve_place(text: str) -> tuple[Origin | None, Reason | None]:
    """The point a ZIP, city, neighborhood or clinic name stands for, or why there is none."""
    return _resolve_place(text[:200], get_vocab(), _settings().default_state)


def _result_cache_on() -> bool:
    return not has_app_context() or bool(current_app.config["SEARCH_RESULT_CACHE"])


def _settings() -> engine.Settings:
    """The engine's site settings from the app config (defaults outside an app)."""
    if not has_app_context():
        return engine.Settings()
    return engine.Settings(default_state=current_app.config["DEFAULT_STATE"])


def suggest(prefix: str, limit: int = 5) -> Suggestions:
    """Grouped typeahead suggestions: providers, specialties and clinics."""
    vocab = get_vocab()
    st = store()
    limit = max(1, min(int(limit), 20))
    with st.read_mutex, guarded(st):
        snap, fuzzy = view(st)
        return snap.cached(
            ("suggest", prefix[:100], limit, id(vocab)),
            lambda: _suggest.suggest(snap, vocab, fuzzy, prefix, limit),
        )
