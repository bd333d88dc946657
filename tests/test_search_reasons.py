"""Search says why with reason codes; the API and the pages word them (app/reasons.py)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from app import reasons
from app.api.openapi import REASON_CODES
from app.search.interface import Reason, Results


def _api(client, **params) -> dict:
    with client.get("/api/v1/providers", query_string=params) as response:
        assert response.status_code == 200
        return response.get_json()


def test_the_api_words_a_fallback_and_lists_its_reasons(demo_app):
    phone = demo_app.config["ORG_PHONE"]
    body = _api(demo_app.test_client(), q="zzqxv", location="Atlantis")
    assert body["fallback"] == "primary-care"
    assert body["reasons"] == [
        {"code": "primary-care-fallback", "args": {"query": "zzqxv", "children": False}},
        {"code": "place-not-found", "args": {"place": "Atlantis"}},
    ]
    assert body["message"] == (
        "We couldn't find a specialist for “zzqxv”, so we're showing primary care. Primary "
        "care providers (family and internal medicine) can help with most health concerns "
        f"and refer you to a specialist when needed. Or call us at {phone}. We couldn't find "
        "a place called “Atlantis”. Try a city, neighborhood, clinic name or 5-digit ZIP "
        "code. Showing results without distance."
    )


def test_a_red_flag_is_a_reason_and_the_api_alert_is_the_notice(demo_app):
    body = _api(demo_app.test_client(), q="chest pain")
    assert {"code": "red-flag:emergency", "args": {}} in body["reasons"]
    assert body["alert"]["call"] == "911" and body["alert"]["level"] == "emergency"
    assert body["message"] is None


def test_the_fallback_notice_escapes_what_was_typed(demo_app):
    html = demo_app.test_client().get("/find-a-doctor?q=<b>zzqxv</b>").get_data(as_text=True)
    notice = BeautifulSoup(html, "html.parser").select_one(".fallback-notice")
    assert "“<b>zzqxv</b>”" in notice.get_text()
    assert "<b>zzqxv" not in html and "&lt;b&gt;zzqxv" in html


def test_every_reason_code_has_words_or_a_notice(demo_app):
    """Each code the API documents is worded by app/reasons.py (red flags by a notice)."""
    args = {
        "primary-care-fallback": {"query": "x", "children": True},
        "no-match": {"tips": ["remove-filter", "wider-distance", "spelling"]},
        "did-you-mean": {"text": "smith", "showing": "smith"},
        "distance-note": {"option": "radius"},
        "place-not-found": {"place": "Atlantis"},
        "zip-not-found": {"zip": "00000"},
        "name-words-ignored": {"words": "lower"},
    }
    with demo_app.test_request_context():
        for code in REASON_CODES:
            text = reasons.reason_text(Reason(code, args.get(code, {})))
            if code.startswith("red-flag:"):
                assert text is None
            else:
                assert text and "%(" not in text, code
        empty = Results(0, 1, 20, 1, [], {}, reasons=[Reason("no-match", {"tips": []})])
        assert reasons.message(empty) == "No providers are listed yet."
        offered = Reason("did-you-mean", {"text": "smith"})  # a link only, no sentence
        assert reasons.reason_text(offered) is None
