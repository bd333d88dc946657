"""Messages people read, in Spanish on /es/ pages and with ``lang=es`` on the API.

The report form (labels, validation errors, refusals, throttling, the thank-you page), the
search page's parameter errors, filter chips and widening tips, the HTML error pages and the
JSON API's every human-readable message. Writing tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import REPORT_REASONS, ListingReport, Provider
from app.public.reports import REASON_LABELS
from app.search import interface as search


def _slug(app) -> str:
    with app.app_context():
        return _db.session.scalar(select(Provider.slug).where(Provider.active.is_(True)).limit(1))


def _token(client, url: str) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    return {"form_token": re.search(r'name="form_token" type="hidden" value="([^"]+)"', html)[1]}


def _reports(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count()).select_from(ListingReport))


def test_every_report_reason_has_the_patients_words():
    assert list(REASON_LABELS) == list(REPORT_REASONS)


def test_the_report_form_in_spanish(seeded_app):
    patient = seeded_app.test_client()
    url = f"/es/providers/{_slug(seeded_app)}/report"
    page = patient.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Content-Language"] == "es"
    for words in ("¿Qué está mal?", "Número de teléfono incorrecto", "Enviar el aviso"):
        assert words in html
    assert "What is wrong?" not in html and "Send the report" not in html
    token = _token(patient, url)

    missing = patient.post(url, data=token)
    assert missing.status_code == 422
    text = missing.get_data(as_text=True)
    assert "Elija qué está mal." in text and "Hay un problema" in text

    long = patient.post(url, data=dict(token, reason="other", details="x" * 1001))
    assert long.status_code == 422
    assert "Escriba como máximo 1000 caracteres." in long.get_data(as_text=True)
    contact = patient.post(url, data=dict(token, reason="other", contact="y" * 201))
    assert contact.status_code == 422
    assert "Escriba como máximo 200 caracteres." in contact.get_data(as_text=True)

    forged = patient.post(url, data={"form_token": "forged", "reason": "other"})
    assert forged.status_code == 422
    assert "Este formulario es demasiado antiguo." in forged.get_data(as_text=True)

    cross = patient.post(
        url, data=dict(token, reason="other"), headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 400 and cross.headers["Content-Language"] == "es"
    assert "Este formulario se debe enviar desde nuestro sitio web" in cross.get_data(as_text=True)
    assert _reports(seeded_app) == 0

    sent = patient.post(url, data=dict(token, reason="phone", details="Suena un fax."))
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/es/providers/")
    thanks = patient.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Gracias" in thanks and "Recibimos su aviso" in thanks
    assert _reports(seeded_app) == 1


def test_the_report_form_in_english_is_unchanged(seeded_app):
    patient = seeded_app.test_client()
    url = f"/providers/{_slug(seeded_app)}/report"
    missing = patient.post(url, data=_token(patient, url))
    assert missing.status_code == 422 and "Choose what is wrong." in missing.get_data(as_text=True)


def test_a_flood_of_spanish_reports_is_told_to_wait_in_spanish(seeded_app):
    patient = seeded_app.test_client()
    url = f"/es/providers/{_slug(seeded_app)}/report"
    token = _token(patient, url)
    seeded_app.config["REPORTS_PER_CLIENT"] = 1
    where = {"REMOTE_ADDR": "203.0.113.20"}
    assert (
        patient.post(url, data=dict(token, reason="other"), environ_base=where).status_code == 303
    )
    refused = patient.post(url, data=dict(token, reason="other"), environ_base=where)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "Espere unos minutos, por favor" in refused.get_data(as_text=True)


def test_a_body_too_large_is_413_in_spanish(seeded_app):
    patient = seeded_app.test_client()
    url = f"/es/providers/{_slug(seeded_app)}/report"
    size = seeded_app.config["MAX_CONTENT_LENGTH"] + 1
    response = patient.post(url, data={"reason": "other", "details": "x" * size})
    assert response.status_code == 413 and response.headers["Content-Language"] == "es"
    html = response.get_data(as_text=True)
    assert "Ese archivo es demasiado grande." in html and "That file is too large" not in html


@pytest.mark.parametrize(
    ("query", "spanish", "english"),
    [
        ("sort=bogus", "sort debe ser relevance, distance o name.", "relevance, distance or"),
        ("gender=Q", "gender debe ser F, M o X.", "gender must be one of F, M or X."),
        ("radius=7&location=98104", "radius debe ser 5, 10, 25, 50 o 100 millas.", "miles"),
        ("page=0", "page debe ser un número entero de 1 a 500.", "whole number from 1 to"),
        ("specialty=nope", "Especialidad desconocida: “nope”.", "Unknown specialty"),
        ("accepting=maybe", "accepting debe ser 1 o no enviarse.", "must be 1 or left out"),
    ],
)
def test_search_page_parameter_errors_in_each_language(demo_app, query, spanish, english):
    client = demo_app.test_client()
    es = client.get(f"/es/find-a-doctor?{query}")
    assert es.status_code == 400 and spanish in es.get_data(as_text=True)
    en = client.get(f"/find-a-doctor?{query}")
    assert en.status_code == 400 and english in en.get_data(as_text=True)


def test_filter_chips_in_spanish(demo_app):
    client = demo_app.test_client()
    html = client.get(
        "/es/find-a-doctor?q=zzzzqqq&location=98104&radius=5&accepting=1&telehealth=1&gender=F"
    ).get_data(as_text=True)
    for words in ("Acepta pacientes nuevos", "Género del proveedor: Mujer", "Ofrece telesalud"):
        assert words in html, words
    for english in ("Accepting new patients", "Gender: Female", "Offers telehealth"):
        assert english not in html, english


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        (
            "/es/find-a-doctor",
            [
                "Buscar a 100 millas o menos",
                "Quitar todos los filtros",
                "Buscar en todas partes, no solo cerca de este lugar",
            ],
        ),
        (
            "/find-a-doctor",
            [
                "Search within 100 miles",
                "Remove all filters",
                "Search everywhere, not just near this place",
            ],
        ),
    ],
)
def test_widening_tips_in_each_language_with_plural_miles(demo_app, path, wanted):
    from types import SimpleNamespace

    from app.public import directory_view as view

    args = {"q": "zzzzqqq", "location": "98104", "radius": "5", "accepting": "1"}
    with demo_app.test_request_context(path, query_string=args):
        params = search.service().parse_params(args, api=False)
        tips = view.widen_suggestions(params, SimpleNamespace(total=0, facets={}))
    assert [text for text, _ in tips] == wanted


@pytest.mark.parametrize(
    ("path", "spanish"),
    [
        ("/es/no-such-page", "No encontramos esa página."),
        ("/es/providers/nobody-at-all", "Página no encontrada"),
        ("/es/find-a-doctor?q=a%00b", "La solicitud contenía un carácter no permitido (NUL)."),
        ("/es/find-a-doctor?q=" + "a" * 9000, "La dirección es demasiado larga (más de"),
    ],
)
def test_html_error_pages_in_spanish(demo_app, path, spanish):
    response = demo_app.test_client().get(path)
    assert response.status_code in (400, 404, 414)
    assert response.headers["Content-Language"] == "es"
    html = response.get_data(as_text=True)
    assert spanish in html and '<html lang="es"' in html


def test_search_unavailable_is_503_in_spanish_on_pages_and_the_api(make_app):
    app = make_app()

    def probe():
        raise search.SearchUnavailable("the search index is damaged; rebuilding")

    app.add_url_rule("/es/probe", "probe_es", probe)
    app.add_url_rule("/api/v1/probe", "probe_api", probe)
    client = app.test_client()
    page = client.get("/es/probe")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "La búsqueda no está disponible durante unos momentos" in page.get_data(as_text=True)
    api = client.get("/api/v1/probe?lang=es")
    assert api.status_code == 503 and api.headers["Content-Language"] == "es"
    assert api.get_json()["error"].startswith("La búsqueda no está disponible")


def test_database_outage_is_503_in_spanish(make_app, seeded_template):
    import shutil

    app = make_app("sqlite:////nonexistent-directory/findcare.db", create_schema=False)
    shutil.copytree(seeded_template / "index", app.config["SEARCH_INDEX_DIR"])
    client = app.test_client()
    page = client.get("/es/providers/anyone")
    assert page.status_code == 503
    assert "El directorio no está disponible" in page.get_data(as_text=True)
    api = client.get("/api/v1/locations?lang=es")
    assert api.status_code == 503 and api.headers["Content-Language"] == "es"
    assert api.get_json()["error"].startswith("El directorio no está disponible")


API_ERRORS = [
    ("/api/v1/providers?page=0", "page", "page debe ser un número entero de 1 a 500."),
    ("/api/v1/providers?per_page=101", "per_page", "per_page debe ser un número entero de 1"),
    ("/api/v1/providers?sort=far", "sort", "sort debe ser relevance, distance o name."),
    ("/api/v1/providers?specialty=nope", "specialty", "Especialidad desconocida: “nope”."),
    ("/api/v1/providers?clinic=nope", "clinic", "Clínica desconocida: “nope”."),
    ("/api/v1/providers?language=nope", "language", "Idioma desconocido: “nope”."),
    ("/api/v1/providers?insurance=nope", "insurance", "Plan de seguro desconocido: “nope”."),
    ("/api/v1/providers?accepting=2", "accepting", "accepting debe ser 1 o 0 (o no enviarse)."),
    ("/api/v1/providers?q=" + "a" * 201, "q", "q debe tener como máximo 200 caracteres."),
    ("/api/v1/suggest?limit=99", None, "limit debe ser un número entero de 1 a 20."),
    ("/api/v1/specialties?all=2", None, "all debe ser 1 o no enviarse."),
    ("/api/v1/triage?location=" + "b" * 201, "location", "location debe tener como máximo 200"),
    ("/api/v1/triage?sign=nope", "sign", "Señal desconocida: “nope”. Señales conocidas:"),
    ("/api/v1/triage?sign=nope&sign=nada", "sign", "Señales desconocidas: “nope”, “nada”."),
]


@pytest.mark.parametrize(("path", "field", "spanish"), API_ERRORS)
def test_api_400s_in_the_language_asked(demo_app, path, field, spanish):
    client = demo_app.test_client()
    es = client.get(path + "&lang=es")
    body = es.get_json()
    assert es.status_code == 400 and body["status"] == 400
    assert es.headers["Content-Language"] == "es"
    assert spanish in body["error"], body["error"]
    if field:
        assert body["field"] == field
    en = client.get(path)
    assert en.status_code == 400 and en.headers["Content-Language"] == "en"
    assert en.get_json()["error"] != body["error"]


def test_api_404s_in_the_language_asked(demo_app):
    client = demo_app.test_client()
    provider = client.get("/api/v1/providers/999999999?lang=es")
    assert provider.status_code == 404 and provider.headers["Content-Language"] == "es"
    assert provider.get_json()["error"] == "Ningún proveedor del directorio tiene ese id."
    nowhere = client.get("/api/v1/nowhere?lang=es")
    assert nowhere.status_code == 404
    assert nowhere.get_json()["error"] == "No encontramos esa página."
    english = client.get("/api/v1/providers/999999999")
    assert english.get_json()["error"] == "No listed provider has that id."


def test_an_unknown_lang_is_refused_in_english(demo_app):
    response = demo_app.test_client().get("/api/v1/locations?lang=fr")
    assert response.status_code == 400 and response.headers["Content-Language"] == "en"
    assert response.get_json() == {
        "error": "lang must be one of en or es, given once.",
        "field": "lang",
        "status": 400,
    }
