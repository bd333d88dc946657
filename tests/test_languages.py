"""Every public page in English and Spanish: URLs, lang, hreflang, canonical, the switch."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from bench.pages import PUBLIC_PAGES

SITE = "https://care.example.org"
# Every public page: the bench's list and the legal notices.
PAGES = {
    **PUBLIC_PAGES,
    "language-assistance": "/language-assistance",
    "nondiscrimination": "/nondiscrimination",
    "surprise-billing": "/surprise-billing",
    "good-faith-estimate": "/good-faith-estimate",
    "report": "/providers/maria-nunez-dpt/report",
    "report-sent": "/providers/maria-nunez-dpt/report/sent",
    "clinic-report": "/locations/first-hill/report",
}


def spanish(path: str) -> str:
    """The Spanish twin of an English public path."""
    return "/es" + path


class Head(HTMLParser):
    """The html lang, canonical and alternate links and the language switch of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.canonical: list[str] = []
        self.alternates: dict[str, str] = {}
        self.switch: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a["href"] or "")
        elif tag == "link" and a.get("rel") == "alternate" and a.get("hreflang"):
            self.alternates[a["hreflang"] or ""] = a["href"] or ""
        elif tag == "a" and "lang-switch" in (a.get("class") or ""):
            self.switch.append(a)


def head_of(html: str) -> Head:
    parser = Head()
    parser.feed(html)
    return parser


@pytest.fixture
def site(demo_app):
    demo_app.config.update(SITE_URL=SITE, TRUSTED_HOSTS=None)
    return demo_app.test_client()


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_public_page_has_a_spanish_twin_that_links_back(site, path):
    english, es = site.get(path), site.get(spanish(path))
    assert english.status_code == es.status_code == 200
    assert es.headers["Content-Language"] == "es" and english.headers["Content-Language"] == "en"
    en_head, es_head = head_of(english.get_data(as_text=True)), head_of(es.get_data(as_text=True))
    assert en_head.lang == "en" and es_head.lang == "es"
    bare = urlsplit(path).path
    # One canonical per language, absolute from SITE_URL, without the query string.
    assert en_head.canonical == [SITE + bare] and es_head.canonical == [SITE + spanish(bare)]
    expected = {"en": SITE + bare, "es": SITE + spanish(bare), "x-default": SITE + bare}
    assert en_head.alternates == expected == es_head.alternates
    # The switch goes to the same page, query kept, in the other language.
    for head, other, target in ((en_head, "es", spanish(path)), (es_head, "en", path)):
        (link,) = head.switch
        assert link["hreflang"] == link["lang"] == other
        href = urlsplit(link["href"] or "")
        wanted = urlsplit(target)
        assert href.path == wanted.path
        assert parse_qsl(href.query) == parse_qsl(wanted.query)


def test_links_on_a_spanish_page_stay_in_spanish(site):
    html = site.get("/es/find-a-doctor?q=physical+therapist&location=98104").get_data(as_text=True)
    hrefs = re.findall(r'href="(/[^"]*)"', html)
    pages = [h for h in hrefs if h.startswith(("/providers/", "/locations/", "/find-care"))]
    assert not pages, f"English links on a Spanish page: {pages[:5]}"
    assert any(h.startswith("/es/providers/") for h in hrefs)


def test_no_cookie_and_no_redirect_by_accept_language(site):
    for path in ("/", "/find-a-doctor", "/es/", "/es/find-a-doctor"):
        response = site.get(path, headers={"Accept-Language": "es-MX,es;q=0.9"})
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        wanted = "es" if path.startswith("/es") else "en"
        assert head_of(response.get_data(as_text=True)).lang == wanted


def test_error_pages_speak_the_language_of_their_url(site):
    response = site.get("/es/no-such-page")
    assert response.status_code == 404
    head = head_of(response.get_data(as_text=True))
    assert head.lang == "es" and head.switch[0]["href"] == "/"


def test_machine_files_have_no_twin(site):
    for path in ("/robots.txt", "/sitemap.xml", "/healthz"):
        assert site.get(spanish(path)).status_code == 404


