"""The four journeys of the issue, at phone and desktop size; patient journeys also without JS.

They use only public URLs, roles, labels and visible text, as a person (or screen reader) would.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.site import goto_ok

JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="nojs")]
DISTANCE = re.compile(r"(\d+(?:\.\d+)?)\s*mi")


@pytest.fixture(params=JS_MODES)
def js(request) -> bool:
    """Run the patient journeys with JavaScript on and off."""
    return request.param


@pytest.fixture
def patient_page(new_context, viewport, js):
    """A page at the parametrised viewport, with JavaScript on or off."""
    return new_context(viewport, java_script_enabled=js).new_page()


def search_form(page):
    return page.get_by_role("search", name="Find a doctor")


def card_distances(page) -> list[float]:
    """The nearest clinic's distance on each result card, in page order."""
    distances = []
    for text in page.get_by_role("article").all_inner_texts():
        found = [float(m) for m in DISTANCE.findall(text)]
        if found:
            distances.append(min(found))
    return distances


def test_patient_with_a_spine_injury_reaches_a_nearby_physical_therapist(patient_page, live_server):
    page = patient_page
    goto_ok(page, live_server + "/")
    page.get_by_role("link", name=re.compile(r"exercise for the spine", re.I)).first.click()
    page.wait_for_url("**/health/exercise-for-the-spine")
    callout = page.get_by_role("complementary").filter(has_text=re.compile("injury", re.I)).first
    callout.get_by_role("link", name=re.compile(r"find a physical therapist", re.I)).click()
    page.wait_for_url(re.compile(r"/find-a-doctor\?.*specialty=physical-therapist"))

    form = search_form(page)
    form.get_by_label(re.compile(r"^Location")).fill("98104")
    form.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"location=98104"))
    page.get_by_label("Sort by").select_option("distance")
    if "sort=distance" not in page.url:
        page.get_by_role("button", name="Sort", exact=True).click()
    page.wait_for_url(re.compile(r"sort=distance"))
    assert "specialty=physical-therapist" in page.url, "the specialty was lost on the way"

    distances = card_distances(page)
    assert len(distances) >= 2, "expected several physical therapists with distances"
    assert distances == sorted(distances), f"not sorted by distance: {distances}"

    first = page.get_by_role("article").first
    first.get_by_role("heading").get_by_role("link").click()
    # the profile keeps the place, to list the nearest clinic first
    page.wait_for_url(re.compile(r"/providers/[\w-]+\?location=98104$"))
    assert re.search(r"physical therap", page.locator("main").inner_text(), re.I)
    phone = page.locator("main a[href^='tel:']").first
    assert phone.is_visible(), "the profile has no visible phone link"
    assert re.fullmatch(r"tel:\+?[\d-]{10,}", phone.get_attribute("href") or "")


def test_patient_who_misspells_a_name_reaches_the_profile_by_keyboard(
    patient_page, live_server, js
):
    """With JS: the typeahead, as a combobox. Without: the same box as a plain search form."""
    page = patient_page
    goto_ok(page, live_server + "/find-a-doctor")
    label = re.compile(r"name, specialty or condition", re.I)
    box = page.get_by_role("combobox" if js else "searchbox", name=label)
    box.focus()
    page.keyboard.type("maria nunes", delay=30)
    if js:
        _pick_suggestion(page, box, "Núñez")
    else:
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    if "/providers/" not in page.url:
        link = page.get_by_role("link", name=re.compile(r"María.*Núñez")).first
        link.focus()
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/providers/maria-nunez"))
    assert "Núñez" in page.get_by_role("heading", level=1).inner_text()


def _pick_suggestion(page, box, text: str) -> None:
    """Arrow down the combobox's listbox to the option holding ``text``, then press Enter."""
    page.get_by_role("option", name=re.compile(text)).first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls"), "the combobox does not name its listbox"
    for _ in range(12):
        page.keyboard.press("ArrowDown")
        active = box.get_attribute("aria-activedescendant")
        assert active, "ArrowDown did not move the active option (aria-activedescendant)"
        option = page.locator(f"[id='{active}']")
        assert option.get_attribute("role") == "option"
        if text in option.inner_text():
            assert option.get_attribute("aria-selected") == "true"
            break
    else:
        pytest.fail(f"the misspelled name never reached an option for {text}")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _filters(page):
    panel = page.get_by_role("complementary", name=re.compile(r"^Filters"))
    details = panel.locator("details").first
    if details.count() and details.get_attribute("open") is None:
        panel.locator("summary").first.click()
    return panel


