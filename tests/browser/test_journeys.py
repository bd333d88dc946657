"""The four journeys of the issue, at phone and desktop size; patient journeys also without JS,
in English and in Spanish (the labels from the catalog the pages use).

They use only public URLs, roles, labels and visible text, as a person (or screen reader) would.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.site import LANGS, goto_ok, words

JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="nojs")]
DISTANCE = re.compile(r"(\d+(?:[.,]\d+)?)\s*mi")  # "4.9 miles", "4,9 millas"
# Data, not the catalog: a specialty's and a language's names in each language.
PHYSICAL_THERAPY = {"en": r"physical therap", "es": r"fisioterap"}
ENGLISH = {"en": "English", "es": "Inglés"}


@pytest.fixture(params=JS_MODES)
def js(request) -> bool:
    """Run the patient journeys with JavaScript on and off."""
    return request.param


@pytest.fixture(params=list(LANGS))
def lang(request) -> str:
    """Run the patient journeys on the English pages and on their Spanish twins."""
    return request.param


@pytest.fixture
def patient_page(new_context, viewport, js):
    """A page at the parametrised viewport, with JavaScript on or off."""
    return new_context(viewport, java_script_enabled=js).new_page()


def starts(text: str) -> re.Pattern:
    """A name that begins with ``text`` (a label followed by a count or a hint)."""
    return re.compile("^" + re.escape(text))


def search_form(page, lang: str):
    return page.get_by_role("search", name=words(lang)("Find a doctor"))


def card_distances(page) -> list[float]:
    """The nearest clinic's distance on each result card, in page order."""
    distances = []
    for text in page.get_by_role("article").all_inner_texts():
        found = [float(m.replace(",", ".")) for m in DISTANCE.findall(text)]
        if found:
            distances.append(min(found))
    return distances


def test_patient_with_a_spine_injury_reaches_a_nearby_physical_therapist(
    patient_page, live_server, lang
):
    page, t, prefix = patient_page, words(lang), LANGS[lang]
    goto_ok(page, live_server + prefix + "/")
    title = re.compile(r"exercise for the spine|ejercicio para la columna", re.I)
    page.get_by_role("link", name=title).first.click()
    page.wait_for_url(f"**{prefix}/health/exercise-for-the-spine")
    callout = (
        page.get_by_role("complementary").filter(has_text=re.compile("injury|lesión", re.I)).first
    )
    callout.get_by_role("link", name=t("Find a physical therapist")).click()
    page.wait_for_url(re.compile(prefix + r"/find-a-doctor\?.*specialty=physical-therapist"))

    form = search_form(page, lang)
    form.get_by_label(starts(t("Location"))).fill("98104")
    form.get_by_role("button", name=t("Search")).click()
    page.wait_for_url(re.compile(r"location=98104"))
    page.get_by_label(t("Sort by")).select_option("distance")
    if "sort=distance" not in page.url:
        page.get_by_role("button", name=t("Sort"), exact=True).click()
    page.wait_for_url(re.compile(r"sort=distance"))
    assert "specialty=physical-therapist" in page.url, "the specialty was lost on the way"

    distances = card_distances(page)
    assert len(distances) >= 2, "expected several physical therapists with distances"
    assert distances == sorted(distances), f"not sorted by distance: {distances}"

    first = page.get_by_role("article").first
    first.get_by_role("heading").get_by_role("link").click()
    # the profile keeps the place, to list the nearest clinic first
    page.wait_for_url(re.compile(prefix + r"/providers/[\w-]+\?location=98104$"))
    assert re.search(PHYSICAL_THERAPY[lang], page.locator("main").inner_text(), re.I)
    phone = page.locator("main a[href^='tel:']").first
    assert phone.is_visible(), "the profile has no visible phone link"
    assert re.fullmatch(r"tel:\+?[\d-]{10,}", phone.get_attribute("href") or "")


