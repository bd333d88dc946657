"""The Whoosh search service: ``SearchService`` over this package's functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app import search
from app.search import sync
from app.search.indexer import LOCK_WAIT
from app.search.interface import (
    Origin,
    Reason,
    Results,
    SearchParams,
    SearchService,
    SpecialtyFamily,
    Suggestions,
)


class WhooshSearch:
    """Provider search on a Whoosh index kept beside the app (see docs/architecture.md)."""

    def parse_params(self, args: Mapping[str, Any], *, api: bool) -> SearchParams:
        """Validate query-string arguments; raises ``ParamError`` naming the field."""
        return search.parse_params(args, api=api)

    def search(self, params: SearchParams) -> Results:
        """One page of results: hits with cards, facet counts and reasons."""
        return search.search(params)

    def suggest(self, text: str, limit: int = 5) -> Suggestions:
        """Grouped typeahead suggestions for what has been typed so far."""
        return search.suggest(text, limit)

    def red_flag(self, text: str) -> str | None:
        """The red-flag level ("emergency", "crisis") ``text`` calls for, or None."""
        return search.red_flag(text)

    def locate(self, text: str) -> Origin | None:
        """The point a place names (ZIP, city, neighborhood or clinic), or None."""
        return search.locate(text)

    def resolve_place(self, text: str) -> tuple[Origin | None, Reason | None]:
        """The point a place names, or the reason there is none."""
        return search.resolve_place(text)

    def miles_from(self, origin: Origin, lat: float | None, lon: float | None) -> float | None:
        """Miles from ``origin`` to a point (to one decimal, as results show)."""
        return search.miles_from(origin, lat, lon)

    def specialty_family(self, slug: str) -> SpecialtyFamily:
        """The classification a specialty belongs to, and the specializations it includes."""
        return search.specialty_family(slug)

    def specialty_names(self, slugs: list[str]) -> list[str]:
        """The display names of these specialties."""
        return search.specialty_names(slugs)

    def filter_values(self) -> dict[str, list[str]]:
        """Every value each list filter accepts now."""
        return search.filter_values()

    def apply(self, *, build_missing: bool = True, max_batch: int | None = None) -> int:
        """Apply the pending outbox rows to this host's index."""
        return search.apply_changes(build_missing=build_missing, max_batch=max_batch)

    def apply_quietly(self, app: Flask, *, build_missing: bool = True) -> int:
        """Apply the outbox, logging (never raising) failures."""
        return sync.apply_quietly(app, build_missing=build_missing)

    def rebuild(
        self,
        progress: Callable[[int, int], None] | None = None,
        procs: int | None = None,
        if_behind: bool = False,
        wait: float = LOCK_WAIT,
    ) -> dict[str, Any]:
        """Rebuild the whole index into a new generation and swap it in."""
        return search.rebuild(
            progress=progress,
            procs=procs or search.rebuild_procs(),
            if_behind=if_behind,
            wait=wait,
        )

    def verify(self) -> list[str]:
        """Compare the database with the index; describe every difference."""
        return search.verify()

    def clone_from(self, peer: str | Path) -> dict[str, Any]:
        """Copy a peer's live index generation here, then catch up from the outbox."""
        return search.clone(peer)

    def status(self) -> dict[str, Any]:
        """Counts, the last outbox seq applied, pending rows and size on disk."""
        return search.status()

    def document_count(self) -> int:
        """Providers in the index."""
        return search.document_count()

    def integrity_problem(self) -> str | None:
        """Why the live index's files are damaged, or None."""
        return search.integrity_problem()

    def index_version(self) -> tuple[str | None, int]:
        """(live generation, last outbox seq applied)."""
        return search.index_version()

    def warm(self) -> None:
        """Open the searcher and build its arrays and lexicons now."""
        search.warm()

    def close(self) -> None:
        """Close every open index."""
        search.close_all()


WHOOSH: SearchService = WhooshSearch()
