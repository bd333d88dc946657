"""A search index damaged under an open searcher answers 503 with Retry-After, never a 500,
in each surface's own format, and repairs itself from the database."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pytest

from app import search
from app.search import sync
from app.search.store import UNREADABLE

# Names in the demo directory: each request asks for words no earlier search has cached.
PAGES = [
    ("/find-a-doctor?q=nguyen", "html"),
    ("/api/v1/providers?q=garcia", "json"),
    ("/api/v1/suggest?q=patel", "json"),
    ("/find-a-doctor?q=kim", "html"),
]


def _damage_postings(index_dir: str, keep_times: bool) -> Path:
    """Overwrite the live generation's postings with noise of the same size, as a bad disk
    would; with ``keep_times`` the file's size and mtime stay, so no manifest can tell."""
    root = Path(index_dir)
    gen = root / (root / "CURRENT").read_text().strip()
    victim = next(f for f in gen.iterdir() if f.suffix == ".pst")
    before = victim.stat()
    noise = random.Random(7).randbytes(before.st_size)
    victim.write_bytes(noise)
    if keep_times:
        os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))
    return gen


def _assert_unavailable(response, kind: str) -> None:
    assert response.status_code == 503, (response.request.path, response.status_code)
    assert int(response.headers["Retry-After"]) == 30
    if kind == "json":
        assert response.get_json()["status"] == 503
    else:
        assert b"Search is temporarily unavailable" in response.data


@pytest.mark.parametrize("keep_times", [False, True], ids=["rewritten", "bit-rot"])
def test_damage_under_an_open_searcher_is_503_then_repaired(seeded_app, keep_times, caplog):
    client = seeded_app.test_client()
    assert client.get("/find-a-doctor?q=tran").status_code == 200  # the searcher is open
    with seeded_app.app_context():
        old_gen = search.status()["generation"]
    gen = _damage_postings(seeded_app.config["SEARCH_INDEX_DIR"], keep_times)
    with caplog.at_level(logging.ERROR, logger="app.search.guard"):
        # The first search to read the damaged postings used to be a 500.
        _assert_unavailable(client.get(PAGES[0][0]), PAGES[0][1])
        # Until the rebuild is swapped in, answers come from what is still readable or
        # are 503 as well; never a 500 (the test client would raise it here).
        for path, kind in PAGES[1:]:
            response = client.get(path)
            if response.status_code != 200:
                _assert_unavailable(response, kind)
    assert "could not be read" in caplog.text
    if keep_times:  # nothing but the decoder saw it: the generation is marked for the writer
        assert (gen / UNREADABLE).exists()
        with seeded_app.app_context():
            assert "could not be read" in search.store().integrity_problem_locked(gen.name)
    # The first failing request woke the writer, which rebuilds from the database.
    sync.wait_for_background()
    with seeded_app.app_context():
        assert search.status()["generation"] != old_gen
        assert search.integrity_problem() is None
    for path, _ in PAGES:
        assert client.get(path).status_code == 200, path
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("seeded_app", ["sqlite"], indirect=True)
def test_a_programming_error_is_not_taken_for_damage(seeded_app):
    """Only failures inside Whoosh's decoding (or a changed file) count as damage."""
    from app.search.guard import guarded

    with seeded_app.app_context():
        assert search.search(search.SearchParams(q="tran")).total
        st = search.store()
        with pytest.raises(ZeroDivisionError), guarded(st, repair=False):
            raise ZeroDivisionError
        assert search.integrity_problem() is None


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [("/find-care-probe", "html"), ("/api/v1/probe", "json"), ("/fhir/R4/probe", "fhir")],
)
def test_search_unavailable_anywhere_is_503_in_the_surfaces_format(make_app, prefix, kind):
    """No view that meets an unreadable index may answer 500: the app-wide handler answers."""
    app = make_app()

    def probe():
        raise search.SearchUnavailable("the search index is damaged; rebuilding")

    app.add_url_rule(prefix, "probe", probe)
    response = app.test_client().get(prefix)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    if kind == "fhir":
        body = response.get_json(force=True)
        assert response.mimetype == "application/fhir+json"
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == "transient"
    elif kind == "json":
        assert response.get_json() == {
            "error": "Search is briefly unavailable while its index is rebuilt. "
            "Please try again in a minute.",
            "status": 503,
        }
    else:
        assert response.mimetype == "text/html"
        assert b"briefly unavailable" in response.data
