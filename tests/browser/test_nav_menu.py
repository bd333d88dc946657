"""The phone menu: a disclosure button with scripts, a plain list without, and no shift."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.site import ARTICLE, goto_ok

NAV_LABELS = ["Home", "Health & wellness", "Find care", "Find a doctor", "News"]

# Layout shifts recorded since the page started loading (PerformanceObserver, buffered).
LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 300);
})"""
BOX = "el => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def test_phone_menu_opens_and_closes(new_context, live_server):
    page = new_context("phone").new_page()
    goto_ok(page, live_server + "/")
    nav = main_nav(page)
    button = nav.get_by_role("button", name="Menu")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Find care")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "nav-390x844-closed.png"))

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    for label in NAV_LABELS:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    # The brand and the button stay on one row: the menu is no second row of links.
    brand_box = page.locator(".brand").evaluate(BOX)
    button_box = button.evaluate(BOX)
    assert abs(brand_box[1] + brand_box[3] / 2 - (button_box[1] + button_box[3] / 2)) < 12
    page.screenshot(path=str(ARTIFACTS / "nav-390x844-open.png"))

    # Keyboard: Escape closes it and focus goes back to the button.
    nav.get_by_role("link", name="News").focus()
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(nav.get_by_role("link", name="News")).to_be_hidden()

    # Enter on the button opens it; a link in it navigates.
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Find care").click()
    page.wait_for_url("**/find-care")
    expect(main_nav(page).get_by_role("button", name="Menu")).to_have_attribute(
        "aria-expanded", "false"
    )


def test_tabbing_past_the_open_menu_closes_it(new_context, live_server):
    page = new_context("phone").new_page()
    goto_ok(page, live_server + "/")
    button = main_nav(page).get_by_role("button", name="Menu")
    button.click()
    main_nav(page).get_by_role("link", name="News").focus()
    page.keyboard.press("Tab")  # to the first control below the header, under the open list
    expect(button).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_without_javascript_the_nav_is_a_plain_list(new_context, live_server, viewport):
    page = new_context(viewport, java_script_enabled=False).new_page()
    goto_ok(page, live_server + "/")
    nav = main_nav(page)
    expect(nav.get_by_role("button")).to_be_hidden()
    for label in NAV_LABELS:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()


def test_desktop_shows_the_links_and_no_button(new_context, live_server):
    page = new_context("desktop").new_page()
    goto_ok(page, live_server + "/")
    nav = main_nav(page)
    expect(nav.get_by_role("button")).to_be_hidden()
    for label in NAV_LABELS:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()


@pytest.mark.parametrize("path", ["/", ARTICLE, "/find-care"])
def test_the_menu_script_moves_nothing(new_context, live_server, path):
    """The first paint is the final one: the stylesheet, not the script, draws the menu."""
    page = new_context("phone").new_page()
    goto_ok(page, live_server + path)
    assert page.evaluate(LAYOUT_SHIFT) == 0
    with_script = page.locator("main").evaluate(BOX)

    # The same page with nav.js never arriving: the header must already be the same size.
    late = new_context("phone").new_page()
    late.route("**/js/nav.*.js", lambda route: route.abort())
    goto_ok(late, live_server + path)
    assert late.locator("main").evaluate(BOX) == with_script
    expect(main_nav(late).get_by_role("button", name="Menu")).to_be_visible()


def test_open_menu_is_accessible(new_context, live_server, axe):
    page = new_context("phone", bypass_csp=True).new_page()
    goto_ok(page, live_server + "/")
    main_nav(page).get_by_role("button", name="Menu").click()
    axe(page, "/ with the phone menu open")
