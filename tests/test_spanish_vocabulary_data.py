"""The Spanish search vocabulary in seed_data/es/, checked as data.

Specialty names for every specialty the site shows, condition phrases covering the same
ground as the English list (with and without accents, common misspellings), the spine care
path's words, and the red flags that must bring up 911 and 988 (press 2 for Spanish).
"""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent / "seed_data"
ES = SEED / "es"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def unaccented(text: str) -> str:
    """``text`` without the accents people skip (á é í ó ú ü), keeping ñ."""
    return "".join(
        ch
        if ch in "ñÑ"
        else "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        for ch in text
    )


ENGLISH_CONDITIONS = {r["name"]: r for r in rows(SEED / "conditions.csv")}
SPECIALTIES = {r["code"]: r for r in rows(SEED / "specialties.csv")}
SPANISH_CONDITIONS = rows(ES / "conditions.csv")
SPANISH_SPECIALTIES = {r["code"]: r for r in rows(ES / "specialties.csv")}
RED_FLAGS = json.loads((ES / "red_flags.json").read_text(encoding="utf-8"))
CARE_PATHS = json.loads((ES / "care_paths.json").read_text(encoding="utf-8"))


def shown_specialties() -> set[str]:
    """Every specialty the site shows: featured, practised by a demo provider, in a care path
    or named by a condition."""
    shown = {code for code, r in SPECIALTIES.items() if r["featured"] == "1"}
    for p in json.loads((SEED / "providers.json").read_text(encoding="utf-8")):
        shown |= {s if isinstance(s, str) else s["code"] for s in p["specialties"]}
    for path in json.loads((SEED / "care_paths.json").read_text(encoding="utf-8")).values():
        shown |= set(path["specialties"])
    for r in ENGLISH_CONDITIONS.values():
        shown |= set(r["specialties"].split("|"))
    return shown


def condition_phrases() -> list[str]:
    return [t for r in SPANISH_CONDITIONS for t in r["terms"].split("|")]


def test_every_shown_specialty_has_a_spanish_name():
    missing = sorted(shown_specialties() - set(SPANISH_SPECIALTIES))
    assert not missing
    assert set(SPANISH_SPECIALTIES) <= set(SPECIALTIES)
    assert all(r["name"].strip() for r in SPANISH_SPECIALTIES.values())


def test_at_least_300_condition_phrases_each_tied_to_an_english_condition():
    assert len(condition_phrases()) >= 300
    for r in SPANISH_CONDITIONS:
        assert r["condition"] in ENGLISH_CONDITIONS, r["condition"]
        terms = r["terms"].split("|")
        assert terms == [t.strip().lower() for t in terms] and len(terms) == len(set(terms))


def test_the_same_ground_as_the_english_list():
    """Body part plus pain, the common reasons for a visit, women's, children's and mental
    health: each English category has Spanish phrases."""
    categories = {ENGLISH_CONDITIONS[r["condition"]]["category"] for r in SPANISH_CONDITIONS}
    assert categories == {r["category"] for r in ENGLISH_CONDITIONS.values()}


@pytest.mark.parametrize(
    "phrase",
    ["dolor de rodilla", "dolor rodilla", "dolor de cadera", "dolor de hombro", "dolor de pie"],
)
def test_body_part_pain_with_and_without_de(phrase):
    assert phrase in condition_phrases()


def test_every_accented_phrase_has_its_unaccented_twin():
    everything = condition_phrases() + [
        t
        for r in SPANISH_SPECIALTIES.values()
        for t in [r["name"].lower(), *r["synonyms"].split("|")]
    ]
    everything += CARE_PATHS["spine"]["terms"]
    for level in RED_FLAGS["levels"].values():
        everything += level["phrases"]
    present = set(everything)
    missing = [t for t in everything if unaccented(t) not in present]
    assert not missing, missing[:10]


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("fisioterapeuta", "225100000X"),
        ("fisioterapia", "225100000X"),
        ("fisioterapía", "225100000X"),
        ("fisoterapeuta", "225100000X"),  # a common misspelling
        ("ginecologo", "207V00000X"),
        ("ginecólogo", "207V00000X"),
        ("quiropractico", "111N00000X"),
        ("quiropráctico", "111N00000X"),
        ("pediatra", "208000000X"),
        ("dermatologo", "207N00000X"),
        ("psiquiatra", "2084P0800X"),
        ("siquiatra", "2084P0800X"),
    ],
)
def test_the_issues_words_name_their_specialty(word, code):
    r = SPANISH_SPECIALTIES[code]
    assert word in [r["name"].lower(), *r["synonyms"].split("|")]


def test_knee_pain_maps_to_the_english_conditions_specialists():
    (knee,) = [r for r in SPANISH_CONDITIONS if r["condition"] == "Knee pain"]
    codes = ENGLISH_CONDITIONS["Knee pain"]["specialties"].split("|")
    assert "225100000X" in codes or "207X00000X" in codes  # not only family medicine
    assert "dolor de rodilla" in knee["terms"].split("|")


def test_spine_words_in_spanish():
    terms = CARE_PATHS["spine"]["terms"]
    for word in ("dolor de espalda", "dolor de cuello", "ciática", "ciatica", "hernia de disco"):
        assert word in terms


@pytest.mark.parametrize(
    "phrase", ["dolor de pecho", "no puedo respirar", "derrame cerebral", "infarto", "sobredosis"]
)
def test_emergency_phrases(phrase):
    assert phrase in RED_FLAGS["levels"]["emergency"]["phrases"]
    assert RED_FLAGS["levels"]["emergency"]["call"] == "911"


@pytest.mark.parametrize(
    "phrase", ["pensamientos suicidas", "quiero morir", "me quiero morir", "no quiero vivir"]
)
def test_crisis_phrases(phrase):
    assert phrase in RED_FLAGS["levels"]["crisis"]["phrases"]


def test_988_answers_in_spanish_by_phone_text_and_chat():
    crisis = RED_FLAGS["levels"]["crisis"]
    assert crisis["call"] == "988" and crisis["press"] == "2"
    assert "oprima 2" in crisis["message"] and "AYUDA" in crisis["message"]
    assert crisis["text"] == "988" and crisis["text_body"] == "AYUDA"
    assert crisis["chat"].startswith("https://988lineadevida.org")
    assert "911" in crisis["message"]


def test_red_flags_are_consistent():
    emergency = set(RED_FLAGS["levels"]["emergency"]["phrases"])
    crisis = set(RED_FLAGS["levels"]["crisis"]["phrases"])
    calm = set(RED_FLAGS["not_red_flags"])
    assert not emergency & crisis and not (emergency | crisis) & calm
    # Each harmless phrase really is near a red flag (it exists to keep one from firing).
    assert all(
        any(flag in phrase for flag in emergency | crisis) for phrase in calm if "derrame" in phrase
    )
    # Shipped as written here: a machine translation until a translator reviews it.
    assert RED_FLAGS["review_status"] == "machine"
