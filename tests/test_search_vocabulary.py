"""Every word of the search vocabulary, walked end to end on the demo directory.

Each specialty name (NUCC and display), lay synonym, care-path term, condition term, clinic,
city and neighborhood is searched alone and in reversed word order. None may fail, none may
take a second, and a Hypothesis property mixes them with typos, punctuation and places.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db as _db
from app.search.vocab import every_phrase, get_vocab
from tests.conftest import cpu_timed

LIMIT_SECONDS = 1.0


def vocabulary(app) -> list[str]:
    """Every phrase a patient could take from the directory's own words."""
    with app.app_context():
        return every_phrase(get_vocab())


def run(q: str, **extra: str):
    results, elapsed = cpu_timed(
        search.search, search.parse_params(MultiDict({"q": q, **extra}), api=True)
    )
    assert elapsed < LIMIT_SECONDS, f"{q!r} took {elapsed:.2f}s"
    return results


def test_whole_vocabulary_alone_and_reversed(demo_app):
    phrases = vocabulary(demo_app)
    assert len(phrases) > 5000  # specialties, synonyms, care paths, conditions and places
    with demo_app.app_context():
        search.warm()
        empty = []
        for phrase in phrases:
            for q in (phrase, " ".join(reversed(phrase.split()))):
                results = run(q)
                if not results.total:
                    empty.append(q)
    # No dead ends: every health or place word finds someone (or primary care instead).
    assert not empty, empty[:20]


EVERYDAY = [
    "care",
    "urgent care",
    "women",
    "sports",
    "physical",
    "nurse",
    "dental",
    "broken",
    "broken arm",
    "knee pain",
    "heartburn",
    "dizziness",
    "cough",
    "covid",
    "birth control",
    "mammogram",
    "autism",
    "dementia",
    "surgeon",
    "osteoporosis",
    "memory loss",
    "sore throat",
    "clinical psychologist",
    "psychologist",
    "ortho surgeon kirklnd",
    "chest pain",
    "stroke",
    "suicidal",
]


@pytest.mark.parametrize("q", EVERYDAY)
def test_everyday_words_answer_on_page_and_api(seeded_client, q):
    page = seeded_client.get("/find-a-doctor", query_string={"q": q})
    assert page.status_code == 200
    api = seeded_client.get("/api/v1/providers", query_string={"q": q})
    assert api.status_code == 200
    body = api.get_json()
    assert body["total"] > 0, (q, body["message"])
    assert set(body) >= {"alert", "fallback", "did_you_mean", "message"}
    suggest = seeded_client.get("/api/v1/suggest", query_string={"q": q})
    assert suggest.status_code == 200


PLACES = ["in kirkland", "near 98034", "seattle", "in renton wa", "near first hill", "98133"]
PUNCT = ["", ",", ".", "?", "!", " - ", "/", "'s", " & "]


def _typo(word: str, how: int) -> str:
    if len(word) < 5:
        return word
    i = len(word) // 2
    return [
        word[:i] + word[i + 1 :],  # drop a letter
        word[:i] + word[i + 1] + word[i] + word[i + 2 :],  # swap two
        word[:i] + "x" + word[i + 1 :],  # wrong letter
        word,
    ][how % 4]


@st.composite
def messy_queries(draw, words: list[str]) -> str:
    picked = draw(st.lists(st.sampled_from(words), min_size=1, max_size=4))
    parts = []
    for word in picked:
        word = _typo(word, draw(st.integers(0, 7)))
        if draw(st.booleans()):
            word = word.upper() if draw(st.booleans()) else word.title()
        parts.append(word + draw(st.sampled_from(PUNCT)))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(PLACES)))
    return " ".join(parts)


def test_property_messy_combinations_never_fail(demo_app):
    seeded_app = demo_app
    phrases = vocabulary(seeded_app)
    words = sorted({w for p in phrases for w in p.split()} | set(EVERYDAY))
    client = seeded_app.test_client()
    with seeded_app.app_context():
        search.warm()

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(messy_queries(words))
    def check(q: str) -> None:
        with seeded_app.app_context():
            results = run(q)
            assert results.total >= 0
        response, elapsed = cpu_timed(client.get, "/api/v1/providers", query_string={"q": q})
        assert response.status_code == 200, (q, response.get_data(as_text=True)[:300])
        assert elapsed < LIMIT_SECONDS

    check()


def test_specialty_pages_list_sub_specialties_with_counts(demo_app):
    client = demo_app.test_client()
    html = client.get("/specialties/psychologist").get_data(as_text=True)
    assert "Sub-specialties" in html
    assert "/specialties/psychologist-clinical" in html
    assert "Psychologist, Clinical" in html and "(1<span" in html
    child = client.get("/specialties/psychologist-clinical").get_data(as_text=True)
    assert "Part of" in child and 'href="/specialties/psychologist"' in child


@pytest.mark.parametrize(
    ("q", "included", "excluded"),
    [
        ("psychologist", {"psychologist-clinical", "psychologist-clinical-child-adolescent"}, ()),
        ("clinical psychologist", {"psychologist-clinical"}, {"psychologist-family"}),
        ("psychologist clinical", {"psychologist-clinical"}, {"psychologist-family"}),
        ("Psychologist, Clinical", {"psychologist-clinical"}, {"psychologist-counseling"}),
        (
            "counselor",
            {"counselor-mental-health", "counselor-addiction-substance-use-disorder"},
            (),
        ),
        ("nurse practitioner", {"family-nurse-practitioner"}, ()),
        ("orthopaedic surgery", {"orthopaedic-surgery-hand-surgery"}, ()),
    ],
)
def test_classifications_include_their_specializations_only(demo_app, q, included, excluded):
    with demo_app.app_context():
        found = set(run(q).interpretation.specialties)
    assert included <= found, (q, sorted(found)[:10])
    assert not (set(excluded) & found)


