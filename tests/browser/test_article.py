"""The spine article and Find care in Chromium: the safety path, with and without JavaScript."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

ARTICLE = "/health/exercise-for-the-spine"
EMERGENCY = "Call 911 or go to the nearest emergency room now"


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def any_page(request: pytest.FixtureRequest, browser):
    """A desktop page with JavaScript on, then off."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=request.param
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _continue(page) -> None:
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Continue").click()


def test_article_to_physical_therapists_in_two_clicks(any_page, live_server):
    page = any_page
    page.goto(live_server + ARTICLE)
    callout = page.locator("aside.safety-callout")
    assert "Already have an injury or damage to your spine?" in callout.inner_text()
    with page.expect_navigation():
        callout.get_by_role("link", name="Find a physical therapist").click()  # click 1
    url = urlsplit(page.url)
    assert url.path == "/find-a-doctor"
    assert parse_qs(url.query)["specialty"] == ["physical-therapist"]
    main = page.locator("main")
    profiles = main.locator("a[href^='/providers/']")
    assert profiles.count() > 0, "no providers listed"
    assert "Physical Therapist" in main.inner_text()


def test_a_red_flag_shows_emergency_guidance_and_no_provider_list(any_page, live_server):
    page = any_page
    page.goto(live_server + "/find-care")
    page.get_by_label("New loss of bladder or bowel control").check()
    _continue(page)
    main = page.locator("main")
    assert main.get_by_role("heading", level=1).inner_text() == EMERGENCY
    assert main.locator("a[href*='find-a-doctor'], a[href^='/providers/']").count() == 0
    assert main.locator("form").count() == 0
    assert main.get_by_role("link", name="Call 911").get_attribute("href") == "tel:911"


def test_accordion_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + ARTICLE)
        sections = page.locator("main details")
        assert sections.count() == 4
        body = page.get_by_text("Core muscles are located closer to the center of your body")
        assert not body.is_visible()
        page.locator("summary", has_text="Core muscles").click()
        assert body.is_visible()
        page.locator("summary", has_text="Flexibility").focus()
        page.keyboard.press("Enter")
        assert page.get_by_text("Gentle stretching helps create more flexibility").is_visible()
    finally:
        context.close()


def test_find_care_flow_without_javascript_and_back_works(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/find-care")
        _continue(page)  # no answer: asked again
        assert page.locator(".error-summary").is_visible()
        page.get_by_label("An existing injury or a recent strain").check()
        page.get_by_label(re.compile("ZIP code or city")).fill("98104")
        _continue(page)
        query = parse_qs(urlsplit(page.url).query)
        assert urlsplit(page.url).path == "/find-care/spine-care"
        assert query == {"sign": ["injury"], "location": ["98104"]}
        assert page.get_by_role("heading", level=1).inner_text() == "Spine care near 98104"
        assert page.locator("main a[href^='/providers/']").count() > 0

        page.go_back()
        assert "Do any of these apply to you?" in page.locator("legend").first.inner_text()
        page.go_forward()
        assert page.get_by_role("heading", level=1).inner_text() == "Spine care near 98104"

        page.goto(live_server + "/find-care")
        page.get_by_label("None of these").check()
        _continue(page)
        assert page.locator(f"main a[href='{ARTICLE}']").count() > 0
    finally:
        context.close()


def test_article_prints_every_accordion_section(browser, live_server):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_server + ARTICLE)
        page.emulate_media(media="print")
        assert page.get_by_text("Examples of aerobic exercise include swimming").is_visible()
        assert not page.locator(".site-nav").is_visible()
        assert not page.locator("aside.safety-callout .actions").is_visible()
    finally:
        context.close()
