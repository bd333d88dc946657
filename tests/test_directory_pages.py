"""The directory's HTML pages: search, filters, chips, pages, profiles, clinics, specialties."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy import event, select

from app import search
from app.extensions import db
from app.models import Provider
from app.public.filters import clock, highlight, miles, tel_href

DISTANCE_RE = re.compile(r'class="distance"> · (under )?([\d.]+) miles? away')
CARD_RE = re.compile(r'<article class="provider-card card"[^>]*>.*?</article>', re.S)
PROFILE_LINK_RE = re.compile(r'class="provider-name"[^>]*>\s*<a href="/providers/([^"?]+)[^"]*"')


def fetch(client: FlaskClient, url: str) -> tuple[int, str]:
    """GET a page; return its status and text, closing the response."""
    response = client.get(url)
    try:
        return response.status_code, response.get_data(as_text=True)
    finally:
        response.close()


def result_slugs(html: str) -> list[str]:
    """Profile slugs of the result cards, in page order."""
    return PROFILE_LINK_RE.findall(html)


def hrefs(html: str, pattern: str) -> list[str]:
    """Unescaped hrefs containing ``pattern``."""
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html) if pattern in unescape(h)]


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# --- search page -------------------------------------------------------------------------


def test_empty_search_shows_form_and_ways_to_start(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor")
    assert status == 200
    assert '<label for="q">Name, specialty or condition</label>' in html
    assert 'for="location"' in html and 'name="radius"' in html
    for miles_ in (5, 10, 25, 50, 100):
        assert f'<option value="{miles_}">Within {miles_} miles</option>' in html
    assert "Popular specialties" in html
    spine = hrefs(html, "/find-a-doctor?specialty=")
    spine_path = [h for h in spine if len(query_of(h)["specialty"]) > 3]
    assert spine_path, "the spine care path link is missing"
    specialties = query_of(spine_path[0])["specialty"]
    assert "physical-therapist" in specialties
    assert "physical-medicine-rehabilitation" in specialties
    assert "/locations/first-hill" in html
    assert "data-typeahead" in html and "typeahead." in html


def test_search_by_name_highlights_and_links(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor?q=nunez")
    assert status == 200
    assert result_slugs(html)[0] == "maria-nunez-dpt"
    assert "<mark>Núñez</mark>" in html
    assert 'name="q" value="nunez"' in html
    card = CARD_RE.search(html).group(0)
    assert "Physical Therapist" in card
    assert "Accepting new patients" in card
    assert 'href="tel:+12065550101"' in card
    assert 'href="/locations/first-hill"' in card
    assert "View profile" in card


def test_typo_in_name_still_finds_provider(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor?q=wiliams")
    assert status == 200
    slugs = result_slugs(html)
    if "jasmine-williams-md" not in slugs[:3]:
        # The engine may prefer to suggest the spelling instead of guessing.
        assert "Did you mean" in html and "williams" in html.lower()


def test_lay_term_finds_specialty(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor?q=kids+doctor")
    assert status == 200
    cards = CARD_RE.findall(html)
    assert cards and "Pediatric" in cards[0]


def test_spine_words_show_the_injury_info_box(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor?q=herniated+disc")
    assert status == 200
    assert (
        "If you already have an injury or damage to your spine, talk to a doctor or PT "
        "before starting an exercise routine" in html
    )
    assert 'href="/health/exercise-for-the-spine"' in html
    _, plain = fetch(seeded_client, "/find-a-doctor?q=dermatology")
    assert "/health/exercise-for-the-spine" not in plain


def test_filters_show_counts_and_chips_remove_one_value(seeded_client: FlaskClient) -> None:
    url = "/find-a-doctor?specialty=physical-therapist&language=es&accepting=1"
    status, html = fetch(seeded_client, url)
    assert status == 200
    assert re.search(
        r'name="language" value="es" checked>\s*<span>Spanish <span class="count">\(\d+', html
    )
    assert re.search(r'name="accepting" value="1" checked>', html)
    chips = dict(
        (unescape(label), unescape(href))
        for href, label in re.findall(r'<a class="chip" href="([^"]+)"><span>([^<]+)</span>', html)
    )
    assert set(chips) >= {"Language spoken: Spanish", "Accepting new patients"}
    no_lang = query_of(chips["Language spoken: Spanish"])
    assert "language" not in no_lang
    assert no_lang["specialty"] == ["physical-therapist"] and no_lang["accepting"] == ["1"]
    status, wider = fetch(seeded_client, chips["Language spoken: Spanish"])
    assert status == 200 and len(result_slugs(wider)) >= len(result_slugs(html))
    # The filter form keeps the rest of the search as hidden fields.
    form = html[html.index('id="filter-form"') : html.index("Apply filters")]
    assert 'type="hidden" name="q"' not in form  # no q in this search
    assert re.search(r'name="specialty" value="physical-therapist" checked', form)


def test_pagination_counts_and_links(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor?accepting=1")
    assert status == 200
    match = re.search(r"Showing 1–20 of (\d+) providers", html)
    assert match and int(match.group(1)) > 40
    total = int(match.group(1))
    assert len(result_slugs(html)) == 20
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in html
    page2 = hrefs(html, "page=2")
    assert page2 and query_of(page2[0])["accepting"] == ["1"]
    status, second = fetch(seeded_client, page2[0])
    assert status == 200
    assert f"Showing 21–40 of {total} providers" in second
    assert not set(result_slugs(second)) & set(result_slugs(html))
    assert 'rel="prev"' in second and 'rel="next"' in second


def test_distance_sort_from_zip(seeded_client: FlaskClient) -> None:
    url = "/find-a-doctor?specialty=physical-therapist&location=98104&sort=distance"
    status, html = fetch(seeded_client, url)
    assert status == 200
    assert '<option value="distance" selected>Distance</option>' in html
    firsts = []
    for card in CARD_RE.findall(html):
        found = [0.0 if under else float(d) for under, d in DISTANCE_RE.findall(card)]
        assert found, "a card shows no distance"
        firsts.append(min(found))
    assert firsts == sorted(firsts)
    assert "maria-nunez-dpt" in result_slugs(html)[:5]


def test_unknown_place_gives_a_message(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor?q=physical+therapist&location=Atlantis")
    assert status == 200
    assert 'class="callout notice"' in html
    assert "Atlantis" in html


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=abc", "page"), ("page=0", "page"), ("radius=7", "radius"), ("sort=best", "sort")],
)
def test_bad_params_get_a_friendly_message(
    seeded_client: FlaskClient, query: str, field: str
) -> None:
    status, html = fetch(seeded_client, f"/find-a-doctor?q=smith&{query}")
    assert status == 400
    assert "We could not run that search" in html
    assert field in html
    assert 'name="q" value="smith"' in html  # the form is still there, filled in


@pytest.mark.parametrize(
    "text",
    [
        '* ? ~5 ^ : " ( ) [ ] { } AND OR NOT',
        "smith" * 2000,
        "nu\x00nez",
        "back pain 🩻🦴",
        "د. أحمد حداد",
    ],
    ids=["whoosh-syntax", "10k-chars", "nul", "emoji", "rtl"],
)
def test_odd_text_never_breaks_the_page(seeded_client: FlaskClient, text: str) -> None:
    for query in ({"q": text}, {"location": text}, {"q": text, "page": "x"}):
        response = seeded_client.get("/find-a-doctor", query_string=query)
        try:
            html = response.get_data(as_text=True)
            assert response.status_code in (200, 400), response.status_code
        finally:
            response.close()
        assert "\x00" not in html
        assert len(html) < 200_000


def test_unknown_specialty_slug_is_friendly(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/find-a-doctor?specialty=wizardry")
    assert status == 400 and "wizardry" in html and "Traceback" not in html


def test_search_unavailable_is_a_503_page(
    seeded_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(params):
        raise search.SearchUnavailable("index missing")

    monkeypatch.setattr(search, "search", broken)
    status, html = fetch(seeded_client, "/find-a-doctor?q=smith")
    assert status == 503
    assert "Search is temporarily unavailable" in html
    assert 'name="q" value="smith"' in html


def test_user_text_is_escaped_never_injected(seeded_client: FlaskClient) -> None:
    attack = "<script>alert(1)</script>"
    status, html = fetch(seeded_client, "/find-a-doctor?q=" + attack + "&location=" + attack)
    assert status in (200, 400)
    assert attack not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_zero_results_suggest_ways_to_widen(seeded_client: FlaskClient) -> None:
    url = "/find-a-doctor?q=Dr+Zzqxv&language=es&radius=5&location=98104"
    status, html = fetch(seeded_client, url)
    assert status == 200
    assert "No providers found" in html
    assert "Try widening your search" in html
    assert "Remove all filters" in html
    assert any("radius=100" in h for h in hrefs(html, "/find-a-doctor?"))
    assert "Check the spelling" in html


def test_results_page_loads_providers_in_a_few_queries(
    seeded_app: Flask, seeded_client: FlaskClient
) -> None:
    with seeded_app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    fetch(seeded_client, "/find-a-doctor?q=smith")  # warm the engine's vocabulary caches
    event.listen(engine, "before_cursor_execute", count)
    try:
        status, html = fetch(seeded_client, "/find-a-doctor?accepting=1")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert status == 200 and len(result_slugs(html)) == 20
    # A constant handful (providers + eager loads), not one per card.
    assert len(statements) <= 10, "\n".join(statements)


# --- profiles, clinics, specialties ------------------------------------------------------


def test_profile_shows_every_detail(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/providers/maria-nunez-dpt")
    assert status == 200
    assert "<h1>María Isabel Núñez, DPT</h1>" in html
    assert "she/her" in html
    assert re.search(r"Physical Therapist</a> <span class=\"badge info\">Primary</span>", html)
    assert "Orthopedic Physical Therapist" in html
    assert "Se habla español" in html
    assert "Spanish" in html and "Medicare" in html
    assert "Accepting new patients" in html and "Telehealth" in html
    assert "1021 Madison St" in html
    assert 'href="tel:+12065550101"' in html
    assert "https://www.openstreetmap.org/search?query=1021+Madison+St" in html
    assert "<iframe" not in html
    assert re.search(r"<th scope=\"row\">Monday</th>\s*<td>8:00\u202fAM – 5:00\u202fPM</td>", html)
    assert "Listing last verified on <time" in html
    assert '<meta name="description" content="María Isabel Núñez, DPT, Physical Therapist' in html


def test_inactive_and_unknown_profiles_are_404(seeded_app: Flask, seeded_client: FlaskClient):
    with seeded_app.app_context():
        provider = db.session.scalar(select(Provider).where(Provider.slug == "rebecca-smith-md"))
        provider.active = False
        db.session.commit()
    assert fetch(seeded_client, "/providers/rebecca-smith-md")[0] == 404
    assert fetch(seeded_client, "/providers/no-such-person")[0] == 404
    _, clinic = fetch(seeded_client, "/locations/first-hill")
    assert "/providers/rebecca-smith-md" not in clinic


def test_location_page(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/locations/first-hill")
    assert status == 200
    assert "<h1>First Hill Spine &amp; Wellness Clinic</h1>" in html
    assert "98104" in html and 'href="tel:' in html
    assert "Accessibility" in html and "Parking" in html
    assert "Sunday" in html
    assert "/providers/maria-nunez-dpt" in html
    assert "/find-a-doctor?clinic=first-hill" in html
    assert fetch(seeded_client, "/locations/atlantis")[0] == 404


def test_specialty_page(seeded_client: FlaskClient) -> None:
    status, html = fetch(seeded_client, "/specialties/pediatrics")
    assert status == 200
    assert "<h1>Pediatrics</h1>" in html
    assert "Also known as:" in html and "kids doctor" in html
    assert "/find-a-doctor?specialty=pediatrics" in html
    assert result_slugs(html), "no providers listed"
    assert fetch(seeded_client, "/specialties/wizardry")[0] == 404


def test_directory_pages_link_their_stylesheet_and_no_inline_code(
    seeded_client: FlaskClient,
) -> None:
    for url in ("/find-a-doctor", "/find-a-doctor?q=back+pain", "/providers/maria-nunez-dpt"):
        _, html = fetch(seeded_client, url)
        assert re.search(r'href="/assets/css/directory\.[0-9a-f]{12}\.css"', html)
        assert "style=" not in html
        # Inline code is refused; a JSON-LD data block is inert data, never executed.
        assert not re.search(r'<script(?![^>]*\b(?:src=|type="application/ld\+json"))', html)


# --- filters -----------------------------------------------------------------------------


def test_highlight_escapes_and_marks_accent_insensitively() -> None:
    out = highlight("María Núñez <b>&", ["nunez", "mar"])
    assert isinstance(out, Markup)
    assert str(out) == "<mark>María</mark> <mark>Núñez</mark> &lt;b&gt;&amp;"
    assert str(highlight("<i>x</i>", None)) == "&lt;i&gt;x&lt;/i&gt;"
    assert str(highlight("a.b (c)", [".*", "b+"])) == "a.b (c)"
    assert str(highlight("Smith-Jones", ["jones"])) == "Smith-<mark>Jones</mark>"


def test_small_filters() -> None:
    assert tel_href("(206) 555-0101") == "tel:+12065550101"
    assert tel_href("") == ""
    from datetime import time

    # Babel (CLDR) puts a narrow no-break space before AM/PM.
    assert clock(time(8, 0)) == "8:00\u202fAM" and clock(time(12, 30)) == "12:30\u202fPM"
    assert clock(time(0, 5)) == "12:05\u202fAM"
    assert miles(0.44) == "0.4 miles" and miles(1.0) == "1 mile" and miles(12.3) == "12 miles"


def test_small_filters_in_spanish(sqlite_app) -> None:
    from datetime import datetime, time

    from app.public.filters import long_date, weekday

    with sqlite_app.test_request_context("/es/find-a-doctor"):
        assert clock(time(8, 0)) == "8:00" and clock(time(13, 30)) == "13:30"
        assert miles(0.44) == "0,4 millas" and miles(1.0) == "1 milla"
        assert miles(0.05) == "menos de 0,1 millas"  # "a …" comes from "%(distance)s away"
        assert weekday("Monday") == "Lunes"
        assert long_date(datetime(2025, 3, 4, 12)) == "4 de marzo de 2025"
    with sqlite_app.test_request_context("/find-a-doctor"):
        assert weekday("Monday") == "Monday"
        assert long_date(datetime(2025, 3, 4, 12)) == "March 4, 2025"
