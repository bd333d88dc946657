"""Spanish search, end to end on the demo directory: the whole Spanish vocabulary
(``seed_data/es``) walked like the English one, the Spanish red flags and place handling.

Each specialty name and synonym, condition phrase and care-path term is searched; it must
answer, find the specialties its English twin maps to, and never dead-end.
"""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app import search
from app.search import spanish
from app.search.vocab import get_vocab
from tests.conftest import cpu_timed

LIMIT_SECONDS = 1.0


def run(q: str, **extra: str):
    results, elapsed = cpu_timed(
        search.search, search.parse_params(MultiDict({"q": q, **extra}), api=True)
    )
    assert elapsed < LIMIT_SECONDS, f"{q!r} took {elapsed:.2f}s"
    return results


def expected(vocab) -> dict[str, set[str]]:
    """Each Spanish phrase -> the specialty slugs its English twin finds (any of them)."""
    es = spanish.load()
    by_code = {info.code: slug for slug, info in vocab.specialties.items()}
    condition_by_name = {c.name: c for c in vocab.conditions.values()}
    out: dict[str, set[str]] = {}
    for code, (name, synonyms) in es.specialties.items():
        if code in by_code:
            slug = by_code[code]
            family = {slug, *vocab.children.get(slug, [])}
            for text in (name, *synonyms):
                out.setdefault(text, set()).update(family)
    for english, (name, terms) in es.conditions.items():
        condition = condition_by_name.get(english)
        if condition is not None:
            for text in (name, *terms):
                out.setdefault(text, set()).update(condition.specialties)
    for slug, terms in es.care_paths.items():
        for text in terms:
            out.setdefault(text, set()).update(vocab.care_paths.get(slug, []))
    return out


def found_specialties(results) -> set[str]:
    return set(results.interpretation.specialties)


def test_whole_spanish_vocabulary(demo_app):
    with demo_app.app_context():
        search.warm()
        wanted = expected(get_vocab())
        assert len(wanted) >= 800  # names, synonyms, ~860 condition phrases, spine terms
        empty, wrong = [], []
        for phrase, slugs in sorted(wanted.items()):
            results = run(phrase)
            if not results.total:
                empty.append(phrase)
            if slugs and not (found_specialties(results) & slugs):
                wrong.append((phrase, sorted(found_specialties(results))[:4]))
    assert not empty, empty[:20]
    assert not wrong, wrong[:20]


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("fisioterapeuta", "225100000X"),
        ("fisioterapía", "225100000X"),
        ("ginecologo", "207V00000X"),
        ("ginecólogo", "207V00000X"),
        ("quiropractico", "111N00000X"),
        ("quiropráctico", "111N00000X"),
        ("pediatra", "208000000X"),
    ],
)
def test_the_issues_words_find_their_specialty(seeded_client, q, code):
    body = seeded_client.get("/api/v1/providers", query_string={"q": q, "lang": "es"}).get_json()
    assert body["total"] > 0
    assert not body["fallback"], (q, body["message"])
    for provider in body["results"][:3]:
        codes = {s["code"] for s in provider["specialties"]}
        assert code in codes or any(c.startswith(code[:4]) for c in codes), (q, codes)


@pytest.mark.parametrize("q", ["dolor de rodilla", "dolor rodilla", "me duele la rodilla"])
def test_knee_pain_in_spanish_ranks_like_english(seeded_client, q):
    def first_codes(query: str, lang: str) -> list[list[str]]:
        body = seeded_client.get(
            "/api/v1/providers", query_string={"q": query, "lang": lang}
        ).get_json()
        return [sorted(s["code"] for s in p["specialties"]) for p in body["results"][:5]]

    spanish_first = first_codes(q, "es")
    assert spanish_first == first_codes("knee pain", "en")
    generalists = {"207Q00000X", "207R00000X", "208D00000X"}
    assert set(spanish_first[0]) - generalists  # a specialist (sports medicine counts) first


@pytest.mark.parametrize(
    "q", ["dolor de pecho", "no puedo respirar", "derrame cerebral", "dolor en el pecho"]
)
def test_spanish_emergency_phrases_show_the_911_notice_in_spanish(seeded_client, q):
    page = seeded_client.get("/es/find-a-doctor", query_string={"q": q})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-alert-level="emergency"' in html
    assert "Esto podría ser una emergencia" in html
    assert 'href="tel:911"' in html
    api = seeded_client.get("/api/v1/providers", query_string={"q": q, "lang": "es"}).get_json()
    assert api["alert"]["level"] == "emergency"
    assert "911" in api["alert"]["message"]


@pytest.mark.parametrize("q", ["pensamientos suicidas", "quiero morir", "me quiero suicidar"])
def test_spanish_crisis_phrases_show_the_988_notice_press_2_text_and_chat(seeded_client, q):
    html = seeded_client.get("/es/find-a-doctor", query_string={"q": q}).get_data(as_text=True)
    assert 'data-alert-level="crisis"' in html
    assert "Llame al 988 y oprima 2" in html
    assert 'href="sms:988?body=AYUDA"' in html
    assert 'href="https://988lineadevida.org/"' in html
    api = seeded_client.get("/api/v1/providers", query_string={"q": q, "lang": "es"}).get_json()
    assert api["alert"]["press"] == "2"
    assert api["alert"]["text_body"] == "AYUDA"
    assert "oprima 2" in api["alert"]["message"]


def test_a_spanish_red_flag_on_an_english_page_shows_the_english_notice(seeded_client):
    html = seeded_client.get("/find-a-doctor", query_string={"q": "dolor de pecho"}).get_data(
        as_text=True
    )
    assert "This could be an emergency" in html


@pytest.mark.parametrize(
    "q", ["rehabilitación después de un derrame", "rehabilitacion despues de un derrame cerebral"]
)
def test_spanish_look_alikes_raise_no_notice(seeded_client, q):
    body = seeded_client.get("/api/v1/providers", query_string={"q": q, "lang": "es"}).get_json()
    assert body["alert"] is None


@pytest.mark.parametrize(
    ("q", "place"),
    [
        ("fisioterapeuta cerca de 98104", "98104"),
        ("pediatra en Seattle", "Seattle"),
        ("ginecologo cerca de Seattle", "Seattle"),
        ("dolor de rodilla en Kirkland", "Kirkland"),
    ],
)
def test_spanish_place_words(demo_app, q, place):
    with demo_app.app_context():
        results = run(q)
    assert results.total > 0
    assert results.origin is not None, q
    assert (results.interpretation.location_text or "").lower() == place.lower()
    assert results.interpretation.specialties
    assert not results.interpretation.name_terms, results.interpretation.name_terms


def test_pediatra_en_seattle_finds_pediatricians_nearest_first(demo_app):
    with demo_app.app_context():
        results = run("pediatra en Seattle", sort="distance")
    codes = {s.specialty.code for s in results.hits[0].card.specialty_links}
    assert any(c.startswith("2080") for c in codes)
    distances = [h.distance_miles for h in results.hits if h.distance_miles is not None]
    assert distances == sorted(distances)
