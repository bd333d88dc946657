"""Search quality floor over the realistic query set."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from app import search
from tests.search_quality.cases import build_cases, evaluate


def run_case(params: dict[str, str]) -> tuple[list[str], str | None]:
    results = search.search(search.parse_params(MultiDict(params), api=True))
    slugs = [h.card.slug for h in results.hits]  # the cards the page shows, no ORM load
    return slugs, results.alert.level if results.alert else None


def test_there_are_enough_realistic_queries():
    cases = build_cases()
    assert len(cases) >= 500
    assert {c.kind for c in cases} >= {
        "names",
        "name typo",
        "lay term",
        "conditions",
        "nucc names",
        "hierarchy",
        "places",
        "place typos",
        "red flags",
        "mixed",
    }


def test_quality_floor(demo_app):
    """Read-only over the index, so the SQLite copy of the demo directory is enough."""
    with demo_app.app_context():
        outcomes = evaluate(run_case)
    misses = [(o.case.params, o.top[:3]) for o in outcomes if not o.hit]
    rate = 1 - len(misses) / len(outcomes)
    assert rate >= 0.98, f"hit rate {rate:.2f}; misses: {misses[:15]}"
    by_kind: dict[str, list[bool]] = {}
    for o in outcomes:
        by_kind.setdefault(o.case.kind, []).append(o.hit)
    for kind, hits in by_kind.items():
        assert sum(hits) / len(hits) >= 0.98, (kind, [m for m in misses if m])
