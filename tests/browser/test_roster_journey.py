"""A front desk's small roster file, end to end in Chromium: preview, confirm, apply, undo.

Screenshots of each step go to ``artifacts/roster-*.png`` for people to look at.
"""

from __future__ import annotations

import re

from tests.browser.conftest import ARTIFACTS
from tests.browser.site import goto_ok

FILE = (
    "npi,first_name,last_name,credentials,gender,specialties,location_name,address,city,"
    "state,zip,phone,languages,accepting_new_patients,telehealth,insurance,bio\n"
    ",Ngozi,Okafor,,,,,,,,,,,yes,,(clear),\n"
)


def _shot(page, viewport: str, step: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"roster-{step}-{viewport}.png"), full_page=True)


def _plans_on_the_form(page, live_server: str) -> dict[str, list[str]]:
    """The plans ticked on Ngozi Okafor's edit form: plans in no network, and networks per
    clinic (a network takes all its plans)."""
    goto_ok(page, live_server + "/staff/providers?q=okafor")
    page.locator("main a[href*='/edit']").first.click()
    page.wait_for_load_state()
    ticked = page.locator("input[name=insurance]:checked")
    networks = page.locator("input[name^='network_']:checked")
    return {
        "plans": sorted(ticked.nth(i).get_attribute("value") for i in range(ticked.count())),
        "networks": sorted(
            f"{networks.nth(i).get_attribute('name')}={networks.nth(i).get_attribute('value')}"
            for i in range(networks.count())
        ),
    }


def test_small_roster_preview_confirm_apply_and_undo(
    axe_page, axe, live_server, login, tmp_path, viewport
):
    page = axe_page
    login(page)
    before = _plans_on_the_form(page, live_server)
    assert before["plans"] or before["networks"]
    goto_ok(page, live_server + "/staff/roster")
    roster = tmp_path / "desk.csv"
    roster.write_text(FILE, encoding="utf-8")
    page.locator("main input[type=file]").set_input_files(str(roster))
    page.locator("main form:has(input[type=file]) [type=submit]").first.click()
    page.wait_for_load_state()
    main = page.locator("main")
    # What the file changes, and what it clears, is on screen before anything is written.
    assert "1 value will be cleared on 1 listing" in main.inner_text()
    assert main.get_by_role("table", name="Values to clear").count() == 1
    okafor = main.get_by_role("table", name=re.compile("Ngozi Okafor"))
    assert "accepting_new_patients" in okafor.inner_text()
    assert "bio" not in okafor.inner_text()  # a blank cell changes nothing
    _shot(page, viewport, "preview")
    axe(page, "roster preview with values to clear")
    page.get_by_role("button", name="Apply the import").click()
    page.wait_for_load_state()
    assert "Tick “Yes, clear these values”" in page.locator(".error-summary").inner_text()
    axe(page, "roster preview asking to confirm")
    page.get_by_label("Yes, clear this value").check()
    page.get_by_role("button", name="Apply the import").click()
    page.wait_for_selector("text=Roster applied", timeout=30_000)
    _shot(page, viewport, "applied")
    axe(page, "roster job applied")
    job_url = page.url
    cleared = _plans_on_the_form(page, live_server)
    assert cleared == {"plans": [], "networks": []}  # "(clear)" clears every plan
    goto_ok(page, job_url)
    page.get_by_role("button", name="Undo this import").click()
    page.wait_for_selector("text=Undone", timeout=30_000)
    _shot(page, viewport, "undone")
    axe(page, "roster job undone")
    assert _plans_on_the_form(page, live_server) == before  # undo puts every plan back
