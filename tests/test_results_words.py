"""Words on the results, clinic and specialty pages: real plurals, display names, a no-match
search that says so, a phone number you can tap, and only sub-specialties with providers."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app import search
from app.extensions import db as _db
from app.models import Provider, ProviderSpecialty, Specialty

BAD_PLURALS = re.compile(
    r"\(1<span class=\"visually-hidden\"> providers|\b1 providers\b|Show 1 more \w+ options"
    r"|Show 1 more (specialties|clinics|languages|insurance plans)\b|\b1 provider found\w"
)


def _get(client, url: str, **query) -> str:
    response = client.get(url, query_string=query or None)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_counts_use_real_plurals(demo_app):
    """Facets counted once ("(1 provider)"), "Show 1 more specialty", "1 provider found"."""
    client = demo_app.test_client()
    seen_singular = seen_one_more = False
    for query in (
        {"q": "knee pain", "location": "98104"},
        {"q": "hypermobility"},
        {"q": "marcus johnson"},
        {"q": "physical therapist", "language": "es"},
        {"accepting": "1"},
        {"q": "cardiology"},
    ):
        html = _get(client, "/find-a-doctor", **query)
        assert not BAD_PLURALS.search(html), (query, BAD_PLURALS.search(html).group(0))
        seen_singular |= '(1<span class="visually-hidden"> provider</span>)' in html
        seen_one_more |= "Show 1 more specialty<" in html
    assert seen_singular and seen_one_more
    one = _get(client, "/find-a-doctor", q="marcus johnson")
    assert "1 provider found" in one and "Showing 1–1 of 1 provider" in one


def test_clinic_and_specialty_pages_use_real_plurals(demo_app):
    client = demo_app.test_client()
    with demo_app.app_context():
        clinics = [loc.slug for loc in search_clinics()]
        one = (
            _db.session.execute(
                select(Specialty.slug)
                .join(ProviderSpecialty)
                .join(Provider)
                .where(Provider.active.is_(True))
                .group_by(Specialty.slug)
                .having(func.count(Provider.id) == 1)
            )
            .scalars()
            .first()
        )
    for slug in clinics:
        html = _get(client, f"/locations/{slug}")
        assert not BAD_PLURALS.search(html)
        # A walk-in site may list no providers; it says so instead of counting.
        assert re.search(
            r"\b(1 provider sees|\d+ providers see) patients here|No providers are listed", html
        ), slug
    html = _get(client, f"/specialties/{one}")
    assert "1 provider listed." in html and "1 providers" not in html


def search_clinics():
    from app.models import Location

    return _db.session.scalars(select(Location).where(Location.active.is_(True))).all()


def test_a_query_that_matched_nothing_never_says_providers_found(demo_app):
    client = demo_app.test_client()
    for q in ("zzzz", "zzqxv", "tummyache kids zzqx"):
        html = _get(client, "/find-a-doctor", q=q)
        assert not re.search(r"\d+ providers? found", html), q
        assert f"No match for “{q}”" in html
        assert "primary care providers" in html or "pediatricians" in html
        notice = html[html.index('class="callout notice fallback-notice"') :]
        notice = notice[: notice.index("</div>")]
        assert 'href="tel:+12065550100"' in notice and "(206) 555-0100" in notice
    kids = _get(client, "/find-a-doctor", q="kids zzqx")
    assert "showing pediatricians" in kids
    # A real search keeps its count.
    assert re.search(r"\d+ providers found", _get(client, "/find-a-doctor", q="knee pain"))


def test_fallback_keeps_a_place_message_and_the_api_keeps_its_sentence(demo_app):
    client = demo_app.test_client()
    html = _get(client, "/find-a-doctor", q="zzzz", location="nowhere-ville-qq")
    assert "find a place called “nowhere-ville-qq”" in html  # the engine's note, kept
    body = client.get("/api/v1/providers?q=zzzz").get_json()
    assert body["fallback"] == "primary-care"
    assert "Or call us at (206) 555-0100." in body["message"]


def test_no_fallback_phone_link_without_a_phone(demo_app):
    demo_app.config["ORG_PHONE"] = ""
    html = _get(demo_app.test_client(), "/find-a-doctor", q="zzzz")
    assert "No match for “zzzz”" in html and "Call us at" not in html


def test_specialty_pages_list_only_subspecialties_with_providers(demo_app):
    """Walk every specialty with specializations: each listed one has providers, and every
    one with providers is listed."""
    client = demo_app.test_client()
    with demo_app.app_context():
        counts = dict(
            _db.session.execute(
                select(Specialty.slug, func.count(func.distinct(Provider.id)))
                .join(ProviderSpecialty, ProviderSpecialty.specialty_id == Specialty.id)
                .join(Provider, Provider.id == ProviderSpecialty.provider_id)
                .where(Provider.active.is_(True))
                .group_by(Specialty.slug)
            ).all()
        )
        parents = {
            slug: search.specialty_family(slug).children
            for slug in _db.session.scalars(select(Specialty.slug))
        }
    listed_any = empty_seen = False
    for slug, children in parents.items():
        if not children:
            continue
        html = _get(client, f"/specialties/{slug}")
        section = ""
        if 'id="subspecialties-heading"' in html:
            section = html[html.index('id="subspecialties-heading"') :]
            section = section[: section.index("</section>")]
        for child in children:
            link = f'href="/specialties/{child}"'
            if counts.get(child):
                assert link in section, (slug, child)
                n = counts[child]
                noun = "provider" if n == 1 else "providers"
                assert f'({n}<span class="visually-hidden"> {noun}</span>)' in section
                listed_any = True
            else:
                assert link not in section, (slug, child, "has no providers")
                empty_seen = True
    assert listed_any and empty_seen