def test_every_nucc_code_is_found_by_its_name_in_any_order(demo_app):
    from app.models import Specialty

    with demo_app.app_context():
        rows = [(s.slug, s.nucc_name) for s in Specialty.query.all()]
        assert len(rows) == 856
        missing = []
        for slug, name in rows:
            parts = name.replace(",", " ").split()
            for q in (name, " ".join(reversed(parts)), name.lower().replace(",", "")):
                if slug not in run(q).interpretation.specialties:
                    missing.append(q)
    assert not missing, missing[:20]


def _api(client, q: str, **extra: str) -> dict:
    response = client.get("/api/v1/providers", query_string={"q": q, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def _top_specialties(body: dict, n: int = 3) -> set[str]:
    return {s["slug"] for r in body["results"][:n] for s in r["specialties"]}


def test_the_issue_examples_behave(demo_app):
    client = demo_app.test_client()
    for q in ("knee pain", "heartburn", "dizziness", "cough", "covid", "birth control",
              "mammogram", "autism", "dementia", "surgeon", "osteoporosis"):  # fmt: skip
        body = _api(client, q)
        assert body["total"] > 0, q
    memory = _api(client, "memory loss")
    assert memory["did_you_mean"] is None and "moss" not in (memory["message"] or "")
    assert memory["total"] > 0
    throat = _api(client, "sore throat")
    assert "physical-therapist" not in _top_specialties(throat)
    assert _top_specialties(throat) & {"family-medicine", "internal-medicine", "ent"}
    clinical = _api(client, "clinical psychologist")
    assert clinical["results"][0]["slug"] == "sofia-marchetti-phd"
    psychologists = {r["slug"] for r in _api(client, "psychologist")["results"]}
    assert "sofia-marchetti-phd" in psychologists  # 103TC0700X "Psychologist, Clinical"
    ortho = _api(client, "ortho surgeon kirklnd")
    assert ortho["origin"] and "Kirkland" in ortho["origin"]["label"]
    assert "kirkland" in (ortho["did_you_mean"] or "")
    for q, level, call in (
        ("chest pain", "emergency", "911"),
        ("signs of stroke", "emergency", "911"),
        ("stroke", "emergency", "911"),
        ("trouble breathing", "emergency", "911"),
        ("loss of bladder control with back pain", "emergency", "911"),
        ("suicidal", "crisis", "988"),
        ("i want to hurt myself", "crisis", "988"),
    ):
        body = _api(client, q)
        assert body["alert"] and body["alert"]["level"] == level, q
        assert body["alert"]["call"] == call and body["alert"]["message"]
    chest = _api(client, "chest pain")
    assert "cardiology" in _top_specialties(chest, 5)
    assert _api(client, "stroke rehab")["alert"] is None
    assert _api(client, "knee pain")["alert"] is None


def test_fallback_to_primary_care_is_marked_and_explained(demo_app):
    client = demo_app.test_client()
    body = _api(client, "zzqxv")
    assert body["fallback"] == "primary-care" and body["total"] > 0
    assert "555-0100" in body["message"]
    assert _top_specialties(body) & {"family-medicine", "internal-medicine"}
    kids = _api(client, "my kid has a weird zzqxv")
    assert kids["fallback"] == "primary-care"
    assert _top_specialties(kids) <= {"pediatrics"} | _top_specialties(kids)
    assert "pediatrics" in _top_specialties(kids)
    named = _api(client, "Dr. Zzqxv")
    assert named["fallback"] is None and named["total"] == 0
    assert _api(client, "knee pain")["fallback"] is None


@pytest.mark.parametrize(
    ("place", "state"),
    [("Portland, Oregon", "OR"), ("Portland, Maine", "ME"), ("portland me", "ME")],
)
def test_full_state_names(demo_app, place, state):
    with demo_app.app_context():
        results = run("family medicine", location=place)
    assert results.origin is not None and results.origin.label.endswith(state)
    # Portland, Maine is about 2,500 miles from Portland, Oregon.
    west = results.origin.lon < -100
    assert west == (state == "OR")


@pytest.mark.parametrize("q", ["family medicine in shorline", "family medicine near shorline"])
def test_place_typos_are_fixed_against_known_places(demo_app, q):
    with demo_app.app_context():
        results = run(q)
    assert results.origin is not None and "Shoreline" in results.origin.label
    assert results.did_you_mean and "shoreline" in results.did_you_mean


@pytest.mark.parametrize("q", ["physical therapist for kids", "pediatric pt", "pt for my child"])
def test_childrens_words_prefer_providers_who_see_children(demo_app, q):
    from app.models import Provider

    with demo_app.app_context():
        results = run(q)
        assert results.total
        first = _db.session.get(Provider, results.hits[0].provider_id)
        everyone = run("physical therapist")
        assert first.sees_children, q
        # A preference, not a filter: nobody who would be found otherwise is dropped.
        assert results.total >= everyone.total


@pytest.mark.parametrize(("dotted", "plain"), [("M.D.", "MD"), ("P.T.", "PT"), ("Ph.D.", "PhD")])
def test_credentials_are_found_with_or_without_dots(demo_app, dotted, plain):
    from app.search.text import words

    assert words(f"Smith, {dotted}") == words(f"Smith {plain}")
    with demo_app.app_context():
        a, b = run(f"Rebecca Smith {dotted}"), run(f"Rebecca Smith {plain}")
    assert [h.provider_id for h in a.hits] == [h.provider_id for h in b.hits]
