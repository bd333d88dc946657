"""Long URLs: served up to MAX_URL_BYTES, then 414 in each surface's own format, also
through the real gunicorn with gunicorn.conf.py (whose own limit used to answer at 4094)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config import Config
from tests.test_access_log import GUNICORN, database, gunicorn

__all__ = ["database"]  # the fixture, re-used from the access-log test

LIMIT = Config.MAX_URL_BYTES
SURFACES = [
    ("/find-a-doctor?q=back+pain", "html"),
    ("/no-such-page?q=x", "html"),
    ("/staff/login?next=/staff/", "html"),
    ("/api/v1/providers?q=back", "json"),
    ("/api/v1/suggest?q=ba", "json"),
    ("/fhir/R4/Practitioner?name=tran", "fhir"),
    ("/fhir/R4/metadata?x=1", "fhir"),
]


def _url(start: str, size: int) -> str:
    """``start`` padded with an unused parameter to exactly ``size`` bytes."""
    url = f"{start}&pad="
    assert len(url) < size
    return url + "a" * (size - len(url))


def _assert_refused(status: int, content_type: str, body: bytes, kind: str) -> None:
    assert status == 414, (status, body[:200])
    if kind == "fhir":
        assert content_type.startswith("application/fhir+json")
        outcome = json.loads(body)
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "too-long"
        assert "too long" in outcome["issue"][0]["diagnostics"]
    elif kind == "json":
        assert content_type.startswith("application/json")
        problem = json.loads(body)
        assert problem["status"] == 414 and "too long" in problem["error"]
    else:
        assert content_type.startswith("text/html")
        assert b"too long" in body and b"<html" in body
        assert b"gunicorn" not in body.lower()


def test_the_limit_sits_below_gunicorns():
    text = (Path(__file__).resolve().parent.parent / "gunicorn.conf.py").read_text()
    assert "limit_request_line = 8190" in text
    # Method, URL and protocol ("OPTIONS <url> HTTP/1.1") must fit gunicorn's line.
    assert LIMIT > 0 and len("OPTIONS  HTTP/1.1") + LIMIT <= 8190


@pytest.mark.parametrize(("start", "kind"), SURFACES)
def test_a_url_over_the_limit_is_414_in_the_surfaces_format(demo_app, start, kind):
    client = demo_app.test_client()
    response = client.get(_url(start, LIMIT + 1))
    _assert_refused(response.status_code, response.content_type, response.data, kind)
    assert client.get(_url(start, LIMIT)).status_code != 414


def test_a_long_search_under_the_limit_is_served(demo_app):
    """A 5 kB address (many filters, a long campaign tag): gunicorn used to refuse it."""
    client = demo_app.test_client()
    response = client.get(_url("/find-a-doctor?q=back+pain", 5000))
    assert response.status_code == 200
    assert b"back pain" in response.data


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"] or "", error.read()


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in this venv")
def test_through_gunicorn(database, tmp_path: Path):
    with gunicorn(database, tmp_path / "gunicorn.log") as base:
        status, _, body = _get(base + _url("/find-a-doctor?q=back+pain", 5000))
        assert status == 200 and b"back pain" in body  # gunicorn's default refused it
        assert _get(base + _url("/api/v1/providers?q=back", LIMIT))[0] == 200
        for start, kind in SURFACES:
            _assert_refused(*_get(base + _url(start, LIMIT + 100)), kind)
        # Beyond gunicorn's own line limit its bare page is all there is (docs/deployment.md).
        assert _get(base + _url("/find-a-doctor?q=x", 9000))[0] == 414
