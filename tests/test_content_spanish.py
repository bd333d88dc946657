"""The article, news, privacy notice and events in Spanish: each a machine translation of
its English file, said so at the top of the page, and English where no translation exists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app import content

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed_data"
ARTICLE = "/health/exercise-for-the-spine"
NOTE = 'class="notice notice-translation"'


def _spanish_files() -> list[Path]:
    files = [*SEED.glob("articles/*.es.md"), *SEED.glob("news/*.es.md")]
    return sorted([*files, SEED / "privacy.es.md"])


@pytest.fixture
def site(demo_app):
    demo_app.config["CONTENT_TODAY"] = "2026-12-01"
    return demo_app.test_client()


def test_the_spanish_article_is_spanish_and_says_it_is_a_machine_translation(site):
    es = site.get("/es" + ARTICLE).get_data(as_text=True)
    assert '<h1 id="article-title">Ejercicio para la columna</h1>' in es
    assert es.index(NOTE) < es.index('id="article-title"')
    assert "Traducción automática." in es and f'href="{ARTICLE}" hreflang="en"' in es
    # The callout's buttons and the resource cards are Spanish, and link Spanish pages.
    assert "Buscar un fisioterapeuta" in es and "Buscar un médico de la columna" in es
    assert 'href="/es/health">Salud y bienestar</a>' in es
    assert 'href="/es/find-care">Buscar atención</a>' in es
    assert '<article class="article" aria-labelledby="article-title">' in es
    en = site.get(ARTICLE).get_data(as_text=True)
    assert '<h1 id="article-title">Exercise for the spine</h1>' in en and NOTE not in en


@pytest.mark.parametrize(
    "path, title",
    [
        (
            "/news/spine-care-team",
            "Un equipo de atención de la columna que empieza por el movimiento",
        ),
        ("/news/free-interpreters", "Intérpretes gratuitos en cada consulta"),
        ("/privacy", "Aviso de privacidad"),
    ],
)
def test_news_and_privacy_in_spanish_with_the_note(site, path, title):
    es = site.get("/es" + path).get_data(as_text=True)
    assert f">{title}</h1>" in es
    assert es.index(NOTE) < es.index(f">{title}</h1>")
    assert f'href="{path}" hreflang="en"' in es
    assert NOTE not in site.get(path).get_data(as_text=True)


def test_home_health_and_news_lists_show_spanish_cards_marked_machine(site):
    home = site.get("/es/").get_data(as_text=True)
    assert ">Ejercicio para la columna</a></h2>" in home
    assert "Traducción automática, aún sin revisar." in home
    health = site.get("/es/health").get_data(as_text=True)
    assert "Estiramientos suaves para la espalda" in health
    assert "de 10:00 a. m. a 11:00 a. m." in health and "Evento de demostración, ficticio" in health
    news = site.get("/es/news").get_data(as_text=True)
    assert "Fisioterapia los sábados en nuestra clínica de Kirkland" in news
    assert 'lang="en"' not in news[news.index("<main") : news.index("</main>")]


def test_a_text_without_a_spanish_file_shows_in_english_and_says_so(demo_app, tmp_path):
    seed = tmp_path / "seed"
    shutil.copytree(SEED / "articles", seed / "articles")
    shutil.copytree(SEED / "news", seed / "news")
    (seed / "news" / "2026-09-30-new-spine-care-team.es.md").unlink()
    (seed / "articles" / "exercise-for-the-spine.es.md").unlink()
    demo_app.config["SEED_DATA_DIR"] = str(seed)
    client = demo_app.test_client()
    item = client.get("/es/news/spine-care-team").get_data(as_text=True)
    assert 'aria-labelledby="news-title" lang="en">' in item
    assert "Esta página todavía no se ha traducido al español" in item
    article = client.get("/es" + ARTICLE).get_data(as_text=True)
    assert '<article class="article" aria-labelledby="article-title" lang="en">' in article
    # The other news items are still Spanish.
    assert "Intérpretes gratuitos" in client.get("/es/news").get_data(as_text=True)


@pytest.mark.parametrize("path", _spanish_files(), ids=lambda p: p.name)
def test_each_spanish_file_mirrors_its_english_file(path):
    """Same slug, same sections and accordion items, same cards; shipped as machine."""
    english = path.with_name(path.name.replace(".es.md", ".md"))
    es = content.load_document(path, "Org")
    en = content.load_document(english, "Org")
    assert es.lang == "es" and en.lang == "en"
    assert es.slug == en.slug and es.published == en.published
    assert es.review_status == "machine"
    assert [(s.name, len(s.items), bool(s.heading)) for s in es.sections] == [
        (s.name, len(s.items), bool(s.heading)) for s in en.sections
    ]
    for key in ("resources",):
        urls = [r["url"] for r in en.meta.get(key, [])]
        assert [r["url"] for r in es.meta.get(key, [])] == ["/es" + u for u in urls]
    assert bool(es.meta.get("callout")) == bool(en.meta.get("callout"))


def test_spanish_events_name_every_english_event_and_ship_as_machine():
    english = {row["slug"] for row in json.loads((SEED / "events.json").read_text())}
    data = json.loads((SEED / "es" / "events.json").read_text(encoding="utf-8"))
    assert data["review_status"] == "machine"
    assert {row["slug"] for row in data["events"]} == english
