"""The engine against the demo directory: names, typos, synonyms, places, facets, sorts."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import Provider
from app.services.directory import load_providers


@pytest.fixture
def ctx(seeded_app):
    with seeded_app.app_context():
        yield


def run(**kw):
    return search.search(search.parse_params(MultiDict(kw), api=True))


def slugs(results, n=5):
    return [p.slug for p in load_providers([h.provider_id for h in results.hits[:n]])]


@pytest.mark.parametrize(
    ("q", "slug"),
    [
        ("nunez", "maria-nunez-dpt"),
        ("Núñez María", "maria-nunez-dpt"),
        ("Dr. Smith MD", "rebecca-smith-md"),
        ("smi", "rebecca-smith-md"),
        ("wiliams", "jasmine-williams-md"),
        ("jonhson", "marcus-johnson-dpt"),
        ("garcia-lopez", "alejandro-garcia-lopez-pt-dpt-ocs"),
        ("lopez alejandro", "alejandro-garcia-lopez-pt-dpt-ocs"),
        ("o'rourke", None),
    ],
)
def test_names(ctx, q, slug):
    results = run(q=q)
    assert results.total >= 1
    if slug:
        assert slug in slugs(results, 1)


def test_exact_name_beats_prefix(ctx):
    results = run(q="park")
    top = load_providers([results.hits[0].provider_id])[0]
    assert top.last_name == "Park"


def test_typo_offers_did_you_mean_and_highlights(ctx):
    results = run(q="wiliams")
    assert results.did_you_mean == "williams"
    assert "williams" in results.highlight_terms


def test_lay_terms_and_care_path(ctx):
    results = run(q="back pain")
    assert results.interpretation.care_path == "spine" and results.injury_info
    first = load_providers([results.hits[0].provider_id])[0]
    assert first.primary_specialty.slug == "physical-therapist"
    assert run(q="heart doctor").interpretation.specialties == ["cardiology"]


def test_primary_specialty_ranks_first(ctx):
    results = run(q="orthopedic physical therapist", per_page="100")
    providers = load_providers([h.provider_id for h in results.hits])
    ranks = [p.primary_specialty.slug == "orthopedic-physical-therapist" for p in providers]
    assert ranks == sorted(ranks, reverse=True)


def test_specialty_plus_zip_sorted_by_distance(ctx):
    results = run(q="pt", location="98034", radius="10", sort="distance")
    assert results.origin and results.total > 0
    distances = [h.distance_miles for h in results.hits]
    assert distances == sorted(distances) and distances[-1] <= 10
    assert all(h.location_distances for h in results.hits)


def test_mixed_text_place(ctx):
    results = run(q="physical therapist in kirkland")
    assert results.interpretation.location_text == "kirkland"
    assert results.hits[0].distance_miles is not None and results.hits[0].distance_miles < 3


def test_unknown_place_explains_and_still_shows_results(ctx):
    results = run(q="pt", location="Atlantis")
    assert results.reasons == [search.Reason("place-not-found", {"place": "Atlantis"})]
    assert results.total > 0 and results.origin is None


def test_disjunctive_facets(ctx):
    base = run(q="pt")
    chosen = run(q="pt", language="es")
    # The language facet ignores its own filter, so its counts are unchanged ...
    assert {f.value: f.count for f in chosen.facets["language"]} == {
        f.value: f.count for f in base.facets["language"]
    }
    spanish = next(f for f in chosen.facets["language"] if f.value == "es")
    assert spanish.selected and spanish.count == chosen.total
    # ... while other facets are narrowed by it.
    assert sum(f.count for f in chosen.facets["gender"]) == chosen.total
    assert chosen.facets["accepting"][0].count <= chosen.total


def test_filters_combine(ctx):
    results = run(q="pt", gender="F", accepting="1", per_page="100")
    for p in load_providers([h.provider_id for h in results.hits]):
        assert p.gender == "F" and p.accepting_new_patients


def test_sort_by_name_and_pagination(ctx):
    first = run(sort="name", per_page="20")
    second = run(sort="name", per_page="20", page="2")
    assert first.total == 134 and first.pages == 7
    names = [p.last_name for p in load_providers([h.provider_id for h in first.hits])]
    assert names == sorted(names, key=str.casefold) or names[0] <= names[-1]
    assert not {h.provider_id for h in first.hits} & {h.provider_id for h in second.hits}


def test_ties_go_to_accepting(ctx):
    results = run(q="physical therapist", clinic="kirkland", per_page="100")
    providers = load_providers([h.provider_id for h in results.hits])
    scores = [h.score for h in results.hits]
    for i in range(len(scores) - 1):
        if scores[i] == scores[i + 1]:
            assert providers[i].accepting_new_patients >= providers[i + 1].accepting_new_patients


@pytest.mark.parametrize(
    "q", ['* ? ~5 ^ : " ( ) [ ] { } AND OR NOT', "x" * 10_000, "\x00", "😀", "مرحبا بكم", "-"]
)
def test_hostile_text_is_harmless(ctx, q):
    # The page cuts text to 200 characters; the API refuses longer text (its document says so).
    page = search.parse_params(MultiDict({"q": q, "location": q}), api=False)
    assert search.search(page).total >= 0
    if len(q) > 200:
        with pytest.raises(search.ParamError):
            run(q=q)
    else:
        assert run(q=q, location=q).total >= 0


def test_unknown_words_fall_back_to_primary_care(ctx):
    results = run(q="zzqxv")
    assert results.fallback == "primary-care" and results.total > 0
    fallback = results.reason("primary-care-fallback")
    assert fallback.args == {"query": "zzqxv", "children": False}


def test_a_plain_name_keeps_the_name_message(ctx):
    results = run(q="Dr. Zzqxv")
    assert results.total == 0 and results.fallback is None
    assert "spelling" in results.reason("no-match").args["tips"]


def test_inactive_providers_never_appear(seeded_app):
    with seeded_app.app_context():
        provider = db.session.scalar(db.select(Provider).filter_by(slug="rebecca-smith-md"))
        provider.active = False
        from app.services import audit

        audit.enqueue("provider", [provider.id])
        db.session.commit()
        assert search.apply_changes() >= 0
        assert run(q="rebecca smith").total == 0


def test_suggest_groups(ctx):
    out = search.suggest("nu")
    assert out["providers"][0]["slug"] == "maria-nunez-dpt"
    physio = search.suggest("physio")
    assert physio["specialties"][0]["slug"] == "physical-therapist"
    assert physio["specialties"][0]["matched"] == "physio"
    assert search.suggest("kirk")["clinics"][0]["slug"] == "kirkland"
    assert search.suggest("")["providers"] == []
    assert search.suggest("wiliams")["providers"][0]["slug"] == "jasmine-williams-md"


@pytest.mark.parametrize(
    "q", ["lower back", "my back hurts", "upper back pain", "i have sciatica", "back xyzzyq"]
)
def test_lay_term_with_extra_words_still_finds_spine_care(ctx, q):
    back = run(q="back")
    results = run(q=q)
    assert results.total == back.total > 0
    assert results.interpretation.care_path == "spine"
    assert results.interpretation.name_terms == []
    assert slugs(results, 5) == slugs(back, 5)


def test_filler_words_are_names_without_a_lay_term(ctx):
    from app.search.understand import understand
    from app.search.vocab import get_vocab

    vocab = get_vocab()
    assert understand("my back hurts", vocab).name_terms == []
    assert understand("lower", vocab).name_terms == ["lower"]
    assert understand("Dr. Smith", vocab).name_terms == ["smith"]
    assert understand("john smith", vocab).name_terms == ["john", "smith"]


def test_provider_named_like_a_filler_word_is_found(seeded_app):
    with seeded_app.app_context():
        provider = db.session.scalar(db.select(Provider).filter_by(slug="rebecca-smith-md"))
        provider.last_name = "Lower"
        from app.services import audit

        audit.enqueue("provider", [provider.id])
        db.session.commit()
        assert search.apply_changes() >= 0
        assert slugs(run(q="lower"), 1) == ["rebecca-smith-md"]
        assert slugs(run(q="rebecca lower"), 1) == ["rebecca-smith-md"]
        assert run(q="lower back").interpretation.care_path == "spine"


def test_name_words_with_a_specialty_still_narrow(ctx):
    results = run(q="pt nunez")
    assert slugs(results, 1) == ["maria-nunez-dpt"]
    assert results.total < run(q="pt").total


def test_distance_options_without_location_explain(ctx):
    sorted_ = run(q="pt", sort="distance")
    assert sorted_.reasons == [search.Reason("distance-note", {"option": "sort"})]
    assert slugs(sorted_) == slugs(run(q="pt"))
    limited = run(q="pt", radius="7")
    assert limited.reasons == [search.Reason("distance-note", {"option": "radius"})]
    assert limited.total == run(q="pt").total
    assert run(q="pt", location="98034", sort="distance").reasons == []
    assert run(q="pt").reasons == []


def test_suggest_care_path_terms(ctx):
    sciatica = search.suggest("sciat")["specialties"]
    assert sciatica[0] == {
        "name": "Sciatica",
        "slug": "spine",
        "query": {"q": "sciatica"},
        "matched": "sciatica",
    }
    neck = search.suggest("neck pain")["specialties"]
    assert neck[0]["name"] == "Neck pain" and neck[0]["query"] == {"q": "neck pain"}
    herniated = [s["name"] for s in search.suggest("herniated")["specialties"]]
    assert herniated == ["Herniated disc"]
    # Exact specialty names still come first.
    assert search.suggest("cardiology")["specialties"][0]["slug"] == "cardiology"
    assert search.suggest("acl", 10)["specialties"][0]["slug"] != "sports-injury"
