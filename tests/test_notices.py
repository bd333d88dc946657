"""Emergency (911) and crisis (988) notices share one macro; the phone menu's markup."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from app import notices

EMERGENCY_PAGES = [
    "/find-a-doctor?q=chest+pain",
    "/find-care?asked=signs&sign=bladder-bowel",
]


def _soup(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _notice(soup: BeautifulSoup):
    notices = soup.select("section.red-flag")
    assert len(notices) == 1, f"expected one red-flag notice, found {len(notices)}"
    return notices[0]


@pytest.mark.parametrize("url", EMERGENCY_PAGES)
def test_every_emergency_notice_is_the_same_red_component(demo_app, url):
    notice = _notice(_soup(demo_app.test_client(), url))
    assert {"callout", "emergency", "red-flag"} <= set(notice["class"])
    assert notice["data-alert-level"] == "emergency"
    heading = notice.find(id=notice["aria-labelledby"])
    assert heading is not None and "red-flag-heading" in heading["class"]
    calls = notice.select("a[href^='tel:']")
    assert [(a["href"], a.get_text(strip=True)) for a in calls] == [("tel:911", "Call 911")]
    # Red ("danger"), never the green default button, on search and on find-care alike.
    assert {"button", "danger", "call-button"} <= set(calls[0]["class"])
    assert notices.alert("emergency").message in notice.get_text(" ", strip=True)


def test_crisis_notice_offers_call_text_and_chat(demo_app):
    notice = _notice(_soup(demo_app.test_client(), "/find-a-doctor?q=suicidal"))
    assert notice["data-alert-level"] == "crisis"
    links = {a.get_text(strip=True): a for a in notice.select("a")}
    assert links["Call 988"]["href"] == "tel:988"
    assert links["Text 988"]["href"] == "sms:988"
    assert links["Chat at 988lifeline.org"]["href"] == "https://988lifeline.org/"
    assert {"button", "danger", "call-button"} <= set(links["Call 988"]["class"])


def test_nothing_is_loaded_from_the_crisis_line_site(demo_app):
    """The chat is a link to follow; the page itself asks nothing of 988lifeline.org."""
    html = demo_app.test_client().get("/find-a-doctor?q=suicidal").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.select("[src], link[href]"):
        assert "988lifeline" not in (tag.get("src") or tag.get("href")), str(tag)
    assert [a["href"] for a in soup.select("a[href*='988lifeline']")] == [
        "https://988lifeline.org/"
    ]


def test_api_alerts_carry_text_and_chat(demo_app):
    client = demo_app.test_client()
    crisis = client.get("/api/v1/suggest?q=suicidal").get_json()["alert"]
    assert crisis["call"] == "988" and crisis["text"] == "988"
    assert crisis["chat"] == "https://988lifeline.org/"
    emergency = client.get("/api/v1/providers?q=chest+pain").get_json()["alert"]
    assert emergency["call"] == "911" and emergency["text"] is None and emergency["chat"] is None


def test_openapi_describes_the_new_alert_fields(demo_app):
    spec = demo_app.test_client().get("/api/v1/openapi.json").get_json()
    properties = spec["components"]["schemas"]["Alert"]["properties"]
    assert {"text", "chat"} <= set(properties)


@pytest.mark.parametrize("url", ["/", "/health/exercise-for-the-spine", "/find-care"])
def test_main_nav_is_a_disclosure_menu_over_a_plain_list(demo_app, url):
    soup = _soup(demo_app.test_client(), url)
    nav = soup.find("nav", attrs={"aria-label": "Main"})
    button = nav.find("button")
    assert button is not None and button.get_text(strip=True) == "Menu"
    assert button["type"] == "button" and button["aria-expanded"] == "false"
    listing = soup.find(id=button["aria-controls"])
    assert listing is not None and listing.name == "ul" and listing.parent is nav
    # The list is in the markup, not hidden by an attribute: without scripts it is shown.
    assert not listing.has_attr("hidden") and len(listing.select("li > a")) == 5
    scripts = [s for s in soup.select("script[src]") if re.search(r"/js/nav\.", s["src"])]
    assert len(scripts) == 1 and scripts[0].has_attr("defer")
