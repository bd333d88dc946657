"""No function in app/ has a cyclomatic complexity (radon's CC) above ``LIMIT``, except the
search engine's measured hot loops listed below.

A function past the limit is split into named steps. The allow-list holds only functions
inside ``app/search`` whose shape was measured to matter for speed (a loop per posting, per
document or per keystroke, where a call per step costs time a profile shows); each entry
records its CC today as a ceiling, so it can shrink but never grow, and an entry whose
function is gone or back under the limit must be deleted.
"""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 15

# (module, function) -> today's CC. Measured hot loops in the search package only, each with
# a comment naming the benchmark that measures it (bench/search.py or bench/http.py) and what
# a split would cost there. Empty: every search function that was here (split_place,
# load_documents, correct, suggest, apply_locked, _clinic_origin, Snapshot.__init__, _finish,
# _single_health_words, _check_api, _facets) ran once per query, batch or snapshot, not per
# posting, so each was split into named steps at a cost of a few calls per query.
SEARCH_HOT_LOOPS: dict[tuple[str, str], int] = {}

# Outside search, still to be split (issue 25): today's CC as a ceiling. Not an allow-list:
# each entry goes when its function is split, and none may be added.
NOT_YET_SPLIT: dict[tuple[str, str], int] = {}
CEILINGS = {**SEARCH_HOT_LOOPS, **NOT_YET_SPLIT}


def _functions():
    for path in sorted((ROOT / "app").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for block in cc_visit(path.read_text(encoding="utf-8")):
            blocks = [block, *getattr(block, "methods", ()), *getattr(block, "closures", ())]
            for item in blocks:
                name = getattr(item, "fullname", item.name)
                yield rel, name, item.complexity


def test_no_function_is_too_complex():
    over = {
        (rel, name): cc
        for rel, name, cc in _functions()
        if cc > LIMIT and cc > CEILINGS.get((rel, name), 0)
    }
    assert over == {}, f"split these into named steps (CC above {LIMIT}): {over}"


def test_the_allow_list_is_search_only_and_current():
    found = {(rel, name): cc for rel, name, cc in _functions()}
    assert all(rel.startswith("app/search/") for rel, _ in SEARCH_HOT_LOOPS)
    stale = {key for key in CEILINGS if found.get(key, 0) <= LIMIT}
    assert stale == set(), f"no longer needed; delete from the lists: {stale}"
