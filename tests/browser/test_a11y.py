"""axe-core finds no WCAG 2.0/2.1/2.2 A or AA violations on any page, at phone and desktop,
in English and in Spanish."""

from __future__ import annotations

import re

import pytest

from tests.browser.site import LANGS, SEARCH_ZERO, goto_ok
from tests.test_languages import PAGES


@pytest.fixture(params=list(LANGS))
def lang(request: pytest.FixtureRequest) -> str:
    """Each public page in English, then its twin under /es/."""
    return request.param


def open_in(page, url: str, lang: str, status: int = 200) -> None:
    """Open a public path in ``lang`` and check that the page says which language it is in."""
    goto_ok(page, url, status)
    assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_public_page_is_accessible(axe_page, axe, live_server, lang, path):
    open_in(axe_page, live_server + LANGS[lang] + path, lang)
    axe(axe_page)


def test_search_with_zero_results_says_so(axe_page, axe, live_server, lang):
    open_in(axe_page, live_server + LANGS[lang] + SEARCH_ZERO, lang)
    said = r"\bno\b|\b0\b|did you mean|ning[uú]n|quiso decir"
    assert axe_page.get_by_text(re.compile(said, re.I)).count() > 0
    axe(axe_page)


def test_not_found_page_is_accessible(axe_page, axe, live_server, lang):
    open_in(axe_page, live_server + LANGS[lang] + "/no-such-page", lang, status=404)
    axe(axe_page)


# --- staff -------------------------------------------------------------------------------


def test_staff_login_is_accessible(axe_page, axe, live_server):
    goto_ok(axe_page, live_server + "/staff/login")
    axe(axe_page)


def test_staff_login_errors_are_accessible(new_context, axe, live_server):
    """One failed attempt only (desktop): failures count towards the per-client throttle."""
    page = new_context("desktop", bypass_csp=True).new_page()
    goto_ok(page, live_server + "/staff/login")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name=re.compile(r"^(log|sign) ?in$", re.I)).click()
    page.wait_for_load_state()
    assert page.locator(".error-summary, [role=alert]").count() > 0
    axe(page, "staff login with an error")


def test_staff_pages_are_accessible(axe_page, axe, live_server, login):
    page = axe_page
    login(page)
    axe(page, "staff dashboard")
    goto_ok(page, live_server + "/staff/providers")
    axe(page, "staff provider list")


def test_staff_security_pages_are_accessible(axe_page, axe, live_server, login):
    """The security page, authenticator-app set-up (with its QR code) and sessions."""
    page = axe_page
    login(page)
    for path, name in (
        ("/staff/security", "your security"),
        ("/staff/security/totp", "authenticator app set-up"),
        ("/staff/sessions", "your sessions"),
    ):
        goto_ok(page, live_server + path)
        axe(page, name)


def test_staff_provider_edit_with_errors_is_accessible(axe_page, axe, live_server, login):
    page = axe_page
    login(page)
    goto_ok(page, live_server + "/staff/providers")
    edit = page.locator("main a[href*='/edit']").first
    edit.click()
    page.wait_for_url(re.compile(r"/staff/providers/\d+/edit"))
    axe(page, "staff provider edit")
    page.locator("[name=last_name]").fill("")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary, [role=alert]")
    assert summary.count() > 0, "no error summary after an invalid save"
    focused = page.evaluate("() => !!document.activeElement.closest('.error-summary')")
    assert focused, "the error summary did not take focus"
    described = page.locator("[name=last_name]").get_attribute("aria-describedby") or ""
    assert described, "the last_name field is not linked to its error with aria-describedby"
    axe(page, "staff provider edit with errors")


def test_staff_clinic_services_with_errors_are_accessible(axe_page, axe, live_server, login):
    """The clinic form's service rows, and a row the rule refuses, pass axe; the error links
    to its field."""
    page = axe_page
    login(page)
    goto_ok(page, live_server + "/staff/locations")
    page.locator("main a[href*='/locations/'][href$='/edit']").first.click()
    page.wait_for_url(re.compile(r"/staff/locations/\d+/edit"))
    axe(page, "staff clinic edit with services")
    blank = page.locator("#services .service-row").last
    blank.locator("input[name$='-name']").fill("Physio")
    page.locator("main form [type=submit]").last.click()
    page.wait_for_load_state()
    link = page.locator(".error-summary a", has_text="Choose the kind of service.")
    assert link.count() == 1, "the refused service row is not in the error summary"
    target = link.get_attribute("href").lstrip("#")
    described = page.locator(f"#{target}").get_attribute("aria-describedby") or ""
    assert f"{target}-error" in described
    axe(page, "staff clinic edit with a refused service")


def test_staff_roster_import_preview_is_accessible(axe_page, axe, live_server, login, tmp_path):
    page = axe_page
    login(page)
    goto_ok(page, live_server + "/staff/roster")
    axe(page, "staff roster upload")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "first_name,last_name,credentials,specialties,location_name,address,city,state,zip,"
        "phone,languages,accepting_new_patients,telehealth\n"
        "Ana,Lindqvist,PT,225100000X,First Hill Clinic,1100 Madison St,Seattle,WA,98104,"
        "(206) 555-0142,en,yes,no\n"
        ",Missing,MD,207Q00000X,First Hill Clinic,1100 Madison St,Seattle,WA,98104,"
        "(206) 555-0142,en,maybe,no\n",
        encoding="utf-8",
    )
    page.locator("main input[type=file]").set_input_files(str(roster))
    page.locator("main form:has(input[type=file]) [type=submit]").first.click()
    page.wait_for_load_state()
    axe(page, "staff roster import preview")


def test_staff_registry_pages_are_accessible(axe_page, axe, live_server, login):
    """The two queues (due for re-check, registry differences), the NPPES upload page and
    the dashboard's health panel."""
    page = axe_page
    login(page)
    for path, name in (
        ("/staff/re-check", "due for re-check"),
        ("/staff/re-check?age=over-180", "listings by last check"),
        ("/staff/verification", "registry differences"),
        ("/staff/nppes", "NPPES upload"),
    ):
        goto_ok(page, live_server + path)
        axe(page, f"staff {name}")
