"""Find a doctor in Chromium: typeahead by keyboard, filters, pages, profiles, distance."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.site import wait_until

DISTANCE_RE = re.compile(r"(under )?([\d.]+) miles? away")


def _no_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_typeahead_picks_a_misspelled_name_by_keyboard(page, live_server):
    errors = _no_errors(page)
    page.goto(live_server + "/find-a-doctor")
    box = page.get_by_role("combobox", name="Name, specialty or condition")
    box.focus()
    page.keyboard.type("jonhson", delay=30)
    option = page.get_by_role("option", name=re.compile("Marcus Johnson"))
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("status").filter(has_text="suggestion")).to_have_count(1)

    page.keyboard.press("ArrowDown")
    option_id = option.get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", option_id)
    expect(option).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))

    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", option_id)
    page.keyboard.press("Enter")
    page.wait_for_url("**/providers/marcus-johnson-dpt")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marcus Johnson")
    assert page.locator("a.phone").first.get_attribute("href").startswith("tel:+1")
    assert errors == []


def test_misspelled_search_without_typeahead_choice(page, live_server):
    page.goto(live_server + "/find-a-doctor")
    page.get_by_label("Name, specialty or condition").fill("wiliams")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=wiliams"))
    card = page.locator(".provider-card").first
    expect(card).to_contain_text("Jasmine Williams")
    expect(card.locator("mark").first).to_have_text("Williams")


def test_filter_paginate_remove_chip_and_open_profile(page, live_server):
    errors = _no_errors(page)
    page.goto(live_server + "/find-a-doctor?accepting=1")
    expect(page.locator(".results-count")).to_contain_text("Showing 1–20 of")

    page.get_by_role("navigation", name="Result pages").get_by_role("link", name="Next").click()
    expect(page.locator(".results-count")).to_contain_text("Showing 21–40 of")
    expect(page.get_by_role("link", name="Page 2", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    # Checking a filter updates the results at once (JS) and starts again at page 1.
    page.get_by_role("checkbox", name=re.compile(r"^Offers telehealth")).check()
    page.wait_for_url(re.compile(r"telehealth=1"))
    assert "page=" not in page.url
    telehealth = page.get_by_role("checkbox", name=re.compile(r"^Offers telehealth"))
    expect(telehealth).to_be_checked()
    expect(telehealth).to_be_focused()
    chip = page.locator("a.chip", has_text="Offers telehealth")
    expect(chip).to_be_visible()
    for card in page.locator(".provider-card").all():
        expect(card).to_contain_text("Accepting new patients")
        expect(card).to_contain_text("Telehealth")

    chip.click()
    page.wait_for_url(lambda url: "telehealth" not in url)
    expect(page.locator("a.chip", has_text="Offers telehealth")).to_have_count(0)
    expect(page.locator("a.chip", has_text="Accepting new patients")).to_have_count(1)

    first = page.locator(".provider-card .provider-name a").first
    name = first.inner_text().split(",")[0]
    first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("table").first).to_contain_text("Monday")
    assert errors == []


def test_sort_by_distance_from_a_zip(page, live_server):
    page.goto(live_server + "/find-a-doctor")
    page.get_by_label("Name, specialty or condition").fill("physical therapist")
    page.get_by_label("Location").fill("98104")
    page.get_by_label("Location").press("Enter")
    page.wait_for_url(re.compile(r"location=98104"))
    page.get_by_label("Sort by").select_option("distance")
    page.get_by_role("button", name="Sort", exact=True).click()
    page.wait_for_url(re.compile(r"sort=distance"))
    nearest = []
    for card in page.locator(".provider-card").all():
        found = [
            0.0 if m.group(1) else float(m.group(2))
            for m in DISTANCE_RE.finditer(card.inner_text())
        ]
        nearest.append(min(found))
    assert nearest and nearest == sorted(nearest)
    expect(page.locator(".provider-card").first).to_contain_text("First Hill")


def test_filters_work_without_javascript_on_a_phone(new_context, live_server):
    page = new_context("phone", java_script_enabled=False).new_page()
    page.goto(live_server + "/find-a-doctor?q=physical+therapist")
    # The filter panel is a plain form after the results, with an Apply button.
    spanish = page.get_by_role("checkbox", name=re.compile(r"^Spanish"))
    spanish.check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"language=es"))
    expect(page.locator("a.chip", has_text="Spanish")).to_be_visible()
    assert "q=physical+therapist" in page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_search_bar_sticks_on_a_phone(new_context, live_server):
    page = new_context("phone").new_page()
    page.goto(live_server + "/find-a-doctor?accepting=1")
    # The results come first on small screens, the filters after them (no script needed).
    results, filters = page.locator("#results"), page.locator("#filters")
    assert filters.bounding_box()["y"] > results.bounding_box()["y"]
    page.mouse.wheel(0, 2500)
    wait_until(page, "window.scrollY > 1000")
    # The wheel scroll may still be settling: wait until the bar rests at the very top.
    wait_until(
        page,
        "Math.abs(document.querySelector('.dir-searchbar').getBoundingClientRect().top) < 1",
        timeout=5,
    )
    expect(page.get_by_label("Name, specialty or condition")).to_be_in_viewport()


def test_directory_states_pass_axe(new_context, axe, live_server):
    """Chips and the spine box (phone and desktop), an error message, the open typeahead."""
    busy = "/find-a-doctor?q=back+pain&language=es&accepting=1&location=98104&radius=25"
    for viewport in ("phone", "desktop"):
        page = new_context(viewport, bypass_csp=True).new_page()
        page.goto(live_server + busy)
        axe(page, f"results with chips at {viewport}")
    page.goto(live_server + "/find-a-doctor?q=smith&page=abc")
    axe(page, "bad page number")
    page.goto(live_server + "/find-a-doctor")
    page.get_by_label("Name, specialty or condition").focus()
    page.keyboard.type("back", delay=20)
    expect(page.get_by_role("listbox")).to_be_visible()
    page.keyboard.press("ArrowDown")
    axe(page, "open typeahead")


def test_home_page_search_box_has_the_same_typeahead(page, live_server):
    errors = _no_errors(page)
    page.goto(live_server + "/")
    box = page.get_by_role("combobox", name="Name, specialty or condition")
    box.focus()
    page.keyboard.type("physio", delay=30)
    option = page.get_by_role("option", name=re.compile("Physical Therapist"))
    expect(option.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    # A specialty with no place yet: focus moves to Location, then the search runs.
    location = page.get_by_label("Location")
    expect(location).to_be_focused()
    location.fill("98104")
    location.press("Enter")
    page.wait_for_url(re.compile(r"/find-a-doctor\?.*specialty=physical-therapist.*location=98104"))
    expect(page.locator(".provider-card").first).to_be_visible()
    assert errors == []