def _choose_filter(page, name: re.Pattern, param: str, js: bool) -> None:
    box = _filters(page).get_by_role("checkbox", name=name).first
    box.focus()
    page.keyboard.press("Space")  # by keyboard, as filter controls must allow
    if js:  # filters update the results as soon as they change
        page.wait_for_url(re.compile(param))
    else:
        assert box.is_checked()


def test_patient_filters_paginates_and_removes_a_chip(patient_page, live_server, js):
    page = patient_page
    goto_ok(page, live_server + "/find-a-doctor?location=98104")
    _choose_filter(page, re.compile(r"^English"), r"language=en", js)
    _choose_filter(page, re.compile(r"^Accepting new patients"), r"accepting=1", js)
    if not js:
        _filters(page).get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"(?=.*language=en)(?=.*accepting=1)"))
    assert page.get_by_role("article").count() == 20, "expected a full first page of 20"
    badges = page.get_by_role("article").filter(has_text="Not accepting new patients")
    assert badges.count() == 0, "a provider not accepting new patients is listed"

    pages = page.get_by_role("navigation", name="Result pages")
    pages.get_by_role("link", name=re.compile(r"^Next")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=2"))
    assert page.get_by_role("link", name=re.compile(r"Page 2")).get_attribute("aria-current")
    assert page.get_by_role("article").count() > 0

    chips = page.get_by_role("list", name="Active filters")
    chips.get_by_role("link", name=re.compile(r"English.*remove", re.I)).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "language=en" not in url)
    assert "accepting=1" in page.url, "removing one chip removed the other filter too"
    chips = page.get_by_role("list", name="Active filters")
    assert chips.get_by_role("link", name=re.compile(r"English", re.I)).count() == 0
    assert chips.get_by_role("link", name=re.compile(r"Accepting", re.I)).count() == 1


FRONT_DESK_PROVIDER = "Tyrone Mitchell"


def test_front_desk_edits_a_listing_and_sees_it_in_search_and_history(vpage, live_server, login):
    page = vpage
    login(page)
    goto_ok(page, live_server + "/staff/providers?q=" + FRONT_DESK_PROVIDER.split()[-1])
    page.get_by_role("link", name=re.compile(FRONT_DESK_PROVIDER)).first.click()
    page.wait_for_url(re.compile(r"/staff/providers/\d+/edit"))
    edit_url = page.url
    accepting = page.get_by_label("Accepting new patients", exact=True)
    now_accepting = not accepting.is_checked()
    accepting.set_checked(now_accepting)
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("status").filter(has_text=re.compile("saved|updated", re.I)).count()

    expected = "Accepting new patients" if now_accepting else "Not accepting new patients"
    public = page.context.new_page()
    deadline = time.monotonic() + 2.0
    while True:
        goto_ok(public, live_server + "/find-a-doctor?q=" + FRONT_DESK_PROVIDER.replace(" ", "+"))
        card = public.get_by_role("article").filter(has_text=FRONT_DESK_PROVIDER).first
        badges = card.get_by_role("list", name="Availability").inner_text()
        if expected in badges and (now_accepting or "Not accepting" in badges):
            break
        assert time.monotonic() < deadline, f"public search still shows {badges!r} after 2 s"
        time.sleep(0.2)
    public.close()

    goto_ok(page, edit_url.replace("/edit", "/history"))
    history = page.locator("main").inner_text()
    assert STAFF_EMAIL_RE.search(history), "the history does not name who made the change"
    assert re.search(r"accepting", history, re.I), "the history does not show the change"


STAFF_EMAIL_RE = re.compile(r"desk@example\.org")
