"""Results a patient can act on, in Chromium at 390x844 and 1280x800, with and without JS.

The next step (call to book, the nearest clinic and its distance) leads each card and the
profile; the page does not move after its first paint; a keyboard reaches the first result
without passing the filters; choosing a condition in the typeahead asks for a place.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

KNEE = "/find-a-doctor?q=knee+pain&location=98104"
# Every layout shift since navigation, as Lighthouse and CrUX count it (shifts within
# 500 ms of an input are the person's own and are left out).
CLS = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: 'layout-shift', buffered: true});
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => resolve(total), 300)));
})"""
FOCUSED = """() => {
  const el = document.activeElement;
  return {
    tag: el.tagName, type: el.type || '', text: (el.innerText || el.value || '').trim(),
    inCard: !!el.closest('.provider-card'), inFilters: !!el.closest('#filters'),
  };
}"""


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize(
    "url",
    [
        KNEE,
        "/find-a-doctor?q=physical+therapist&language=es",
        "/es/find-a-doctor?q=fisioterapeuta+cerca+de+98104",
    ],
)
def test_results_page_does_not_shift(vpage, viewport, live_server, url):
    """The filter panel's first paint is its final state: no script folds or moves it."""
    vpage.goto(live_server + url, wait_until="load")
    shift = vpage.evaluate(CLS)
    assert shift <= 0.05, f"cumulative layout shift {shift:.3f} at {viewport}"
    assert vpage.locator("details.filters-panel, [data-collapse-small]").count() == 0
    expect(vpage.locator(".autosubmit-note")).to_be_visible()  # JS on: shown in its room


def test_results_come_before_the_filters_for_a_keyboard(new_context, viewport, live_server):
    """From the top of the page, Tab reaches the first result before any filter control,
    and "Skip to results" gets there in two keys; with and without JavaScript."""
    for js in (True, False):
        page = new_context(viewport, java_script_enabled=js).new_page()
        page.goto(live_server + KNEE)
        stops = []
        for _ in range(40):
            page.keyboard.press("Tab")
            now = page.evaluate(FOCUSED)
            stops.append(now)
            if now["inCard"]:
                break
        assert stops[-1]["inCard"], f"Tab never reached a result (js={js}): {stops}"
        assert not any(s["inFilters"] or s["type"] == "checkbox" for s in stops), stops
        assert len(stops) <= 20, f"{len(stops)} Tab stops before the first result"

        page.goto(live_server + KNEE)
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-link", has_text="Skip to results")
        expect(skip).to_be_focused()
        expect(skip).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.locator("#results")).to_be_focused()
        page.keyboard.press("Tab")
        # the filters link, the sort box or the first card: never a filter checkbox
        assert not page.evaluate(FOCUSED)["inFilters"]


def test_filters_are_beside_results_on_desktop_and_after_them_on_a_phone(
    new_context, viewport, live_server
):
    for js in (True, False):
        page = new_context(viewport, java_script_enabled=js).new_page()
        page.goto(live_server + KNEE)
        results = page.locator("#results").bounding_box()
        filters = page.locator("#filters").bounding_box()
        if viewport == "desktop":
            assert filters["x"] + filters["width"] <= results["x"]  # a column on the left
            assert abs(filters["y"] - results["y"]) < 5
        else:
            assert filters["y"] >= results["y"] + results["height"]
            # the way to them is at the top, and works without script (an anchor)
            page.get_by_role("link", name=re.compile(r"^Filters")).click()
            assert page.url.endswith("#filters")
            expect(page.get_by_role("checkbox", name=re.compile("^Accepting"))).to_be_in_viewport()


def test_the_next_step_leads_each_card(vpage, viewport, live_server):
    vpage.goto(live_server + KNEE)
    cards = vpage.locator(".provider-card")
    expect(cards.first).to_be_visible()
    _shot(vpage, f"results-knee-98104-{viewport}")
    for card in cards.all()[:10]:
        call = card.locator("a.book-call")
        expect(call).to_have_attribute("href", re.compile(r"^tel:\+1\d{10}$"))
        expect(call).to_contain_text(re.compile(r"Call (to book|the clinic)"))
        expect(card.locator(".next-step .distance")).to_contain_text(re.compile(r"miles? away"))
        box = call.bounding_box()
        assert box["height"] >= 44
        # the call button comes before the badges, languages and other clinics
        for later in card.locator(".badges, .provider-languages, .other-clinics").all():
            assert later.bounding_box()["y"] >= box["y"] + box["height"]
        # the initials placeholder is small; a photo may be larger
        avatar = card.locator(".avatar-initials")
        if avatar.count():
            size = avatar.bounding_box()
            assert size["width"] <= 40 and size["height"] <= 40
    if viewport == "phone":
        # the first provider's call button is on the first screen
        first = cards.first.locator("a.book-call").bounding_box()
        assert first["y"] + first["height"] <= 844


