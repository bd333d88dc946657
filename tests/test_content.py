"""Content pages: the spine article's fidelity to its source, home, health, news, sitemap."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app import content
from tests.fixtures.html import Page

SOURCE = Path(__file__).parent / "fixtures" / "exercise-for-the-spine.source.txt"
ARTICLE = "/health/exercise-for-the-spine"
ARTIFACT_LINES = {"Color Block", "Text", "Accordion Block v2", "Card Box", "——", "OR"}
BENEFITS = [
    "Strengthen back muscles",
    "Reduce your chances of falling and injuring yourself",
    "Strengthen your abdomen (middle of the body), arms and legs",
    "Reduce your chances of muscle spasms (tightening)",
    "Stop the loss of bone mass caused by osteoporosis (weakening of the bones)",
    "Lessen pain",
]
ACCORDION_TITLES = [
    "Flexibility",
    "Core muscles",
    "Training the spine muscles to work together",
    "Fitness conditioning with aerobic exercise",
]


def source_sentences(org_name: str) -> list[str]:
    """Every sentence of the scraped page, artifacts dropped and the clinic name replaced."""
    text = SOURCE.read_text(encoding="utf-8").replace("•", "\n")
    text = text.replace("The Polyclinic", org_name)
    text = text.replace("a Polyclinic", content.indefinite(org_name))
    sentences = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line or line in ARTIFACT_LINES:
            continue
        sentences.extend(s for s in re.split(r"(?<=[.?!:])\s+", line) if s)
    return sentences


def get_page(client, url: str) -> Page:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return Page(response.get_data(as_text=True))


def test_every_source_sentence_is_on_the_article_page(client, app):
    page = get_page(client, ARTICLE)
    sentences = source_sentences(app.config["ORG_NAME"])
    assert len(sentences) > 30
    missing = [s for s in sentences if s not in page.main_text]
    assert not missing, missing


def test_article_uses_the_configured_org_name(make_app):
    app = make_app(ORG_NAME="Acme <Spine> Health")
    with app.test_client() as client, client.get(ARTICLE) as response:
        html = response.get_data(as_text=True)
    page = Page(html)
    assert "Polyclinic" not in html
    assert "what's happening at Acme <Spine> Health." in page.main_text
    assert "Search for an Acme <Spine> Health doctor or provider" in page.main_text
    assert "<Spine>" not in html  # escaped, never raw markup
    assert all(s in page.main_text for s in source_sentences("Acme <Spine> Health"))


def test_no_scrape_artifacts_appear_as_text(client):
    page = get_page(client, ARTICLE)
    for artifact in ("Color Block", "Accordion Block v2", "Card Box", "——"):
        assert artifact not in page.main_text
    assert "OR" not in page.text_nodes and "Text" not in page.text_nodes
    assert not re.search(r"\bOR\b|\bText\b", page.main_text)


def test_six_benefits_are_separate_list_items(client):
    page = get_page(client, ARTICLE)
    items = [li.text for li in page.find("li") if li.text in BENEFITS]
    assert items == BENEFITS


def test_accordion_has_four_titled_sections(client):
    page = get_page(client, ARTICLE)
    details = page.find("details")
    assert len(details) == 4
    assert [s.text for s in page.find("summary")] == ACCORDION_TITLES
    assert "Gentle stretching helps create more flexibility" in details[0].text
    assert details[3].text.endswith("using a stair stepper, among others.")
    headings = [h.text for h in page.find("h2")]
    assert "How spine exercise helps you" in headings
    assert "Helpful resources" in headings


def test_article_has_callout_cta_and_resource_cards(client):
    page = get_page(client, ARTICLE)
    callout = page.find("aside", class_="safety-callout")[0]
    assert callout.text.startswith(
        "Already have an injury or damage to your spine? "
        "Talk to a doctor or physical therapist before you start."
    )
    links = page.links()
    assert "/find-care" in links
    assert "/find-a-doctor?specialty=physical-therapist" in links
    # Empty database: the spine link still narrows the directory, by the path's lay term.
    assert "/find-a-doctor?q=spine" in links
    cards = page.find("li", class_="resource-card")
    assert [c.text.split(" ")[0] for c in cards] == ["Health", "News", "Find"]
    texts = [c.text for c in cards]
    assert texts[0].endswith("Check out our wellness library and community events.")
    titles = [(a.text, a.attrs["href"]) for a in page.find("a", class_="card-link")]
    assert titles == [
        ("Health and wellness", "/health"),
        ("News", "/news"),
        ("Find a doctor", "/find-a-doctor"),
    ]


def test_spine_doctor_link_follows_the_care_path_in_order(seeded_client, seeded_app):
    from app.extensions import db
    from app.models import CarePath

    with seeded_app.app_context():
        path = db.session.scalar(db.select(CarePath).where(CarePath.slug == "spine"))
        expected = [s.slug for s in path.specialties]
    page = get_page(seeded_client, ARTICLE)
    spine = next(a for a in page.find("a") if a.text == "Find a spine doctor")
    query = parse_qs(urlsplit(spine.attrs["href"]).query)
    assert query["specialty"] == expected
    assert expected[:2] == ["physical-therapist", "orthopedic-physical-therapist"]
    assert {"neurological-surgery", "orthopaedic-spine-surgery", "sports-medicine"} <= set(expected)


def test_article_meta_og_canonical_and_print_styles(client):
    with client.get(ARTICLE) as response:
        html = response.get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost/health/exercise-for-the-spine">' in html
    assert re.search(r'<meta name="description" content="[^"]{50,}">', html)
    for prop in ("og:title", "og:description", "og:type", "og:url", "og:site_name"):
        assert f'property="{prop}"' in html
    assert (
        '<meta property="og:url" content="http://localhost/health/exercise-for-the-spine">' in html
    )
    css = re.search(r'href="(/assets/css/content\.[0-9a-f]{12}\.css)"', html)
    assert css, "content.css is not linked under a hashed name"
    with client.get(css.group(1)) as response:
        assert "@media print" in response.get_data(as_text=True)


def test_markdown_is_sanitized(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text(
        '+++\ntitle = "T"\nslug = "x"\n+++\n\nHi {{ org_name }}.\n\n'
        "<script>alert(1)</script>\n\n[bad](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
        "<details><summary>S</summary>\n\nBody\n\n</details>\n",
        encoding="utf-8",
    )
    html = str(content.load_document(doc, "A & B").html)
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert "Hi A &amp; B." in html
    assert "<details>" in html and "<summary>S</summary>" in html


@pytest.mark.parametrize(
    "text, message",
    [
        ("no front matter", "must start"),
        ('+++\ntitle = "T"\n', "not closed"),
        ("+++\ntitle = \n+++\n", "bad front matter"),
        ('+++\ntitle = "T"\nslug = "Bad Slug"\n+++\n', "slug"),
        ('+++\nslug = "ok"\n+++\n', "title"),
    ],
)
def test_malformed_content_is_reported(tmp_path, text, message):
    doc = tmp_path / "bad.md"
    doc.write_text(text, encoding="utf-8")
    with pytest.raises(content.ContentError, match=message):
        content.load_document(doc, "Org")


def test_article_front_matter(app):
    with app.app_context():
        doc = content.library().articles["exercise-for-the-spine"]
    assert doc.title == "Exercise for the spine"
    assert doc.meta["care_path"] == "spine"
    assert doc.last_reviewed == date(2026, 11, 1)
    assert doc.summary.startswith("Exercise or physical movement")


@pytest.mark.parametrize("url", ["/health/no-such-article", "/news/no-such-item", "/health/%00"])
def test_unknown_slugs_are_friendly_404s(client, url):
    with client.get(url) as response:
        assert response.status_code == 404
        html = response.get_data(as_text=True)
    assert "Page not found" in html and 'href="/"' in html


def test_home_has_search_find_care_article_and_cards(client):
    page = get_page(client, "/")
    form = page.find("form", role="search")[0]
    assert form.attrs["action"] == "/find-a-doctor" and form.attrs["method"] == "get"
    labels = {e.attrs["for"]: e.text for e in page.find("label")}
    inputs = {e.attrs["name"]: e.attrs["id"] for e in page.find("input")}
    assert labels[inputs["q"]].startswith("Name, specialty or condition")
    assert labels[inputs["location"]].startswith("Location")
    links = page.links()
    assert "/find-care" in links and ARTICLE in links
    assert {"/health", "/news", "/find-a-doctor"} <= set(links)
    assert len(page.find("li", class_="resource-card")) == 3
    assert [h.text for h in page.find("h1")] == ["Find a doctor at Evergreen Valley Clinics"]


def test_health_lists_articles_and_only_upcoming_events(make_app):
    app = make_app(CONTENT_TODAY="2026-11-26")
    with app.test_client() as client:
        page = get_page(client, "/health")
    assert ARTICLE in page.links()
    assert "Exercise or physical movement helps stop back and neck problems." in page.main_text
    assert "Gentle stretching for your back" in page.main_text
    assert "Saturday, December 5, 2026" in page.main_text
    assert "Back to basics walking group" not in page.main_text  # October 2026: past
    times = [t.attrs["datetime"] for t in page.find("time") if t.attrs["datetime"] > "2026-11"]
    assert times == sorted(times) and len(times) >= 5


def test_health_shows_a_message_when_every_event_is_past(make_app):
    app = make_app(CONTENT_TODAY="2099-01-01")
    with app.test_client() as client:
        page = get_page(client, "/health")
    assert "There are no upcoming events right now." in page.main_text


def test_upcoming_events_includes_today():
    events = (
        content.Event("a", "A", date(2026, 12, 1), "", "", "", ""),
        content.Event("b", "B", date(2026, 12, 2), "", "", "", ""),
    )
    assert [e.slug for e in content.upcoming_events(events, date(2026, 12, 2))] == ["b"]


def test_news_is_newest_first_marked_demo_and_each_has_a_page(client):
    page = get_page(client, "/news")
    items = [a.attrs["href"] for a in page.find("a") if a.attrs["href"].startswith("/news/")]
    assert 4 <= len(items) <= 5
    dates = [t.attrs["datetime"] for t in page.find("time")]
    assert dates == sorted(dates, reverse=True)
    assert "Demo content" in page.main_text
    for href in items:
        item = get_page(client, href)
        assert "Demo content" in item.main_text
        assert len(item.find("h1")) == 1
        assert "/news" in item.links()


def _sitemap_locs(client) -> tuple[list[str], list[str]]:
    """(files named by the sitemap index, every URL in those files)."""
    with client.get("/sitemap.xml") as response:
        assert response.status_code == 200 and response.mimetype == "application/xml"
        xml = response.get_data(as_text=True)
    assert "<sitemapindex" in xml
    files = re.findall(r"<loc>([^<]+)</loc>", xml)
    locs: list[str] = []
    for url in files:
        with client.get(url.removeprefix("http://localhost")) as response:
            assert response.status_code == 200 and response.mimetype == "application/xml"
            body = response.get_data(as_text=True)
        assert "<urlset" in body
        locs += re.findall(r"<loc>([^<]+)</loc>", body)
    return files, locs


def test_sitemap_lists_public_pages_and_directory(seeded_client):
    files, locs = _sitemap_locs(seeded_client)
    assert all(f.startswith("http://localhost/sitemap-") for f in files)
    for path in ("/", "/health", "/find-care", "/news", ARTICLE, "/news/spine-care-team"):
        assert f"http://localhost{path}" in locs
    assert not any("/staff" in loc for loc in locs)
    assert len(locs) == len(set(locs))
    if any(r.rule == "/providers/<slug>" for r in seeded_client.application.url_map.iter_rules()):
        assert sum("/providers/" in loc for loc in locs) > 100


def test_sitemap_on_an_empty_database(client):
    files, locs = _sitemap_locs(client)
    assert files == ["http://localhost/sitemap-pages.xml"]
    assert "http://localhost/health/exercise-for-the-spine" in locs


def test_robots_txt_disallows_staff_and_names_the_sitemap(client):
    with client.get("/robots.txt") as response:
        assert response.mimetype == "text/plain"
        text = response.get_data(as_text=True)
    assert "Disallow: /staff" in text.splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in text


@pytest.mark.parametrize("url", ["/", "/health", ARTICLE, "/news", "/news/spine-care-team"])
def test_pages_have_one_h1_a_description_and_canonical(client, url):
    with client.get(url) as response:
        html = response.get_data(as_text=True)
    page = Page(html)
    assert len(page.find("h1")) == 1
    assert '<link rel="canonical"' in html and '<meta name="description"' in html
    assert "style=" not in html and "<script>" not in html
