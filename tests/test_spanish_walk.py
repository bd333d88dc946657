"""A walk of every public page in Spanish: no catalogue entry left untranslated, and no
English sentence left in a Spanish page.

Two checks:

- the Spanish catalogue has a translation for every entry (none empty, none fuzzy);
- each Spanish page's text, outside parts marked ``lang="en"`` (an English biography, a
  provider's or clinic's own words), contains no English catalogue sentence and no run of
  everyday English words, which is what a template string left outside ``_()`` looks like.

Pages still being translated are listed in ``NOT_YET`` with what is missing; their test is
a strict xfail, so it fails (and must be moved out of the list) once the page is done.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.test_languages import PAGES, SITE, spanish

CATALOG = Path(__file__).resolve().parents[1] / "app/translations/es/LC_MESSAGES/messages.po"
# Everyday English words that Spanish text does not use; a phrase of three words or more
# with two of them is English.
ENGLISH = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "with",
        "for",
        "or",
        "of",
        "to",
        "is",
        "are",
        "this",
        "that",
        "these",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "can",
        "have",
        "has",
        "not",
        "our",
        "we",
        "how",
        "here",
        "there",
        "about",
        "from",
        "near",
        "see",
        "find",
        "call",
        "help",
        "get",
        "any",
        "all",
        "do",
        "does",
        "it",
        "if",
        "be",
        "by",
        "at",
        "on",
        "was",
        "were",
        "would",
        "should",
        "an",
        "my",
        "me",
        "today",
        "away",
    ]
)
# Pages whose Spanish is not complete yet, and what they still show in English.
NOT_YET = {
    "article": (
        "the spine article's <title> (seed_data/articles has no Spanish version yet; the body "
        "is marked lang=en, a <title> cannot be)"
    ),
    "news-item": "news items (English only)",
    "privacy": "the privacy notice (seed_data/privacy.md has no Spanish version yet)",
    "nondiscrimination": "cites HHS's English address without lang=en (seed_data/notices)",
    "surprise-billing": "cites the CMS notice's English title without lang=en",
    "good-faith-estimate": "cites the CMS notice's English title without lang=en",
}


class Text(HTMLParser):
    """The visible text of a page, without scripts, styles and ``lang="en"`` parts."""

    VOID = frozenset(
        [
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "link",
            "meta",
            "source",
            "track",
            "wbr",
        ]
    )

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: is it skipped?
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        a = dict(attrs)
        english = tag != "html" and (a.get("lang") or "").startswith("en")
        skipped = tag in ("script", "style") or english
        self.stack.append(skipped or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def text_nodes(html: str) -> list[str]:
    parser = Text()
    parser.feed(html)
    return [" ".join(p.split()) for p in parser.parts if p.strip()]


def visible_text(html: str) -> str:
    return " ".join(text_nodes(html))


def english_phrases(html: str) -> list[str]:
    """Text nodes of three words or more with two everyday English words among them."""
    found = []
    for node in text_nodes(html):
        words = re.findall(r"[A-Za-z']+", node)
        if len(words) >= 3 and sum(w.lower() in ENGLISH for w in words) >= 2:
            found.append(node)
    return found


def english_sentences() -> list[str]:
    """The catalogue's English sentences (four words or more, no placeholder)."""
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    out = []
    for message in catalog:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if msgid and "%(" not in msgid and len(msgid.split()) >= 4:
            out.append(msgid)
    return out


def test_every_catalogue_entry_is_translated():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else message.string
        if not all(strings) or message.fuzzy:
            missing.append(message.id)
    assert not missing, missing[:20]


def _params():
    for name, path in PAGES.items():
        marks = [pytest.mark.xfail(reason=NOT_YET[name], strict=True)] if name in NOT_YET else []
        yield pytest.param(path, id=name, marks=marks)


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return english_sentences()


@pytest.fixture
def site(demo_app):
    demo_app.config.update(SITE_URL=SITE, TRUSTED_HOSTS=None)
    return demo_app.test_client()


@pytest.mark.parametrize("path", list(_params()))
def test_spanish_page_has_no_english_left(site, sentences, path):
    response = site.get(spanish(path))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html
    assert 'hreflang="en"' in html and 'hreflang="es"' in html
    text = visible_text(html)
    left = [s for s in sentences if s in text]
    assert not left, left[:5]
    phrases = english_phrases(html)
    assert not phrases, phrases[:10]


def test_the_walk_notices_english(site):
    """The checks find English: the English page fails them."""
    html = site.get("/find-a-doctor").get_data(as_text=True)
    assert english_phrases(html)
    assert any(s in visible_text(html) for s in english_sentences())
