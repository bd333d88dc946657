"""Results rank what a patient can use: the specialists a condition names first, then the
generalists; among equals, providers accepting new patients; the nearest clinic first."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db as _db
from app.models import HealthCondition, Provider, Specialty
from app.search import vocab as vocab_mod
from app.search.understand import GENERALIST_CODES, condition_tiers, understand
from app.services.directory import load_providers
from app.services.providers import set_accepting
from app.transaction import unit_of_work

KNEE_SPECIALISTS = {
    "orthopaedic-surgery",
    "orthopaedic-sports-medicine",
    "sports-medicine",
    "physical-therapist",
    "rheumatology",
}
PRIMARY_CARE = {"family-medicine", "internal-medicine", "general-practice", "pediatrics"}


def _run(*, fresh: bool = True, **args: str):
    if fresh:  # a test that changed the mappings reads them anew
        vocab_mod.invalidate()
    params = search.parse_params(MultiDict({"per_page": "100", **args}), api=True)
    results = search.search(params)
    return results, load_providers([h.provider_id for h in results.hits])


def _slugs(provider: Provider) -> set[str]:
    return {s.slug for s in provider.specialties}


def test_knee_pain_shows_specialists_first_and_primary_care_after(demo_app):
    with demo_app.app_context():
        for where in ({}, {"location": "98104"}, {"location": "kirkland"}):
            _, found = _run(q="knee pain", **where)
            kinds = ["specialist" if _slugs(p) & KNEE_SPECIALISTS else "generalist" for p in found]
            assert "generalist" in kinds, "primary care is still listed"
            first_generalist = kinds.index("generalist")
            assert set(kinds[first_generalist:]) == {"generalist"}, (where, kinds)
            top = {s for p in found[:10] for s in _slugs(p)}
            assert {"physical-therapist", "sports-medicine"} <= top, where


def test_knee_pain_near_98104_puts_nobody_who_is_not_accepting_above_a_nearby_equal(demo_app):
    """The issue's case: two providers not accepting new patients were in the top 3.

    Equally relevant: the same tier, the same distance, and a primary specialty that the
    condition names (or not).
    """
    with demo_app.app_context():
        results, found = _run(q="knee pain", location="98104")
        assert all(p.accepting_new_patients for p in found[:3])
        miles = {h.provider_id: h.distance_miles for h in results.hits}
        mapped = KNEE_SPECIALISTS | {"family-medicine"}

        def relevance(p: Provider) -> tuple:
            return (
                bool(_slugs(p) & KNEE_SPECIALISTS),
                miles[p.id],
                p.primary_specialty.slug in mapped,
            )

        pairs = 0
        for i, later in enumerate(found):
            for earlier in found[:i]:
                if relevance(earlier) == relevance(later) and later.accepting_new_patients:
                    assert earlier.accepting_new_patients, (earlier.slug, later.slug)
                    pairs += 1
        assert pairs > 10


def test_conditions_that_start_with_primary_care_keep_it_first(demo_app):
    """Tiers follow the mapping: sore throat is primary care first, ENT after."""
    with demo_app.app_context():
        _, found = _run(q="sore throat")
        assert _slugs(found[0]) & PRIMARY_CARE
        vocab = vocab_mod.get_vocab()
        info = vocab.conditions[
            next(s for s, c in vocab.conditions.items() if c.name == "Sore throat")
        ]
        tiers = condition_tiers(info.specialties, vocab)
        codes = [vocab.specialties[s].code for s in info.specialties]
        assert tiers[0] == 0 and codes[0] in GENERALIST_CODES
        ent = codes.index("207Y00000X")
        assert tiers[ent] > 0


def test_the_leading_run_of_one_kind_is_the_first_tier(demo_app):
    with demo_app.app_context():
        vocab = vocab_mod.get_vocab()
        by_code = {info.code: slug for slug, info in vocab.specialties.items()}

        def tiers(*codes: str) -> list[int]:
            return condition_tiers([by_code[c] for c in codes], vocab)

        # orthopaedics, PT | family, internal medicine, rheumatology
        assert tiers("207X00000X", "225100000X", "207Q00000X", "207R00000X", "207RR0500X") == [
            0, 0, 1, 1, 1,
        ]  # fmt: skip
        # family, pediatrics | ENT
        assert tiers("207Q00000X", "208000000X", "207Y00000X") == [0, 0, 1]
        # podiatrist | family, orthopaedics
        assert tiers("213E00000X", "207Q00000X", "207X00000X") == [0, 1, 1]
        assert tiers("207X00000X") == [0] and condition_tiers([], vocab) == []


def test_every_condition_lists_its_first_tier_first(demo_app):
    """Walk the whole condition vocabulary: no provider of the second tier ranks above one
    of the first (without a place, so nearness is equal)."""
    with demo_app.app_context():
        vocab = vocab_mod.get_vocab()
        checked = 0
        for slug, info in vocab.conditions.items():
            q = info.name.lower()
            parsed = understand(q, vocab)
            if parsed.conditions != [slug] or not parsed.deepest_tier:
                continue  # read as a care path or synonym, or a mapping of one kind only
            _, found = _run(q=q, fresh=False)  # nothing changes between these searches
            best = [min(parsed.tiers[s] for s in _slugs(p) if s in parsed.tiers) for p in found]
            assert best == sorted(best), (info.name, best)
            checked += 1
        assert checked > 300


def test_reordering_a_mapping_reorders_the_results(seeded_app, admin_client):
    """The mapping is the authority: an admin who puts family medicine first gets it first
    (written through the staff form, on SQLite and PostgreSQL)."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        _, before = _run(q="knee pain")
        assert before[0].primary_specialty.slug not in PRIMARY_CARE
        knee = _db.session.scalar(select(HealthCondition).filter_by(name="Knee pain"))
        codes = ["207Q00000X"] + [c for c in knee.specialty_codes if c != "207Q00000X"]
        url, version, terms, category = (
            f"/staff/conditions/{knee.id}",
            knee.version,
            knee.terms,
            knee.category,
        )
    from tests.conftest import csrf_token

    response = admin_client.post(
        url,
        data={
            "csrf_token": csrf_token(admin_client, url),
            "version": str(version),
            "name": "Knee pain",
            "terms": "\n".join(terms),
            "specialty_codes": "\n".join(codes),
            "audience": "",
            "category": category,
        },
    )
    assert response.status_code == 302
    with seeded_app.app_context():
        _, after = _run(q="knee pain")
        assert after[0].primary_specialty.slug == "family-medicine"


