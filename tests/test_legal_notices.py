"""The notices the law asks for: language help, nondiscrimination, No Surprises Act notices."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app import content
from bench.pages import PUBLIC_PAGES

ROOT = Path(__file__).resolve().parent.parent
NOTICES = {
    "/language-assistance": ("Language help", "Ayuda con el idioma"),
    "/nondiscrimination": ("Nondiscrimination notice", "Aviso de no discriminación"),
    "/surprise-billing": (
        "Your rights and protections against surprise medical bills",
        "Sus derechos y protecciones contra las facturas médicas sorpresa",
    ),
    "/good-faith-estimate": (
        "Right to a Good Faith Estimate",
        "Derecho a recibir un presupuesto de buena fe",
    ),
}
SETTINGS = {
    "ORG_NAME": "Cascade Test Clinics",
    "ORG_PHONE": "(509) 555-0142",
    "CIVIL_RIGHTS_CONTACT": "Jo Rivera, Section 1557 Coordinator, (509) 555-0143, jo@example.org",
}


@pytest.fixture
def client(demo_app):
    demo_app.config.update(SETTINGS)
    content.load_translated.cache_clear()
    return demo_app.test_client()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("path", NOTICES)
def test_each_notice_in_both_languages(client, path):
    english, spanish = NOTICES[path]
    en = client.get(path).get_data(as_text=True)
    es = client.get("/es" + path).get_data(as_text=True)
    assert f'<h1 id="notice-title">{english}</h1>' in en
    assert f'<h1 id="notice-title">{spanish}</h1>' in es
    # The Spanish text is a machine translation: said at the top, in Spanish, with the original.
    note = es.index('class="notice notice-translation"')
    assert note < es.index('id="notice-title"')
    assert "Traducción automática." in es and f'href="{path}" hreflang="en"' in es
    assert "notice-translation" not in en


def test_settings_fill_the_notices(client):
    for path in ("/nondiscrimination", "/es/nondiscrimination"):
        text = _text(client.get(path).get_data(as_text=True))
        for value in SETTINGS.values():
            assert value in text, (path, value)


def test_language_help_names_fifteen_languages_each_in_its_own_script(client):
    html = client.get("/language-assistance").get_data(as_text=True)
    items = re.findall(r'<li lang="([^"]+)" dir="(ltr|rtl)">(.*?)</li>', html, re.S)
    assert len(items) == 15 and len({lang for lang, _, _ in items}) == 15
    scripts = {lang: text for lang, _, text in items}
    directions = {lang: direction for lang, direction, _ in items}
    assert "تتحدث" in scripts["ar"] and directions["ar"] == "rtl"
    assert "한국어" in scripts["ko"] and "español" in scripts["es"]
    for _lang, _dir, text in items:
        assert '<bdi><a href="tel:+15095550142">(509) 555-0142</a></bdi>' in text


@pytest.mark.parametrize("name", ["home", "search-results", "profile", "privacy"])
def test_footer_links_the_notices_in_the_pages_language(client, name):
    for prefix in ("", "/es"):
        html = client.get(prefix + PUBLIC_PAGES[name]).get_data(as_text=True)
        footer = html[html.index('<footer class="site-footer">') :]
        for path in NOTICES:
            assert f'href="{prefix}{path}"' in footer, (name, prefix, path)


def test_every_profile_links_the_billing_notices(client):
    for prefix in ("", "/es"):
        html = client.get(prefix + PUBLIC_PAGES["profile"]).get_data(as_text=True)
        main = html[: html.index('<footer class="site-footer">')]
        assert f'href="{prefix}/surprise-billing"' in main
        assert f'href="{prefix}/good-faith-estimate"' in main


def test_a_reviewed_translation_drops_the_note_and_names_its_reviewer(demo_app, tmp_path):
    seed = tmp_path / "seed"
    shutil.copytree(ROOT / "seed_data" / "notices", seed / "notices")
    path = seed / "notices" / "good-faith-estimate.es.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('review_status = "machine"', 'review_status = "reviewed"'))
    demo_app.config["SEED_DATA_DIR"] = str(seed)
    content.load_translated.cache_clear()
    client = demo_app.test_client()
    # Marked reviewed without a reviewer's name and date: refused, never shown as reviewed.
    with pytest.raises(content.ContentError, match="reviewer"):
        client.get("/es/good-faith-estimate")
    path.write_text(
        text.replace(
            'review_status = "machine"',
            'review_status = "reviewed"\nreviewer = "Ana Ruiz, CHI"\nreviewed_on = 2026-12-01',
        )
    )
    content.load_translated.cache_clear()
    html = client.get("/es/good-faith-estimate").get_data(as_text=True)
    assert "notice-translation" not in html
    assert "Traducción revisada por Ana Ruiz, CHI el 1 de diciembre de 2026." in html
    content.load_translated.cache_clear()


def test_shipped_spanish_is_marked_machine():
    """Nothing shipped here claims a review it did not get."""
    for path in (ROOT / "seed_data" / "notices").glob("*.es.md"):
        assert 'review_status = "machine"' in path.read_text(encoding="utf-8"), path.name
    rows = content.json.loads((ROOT / "seed_data/notices/taglines.json").read_text())["taglines"]
    assert {row["review_status"] for row in rows} == {"machine"}
