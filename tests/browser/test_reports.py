"""A patient reports a wrong phone number; the front desk works it from the inbox.

With and without JavaScript, at phone and desktop sizes; axe at each step; no cookie set
for the patient. Screenshots go to ``artifacts/report-*.png``.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.site import goto_ok


def _report(page, live_server: str, viewport: str, label: str, axe=None) -> None:
    goto_ok(page, live_server + "/find-a-doctor?q=okafor")
    page.locator("main a[href^='/providers/']").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="report a problem with this listing").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Report a problem with this listing").count() == 1
    if axe:
        axe(page, "report form")
    page.get_by_role("button", name="Send the report").click()  # nothing chosen yet
    page.wait_for_load_state()
    assert "Choose what is wrong." in page.locator(".error-summary").inner_text()
    if axe:
        axe(page, "report form with an error")
    page.get_by_label("Wrong phone number").check()
    page.get_by_label("Tell us more (optional)").fill(f"{label}: the number is a fax line.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-form-{label}.png"), full_page=True)
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Thank you").count() == 1
    assert "within one business day" in page.locator("main").inner_text()
    if axe:
        axe(page, "report sent")
    assert page.context.cookies() == []  # a patient gets no cookie, even after a POST


def test_patient_reports_a_problem_with_javascript(axe_page, axe, live_server, viewport):
    _report(axe_page, live_server, viewport, f"js-{viewport}", axe)


def test_patient_reports_a_problem_without_javascript(nojs_page, live_server, viewport):
    _report(nojs_page, live_server, viewport, f"nojs-{viewport}")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_front_desk_fixes_a_report_from_the_inbox(axe_page, axe, live_server, login, viewport):
    page = axe_page
    _report(page, live_server, viewport, "inbox")
    login(page)
    dashboard = page.locator("main")
    dashboard.get_by_role("link", name=re.compile("Reports from patients")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/staff/reports")
    row = page.locator("tbody tr", has_text="inbox: the number is a fax line.")
    assert row.count() == 1 and "Wrong phone number" in row.inner_text()
    axe(page, "reports inbox")
    page.screenshot(path=str(ARTIFACTS / "report-inbox.png"), full_page=True)
    row.locator("select").select_option("fixed")
    row.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "is now “Fixed”" in page.locator(".flashes").inner_text()
    assert page.locator("tbody tr", has_text="inbox: the number is a fax line.").count() == 0
    page.get_by_role("link", name=re.compile(r"^Fixed \(")).click()
    page.wait_for_load_state()
    assert page.locator("tbody tr", has_text="inbox: the number is a fax line.").count() == 1
    axe(page, "fixed reports")
