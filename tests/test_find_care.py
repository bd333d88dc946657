"""The guided Find care flow: red flags first, then the injury question, never a 500."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.public.find_care import RED_FLAGS, clean_location, decide_step
from tests.fixtures.html import Page

NOT_ADVICE = "This is general information, not medical advice."
EMERGENCY = "Call 911 or go to the nearest emergency room now"
RED_FLAG_WORDING = [
    "New loss of bladder or bowel control",
    "Numbness in the groin or inner thighs",
    "New or worsening weakness in the legs",
    "Back pain after a fall or accident",
    "Back pain with fever or unexplained weight loss",
]


def get(client, url: str) -> Page:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return Page(response.get_data(as_text=True))


def test_step_one_lists_the_five_red_flags_and_none(client):
    page = get(client, "/find-care")
    form = page.find("form", class_="question")[0]
    assert form.attrs["method"] == "get" and form.attrs["action"] == "/find-care"
    labels = [label.text for label in page.find("label", class_="choice")]
    assert labels == [*RED_FLAG_WORDING, "None of these"]
    radios = [i for i in page.find("input") if i.attrs.get("type") == "radio"]
    assert {r.attrs["name"] for r in radios} == {"flag"}
    assert "Step 1 of 2" in page.main_text and NOT_ADVICE in page.main_text
    assert "There is a problem" not in page.main_text


@pytest.mark.parametrize("flag", list(RED_FLAGS))
def test_any_red_flag_leads_to_emergency_without_a_directory_search(client, flag):
    page = get(client, f"/find-care?flag={flag}")
    assert page.find("h1")[0].text == EMERGENCY
    assert RED_FLAGS[flag] in page.main_text
    assert "tel:911" in page.links()
    assert not any("find-a-doctor" in href for href in page.links())
    assert not page.find("form") and not page.find("input")
    assert NOT_ADVICE in page.main_text


@pytest.mark.parametrize(
    "query", ["flag=leg-weakness&injury=no", "flag=none&flag=fall-accident&injury=yes"]
)
def test_a_red_flag_always_wins(client, query):
    page = get(client, f"/find-care?{query}")
    assert page.find("h1")[0].text == EMERGENCY


def test_none_of_these_asks_about_injury(client):
    page = get(client, "/find-care?flag=none")
    legend = page.find("legend")[0].text
    assert legend == (
        "Do you already have an injury or damage to your spine, or have you had spine surgery?"
    )
    hidden = [i.attrs for i in page.find("input") if i.attrs.get("type") == "hidden"]
    assert {"type": "hidden", "name": "flag", "value": "none"} in hidden
    assert {"type": "hidden", "name": "asked", "value": "injury"} in hidden
    assert [label.text for label in page.find("label", class_="choice")] == ["Yes", "No"]
    assert "/find-care" in page.links()  # a way back to step 1
    assert NOT_ADVICE in page.main_text


def test_injury_yes_offers_a_location_search_for_spine_care(client):
    page = get(client, "/find-care?flag=none&injury=yes")
    assert page.find("h1")[0].text == "Talk to a doctor or PT before you start exercising"
    form = page.find("form", class_="location-search")[0]
    assert form.attrs["action"] == "/find-care/search" and form.attrs["method"] == "get"
    field = next(i for i in page.find("input") if i.attrs.get("name") == "location")
    label = next(e for e in page.find("label") if e.attrs.get("for") == field.attrs["id"])
    assert label.text.startswith("ZIP code or city") and "Optional" in label.text
    assert "/find-a-doctor?specialty=physical-therapist" in page.links()
    assert NOT_ADVICE in page.main_text


def test_injury_no_points_to_the_article_and_any_provider(client):
    page = get(client, "/find-care?flag=none&injury=no")
    assert page.find("h1")[0].text == "Start gently and keep moving"
    assert "/health/exercise-for-the-spine" in page.links()
    assert "/find-a-doctor" in page.links()
    assert NOT_ADVICE in page.main_text


def test_search_goes_to_the_spine_path_sorted_by_distance(seeded_client):
    with seeded_client.get("/find-care/search?location=98104") as response:
        assert response.status_code == 303
        target = urlsplit(response.headers["Location"])
    query = parse_qs(target.query)
    assert target.path == "/find-a-doctor"
    assert query["location"] == ["98104"] and query["sort"] == ["distance"]
    assert query["specialty"][0] == "physical-therapist"
    assert "neurological-surgery" in query["specialty"]


def test_search_without_a_location_is_not_sorted_by_distance(seeded_client):
    with seeded_client.get("/find-care/search?location=++") as response:
        query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "sort" not in query and "location" not in query
    assert "physical-medicine-rehabilitation" in query["specialty"]


def test_search_on_an_empty_directory_falls_back_to_the_spine_term(client):
    with client.get("/find-care/search?location=Kirkland") as response:
        query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"q": ["spine"], "location": ["Kirkland"], "sort": ["distance"]}


@pytest.mark.parametrize(
    "query, question",
    [
        ("flag=", "Do you have any of these warning signs?"),
        ("asked=flag", "Do you have any of these warning signs?"),
        ("flag=none&asked=injury", "Do you already have an injury"),
        ("flag=maybe", "Do you have any of these warning signs?"),
        ("flag=NONE", "Do you have any of these warning signs?"),
        ("flag=%ff" + "x" * 5000, "Do you have any of these warning signs?"),
        ("injury=yes", "Do you have any of these warning signs?"),
        ("flag=none&injury=", "Do you already have an injury"),
        ("flag=none&injury=perhaps", "Do you already have an injury"),
        ("flag=none&injury=%3Cscript%3E", "Do you already have an injury"),
    ],
)
def test_unexpected_answers_ask_again(client, query, question):
    with client.get(f"/find-care?{query}") as response:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
    page = Page(html)
    assert page.find("legend")[0].text.startswith(question)
    assert "<script>" not in html
    if query != "injury=yes":
        assert "There is a problem" in page.main_text
        fieldset = page.find("fieldset")[0]
        assert fieldset.attrs["aria-describedby"] in {"flag-error", "injury-error"}


def test_repeated_and_odd_parameters_never_500(client):
    for query in ("flag=none&flag=bladder-bowel", "flag[]=x", "injury=yes&injury=no", "a=b"):
        with client.get(f"/find-care?{query}") as response:
            assert response.status_code == 200
    with client.get("/find-care/search?location=%01" + "9" * 500) as response:
        assert response.status_code == 303
    # A NUL byte is never real input (and PostgreSQL cannot store it): a clear 400.
    for query in ("flag=%00%ff", "location=%00" + "9" * 500):
        with client.get(f"/find-care/search?{query}") as response:
            assert response.status_code == 400


def test_decide_step():
    assert decide_step({}) == ("warning", False)
    assert decide_step({"flag": "zzz"}) == ("warning", True)
    assert decide_step({"flag": "groin-numbness"}) == ("emergency", False)
    assert decide_step({"flag": "none"}) == ("injury", False)
    assert decide_step({"flag": "none", "injury": "x"}) == ("injury", True)
    assert decide_step({"flag": "none", "injury": "yes"}) == ("see_clinician", False)
    assert decide_step({"flag": "none", "injury": "no"}) == ("gentle_start", False)
    assert decide_step({"asked": "flag"}) == ("warning", True)
    assert decide_step({"flag": "none", "asked": "injury"}) == ("injury", True)
    assert decide_step({"flag": "none", "asked": "flag"}) == ("injury", False)


def test_clean_location():
    assert clean_location("  98104\x00\n ") == "98104"
    assert clean_location(None) == ""
    assert len(clean_location("x" * 1000)) == 100
