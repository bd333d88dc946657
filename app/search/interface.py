"""The search service's one public face: the ``SearchService`` protocol and its types.

Code outside ``app/search`` imports this module and nothing else of the package (a test
walks every import to hold that), so another engine can stand behind the protocol. Ask
for the engine with ``service()``; ``init_app`` installs it on the app with the hooks that
keep the index in step with the database.

A search returns ids, typed ``Card``s, facet counts and ``Reason`` codes with arguments,
never sentences: ``app.reasons`` and the templates own the words, and ``app.notices`` the
red-flag notices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app, has_app_context

from app.search.indexer import BatchTooLarge
from app.search.params import (
    FACET_KEYS,
    GENDER_LABELS,
    LIST_FIELDS,
    MAX_PAGE,
    MAX_VALUES,
    NOT_A_CHOICE,
    NOT_A_FLAG,
    OUT_OF_RANGE,
    PAGE_RADII,
    TOO_LONG,
    TOO_MANY_VALUES,
    UNKNOWN_VALUE,
    ParamError,
    SearchParams,
)
from app.search.spanish import load as spanish_words
from app.search.store import SearchUnavailable
from app.search.types import (
    DID_YOU_MEAN,
    DISTANCE_NOTE,
    NAME_WORDS_IGNORED,
    NO_MATCH,
    PLACE_NOT_FOUND,
    PRIMARY_CARE_FALLBACK,
    RED_FLAG_CRISIS,
    RED_FLAG_EMERGENCY,
    RED_FLAG_PREFIX,
    ZIP_NOT_FOUND,
    Card,
    CardLanguage,
    CardLocation,
    CardLocationLink,
    CardPhoto,
    CardSpecialty,
    CardSpecialtyLink,
    FacetValue,
    Hit,
    Interpretation,
    Origin,
    Reason,
    RedFlag,
    Results,
    Suggestions,
)

__all__ = [
    "DID_YOU_MEAN",
    "DISTANCE_NOTE",
    "FACET_KEYS",
    "GENDER_LABELS",
    "LIST_FIELDS",
    "MAX_PAGE",
    "MAX_VALUES",
    "NAME_WORDS_IGNORED",
    "NOT_A_CHOICE",
    "NOT_A_FLAG",
    "NO_MATCH",
    "OUT_OF_RANGE",
    "PAGE_RADII",
    "PLACE_NOT_FOUND",
    "PRIMARY_CARE_FALLBACK",
    "RED_FLAG_CRISIS",
    "RED_FLAG_EMERGENCY",
    "RED_FLAG_PREFIX",
    "TOO_LONG",
    "TOO_MANY_VALUES",
    "UNKNOWN_VALUE",
    "ZIP_NOT_FOUND",
    "BatchTooLarge",
    "Card",
    "CardLanguage",
    "CardLocation",
    "CardLocationLink",
    "CardPhoto",
    "CardSpecialty",
    "CardSpecialtyLink",
    "FacetValue",
    "Hit",
    "Interpretation",
    "Origin",
    "ParamError",
    "Reason",
    "RedFlag",
    "Results",
    "SearchParams",
    "SearchService",
    "SearchUnavailable",
    "SpecialtyFamily",
    "Suggestions",
    "init_app",
    "service",
    "spanish_words",
]


class SpecialtyFamily(Protocol):
    """A NUCC code's classification (parent) and its specializations (children)."""

    parent: str | None
    children: list[str]


class SearchService(Protocol):
    """What the app asks of the provider search, whatever engine answers."""

    # -- reading ---------------------------------------------------------------------------
    def parse_params(self, args: Mapping[str, Any], *, api: bool) -> SearchParams:
        """Validate query-string arguments; raises ``ParamError`` naming the field."""

    def search(self, params: SearchParams) -> Results:
        """One page of results: hits with cards, facet counts and reasons."""

    def suggest(self, text: str, limit: int = 5) -> Suggestions:
        """Grouped typeahead suggestions for what has been typed so far."""

    def red_flag(self, text: str) -> str | None:
        """The red-flag level ("emergency", "crisis") ``text`` calls for, or None."""

    def locate(self, text: str) -> Origin | None:
        """The point a place names (ZIP, city, neighborhood or clinic), or None."""

    def resolve_place(self, text: str) -> tuple[Origin | None, Reason | None]:
        """The point a place names, or the reason there is none."""

    def miles_from(self, origin: Origin, lat: float | None, lon: float | None) -> float | None:
        """Miles from ``origin`` to a point (to one decimal, as results show)."""

    def specialty_family(self, slug: str) -> SpecialtyFamily:
        """The classification a specialty belongs to, and the specializations it includes."""

    def specialty_names(self, slugs: list[str]) -> list[str]:
        """The display names of these specialties."""

    def filter_values(self) -> dict[str, list[str]]:
        """Every value each list filter (specialty, clinic, language, insurance) accepts."""

    # -- keeping the index in step ---------------------------------------------------------
    def apply(self, *, build_missing: bool = True, max_batch: int | None = None) -> int:
        """Apply the pending changes (the outbox) to the index; the rows applied.

        With ``max_batch``, more work than that raises ``BatchTooLarge`` before any is done.
        """

    def apply_quietly(self, app: Flask, *, build_missing: bool = True) -> int:
        """``apply``, logging (never raising) failures a later poll will retry."""

    def rebuild(
        self,
        progress: Callable[[int, int], None] | None = None,
        procs: int | None = None,
        if_behind: bool = False,
        wait: float = 600.0,
    ) -> dict[str, Any]:
        """Rebuild the whole index from the database and swap it in (``procs``: writers,
        the configured number when None; ``if_behind``: only when it misses changes;
        ``wait``: seconds to wait for another writer before raising SearchUnavailable)."""

    def verify(self) -> list[str]:
        """Every difference between the database and the index, described."""

    def clone_from(self, peer: str | Path) -> dict[str, Any]:
        """Copy a peer host's index here, then catch up from the outbox."""

    # -- health ------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counts, the last change applied, pending changes and size on disk."""

    def document_count(self) -> int:
        """Providers in the index."""

    def integrity_problem(self) -> str | None:
        """Why the live index is damaged, or None."""

    def index_version(self) -> tuple[str | None, int]:
        """A value that changes whenever the index does."""

    def warm(self) -> None:
        """Open the index and build its caches now, so a first search is fast."""

    def close(self) -> None:
        """Close every open index (before a fork, or at exit)."""


def service() -> SearchService:
    """The search service: the app's (``init_app``), else the Whoosh one."""
    if has_app_context():
        found = current_app.extensions.get("search")
        if found is not None:
            return found
    from app.search.service import WHOOSH

    return WHOOSH


def init_app(app: Flask) -> None:
    """Install the search service on ``app``, with the commit hooks that feed it."""
    from app.search import sync
    from app.search.service import WHOOSH

    app.extensions["search"] = WHOOSH
    sync.init_app(app)