@pytest.fixture
def admin_client(seeded_app):
    from tests.conftest import AuthActions
    from tests.test_staff_providers import add_user

    with seeded_app.app_context():
        add_user("boss@example.org", "admin")
        _db.session.commit()
    client = seeded_app.test_client()
    AuthActions(client).login(email="boss@example.org")
    return client


def test_accepting_new_patients_breaks_a_tie_both_ways(seeded_app):
    """Two physical therapists at the same clinic: whoever accepts new patients comes first,
    and turning it round turns the order round (on SQLite and PostgreSQL)."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        a = _db.session.scalar(select(Provider).filter_by(slug="maria-nunez-dpt"))
        b = _db.session.scalar(select(Provider).filter_by(slug="diego-villanueva-pt-dpt"))
        assert _slugs(a) == _slugs(b)  # equally relevant for "knee pain"
        for accepting, declining in ((a, b), (b, a)):
            with unit_of_work():
                set_accepting(accepting, True, None, None)
                set_accepting(declining, False, None, None)
            _, found = _run(q="knee pain", location="98104")
            order = [p.id for p in found]
            assert order.index(accepting.id) < order.index(declining.id)


def test_search_results_page_lists_the_nearest_clinic_first(demo_app):
    client = demo_app.test_client()
    near = client.get("/find-a-doctor?q=molly+fitzgerald&location=98104").get_data(as_text=True)
    card = near[near.index('class="provider-card') :]
    card = card[: card.index("</article>")]
    assert card.index("First Hill") < card.index("Renton")
    assert 'class="next-step"' in card and "under 0.1 miles away" in card
    assert "/providers/molly-fitzgerald-md?location=98104" in card
    plain = client.get("/find-a-doctor?q=molly+fitzgerald").get_data(as_text=True)
    card = plain[plain.index('class="provider-card') :]
    card = card[: card.index("</article>")]
    assert card.index("Renton") < card.index("First Hill")  # the staff's order
    assert "/providers/molly-fitzgerald-md?location" not in card


def test_api_lists_the_nearest_clinic_first_like_the_cards(demo_app):
    client = demo_app.test_client()
    near = client.get("/api/v1/providers?q=molly+fitzgerald&location=98104").get_json()
    cities = [loc["city"] for loc in near["results"][0]["locations"]]
    miles = [loc["distance_miles"] for loc in near["results"][0]["locations"]]
    assert cities.index("Seattle") < cities.index("Renton")
    assert miles == sorted(miles)
    plain = client.get("/api/v1/providers?q=molly+fitzgerald").get_json()
    cities = [loc["city"] for loc in plain["results"][0]["locations"]]
    assert cities.index("Renton") < cities.index("Seattle")  # the staff's order


def test_profile_lists_the_nearest_clinic_first_when_a_place_is_given(demo_app):
    client = demo_app.test_client()
    html = client.get("/providers/molly-fitzgerald-md?location=98104").get_data(as_text=True)
    blocks = html[html.index('id="clinics-heading"') :]
    assert blocks.index("First Hill") < blocks.index("Renton")
    head = html[html.index('class="profile-next"') :]
    head = head[: head.index("</section>")]
    assert "First Hill" in head and 'href="tel:+1' in head and "Call to book" in head
    assert "Nearest to ZIP 98104" in head
    plain = client.get("/providers/molly-fitzgerald-md").get_data(as_text=True)
    blocks = plain[plain.index('id="clinics-heading"') :]
    assert blocks.index("Renton") < blocks.index("First Hill")
    unknown = client.get("/providers/molly-fitzgerald-md?location=zzqx+nowhere")
    assert unknown.status_code == 200
    assert "We couldn't find a place called “zzqx nowhere”" in unknown.get_data(as_text=True)


def test_card_next_step_calls_the_clinic_to_book(demo_app):
    client = demo_app.test_client()
    html = client.get("/find-a-doctor?q=knee+pain&location=98104").get_data(as_text=True)
    cards = html.split('<article class="provider-card')[1:]
    assert cards
    for card in cards:
        step = card[card.index('class="next-step"') :]
        assert step.index('class="button book-call" href="tel:+1') < step.index("away")
        assert card.index('class="next-step"') < card.index('class="badges"')
        assert "avatar-40" in card or 'class="avatar"' in card  # small initials, or a photo
    declining = [c for c in cards if "Not accepting new patients" in c]
    assert declining and all("Call the clinic" in c for c in declining)


def test_specialty_names_not_slugs_in_the_interpretation(demo_app):
    """ "Clinical genetics m d" came from a slug when nobody in the results had the specialty."""
    client = demo_app.test_client()
    with demo_app.app_context():
        names = set(_db.session.scalars(select(Specialty.display_name)))
        conditions = list(_db.session.scalars(select(HealthCondition.name)))
    for name in conditions:
        html = client.get("/find-a-doctor", query_string={"q": name.lower()}).get_data(as_text=True)
        if 'class="interpretation"' not in html or "We included specialists" in html:
            continue
        line = html[html.index('class="interpretation"') :]
        line = line[: line.index("</p>")]
        shown = line[line.index("<strong>") + 8 : line.index("</strong>")]
        for part in _split_names(shown, names):
            assert part in names, (name, part)
        assert " m d" not in line.lower()


def _split_names(shown: str, names: set[str]) -> list[str]:
    """Split "A, B, C" where a display name may itself hold a comma."""
    import html as html_mod

    text = html_mod.unescape(shown)
    out: list[str] = []
    for piece in text.split(", "):
        if out and f"{out[-1]}, {piece}" in names:
            out[-1] = f"{out[-1]}, {piece}"
        else:
            out.append(piece)
    return out
