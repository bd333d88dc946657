"""Below a red flag's notice, the results are care, never a name search on its words.

"dolor de pecho" once listed Dr. De la Cruz and Dr. Delgado (a name search on "de") under
the 911 notice, "no quiero vivir" a chiropractor ("quiero" fixed to "quiro"), and "numb in
my groin" said the place "my groin" was not found. Every phrase of both red-flag lists is
walked: no name words, no typo fixes, no place complaint, and a crisis phrase that names no
other care shows mental health care.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app import search
from app.search.engine import CRISIS_CONDITION
from app.search.types import DID_YOU_MEAN, PLACE_NOT_FOUND
from app.search.vocab import get_vocab

SEED = Path(__file__).resolve().parents[1] / "seed_data"
LISTS = {"en": SEED / "red_flags.json", "es": SEED / "es/red_flags.json"}


def _phrases(lang: str) -> list[tuple[str, str]]:
    data = json.loads(LISTS[lang].read_text(encoding="utf-8"))
    return [
        (level, phrase)
        for level, spec in data["levels"].items()
        for phrase in spec["phrases"]
        if not phrase.isdigit()
    ]


def _search(q: str, lang: str):
    return search.search(search.parse_params(MultiDict({"q": q, "lang": lang}), api=True))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_red_flag_phrase_shows_care_not_names(demo_app, lang):
    with demo_app.test_request_context(f"/{lang}/"):
        vocab = get_vocab()
        crisis_care = set(vocab.conditions[CRISIS_CONDITION].specialties)
        problems = []
        for level, phrase in _phrases(lang):
            results = _search(phrase, lang)
            codes = {r.code for r in results.reasons}
            if f"red-flag:{level}" not in codes:
                problems.append((phrase, "no notice"))
            if results.interpretation.name_terms:
                problems.append((phrase, "names", results.interpretation.name_terms))
            if codes & {DID_YOU_MEAN, PLACE_NOT_FOUND}:
                problems.append((phrase, sorted(codes)))
            if not results.total:
                problems.append((phrase, "nothing shown"))
            if level == "crisis" and not results.interpretation.conditions:
                shown = {s.specialty.slug for h in results.hits for s in h.card.specialty_links}
                if not shown & crisis_care:
                    problems.append((phrase, "no mental health care", sorted(shown)))
        assert problems == []


@pytest.mark.parametrize(
    ("q", "lang", "first"),
    [
        ("dolor de pecho", "es", "207RC0000X"),
        ("me duele el pecho", "es", "207RC0000X"),
        ("chest pain", "en", "207RC0000X"),
        ("derrame cerebral", "es", "2084N0400X"),
    ],
)
def test_the_red_flag_words_find_the_care_they_name(demo_app, q, lang, first):
    """Under the notice, the same specialists as the English words."""
    with demo_app.test_request_context(f"/{lang}/"):
        results = _search(q, lang)
    codes = {s.specialty.code for s in results.hits[0].card.specialty_links}
    assert first in codes, (q, codes)
