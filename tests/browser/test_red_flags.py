"""Red flags and everyday words in Chromium: with and without JavaScript, the same words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.site import goto_ok

FLAGS = json.loads(
    (Path(__file__).resolve().parents[2] / "seed_data" / "red_flags.json").read_text()
)
EMERGENCY = FLAGS["levels"]["emergency"]
CRISIS = FLAGS["levels"]["crisis"]


def test_emergency_notice_comes_first_without_javascript(nojs_page, live_server):
    page = nojs_page
    goto_ok(page, live_server + "/find-a-doctor?q=chest+pain")
    region = page.get_by_role("region", name=EMERGENCY["heading"])
    expect(region).to_be_visible()
    expect(region).to_contain_text(EMERGENCY["message"])
    expect(region.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    # Above any result: the notice precedes the results heading in the document.
    order = page.evaluate(
        """() => {
          const notice = document.querySelector('.red-flag');
          const results = document.getElementById('results-heading');
          return notice.compareDocumentPosition(results) & Node.DOCUMENT_POSITION_FOLLOWING;
        }"""
    )
    assert order, "the emergency notice must come before the results"
    expect(page.locator(".provider-card").first).to_be_visible()  # cardiology follows


def test_crisis_line_for_suicidal_thoughts(nojs_page, live_server, record_requests):
    recorder = record_requests(nojs_page)
    goto_ok(nojs_page, live_server + "/find-a-doctor?q=suicidal")
    region = nojs_page.get_by_role("region", name=CRISIS["heading"])
    expect(region).to_contain_text("988")
    expect(region.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(region.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")
    chat = region.get_by_role("link", name="Chat at 988lifeline.org")
    expect(chat).to_have_attribute("href", "https://988lifeline.org/")
    # A link to follow: loading the page asked nothing of the other site.
    recorder.assert_same_origin()


NOTICE_STYLE = """el => {
  const box = el.closest('.red-flag'), s = getComputedStyle(el), b = getComputedStyle(box);
  return {button: s.backgroundColor, text: s.color,
          box: b.backgroundColor, edge: b.borderLeftColor};
}"""


def test_emergency_notices_look_the_same_everywhere(new_context, live_server):
    """The 911 button on search and on find-care, and the 988 one: one red style, tel: links."""
    page = new_context("phone").new_page()
    styles = {}
    for where, path, name in [
        ("search", "/find-a-doctor?q=chest+pain", "Call 911"),
        ("find-care", "/find-care?asked=signs&sign=bladder-bowel", "Call 911"),
        ("crisis", "/find-a-doctor?q=suicidal", "Call 988"),
    ]:
        goto_ok(page, live_server + path)
        call = page.locator(".red-flag").get_by_role("link", name=name)
        expect(call).to_have_attribute("href", "tel:" + name.split()[-1])
        styles[where] = call.evaluate(NOTICE_STYLE)
    assert styles["search"] == styles["find-care"] == styles["crisis"], styles
    assert styles["search"]["button"] == "rgb(164, 22, 26)", "the call button is not red"


def test_typeahead_shows_the_same_crisis_words(page, live_server):
    goto_ok(page, live_server + "/find-a-doctor")
    box = page.get_by_role("combobox", name="Name, specialty or condition")
    box.focus()
    page.keyboard.type("suicidal", delay=20)
    alert = page.locator(".combo-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(CRISIS["message"])
    expect(alert).to_have_attribute("role", "alert")
    expect(alert.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(alert.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")
    expect(alert.get_by_role("link", name="Chat at 988lifeline.org")).to_be_visible()
    typeahead_style = alert.get_by_role("link", name="Call 988").evaluate(NOTICE_STYLE)
    box.fill("")
    page.keyboard.type("kn", delay=20)
    expect(alert).to_be_hidden()
    goto_ok(page, live_server + "/find-a-doctor?q=suicidal")
    page_style = (
        page.locator(".red-flag").get_by_role("link", name="Call 988").evaluate(NOTICE_STYLE)
    )
    assert typeahead_style == page_style, "the typeahead's notice differs from the page's"


def test_typeahead_groups_conditions_with_the_care_they_lead_to(page, live_server):
    goto_ok(page, live_server + "/find-a-doctor")
    box = page.get_by_role("combobox", name="Name, specialty or condition")
    box.focus()
    page.keyboard.type("knee pai", delay=30)
    group = page.get_by_role("group", name="Conditions")
    option = group.get_by_role("option", name=re.compile("Knee pain"))
    expect(option).to_be_visible()
    expect(option).to_contain_text("→")
    option.click()
    # Location is empty: the choice asks for a place first, then searches.
    expect(page.get_by_label("Location")).to_be_focused()
    page.get_by_label("Location").press("Enter")
    page.wait_for_url(re.compile(r"q=knee\+pain"))
    expect(page.locator(".provider-card").first).to_be_visible()


def test_nothing_matched_shows_primary_care_and_the_phone_line(nojs_page, live_server):
    goto_ok(nojs_page, live_server + "/find-a-doctor?q=tummy+zzqx")
    notice = nojs_page.locator(".callout.notice")
    expect(notice).to_contain_text("primary care")
    expect(notice).to_contain_text("555-0100")
    expect(nojs_page.locator(".provider-card").first).to_be_visible()


@pytest.mark.parametrize("q", ["chest+pain", "suicidal"])
def test_red_flag_page_is_accessible(axe_page, axe, live_server, q):
    goto_ok(axe_page, live_server + "/find-a-doctor?q=" + q)
    axe(axe_page)
