"""Result cards' profile and clinic links (app.public.links) are exactly ``url_for``'s, in
every language, with any place typed, under any script root, however often they are asked."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.public.links import clinic_url, provider_url

CARD_HREF_RE = re.compile(r'<article class="provider-card card".*?</article>', re.S)


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_card_links_are_url_for_links(seeded_app: Flask, prefix: str) -> None:
    place = "Seattle, WA & <near> 98104"
    lang_part = "/es" if prefix else ""
    # One app, two script roots, each twice: a link remembered under one root is never
    # given under the other.
    for root in ("", "/directory", "", "/directory"):
        base = f"http://localhost{root}/"
        with seeded_app.test_request_context(prefix + "/find-a-doctor", base_url=base):
            assert provider_url("ana-lee") == url_for("public.provider", slug="ana-lee")
            assert provider_url("ana-lee", place) == url_for(
                "public.provider", slug="ana-lee", location=place
            )
            assert provider_url("ana-lee", "") == url_for("public.provider", slug="ana-lee")
            assert clinic_url("main-clinic") == url_for("public.location", slug="main-clinic")
            assert clinic_url("main-clinic") == f"{root}{lang_part}/locations/main-clinic"


def test_the_results_page_links_each_card_as_url_for_would(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    for prefix in ("", "/es"):
        html = client.get(prefix + "/find-a-doctor?q=physical+therapy&location=98104").text
        cards = CARD_HREF_RE.findall(html)
        assert cards
        with seeded_app.test_request_context(prefix + "/find-a-doctor"):
            for card in cards:
                links = [unescape(h) for h in re.findall(r'href="([^"]+)"', card)]
                profile = [h for h in links if "/providers/" in h]
                clinics = [h for h in links if "/locations/" in h]
                assert profile and clinics
                slug = profile[0].split("/providers/")[1].split("?")[0]
                assert profile[0] == url_for("public.provider", slug=slug, location="98104")
                for href in clinics:
                    clinic = href.split("/locations/")[1]
                    assert href == url_for("public.location", slug=clinic)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=st.text(max_size=40))
def test_any_place_typed_makes_the_link_url_for_makes(sqlite_app: Flask, place: str) -> None:
    with sqlite_app.test_request_context("/es/find-a-doctor"):
        expected = url_for("public.provider", slug="ana-lee", location=place or None)
        assert provider_url("ana-lee", place) == expected
        assert provider_url("ana-lee", place) == expected
