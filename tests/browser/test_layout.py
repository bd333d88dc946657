"""Reflow at 320 px, 200% text, readable sizes, visible focus, and screenshots to look at."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.site import KEY_PAGES, PUBLIC_PAGES, goto_ok, public_params, wait_until

SCREENSHOT_VIEWPORTS = {
    "390x844": {"width": 390, "height": 844},
    "768x1024": {"width": 768, "height": 1024},
    "1280x800": {"width": 1280, "height": 800},
}
OVERFLOW = """() => {
  const doc = document.documentElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1)
    .filter(el => !el.closest('.table-wrap, .visually-hidden, .skip-link'))
    .slice(0, 5).map(el => el.outerHTML.slice(0, 120));
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide};
}"""
SMALL_TEXT = """() => [...document.querySelectorAll(
    'main p, main li, main dd, main td, main label, main input, main select, main .card')]
  .filter(el => el.offsetParent !== null && el.textContent.trim() && !el.closest('nav'))
  .filter(el => parseFloat(getComputedStyle(el).fontSize) < 16)
  .slice(0, 5).map(el => `${getComputedStyle(el).fontSize} ${el.outerHTML.slice(0, 100)}`)"""
FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {
    tag: el.outerHTML.slice(0, 100),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    shadow: s.boxShadow !== 'none',
  };
}"""


def assert_no_sideways_scroll(page, where: str) -> None:
    result = page.evaluate(OVERFLOW)
    assert result["scrollWidth"] <= result["clientWidth"], (
        f"{where} scrolls sideways ({result['scrollWidth']} > {result['clientWidth']} px); "
        f"too wide: {result['wide']}"
    )


@pytest.fixture
def narrow_page(new_context):
    return new_context({"width": 320, "height": 640}).new_page()


@pytest.mark.parametrize("path", public_params())
def test_reflows_at_320_px(narrow_page, live_server, path):
    goto_ok(narrow_page, live_server + path)
    assert_no_sideways_scroll(narrow_page, f"{path} at 320 px")


def test_staff_pages_reflow_at_320_px(narrow_page, live_server, login):
    page = narrow_page
    goto_ok(page, live_server + "/staff/login")
    assert_no_sideways_scroll(page, "/staff/login at 320 px")
    login(page)
    for path in ("/staff/", "/staff/providers", "/staff/roster", "/staff/re-check"):
        goto_ok(page, live_server + path)
        assert_no_sideways_scroll(page, f"{path} at 320 px")
    goto_ok(page, live_server + "/staff/providers")
    page.locator("main a[href*='/edit']").first.click()
    page.wait_for_url(re.compile(r"/edit$"))
    assert_no_sideways_scroll(page, f"{page.url} at 320 px")


@pytest.mark.parametrize("path", public_params(KEY_PAGES))
def test_text_zoomed_to_200_percent_still_fits(new_context, live_server, path):
    """Text-only zoom (WCAG 1.4.4): double the root font size at a tablet width."""
    page = new_context({"width": 768, "height": 1024}).new_page()
    goto_ok(page, live_server + path)
    before = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    after = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert after >= 1.9 * before, f"body text did not scale with the root size ({before}->{after})"
    assert_no_sideways_scroll(page, f"{path} with 200% text")
    assert page.locator("h1").first.is_visible()


@pytest.mark.parametrize("path", public_params())
def test_body_text_is_at_least_16_px(new_context, live_server, path):
    """At phone size, where the type scale is smallest."""
    page = new_context("phone").new_page()
    goto_ok(page, live_server + path)
    body = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert body >= 16, f"body text is {body}px"
    assert page.evaluate(SMALL_TEXT) == [], f"{path}: text under 16 px"


@pytest.mark.parametrize("path", public_params(("home", "article", "search-results", "profile")))
def test_focus_is_always_visible(page, live_server, path):
    goto_ok(page, live_server + path)
    page.keyboard.press("Tab")
    first = page.evaluate("() => document.activeElement.textContent.trim()")
    assert first.lower().startswith("skip"), f"the first Tab stop is not the skip link: {first!r}"
    assert page.locator(".skip-link:focus").is_visible(), "the focused skip link is not visible"
    for _ in range(25):
        style = page.evaluate(FOCUS_STYLE)
        if style["tag"].startswith("<body"):
            break  # past the last focusable element
        assert style["outline"] or style["shadow"], f"{path}: no visible focus on {style['tag']}"
        page.keyboard.press("Tab")


def test_skip_link_moves_focus_to_main(page, live_server):
    goto_ok(page, live_server + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


@pytest.mark.parametrize("size", list(SCREENSHOT_VIEWPORTS))
def test_screenshots(new_context, live_server, size):
    """Write full-page screenshots of the key pages to artifacts/screenshots/ to look at."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page = new_context(SCREENSHOT_VIEWPORTS[size]).new_page()
    missing = []
    for name in KEY_PAGES:
        response = page.goto(live_server + PUBLIC_PAGES[name])
        if response is None or response.status != 200:
            missing.append(f"{name} ({response and response.status})")
            continue
        path = folder / f"{name}-{size}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000
    assert not missing, f"no screenshot of: {', '.join(missing)}"


def test_print_styles_hide_navigation(page, live_server):
    for name in ("article", "profile"):
        goto_ok(page, live_server + PUBLIC_PAGES[name])
        page.emulate_media(media="print")
        assert not page.locator(".site-nav").is_visible()
        footer_navs = page.locator(".site-footer nav")
        assert footer_navs.count() >= 1
        for i in range(footer_navs.count()):  # the site links and the language links
            assert not footer_navs.nth(i).is_visible()
        assert page.locator("main h1").first.is_visible()
        page.emulate_media(media="screen")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_accordion_opens_by_keyboard(new_context, live_server, js):
    page = new_context("phone", java_script_enabled=js).new_page()
    goto_ok(page, live_server + PUBLIC_PAGES["article"])
    summary = page.locator("main details > summary").first
    summary.focus()
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    assert summary.locator("xpath=..").get_attribute("open") is not None, "Enter did not open"
    page.keyboard.press("Space")
    assert summary.locator("xpath=..").get_attribute("open") is None, "Space did not close"


def test_search_bar_sticks_on_phone_results(new_context, live_server):
    page = new_context("phone").new_page()
    goto_ok(page, live_server + PUBLIC_PAGES["search-results"])
    page.mouse.wheel(0, 2500)
    wait_until(page, "() => window.scrollY > 1500")
    search = page.get_by_role("search", name="Find a doctor")
    # Let the wheel scroll settle, then the bar must be resting at the top of the screen.
    wait_until(
        page,
        "el => { const y = el.getBoundingClientRect().top; return y >= -1 && y <= 120; }",
        search.element_handle(),
        timeout=5,
    )
    box = search.bounding_box()
    assert box is not None and -1 <= box["y"] <= 120, f"the search bar scrolled away: {box}"