def test_patient_who_misspells_a_name_reaches_the_profile_by_keyboard(
    patient_page, live_server, js, lang
):
    """With JS: the typeahead, as a combobox. Without: the same box as a plain search form."""
    page, prefix = patient_page, LANGS[lang]
    goto_ok(page, live_server + prefix + "/find-a-doctor")
    label = re.compile(re.escape(words(lang)("Name, specialty or condition")), re.I)
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
    page.wait_for_url(re.compile(prefix + r"/providers/maria-nunez"))
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


def _filters(page, lang: str):
    panel = page.get_by_role("complementary", name=starts(words(lang)("Filters")))
    details = panel.locator("details").first
    if details.count() and details.get_attribute("open") is None:
        panel.locator("summary").first.click()
    return panel


def _choose_filter(page, lang: str, name: re.Pattern, param: str, js: bool) -> None:
    box = _filters(page, lang).get_by_role("checkbox", name=name).first
    box.focus()
    page.keyboard.press("Space")  # by keyboard, as filter controls must allow
    if js:  # filters update the results as soon as they change
        page.wait_for_url(re.compile(param))
    else:
        assert box.is_checked()


def test_patient_filters_paginates_and_removes_a_chip(patient_page, live_server, js, lang):
    page, t, english = patient_page, words(lang), ENGLISH[lang]
    accepting = t("Accepting new patients")
    goto_ok(page, live_server + LANGS[lang] + "/find-a-doctor?location=98104")
    _choose_filter(page, lang, starts(english), r"language=en", js)
    _choose_filter(page, lang, starts(accepting), r"accepting=1", js)
    if not js:
        _filters(page, lang).get_by_role("button", name=t("Apply filters")).click()
    page.wait_for_url(re.compile(r"(?=.*language=en)(?=.*accepting=1)"))
    assert page.get_by_role("article").count() == 20, "expected a full first page of 20"
    badges = page.get_by_role("article").filter(has_text=t("Not accepting new patients"))
    assert badges.count() == 0, "a provider not accepting new patients is listed"

    pages = page.get_by_role("navigation", name=t("Result pages"))
    pages.get_by_role("link", name=starts(t("Next"))).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=2"))
    current = page.get_by_role("link", name=re.compile(re.escape(t("Page")) + r"\s*2"))
    assert current.get_attribute("aria-current")
    assert page.get_by_role("article").count() > 0

    chips = page.get_by_role("list", name=t("Active filters"))
    remove = re.compile(f"{re.escape(english)}.*{re.escape(t('remove filter'))}", re.I)
    chips.get_by_role("link", name=remove).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "language=en" not in url)
    assert "accepting=1" in page.url, "removing one chip removed the other filter too"
    chips = page.get_by_role("list", name=t("Active filters"))
    assert chips.get_by_role("link", name=re.compile(english, re.I)).count() == 0
    assert chips.get_by_role("link", name=re.compile(re.escape(accepting), re.I)).count() == 1


@pytest.mark.parametrize("lang, other", [("en", "es"), ("es", "en")])
def test_language_switch_keeps_the_search(nojs_page, live_server, lang, other):
    """The switch is a plain link (no script needed): the same search, filters and page in
    the other language."""
    page = nojs_page
    query = "/find-a-doctor?q=&location=98104&accepting=1&page=2"
    goto_ok(page, live_server + LANGS[lang] + query)
    count = page.get_by_role("article").count()
    assert count > 0
    switch = page.locator(f"a.lang-switch[hreflang='{other}']")
    assert switch.get_attribute("lang") == other
    with page.expect_navigation():
        switch.click()
    assert page.url == live_server + LANGS[other] + query
    assert page.locator("html").get_attribute("lang") == other
    assert page.get_by_role("article").count() == count
    t = words(other)
    form = search_form(page, other)
    assert form.get_by_label(starts(t("Location"))).input_value() == "98104"
    filters = _filters(page, other)
    assert filters.get_by_role("checkbox", name=starts(t("Accepting new patients"))).is_checked()
    current = page.get_by_role("link", name=re.compile(re.escape(t("Page")) + r"\s*2"))
    assert current.get_attribute("aria-current") == "page"


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
