"""Admins edit the site's texts (article, privacy notice, legal notices) per language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEvent, ContentPage
from tests.conftest import AuthActions, csrf_token
from tests.test_staff_providers import add_user

ARTICLE = "/staff/content/article/exercise-for-the-spine/es"
NOTICE = "/staff/content/notice/good-faith-estimate/es"
NOTE = 'class="notice notice-translation"'


@pytest.fixture
def admin_client(seeded_app):
    with seeded_app.app_context():
        add_user()
        add_user("boss@example.org", "admin")
        _db.session.commit()
    client = seeded_app.test_client()
    AuthActions(client).login(email="boss@example.org")
    return client


def _post(client, url: str, version: int | str, **fields: str):
    data = {
        "csrf_token": csrf_token(client, url),
        "version": str(version),
        "title": "Ejercicio para la columna",
        "body": "<!-- section: intro -->\nTexto corregido por el personal.\n",
        "review_status": "machine",
        "reviewer": "",
        "reviewed_on": "",
        **fields,
    }
    return client.post(url, data=data)


def _rows(app) -> list[ContentPage]:
    with app.app_context():
        return list(_db.session.scalars(select(ContentPage)))


def test_the_list_names_each_text_in_each_language(admin_client):
    html = admin_client.get("/staff/content").get_data(as_text=True)
    for url in (ARTICLE, NOTICE, "/staff/content/page/privacy/en"):
        assert f'href="{url}"' in html
    assert "Machine translation" in html and "Original" in html
    form = admin_client.get(ARTICLE).get_data(as_text=True)
    assert "Ejercicio para la columna" in form and "&lt;!-- section: intro --&gt;" in form


def test_an_edit_shows_on_the_public_page_in_that_language_only(seeded_app, admin_client):
    public = seeded_app.test_client()
    response = _post(admin_client, ARTICLE, 0, title="Ejercicios para la espalda")
    assert response.status_code == 302
    es = public.get("/es/health/exercise-for-the-spine").get_data(as_text=True)
    assert "Texto corregido por el personal." in es and "Ejercicios para la espalda" in es
    assert NOTE in es  # still a machine translation
    en = public.get("/health/exercise-for-the-spine").get_data(as_text=True)
    assert "Texto corregido" not in en and '<h1 id="article-title">Exercise for the spine' in en
    (row,) = _rows(seeded_app)
    assert (row.kind, row.slug, row.lang, row.version) == (
        "article",
        "exercise-for-the-spine",
        "es",
        1,
    )
    with seeded_app.app_context():
        event = _db.session.scalar(select(AuditEvent).filter_by(entity_type="content_page"))
        assert event.action == "create" and event.actor_label == "boss@example.org"
        assert event.after["title"] == "Ejercicios para la espalda"


def test_reviewed_needs_a_name_and_then_the_note_gives_way(seeded_app, admin_client):
    public = seeded_app.test_client()
    refused = _post(admin_client, NOTICE, 0, title="Presupuesto", review_status="reviewed")
    assert refused.status_code == 422
    assert "names its reviewer" in refused.get_data(as_text=True) and not _rows(seeded_app)
    saved = _post(
        admin_client,
        NOTICE,
        0,
        title="Presupuesto de buena fe",
        review_status="reviewed",
        reviewer="Ana Ruiz, CHI",
        reviewed_on="2026-12-01",
    )
    assert saved.status_code == 302
    html = public.get("/es/good-faith-estimate").get_data(as_text=True)
    assert NOTE not in html
    assert "Traducción revisada por Ana Ruiz, CHI el 1 de diciembre de 2026." in html
    # The list says so too; the English notice is untouched.
    assert "Reviewed</span>" in admin_client.get("/staff/content").get_data(as_text=True) or (
        "Reviewed by Ana Ruiz" in admin_client.get("/staff/content").get_data(as_text=True)
    )
    assert "Right to a Good Faith Estimate" in public.get("/good-faith-estimate").get_data(
        as_text=True
    )


def test_a_stale_edit_is_refused_and_keeps_the_saved_text(seeded_app, admin_client):
    assert _post(admin_client, ARTICLE, 0, title="Primera versión").status_code == 302
    stale = _post(admin_client, ARTICLE, 0, title="Versión vieja")
    assert stale.status_code == 409
    assert "Someone else saved this text" in stale.get_data(as_text=True)
    (row,) = _rows(seeded_app)
    assert row.title == "Primera versión" and row.version == 1
    assert _post(admin_client, ARTICLE, 1, title="Segunda versión").status_code == 302
    (row,) = _rows(seeded_app)
    assert row.title == "Segunda versión" and row.version == 2


def test_non_admins_and_visitors_are_refused(seeded_app, admin_client):
    staff = seeded_app.test_client()
    AuthActions(staff).login()
    assert staff.get("/staff/content").status_code == 403
    assert staff.get(ARTICLE).status_code == 403
    token = csrf_token(admin_client, ARTICLE)  # a real token is not enough without the role
    assert staff.post(ARTICLE, data={"csrf_token": token}).status_code in (400, 403)
    anonymous = seeded_app.test_client()
    assert anonymous.get("/staff/content").status_code == 302
    assert not _rows(seeded_app)


def test_unknown_texts_and_bad_versions(admin_client):
    assert admin_client.get("/staff/content/article/no-such/es").status_code == 404
    assert admin_client.get("/staff/content/notice/good-faith-estimate/fr").status_code == 404
    assert admin_client.get("/staff/content/blog/x/es").status_code == 404
    assert _post(admin_client, ARTICLE, "x1").status_code == 400


def test_html_and_scripts_from_staff_are_removed(seeded_app, admin_client):
    body = (
        "<!-- section: intro -->\n"
        "Hola <script>alert('x')</script> <img src=x onerror=alert(1)>\n\n"
        '[enlace](javascript:alert(1)) <span lang="en" onclick="alert(1)">Good Faith</span>\n'
    )
    title = "<b>Título</b> <script>alert(2)</script>"
    assert _post(admin_client, ARTICLE, 0, title=title, body=body).status_code == 302
    html = seeded_app.test_client().get("/es/health/exercise-for-the-spine").get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    assert "<script>alert" not in main and "onerror" not in main and "onclick" not in main
    assert "javascript:" not in main and "<img" not in main
    assert '<span lang="en">Good Faith</span>' in main
    assert "&lt;b&gt;Título&lt;/b&gt; &lt;script&gt;" in main


def test_removing_an_edit_brings_back_the_file_and_is_audited(seeded_app, admin_client):
    assert _post(admin_client, ARTICLE, 0, title="Editado").status_code == 302
    revert = ARTICLE + "/revert"
    stale = admin_client.post(
        revert, data={"csrf_token": csrf_token(admin_client, ARTICLE), "version": "7"}
    )
    assert stale.status_code == 303 and len(_rows(seeded_app)) == 1
    done = admin_client.post(
        revert, data={"csrf_token": csrf_token(admin_client, ARTICLE), "version": "1"}
    )
    assert done.status_code == 302
    assert [(r.active, r.version) for r in _rows(seeded_app)] == [(False, 2)]  # kept, inactive
    es = seeded_app.test_client().get("/es/health/exercise-for-the-spine").get_data(as_text=True)
    assert '<h1 id="article-title">Ejercicio para la columna</h1>' in es
    with seeded_app.app_context():
        actions = _db.session.scalars(
            select(AuditEvent.action).filter_by(entity_type="content_page").order_by(AuditEvent.id)
        )
        assert list(actions) == ["create", "delete"]


def test_a_form_opened_before_a_removal_cannot_overwrite_the_next_edit(seeded_app, admin_client):
    """Versions keep rising across a removal: an old form never matches a new first edit."""
    assert _post(admin_client, ARTICLE, 0, title="Primera").status_code == 302  # v1
    revert = ARTICLE + "/revert"
    token = csrf_token(admin_client, ARTICLE)
    assert admin_client.post(revert, data={"csrf_token": token, "version": "1"}).status_code == 302
    assert _post(admin_client, ARTICLE, 2, title="Segunda").status_code == 302  # after removal
    stale = _post(admin_client, ARTICLE, 1, title="Desde un formulario viejo")
    assert stale.status_code == 409
    old_revert = admin_client.post(revert, data={"csrf_token": token, "version": "1"})
    assert old_revert.status_code == 303
    (row,) = _rows(seeded_app)
    assert (row.title, row.active, row.version) == ("Segunda", True, 3)
    public = seeded_app.test_client()
    page = public.get("/es/health/exercise-for-the-spine").get_data(as_text=True)
    assert "Segunda" in page
    listing = public.get("/es/health").get_data(as_text=True)
    assert "Segunda" in listing  # the library's card shows the saved title at once
    assert 'aria-current="page">Segunda' in page  # a Spanish title is not marked English
    with seeded_app.app_context():
        actions = _db.session.scalars(
            select(AuditEvent.action).filter_by(entity_type="content_page").order_by(AuditEvent.id)
        )
        assert list(actions) == ["create", "delete", "create"]


def test_a_review_date_in_the_future_is_refused(seeded_app, admin_client):
    response = _post(
        admin_client,
        ARTICLE,
        0,
        review_status="reviewed",
        reviewer="Ana Traductora",
        reviewed_on="9999-12-31",
    )
    assert response.status_code == 422
    assert "A review date cannot be in the future." in response.get_data(as_text=True)
    assert _rows(seeded_app) == []
