"""Result cards served from the index: identical to the ORM, and kept current by the outbox."""

from __future__ import annotations

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from app import search
from app.api.routes import provider_summary
from app.extensions import db
from app.models import Location, Provider, ProviderLocation
from app.search import cards as stored_cards
from app.search.interface import Card, Hit, SearchUnavailable
from app.services import audit
from app.services.directory import cards_for, load_providers

CARD_MACRO = (
    "{% import 'macros/directory.html' as d %}{{ d.provider_card(provider, hit=hit, terms=terms) }}"
)


def _indexed_cards() -> dict[int, Card]:
    st = search.store()
    with st.read_mutex:
        stored = list(st.searcher().reader().all_stored_fields())
    return {f["data"]["pid"]: stored_cards.decode(f["card"]) for f in stored}


def _api(client, **params) -> dict:
    with client.get("/api/v1/providers", query_string=params) as response:
        assert response.status_code == 200
        return response.get_json()


def test_every_card_matches_the_database(seeded_app):
    """The summary and the rendered card are the same from the index as from the ORM."""
    with seeded_app.test_request_context():
        cards = _indexed_cards()
        providers = load_providers(sorted(cards))
        assert len(providers) == len(cards) == search.document_count() > 50
        for orm in providers:
            card = cards[orm.id]
            assert provider_summary(card) == provider_summary(orm)
            hit = Hit(orm.id, 1.0, card, location_distances={})
            for terms in ([], ["smith", "physical"]):
                args = {"hit": hit, "terms": terms}
                assert render_template_string(
                    CARD_MACRO, provider=card, **args
                ) == render_template_string(CARD_MACRO, provider=orm, **args)


def test_clinic_edit_reaches_cards_through_the_outbox(seeded_app):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    client = seeded_app.test_client()
    with seeded_app.app_context():
        # A provider at two clinics, so closing one leaves the listing public (its card
        # then lists only the other; see test_visibility.py for a provider at one clinic).
        at_two = (
            db.select(ProviderLocation.provider_id)
            .group_by(ProviderLocation.provider_id)
            .having(db.func.count() >= 2)
        )
        link = db.session.scalar(
            db.select(ProviderLocation)
            .join(Provider)
            .where(Provider.active.is_(True), ProviderLocation.phone == "")
            .where(ProviderLocation.provider_id.in_(at_two))
            .order_by(ProviderLocation.provider_id, ProviderLocation.location_id)
            .limit(1)
        )
        slug, location_id = link.provider.slug, link.location_id
        clinic = db.session.get(Location, location_id)
        clinic.name = "Ünïcode Harbor Clinic <b>"
        clinic.phone = "(425) 555-0199"
        ids = db.session.scalars(
            db.select(ProviderLocation.provider_id).where(
                ProviderLocation.location_id == location_id
            )
        ).all()
        clinic_slug = clinic.slug
        audit.enqueue("provider", ids)
        db.session.commit()
        assert search.verify() == []
    body = _api(client, clinic=clinic_slug, per_page=100)
    mine = next(r for r in body["results"] if r["slug"] == slug)
    loc = next(x for x in mine["locations"] if x["slug"] == clinic_slug)
    assert loc["name"] == "Ünïcode Harbor Clinic <b>" and loc["phone"] == "(425) 555-0199"
    with client.get("/find-a-doctor", query_string={"clinic": clinic_slug}) as page:
        html = page.get_data(as_text=True)
    assert "Ünïcode Harbor Clinic &lt;b&gt;" in html and "<b>" not in html.split("<main")[1]

    with seeded_app.app_context():
        clinic = db.session.get(Location, location_id)
        clinic.active = False
        audit.enqueue("provider", ids)
        db.session.commit()
        assert search.verify() == []
    body = _api(client, q=slug.replace("-", " ").rsplit(" ", 1)[0], per_page=100)
    mine = next(r for r in body["results"] if r["slug"] == slug)
    assert clinic_slug not in [x["slug"] for x in mine["locations"]]


def test_drift_in_a_card_is_reported_by_verify(seeded_app):
    """A change that skipped the outbox shows up in verify, then heals on rebuild."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        provider = db.session.scalar(db.select(Provider).where(Provider.active.is_(True)))
        provider.credentials = "PhD"  # no outbox row: the index cannot know
        db.session.commit()
        drift = search.verify()
        assert any(f"provider {provider.id}" in d and "card" in d for d in drift)
        search.rebuild()
        assert search.verify() == []


def test_a_card_of_another_shape_is_refused():
    """Cards decode into ``Card`` or not at all: an untyped card of format 1 is refused."""
    old = '{"id":7,"slug":"a-b","full":"A B","cred":"","photo":"","ini":"AB","acc":true}'
    with pytest.raises(stored_cards.CardError):
        stored_cards.decode(old)
    card = Card(7, "a-b", "A B", "", None, "AB", True, False, (), (), ())
    assert stored_cards.decode(stored_cards.encode(card)) == card


def test_an_index_of_an_older_format_is_rebuilt_not_read(seeded_app):
    """No fallback for old cards: an index written in another format answers 503 until
    the next apply rebuilds it."""
    client = seeded_app.test_client()
    with seeded_app.app_context():
        st = search.store()
        gen = st.current_generation()
        state = {k: v for k, v in st.read_state(gen).items() if k not in ("files", "format")}
        st.write_state(gen, state)  # as a release before typed cards left it
        search.close_all()
        with pytest.raises(SearchUnavailable):
            search.search(search.parse_params(MultiDict({"q": "smith"}), api=True))
    with client.get("/find-a-doctor", query_string={"q": "smith"}) as page:
        assert page.status_code == 503 and page.headers["Retry-After"]
    with seeded_app.app_context():
        search.apply_changes()
        assert st.current_generation() != gen
        results = search.search(search.parse_params(MultiDict({"q": "smith"}), api=True))
        assert results.hits and all(isinstance(h.card, Card) for h in results.hits)
        assert search.verify() == []


def test_cards_for_leaves_out_what_was_hidden_since_indexing(seeded_app):
    """A hit whose listing is gone since it was indexed is skipped, in rank order."""
    with seeded_app.test_request_context():
        results = search.search(search.parse_params(MultiDict({"q": "pt"}), api=True))
        assert len(results.hits) >= 2
        gone = Hit(10**9, 0.0, results.hits[0].card)
        paired = cards_for([gone, *results.hits])
        assert [h.provider_id for h, _ in paired] == results.ids
        assert [card for _, card in paired] == [h.card for h in results.hits]


def test_repeated_typeahead_answers_the_same(seeded_client):
    """The suggest cache is never changed by the API (a repeat used to be a 500)."""
    bodies = []
    for _ in range(3):
        with seeded_client.get("/api/v1/suggest", query_string={"q": "pedi"}) as response:
            assert response.status_code == 200
            bodies.append(response.get_json())
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["specialties"] and all("url" in s for s in bodies[0]["specialties"])