def test_cards_and_profile_list_the_nearest_clinic_first(vpage, viewport, live_server):
    """Molly Fitzgerald's staff order is Renton, then First Hill (0.1 miles from 98104)."""
    vpage.goto(live_server + "/find-a-doctor?q=molly+fitzgerald&location=98104")
    card = vpage.locator(".provider-card").first
    expect(card.locator(".next-step")).to_contain_text("First Hill")
    expect(card.locator(".other-clinics")).to_contain_text("Renton")
    card.locator(".provider-name a").click()
    vpage.wait_for_url(re.compile(r"/providers/molly-fitzgerald-md\?location=98104"))
    expect(vpage.locator(".profile-next .next-step")).to_contain_text("First Hill")
    blocks = vpage.locator(".clinic-block h3")
    expect(blocks.first).to_contain_text("First Hill")
    expect(blocks.nth(1)).to_contain_text("Renton")
    call = vpage.locator(".profile-next a.book-call")
    expect(call).to_have_attribute("href", re.compile(r"^tel:\+1\d{10}$"))
    _shot(vpage, f"profile-nearest-first-{viewport}")
    # Without a place, the staff's order stands.
    vpage.goto(live_server + "/providers/molly-fitzgerald-md")
    expect(vpage.locator(".clinic-block h3").first).to_contain_text("Renton")


def test_typeahead_condition_moves_to_location_then_searches_with_it(page, live_server):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/find-a-doctor")
    box = page.get_by_role("combobox", name="Name, specialty or condition")
    box.focus()
    page.keyboard.type("knee pa", delay=30)
    option = page.get_by_role("option", name=re.compile("^Knee pain"))
    expect(option).to_be_visible()
    option.click()
    location = page.get_by_label("Location")
    expect(location).to_be_focused()
    expect(box).to_have_value("Knee pain")
    assert page.url.endswith("/find-a-doctor")  # no search yet
    location.fill("98104")
    location.press("Enter")
    page.wait_for_url(re.compile(r"q=knee\+pain.*location=98104|location=98104.*q=knee\+pain"))
    expect(page.locator(".results-heading")).to_contain_text("near ZIP 98104")
    assert errors == []


def test_typeahead_specialty_keeps_its_filter_and_a_provider_opens_the_profile(page, live_server):
    page.goto(live_server + "/find-a-doctor")
    box = page.get_by_role("combobox", name="Name, specialty or condition")
    box.focus()
    page.keyboard.type("physio", delay=30)
    expect(page.get_by_role("option", name=re.compile("Physical Therapist")).first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Location")).to_be_focused()
    page.get_by_role("button", name="Search", exact=True).click()  # no place: search anyway
    page.wait_for_url(re.compile(r"specialty=physical-therapist"))

    # A place already given: choosing a specialty searches at once, with the place.
    page.goto(live_server + "/find-a-doctor?q=&location=98104")
    page.get_by_label("Location").fill("98104")
    box.focus()
    page.keyboard.type("physio", delay=30)
    expect(page.get_by_role("option", name=re.compile("Physical Therapist")).first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"specialty=physical-therapist.*location=98104"))

    page.goto(live_server + "/find-a-doctor")
    box.focus()
    page.keyboard.type("jonhson", delay=30)
    expect(page.get_by_role("option", name=re.compile("Marcus Johnson"))).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/providers/marcus-johnson-dpt")


def test_a_query_that_matched_nothing_says_so(vpage, viewport, live_server):
    vpage.goto(live_server + "/find-a-doctor?q=zzzz")
    heading = vpage.locator(".results-heading")
    expect(heading).to_have_text("No match for “zzzz”")
    expect(vpage.locator("main")).not_to_contain_text(re.compile(r"\d+ providers? found"))
    phone = vpage.locator(".fallback-notice a.phone")
    expect(phone).to_have_attribute("href", re.compile(r"^tel:\+1\d{10}$"))
    _shot(vpage, f"results-no-match-{viewport}")


def test_result_states_pass_axe(new_context, axe, viewport, live_server):
    """With the site's scripts and without them (they are blocked, so the page is what a
    browser without JavaScript gets, while axe itself can still run)."""
    for js in (True, False):
        page = new_context(viewport, bypass_csp=True).new_page()
        if not js:
            page.route(re.compile(r".*/assets/js/.*"), lambda route: route.abort())
        for url in (
            KNEE,
            "/find-a-doctor?q=zzzz",
            "/find-a-doctor?q=hypermobility&accepting=1",
            "/providers/molly-fitzgerald-md?location=98104",
            "/providers/molly-fitzgerald-md?location=nowhere+at+all",
            "/specialties/physical-therapist",
        ):
            page.goto(live_server + url)
            if js and url == KNEE:
                page.keyboard.press("Tab")
                page.keyboard.press("Tab")  # the focused skip link, drawn
            axe(page, f"{url} at {viewport} (js={js})")
