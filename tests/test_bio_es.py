"""A provider's Spanish biography: staff edit it; the Spanish profile shows it, else the
English one marked lang="en"."""

from __future__ import annotations

import re

from app.extensions import db as _db
from app.models import AuditEvent, Provider
from tests.conftest import AuthActions
from tests.test_staff_providers import _form, _provider, world  # noqa: F401  (fixture)

BIO = "Maria helps people walk again after back pain."
BIO_ES = "María ayuda a las personas a volver a caminar después del dolor de espalda."


def _about(html: str) -> str:
    match = re.search(r'<section aria-labelledby="about-heading">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def test_staff_edit_the_spanish_bio_and_each_profile_shows_its_own(app, client, world):  # noqa: F811
    pid = world["provider_id"]
    url = f"/staff/providers/{pid}/edit"
    AuthActions(client).login()
    form = _form(client.get(url).get_data(as_text=True))
    assert "bio_es" in form
    form.update(bio=BIO, bio_es="")
    assert client.post(url, data=form).status_code == 302
    slug = _provider(app, pid).slug
    public = app.test_client()

    # No Spanish biography yet: the Spanish profile shows the English one, marked English.
    about = _about(public.get(f"/es/providers/{slug}").get_data(as_text=True))
    assert f'<div class="bio" lang="en">\n        <p>{BIO}</p>' in about
    assert 'lang="en"' not in _about(public.get(f"/providers/{slug}").get_data(as_text=True))

    form = _form(client.get(url).get_data(as_text=True))
    form["bio_es"] = BIO_ES
    assert client.post(url, data=form).status_code == 302
    es = _about(public.get(f"/es/providers/{slug}").get_data(as_text=True))
    assert BIO_ES in es and BIO not in es and 'lang="en"' not in es
    en = _about(public.get(f"/providers/{slug}").get_data(as_text=True))
    assert BIO in en and BIO_ES not in en
    with app.app_context():
        assert _db.session.get(Provider, pid).bio_es == BIO_ES
        events = _db.session.query(AuditEvent).filter_by(entity_id=pid).all()
        assert any((e.after or {}).get("bio_es") == BIO_ES for e in events)


def test_the_spanish_bio_has_a_length_limit(app, client, world):  # noqa: F811
    url = f"/staff/providers/{world['provider_id']}/edit"
    AuthActions(client).login()
    form = _form(client.get(url).get_data(as_text=True))
    form["bio_es"] = "a" * 4001
    response = client.post(url, data=form)
    assert response.status_code == 422
    assert _provider(app, world["provider_id"]).bio_es == ""