def test_the_sitemap_lists_both_languages_with_alternates(site):
    xml = site.get("/sitemap-pages.xml").get_data(as_text=True)
    locs = re.findall(r"<loc>([^<]+)</loc>", xml)
    assert f"{SITE}/privacy" in locs and f"{SITE}/es/privacy" in locs
    assert f'hreflang="es" href="{SITE}/es/privacy"' in xml
    assert f'hreflang="x-default" href="{SITE}/privacy"' in xml
    index = site.get("/sitemap.xml").get_data(as_text=True)
    section = re.search(r"<loc>([^<]+sitemap-providers-1\.xml)</loc>", index)
    providers = site.get(urlsplit(section.group(1)).path).get_data(as_text=True)
    english = set(re.findall(rf"<loc>{SITE}/providers/([^<]+)</loc>", providers))
    es = set(re.findall(rf"<loc>{SITE}/es/providers/([^<]+)</loc>", providers))
    assert english and english == es


def test_api_answers_in_the_language_asked(site):
    english = site.get("/api/v1/providers?q=knee")
    es = site.get("/api/v1/providers?q=knee&lang=es")
    assert english.status_code == es.status_code == 200
    assert english.headers["Content-Language"] == "en" and es.headers["Content-Language"] == "es"
    bad = site.get("/api/v1/providers?q=knee&lang=fr")
    assert bad.status_code == 400 and bad.json["field"] == "lang"
    spec = site.get("/api/v1/openapi.json").json
    params = spec["paths"]["/providers"]["get"]["parameters"]
    assert any(p["name"] == "lang" and p["schema"]["enum"] == ["en", "es"] for p in params)


def test_catalogs_are_well_formed():
    """Every translation keeps its placeholders, and plurals fill every Spanish form."""
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "app" / "translations"
    catalogs = sorted(root.glob("*/LC_MESSAGES/messages.po"))
    assert [p.parent.parent.name for p in catalogs] == ["es"]
    for po in catalogs:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
        assert not problems


def test_spanish_pages_use_the_compiled_catalog(site):
    es = site.get("/es/").get_data(as_text=True)
    assert "Saltar al contenido principal" in es and "Skip to main content" not in es
    assert "Skip to main content" in site.get("/").get_data(as_text=True)


def test_spanish_words_and_dates_on_the_translated_pages(site):
    home = site.get("/es/").get_data(as_text=True)
    assert "Encuentre un médico en" in home and "Find a doctor at" not in home
    assert 'data-suggest-url="/api/v1/suggest?lang=es"' in home
    news = site.get("/es/news").get_data(as_text=True)
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\d\">\d{1,2} de [a-z]+ de \d{4}</time>", news)
    english = site.get("/news").get_data(as_text=True)
    date = r"<time datetime=\"\d{4}-\d\d-\d\d\">[A-Z][a-z]+ \d{1,2}, \d{4}</time>"
    assert re.search(date, english)
    # A news item is shown in its Spanish version (no lang="en" on it).
    item = site.get("/es" + PUBLIC_PAGES["news-item"]).get_data(as_text=True)
    assert '<article class="news-article" aria-labelledby="news-title">' in item
    missing = site.get("/es/no-such-page").get_data(as_text=True)
    assert "Página no encontrada" in missing and "No encontramos esa página." in missing


def test_content_links_and_data_names_follow_the_page(demo_app):
    """Links written in content go to the Spanish twin of a page, and nothing else moves;
    language names and the ZIP label are in the page's language."""
    from app.locale import local_path
    from app.words import language_name, place_label

    with demo_app.test_request_context("/es/health"):
        assert local_path("/health") == "/es/health"
        assert local_path("/find-a-doctor?q=knee") == "/es/find-a-doctor?q=knee"
        for kept in ("/es/news", "/robots.txt", "/no-such-page", "https://example.org/x", "#a"):
            assert local_path(kept) == kept
        assert language_name("English", "en") == "inglés"
        assert language_name("American Sign Language", "ase", start=True) == (
            "Lengua de señas americana"
        )
        assert language_name("Klingon", "tlh-x") == "Klingon"
        assert place_label("ZIP 98104") == "código postal 98104"
        assert place_label("Seattle") == "Seattle"
    with demo_app.test_request_context("/health"):
        assert local_path("/health") == "/health"
        assert language_name("English", "en") == "English"
        assert place_label("ZIP 98104") == "ZIP 98104"
