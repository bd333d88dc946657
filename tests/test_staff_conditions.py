"""Admins edit the condition vocabulary; search understands the change at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db as _db
from app.models import AuditEvent, HealthCondition
from app.search import vocab as vocab_mod
from tests.conftest import AuthActions, csrf_token
from tests.test_staff_providers import add_user


@pytest.fixture
def admin_client(seeded_app):
    with seeded_app.app_context():
        add_user()
        add_user("boss@example.org", "admin")
        _db.session.commit()
    client = seeded_app.test_client()
    AuthActions(client).login(email="boss@example.org")
    return client


def _search(app, q: str):
    with app.app_context():
        vocab_mod.invalidate()
        return search.search(search.parse_params(MultiDict({"q": q}), api=True))


def _condition(app, name: str) -> HealthCondition:
    with app.app_context():
        return _db.session.scalar(select(HealthCondition).filter_by(name=name))


def test_admin_adds_a_word_and_search_understands_it(seeded_app, admin_client):
    assert _search(seeded_app, "kneecap twinge").fallback == "primary-care"
    knee = _condition(seeded_app, "Knee pain")
    url = f"/staff/conditions/{knee.id}"
    page = admin_client.get(url)
    assert page.status_code == 200 and "knee pain" in page.get_data(as_text=True)
    response = admin_client.post(
        url,
        data={
            "csrf_token": csrf_token(admin_client, url),
            "version": str(knee.version),
            "name": "Knee pain",
            "terms": "\n".join([*knee.terms, "Kneecap  twinge", "kneecap twinge"]),
            "specialty_codes": "\n".join(knee.specialty_codes),
            "audience": "",
            "category": knee.category,
        },
    )
    assert response.status_code == 302
    saved = _condition(seeded_app, "Knee pain")
    assert saved.terms.count("kneecap twinge") == 1 and saved.version == knee.version + 1
    results = _search(seeded_app, "kneecap twinge")
    assert results.fallback is None and results.interpretation.conditions == ["Knee pain"]
    with seeded_app.app_context():
        assert _db.session.scalar(
            select(func.count()).select_from(AuditEvent).filter_by(entity_type="condition")
        )
    # A second save from the same (now stale) form is refused, keeping the saved words.
    stale = admin_client.post(
        url,
        data={
            "csrf_token": csrf_token(admin_client, url),
            "version": str(knee.version),
            "name": "Knee pain",
            "terms": "nothing",
            "specialty_codes": "207X00000X",
        },
    )
    assert stale.status_code == 409
    assert "kneecap twinge" in _condition(seeded_app, "Knee pain").terms


@pytest.mark.parametrize(
    ("codes", "message"),
    [("NOTACODE1", "not NUCC taxonomy codes"), ("", "at least one NUCC code")],
)
def test_bad_codes_are_refused_with_the_field_named(seeded_app, admin_client, codes, message):
    url = "/staff/conditions/new"
    response = admin_client.post(
        url,
        data={
            "csrf_token": csrf_token(admin_client, url),
            "name": "Pickleball wrist",
            "terms": "pickleball wrist",
            "specialty_codes": codes,
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _condition(seeded_app, "Pickleball wrist") is None


def test_admin_creates_a_condition(seeded_app, admin_client):
    url = "/staff/conditions/new"
    response = admin_client.post(
        url,
        data={
            "csrf_token": csrf_token(admin_client, url),
            "name": "Pickleball wrist\x00",
            "terms": "pickleball wrist\npickleball wrists",
            "specialty_codes": "207q00000x, 207R00000X",
            "audience": "",
        },
    )
    # A NUL byte is refused before any view, or dropped: never a 500, never stored.
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert _condition(seeded_app, "Pickleball wrist") is None
        return
    created = _condition(seeded_app, "Pickleball wrist")
    assert created.specialty_codes == ["207Q00000X", "207R00000X"]
    assert _search(seeded_app, "pickelball wrist").interpretation.conditions == ["Pickleball wrist"]


def test_front_desk_staff_cannot_edit_conditions(seeded_app):
    with seeded_app.app_context():
        add_user()
        _db.session.commit()
    client = seeded_app.test_client()
    AuthActions(client).login()
    assert client.get("/staff/conditions").status_code == 403
    assert client.get("/staff/conditions/new").status_code == 403


def test_condition_list_filters(seeded_app, admin_client):
    page = admin_client.get("/staff/conditions?q=knee").get_data(as_text=True)
    assert "Knee pain" in page and "Heartburn" not in page
