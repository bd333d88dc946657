"""The find-care checkboxes in Chromium, with and without JavaScript, checked by axe.

Screenshots of every outcome at 390x844 go to artifacts/ (find-care-*.png).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import ARTIFACTS

EMERGENCY = "Call 911 or go to the nearest emergency room now"
FALL = "A fall from standing height, a lift or a twist"
OSTEOPOROSIS = "Osteoporosis, or steroid tablets for three months or more"
WEAKNESS = "New or worsening weakness in the legs"


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(request: pytest.FixtureRequest, new_context):
    """A 390x844 page, JavaScript on then off, that axe can be injected into."""
    context = new_context("phone", java_script_enabled=request.param, bypass_csp=True)
    page = context.new_page()
    page.js = request.param
    return page


def phone_axe(page, axe):
    """axe needs script in the page; the no-JS run serves the same HTML, checked in the JS run."""
    return axe if page.js else (lambda *_: None)


def _tick(page, *labels: str) -> None:
    for label in labels:
        page.get_by_label(label, exact=False).first.check()


def _continue(page) -> None:
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Continue").click()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"find-care-{name}.png"), full_page=False)


def test_ticking_signs_leads_to_the_right_door(phone, live_server, axe):
    page = phone
    check = phone_axe(page, axe)
    page.goto(live_server + "/find-care")
    check(page, "find-care form")
    if page.js:
        _shot(page, "form")

    # Nothing ticked: asked again, with an error linked to the question.
    _continue(page)
    assert page.locator(".error-summary").is_visible()
    check(page, "find-care form with an error")

    # Slipped last week, nothing else: a visit within days, spine care near the place.
    _tick(page, FALL)
    page.get_by_label(re.compile("ZIP code or city")).fill("98104")
    _continue(page)
    url = urlsplit(page.url)
    assert url.path == "/find-care/spine-care"
    assert parse_qs(url.query) == {"sign": ["minor-fall"], "location": ["98104"]}
    assert page.get_by_role("heading", level=1).inner_text() == "Spine care near 98104"
    assert page.locator("main a[href='tel:911']").count() == 0
    check(page, "spine care near 98104")

    # The same fall with osteoporosis: care today, at urgent care or a walk-in clinic.
    page.goto(live_server + "/find-care")
    _tick(page, FALL, OSTEOPOROSIS)
    _continue(page)
    assert urlsplit(page.url).path == "/find-care/urgent-care"
    assert page.get_by_role("heading", level=1).inner_text() == "Get care today"
    sites = page.locator("main .site-card")
    assert sites.count() >= 2
    assert sites.first.locator("a[href^='tel:']").count() == 1
    assert re.search(r"Open now|Opens", sites.first.inner_text())
    check(page, "urgent care")
    if page.js:
        _shot(page, "urgent")

    # A fall with leg weakness: 911, with the call button first and no provider list.
    page.goto(live_server + "/find-care")
    _tick(page, FALL, WEAKNESS)
    _continue(page)
    main = page.locator("main")
    assert main.get_by_role("heading", level=1).inner_text() == EMERGENCY
    assert main.get_by_role("link", name="Call 911").get_attribute("href") == "tel:911"
    assert main.locator("a[href*='find-a-doctor'], a[href^='/providers/'], form").count() == 0
    check(page, "emergency")
    if page.js:
        _shot(page, "emergency")

    # Change my answers: the form comes back with both boxes still ticked.
    with page.expect_navigation():
        main.get_by_role("link", name=re.compile("change my answers")).click()
    assert page.get_by_label(FALL).is_checked() and page.get_by_label(WEAKNESS).is_checked()

    # None of these: self-care and the article.
    page.goto(live_server + "/find-care")
    page.get_by_label("None of these").check()
    _continue(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Start gently and keep moving"
    assert page.locator("main a[href='/health/exercise-for-the-spine']").count() > 0
    check(page, "self-care")
    if page.js:
        _shot(page, "self-care")


def test_none_of_these_and_the_signs_exclude_each_other_with_javascript(new_context, live_server):
    page = new_context("phone").new_page()
    page.goto(live_server + "/find-care")
    _tick(page, FALL, WEAKNESS)
    page.get_by_label("None of these").check()
    assert not page.get_by_label(FALL).is_checked()
    assert not page.get_by_label(WEAKNESS).is_checked()
    _tick(page, OSTEOPOROSIS)
    assert not page.get_by_label("None of these").is_checked()


def test_without_javascript_a_sign_outranks_none_of_these(new_context, live_server):
    page = new_context("phone", java_script_enabled=False).new_page()
    page.goto(live_server + "/find-care")
    _tick(page, WEAKNESS)
    page.get_by_label("None of these").check()
    assert page.get_by_label(WEAKNESS).is_checked()  # nothing unticks it without script
    _continue(page)
    assert page.get_by_role("heading", level=1).inner_text() == EMERGENCY


@pytest.mark.parametrize("prefix", ["", "/es"], ids=["en", "es"])
@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_first_provider_is_on_the_first_phone_screen(new_context, live_server, js, prefix):
    """In Spanish too, below the machine-translation notice."""
    page = new_context("phone", java_script_enabled=js).new_page()
    page.goto(live_server + prefix + "/find-care/spine-care?sign=minor-fall&location=98104")
    page.wait_for_load_state("load")
    card = page.locator("main .provider-card").first
    box = card.bounding_box()
    name = card.locator(".provider-name").bounding_box()
    assert box is not None and name is not None
    height = page.viewport_size["height"]
    assert page.evaluate("() => window.scrollY") == 0
    assert 0 < box["y"] < height and name["y"] + name["height"] <= height, (box, name)
    # The card's call-to-book phone link is on the first screen too.
    phone = card.locator("a[href^='tel:']").first.bounding_box()
    assert phone is not None and phone["y"] + phone["height"] <= height, phone
    if js:
        _shot(page, "spine-care" + prefix.replace("/", "-"))


def test_the_spanish_path_in_spanish_words(phone, live_server, axe):
    """/es/find-care: the Spanish labels lead to the same doors, with Spanish pages on the way."""
    page = phone
    check = phone_axe(page, axe)
    page.goto(live_server + "/es/find-care")
    assert page.locator("html").get_attribute("lang") == "es"
    notice = page.locator("main .notice-translation")
    assert notice.is_visible() and "Traducción automática" in notice.inner_text()
    assert notice.get_by_role("link").get_attribute("href") == "/find-care"
    check(page, "find-care form, Spanish")
    if page.js:
        _shot(page, "form-es")

    _tick(page, "Una caída estando de pie", "Debilidad nueva o que empeora en las piernas")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Continuar").click()
    main = page.locator("main")
    heading = main.get_by_role("heading", level=1).inner_text()
    assert heading == "Llame al 911 o vaya ahora a la sala de emergencias más cercana"
    call = main.get_by_role("link", name="Llame al 911")
    assert call.get_attribute("href") == "tel:911"
    # The call button is on the first screen, above the translation notice.
    box = call.bounding_box()
    assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"]
    assert box["y"] < main.locator(".notice-translation").bounding_box()["y"]
    check(page, "emergency, Spanish")
    if page.js:
        _shot(page, "emergency-es")

    page.goto(live_server + "/es/find-care")
    _tick(page, "Fiebre, escalofríos")
    page.get_by_label(re.compile("Código postal o ciudad")).fill("98104")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Continuar").click()
    assert urlsplit(page.url).path == "/es/find-care/urgent-care"
    assert page.get_by_role("heading", level=1).inner_text() == "Busque atención hoy"
    sites = page.locator("main .site-card")
    assert re.search(r"Abierto ahora|Abre ", sites.first.inner_text())
    assert sites.evaluate_all("cards => cards.every(c => c.scrollWidth <= c.clientWidth)")
    check(page, "urgent care, Spanish")
    if page.js:
        _shot(page, "urgent-es")
