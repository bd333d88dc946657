"""The Spanish pages on a 390x844 phone: screenshots to look at (artifacts/es-*.png), and what
looking at them found, held by DOM assertions.

No English left where the page says it is Spanish (text whose nearest ``lang`` is ``es``),
nothing wider than the screen, every placeholder and question fits its box, and the first
provider is on the first screen.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from babel.messages.pofile import read_po

from tests.browser.conftest import ARTIFACTS
from tests.browser.site import CATALOGS, goto_ok, words
from tests.browser.test_layout import assert_no_sideways_scroll

RESULTS = "/es/find-a-doctor?q=fisioterapeuta+cerca+de+98104"
PAGES = {
    "home": "/es/",
    "results": RESULTS,
    "filtered": "/es/find-a-doctor?location=98104&language=es&insurance=self-pay&gender=F",
    "profile": "/es/providers/maria-nunez-dpt",
    "find-care": "/es/find-care",
    "error": "/es/no-such-page",
}
# Names that are data, not the catalog's sentences: seen in English on these pages before.
ENGLISH_DATA = ("Physical Therapist", "English", "Spanish", "Self-pay", "ZIP ")

SPANISH_TEXT = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, template, [hidden]')) continue;
    if (el.closest('[lang]')?.getAttribute('lang') !== 'es') continue;
    out.push(node.textContent);
  }
  return out.join(' ').replace(/\\s+/g, ' ');
}"""
# Each visible placeholder against the room its box gives it (canvas measures the text).
PLACEHOLDERS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('input[placeholder]')]
    .filter(el => el.offsetParent !== null && el.placeholder)
    .map(el => {
      const s = getComputedStyle(el);
      ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      return {id: el.id, text: el.placeholder, need: ctx.measureText(el.placeholder).width, room};
    })
    .filter(p => p.need > p.room + 1);
}"""
# A fieldset's question inside its border, not astride it.
LEGENDS = """() => [...document.querySelectorAll('fieldset > legend')]
  .filter(el => el.offsetParent !== null
    && parseFloat(getComputedStyle(el.parentElement).borderTopWidth) > 0)
  .filter(el => el.getBoundingClientRect().top < el.parentElement.getBoundingClientRect().top)
  .map(el => el.textContent.trim())"""


@cache
def english_sentences() -> tuple[str, ...]:
    """The catalog's English sentences (three words or more, no placeholders) that have a
    Spanish translation: none of them belongs on a Spanish page."""
    with (CATALOGS / "es" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="es")
    found = []
    for message in catalog:
        text = message.id if isinstance(message.id, str) else message.id[0]
        translated = message.string if isinstance(message.string, str) else message.string[0]
        if translated and translated != text and "%(" not in text and len(text.split()) >= 3:
            found.append(text)
    return tuple(found)


@pytest.fixture
def phone(new_context):
    """A 390x844 page with the site's scripts on."""
    return new_context("phone").new_page()


@pytest.mark.parametrize("name", PAGES)
def test_spanish_page_on_a_phone(phone, live_server, name):
    page = phone
    goto_ok(page, live_server + PAGES[name], status=404 if name == "error" else 200)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"es-{name}-390x844.png"))
    assert page.locator("html").get_attribute("lang") == "es"

    text = page.evaluate(SPANISH_TEXT)
    left = [s for s in english_sentences() if s in text]
    left += [s for s in ENGLISH_DATA if s in text]
    assert not left, f"English on the Spanish {name} page: {left}"
    assert_no_sideways_scroll(page, f"{PAGES[name]} at 390 px")
    assert page.evaluate(PLACEHOLDERS) == [], "a placeholder is cut off"
    assert page.evaluate(LEGENDS) == [], "a question runs across its box's border"


def test_spanish_links_stay_in_spanish(phone, live_server):
    """The home page's cards and the article's links lead to the Spanish pages (a link to
    the English original says so with ``hreflang="en"``)."""
    page = phone
    for path in ("/es/", "/es/health/exercise-for-the-spine"):
        goto_ok(page, live_server + path)
        hrefs = page.locator("main a[href^='/']:not([hreflang='en'])").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        english = [h for h in hrefs if not h.startswith("/es/")]
        assert not english, f"English links on {path}: {english}"


def test_spanish_results_name_specialties_languages_and_plans_in_spanish(phone, live_server):
    page = phone
    t = words("es")
    goto_ok(page, live_server + RESULTS)
    understood = page.locator(".interpretation").inner_text()
    assert "Fisioterapeuta" in understood, understood
    assert t("ZIP %(code)s") % {"code": "98104"} in page.locator(".results-heading").inner_text()
    filters = page.get_by_role("complementary", name=t("Filters"))
    for label in ("Fisioterapeuta", "Fisioterapeuta ortopédico", "Inglés", "Español"):
        box = filters.get_by_role("checkbox", name=re.compile(rf"^{label} \(\d+"))
        assert box.count() == 1, label
    languages = page.locator(".provider-card .provider-languages").first.inner_text()
    assert "inglés" in languages, languages

    goto_ok(page, live_server + PAGES["filtered"])
    chips = page.get_by_role("list", name=t("Active filters")).inner_text()
    for said in (t("Language spoken"), "Español", t("Insurance plan"), t("Self-pay"), "Mujer"):
        assert said in chips, (said, chips)


def test_first_spanish_result_is_on_the_first_screen(new_context, live_server):
    """Above the fold on a phone, with and without script: the first provider's name and
    its call-to-book button."""
    for js in (True, False):
        page = new_context("phone", java_script_enabled=js).new_page()
        goto_ok(page, live_server + RESULTS)
        card = page.locator(".provider-card").first
        name = card.locator(".provider-name").bounding_box()
        call = card.locator("a.book-call").bounding_box()
        assert card.bounding_box()["y"] < 844
        assert name["y"] + name["height"] <= 844, (js, name)
        assert call["y"] + call["height"] <= 844, (js, call)
