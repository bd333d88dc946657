"""The guided Find care path: checkboxes, the most serious answer decides, never a 500."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.public.find_care import clean_location, read_signs
from app.services import triage
from tests.fixtures.html import Page

NOT_ADVICE = "This is general information, not medical advice."
EMERGENCY = "Call 911 or go to the nearest emergency room now"
TABLE = triage.load()


def get(client, url: str) -> Page:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return Page(response.get_data(as_text=True))


def test_the_question_is_choose_all_that_apply_with_every_sign_as_a_checkbox(client):
    page = get(client, "/find-care")
    form = page.find("form", class_="question")[0]
    assert form.attrs["method"] == "get" and form.attrs["action"] == "/find-care"
    boxes = [i for i in page.find("input") if i.attrs.get("name") == "sign"]
    assert {b.attrs["type"] for b in boxes} == {"checkbox"}
    assert [b.attrs["value"] for b in boxes] == [*TABLE.signs, "none"]
    assert not [i for i in page.find("input") if i.attrs.get("type") == "radio"]
    labels = {label.attrs["for"]: label.text for label in page.find("label")}
    assert labels["sign-none"] == "None of these"
    for sign in TABLE.signs.values():
        assert labels[f"sign-{sign.key}"] == sign.label  # the hint is a description
        box = next(b for b in boxes if b.attrs["value"] == sign.key)
        if sign.hint:
            assert box.attrs["aria-describedby"] == f"sign-{sign.key}-hint"
    assert "Choose all that apply" in page.main_text
    legends = [e.text for e in page.find("legend")]
    assert [g for _, g in TABLE.groups] == legends[1:4]
    assert NOT_ADVICE in page.main_text and "There is a problem" not in page.main_text


@pytest.mark.parametrize(
    "sign", [k for k in TABLE.signs if triage.decide([k]).outcome.key == "emergency"]
)
def test_an_emergency_sign_shows_911_and_no_directory(client, sign):
    page = get(client, f"/find-care?sign={sign}&asked=signs")
    assert page.find("h1")[0].text == EMERGENCY
    assert TABLE.signs[sign].label in page.main_text
    assert "tel:911" in page.links()
    assert not any("find-a-doctor" in h or h.startswith("/providers/") for h in page.links())
    assert not page.find("form") and not page.find("input")
    assert NOT_ADVICE in page.main_text


@pytest.mark.parametrize(
    "query",
    [
        "sign=leg-weakness&sign=none",
        "sign=none&sign=minor-fall&sign=leg-weakness",
        "sign=minor-fall&sign=leg-weakness",
        "sign=zzz&sign=bladder-bowel",
        "sign=injury&sign=injury&sign=saddle-numbness&location=98104",
    ],
)
def test_the_most_serious_answer_always_wins(client, query):
    page = get(client, f"/find-care?{query}")
    assert page.find("h1")[0].text == EMERGENCY


def test_a_slip_last_week_books_a_visit_and_never_calls_911(client):
    with client.get("/find-care?asked=signs&sign=minor-fall&location=98104") as response:
        assert response.status_code == 303
        target = response.headers["Location"]
    assert target == "/find-care/spine-care?sign=minor-fall&location=98104"
    html = client.get(target).get_data(as_text=True)
    assert "tel:911" not in html and EMERGENCY not in html


def test_fever_goes_to_urgent_care_today(client):
    with client.get("/find-care?asked=signs&sign=fever&sign=night-pain") as response:
        assert response.status_code == 303
        assert response.headers["Location"] == ("/find-care/urgent-care?sign=fever&sign=night-pain")


def test_none_of_these_is_self_care_with_the_article(client):
    page = get(client, "/find-care?asked=signs&sign=none")
    assert page.find("h1")[0].text == "Start gently and keep moving"
    assert "/health/exercise-for-the-spine" in page.links() and "/find-a-doctor" in page.links()
    assert TABLE.outcomes["self-care"].default_reason in page.main_text
    page = get(client, "/find-care?asked=signs&sign=over-50")
    assert "Age on its own is not a warning sign" in page.main_text


def test_change_my_answers_reopens_the_form_ticked(client):
    page = get(client, "/find-care?sign=bladder-bowel&sign=fever")
    back = next(e for e in page.find("a") if "change my answers" in e.text)
    assert back.attrs["href"] == "/find-care?checked=bladder-bowel&checked=fever"
    form = get(client, back.attrs["href"])
    ticked = [i.attrs["value"] for i in form.find("input") if "checked" in i.attrs]
    assert ticked == ["bladder-bowel", "fever"]
    assert "There is a problem" not in form.main_text


@pytest.mark.parametrize(
    "query",
    [
        "asked=signs",
        "sign=",
        "sign=maybe",
        "sign=NONE",
        "sign=%ff" + "x" * 5000,
        "asked=signs&sign=%3Cscript%3E",
        "sign[]=fever",
    ],
)
def test_nothing_usable_asks_again_with_an_error(client, query):
    with client.get(f"/find-care?{query}") as response:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
    page = Page(html)
    assert page.find("legend")[0].text == "Do any of these apply to you?"
    assert "<script>" not in html
    if query != "sign[]=fever":
        assert "There is a problem" in page.main_text
        fieldset = page.find("fieldset")[0]
        assert "signs-error" in fieldset.attrs["aria-describedby"]


def test_odd_parameters_never_500(client):
    for query in ("checked=zzz", "location=" + "9" * 500, "a=b", "sign=none&sign=none"):
        with client.get(f"/find-care?{query}") as response:
            assert response.status_code == 200
    with client.get("/find-care/urgent-care?location=%01zz&sign=zzz") as response:
        assert response.status_code == 200
    # A NUL byte is never real input (and PostgreSQL cannot store it): a clear 400.
    for url in ("/find-care?sign=%00", "/find-care/search?location=%00" + "9" * 500):
        with client.get(url) as response:
            assert response.status_code == 400


def test_read_signs_and_clean_location():
    assert read_signs(["fever", "zzz", "none", "fever"]) == (["fever"], ["zzz"], True)
    assert read_signs([]) == ([], [], False)
    assert clean_location("  98104\x00\n ") == "98104"
    assert clean_location(None) == ""
    assert len(clean_location("x" * 1000)) == 100


# --- the focused page for "soon": spine care near a place ---------------------------------


def test_soon_lands_on_spine_care_near_the_place(seeded_client):
    page = get(seeded_client, "/find-care/spine-care?sign=injury&location=98104")
    assert page.find("h1")[0].text == "Spine care near 98104"
    cards = page.find("article", class_="provider-card")
    assert 1 <= len(cards) <= 10
    assert "accepting new patients, nearest first" in page.main_text
    assert "Not accepting new patients" not in page.main_text
    assert TABLE.outcomes["soon"].title in page.main_text
    everything = next(e for e in page.find("a") if e.text.startswith("See all"))
    query = parse_qs(urlsplit(everything.attrs["href"]).query)
    assert urlsplit(everything.attrs["href"]).path == "/find-a-doctor"
    assert query["location"] == ["98104"] and query["sort"] == ["distance"]
    assert query["accepting"] == ["1"] and "physical-therapist" in query["specialty"]
    assert not page.find("aside", class_="dir-filters")  # not the general directory


def test_spine_care_without_a_place_asks_for_one(seeded_client):
    page = get(seeded_client, "/find-care/spine-care")
    assert page.find("h1")[0].text == "Spine care"
    field = next(i for i in page.find("input") if i.attrs.get("name") == "location")
    assert field.attrs["autocomplete"] == "postal-code"
    assert page.find("article", class_="provider-card")


def test_spine_care_without_a_search_index_is_a_clear_503(client):
    with client.get("/find-care/spine-care?location=Kirkland&sign=zzz") as response:
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        page = Page(response.get_data(as_text=True))
    assert page.find("h1")[0].text == "Spine care near Kirkland"
    assert "Search is temporarily unavailable" in page.main_text


def test_spine_care_near_an_unknown_place_says_so_and_still_lists_providers(seeded_client):
    page = get(seeded_client, "/find-care/spine-care?location=" + "%01" + "zq" * 80)
    assert page.find("h1")[0].text == "Spine care near " + "zq" * 50
    assert "We couldn't find a place called" in page.main_text
    assert page.find("article", class_="provider-card")


def test_spine_page_sends_other_outcomes_on(seeded_client):
    response = seeded_client.get("/find-care/spine-care?sign=fever&location=98104")
    assert response.status_code == 303
    assert response.headers["Location"] == "/find-care/urgent-care?sign=fever&location=98104"
    response = seeded_client.get("/find-care/spine-care?sign=leg-weakness&sign=injury")
    assert response.headers["Location"] == "/find-care?sign=leg-weakness&sign=injury"


def test_old_search_links_land_on_the_focused_page(seeded_client):
    with seeded_client.get("/find-care/search?location=98104") as response:
        assert response.status_code == 303
        assert response.headers["Location"] == "/find-care/spine-care?location=98104"
    with seeded_client.get("/find-care/search?location=++") as response:
        assert response.headers["Location"] == "/find-care/spine-care"


# --- in Spanish: the same questions and answers, worded from seed_data/es/triage.json -----

ES = triage.for_lang("es")
MACHINE = "Traducción automática."


def test_the_spanish_question_lists_the_spanish_wording_and_says_it_is_machine_made(client):
    page = get(client, "/es/find-care")
    assert page.find("form", class_="question")[0].attrs["action"] == "/es/find-care"
    labels = {label.attrs["for"]: label.text for label in page.find("label")}
    assert labels["sign-none"] == "Ninguna de estas"
    for sign in ES.signs.values():
        assert labels[f"sign-{sign.key}"] == sign.label
        if sign.hint:
            assert sign.hint in page.main_text
    legends = [e.text for e in page.find("legend")]
    assert legends[0] == "¿Le pasa alguna de estas cosas?"
    assert [g for _, g in ES.groups] == legends[1:4]
    # Not yet reviewed: said at the top, in Spanish, with the English original linked.
    notice = page.find("div", class_="notice-translation")[0]
    assert page.main_text.index(MACHINE) < page.main_text.index(legends[0])
    original = next(a for a in page.find("a") if a.attrs.get("hreflang") == "en")
    assert original.attrs["href"] == "/find-care" and notice
    assert MACHINE not in get(client, "/find-care").main_text


def test_the_spanish_emergency_answer_says_911_with_a_tel_link(client):
    page = get(client, "/es/find-care?asked=signs&sign=saddle-numbness&sign=minor-fall")
    assert page.find("h1")[0].text == ES.outcomes["emergency"].title
    assert "911" in page.find("h1")[0].text and "tel:911" in page.links()
    assert ES.signs["saddle-numbness"].label in page.main_text
    assert ES.rules[1].reason in page.main_text and "Usted marcó:" in page.main_text
    assert not any("find-a-doctor" in h for h in page.links())
    # The call comes first; the translation notice follows the 911 answer.
    assert page.main_text.index("Llame al 911") < page.main_text.index(MACHINE)
    original = next(a for a in page.find("a") if a.attrs.get("hreflang") == "en")
    assert original.attrs["href"] == "/find-care?asked=signs&sign=saddle-numbness&sign=minor-fall"
    back = next(a for a in page.find("a") if "cambiar mis respuestas" in a.text)
    assert back.attrs["href"] == "/es/find-care?checked=saddle-numbness&checked=minor-fall"


def test_spanish_answers_go_on_to_spanish_pages(client):
    with client.get("/es/find-care?asked=signs&sign=fever&location=98104") as response:
        assert response.status_code == 303
        assert response.headers["Location"] == "/es/find-care/urgent-care?sign=fever&location=98104"
    with client.get("/es/find-care?asked=signs&sign=injury") as response:
        assert response.headers["Location"] == "/es/find-care/spine-care?sign=injury"
    page = get(client, "/es/find-care?asked=signs&sign=none")
    assert page.find("h1")[0].text == "Empiece con calma y siga moviéndose"
    assert ES.outcomes["self-care"].default_reason in page.main_text
    assert "Qué ayuda" in page.main_text and "/es/health/exercise-for-the-spine" in page.links()
    page = get(client, "/es/find-care?asked=signs")
    assert "Hay un problema" in page.main_text


def test_the_spanish_spine_page(seeded_client):
    page = get(seeded_client, "/es/find-care/spine-care?sign=injury&location=98104")
    assert page.find("h1")[0].text == "Cuidado de la columna cerca de 98104"
    assert ES.outcomes["soon"].title in page.main_text
    assert ES.rules[[r.id for r in ES.rules].index("known-injury")].reason in page.main_text
    assert "aceptan pacientes nuevos, del más cercano al más lejano" in page.main_text
    assert MACHINE in page.main_text
    everything = next(e for e in page.find("a") if e.text.startswith("Ver los"))
    assert urlsplit(everything.attrs["href"]).path == "/es/find-a-doctor"
    # Without ticked signs no triage wording shows, and so no translation notice.
    results = get(seeded_client, "/es/find-care/spine-care?location=98104")
    assert MACHINE not in results.main_text
