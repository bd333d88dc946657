"""The triage table's wording in Spanish: text only, every id of the English table and no
other, marked machine-translated; the rules and decisions stay those of the English file."""

from __future__ import annotations

import json

import pytest

from app.services import triage
from tests.test_triage_agreement import ALL_CASES

ENGLISH = json.loads(triage.DEFAULT_FILE.read_text(encoding="utf-8"))
SPANISH_FILE = triage.WORDING_FILES["es"]
SPANISH = json.loads(SPANISH_FILE.read_text(encoding="utf-8"))


def english_ids() -> dict[str, set[str]]:
    return {
        "outcomes": set(ENGLISH["outcomes"]),
        "groups": {g["key"] for g in ENGLISH["groups"]},
        "signs": {s["key"] for s in ENGLISH["signs"]},
        "advice": {r["id"] for r in ENGLISH["rules"]},
    }


@pytest.mark.parametrize("part", ["outcomes", "groups", "signs", "advice"])
def test_every_english_id_has_spanish_text_and_no_other(part):
    assert set(SPANISH[part]) == english_ids()[part]


def test_spanish_text_is_there_wherever_the_english_has_text():
    for sign in ENGLISH["signs"]:
        es = SPANISH["signs"][sign["key"]]
        assert es["label"].strip() and es["label"] != sign["label"], sign["key"]
        assert bool(es["hint"]) == bool(sign["hint"]), sign["key"]
    for key, outcome in ENGLISH["outcomes"].items():
        es = SPANISH["outcomes"][key]
        assert es["title"].strip() and es["summary"].strip(), key
        assert bool(es["default_reason"]) == bool(outcome["default_reason"]), key
    for rule in ENGLISH["rules"]:
        assert SPANISH["advice"][rule["id"]].strip() != rule["reason"], rule["id"]
    assert all(text.strip() for text in SPANISH["groups"].values())


def test_the_spanish_wording_is_marked_machine_translated():
    assert SPANISH["review_status"] == "machine"
    wording = triage.for_lang("es").wording
    assert wording.lang == "es" and wording.unreviewed and not wording.english_fallback
    english = triage.for_lang("en").wording
    assert english.review_status == "original" and not english.unreviewed


def test_the_text_only_changes_never_the_rules():
    english, spanish = triage.for_lang("en"), triage.for_lang("es")
    assert [(r.id, r.when, r.outcome, r.sources) for r in english.rules] == [
        (r.id, r.when, r.outcome, r.sources) for r in spanish.rules
    ]
    assert list(english.signs) == list(spanish.signs)
    assert [k for k, _ in english.groups] == [k for k, _ in spanish.groups]
    assert {k: (o.rank, o.call) for k, o in english.outcomes.items()} == {
        k: (o.rank, o.call) for k, o in spanish.outcomes.items()
    }
    for signs in ALL_CASES:
        en, es = triage.decide(signs, "en"), triage.decide(signs, "es")
        assert en.outcome.key == es.outcome.key and en.outcome.call == es.outcome.call
        assert [r.id for r in en.rules] == [r.id for r in es.rules]
        assert len(en.reasons) == len(es.reasons) and set(en.reasons).isdisjoint(es.reasons)
    assert triage.decide(["bladder-bowel"], "es").outcome.call == "911"
    assert triage.decide([], "es").reasons == [SPANISH["outcomes"]["self-care"]["default_reason"]]


def test_english_stays_the_default_without_a_request():
    assert triage.decide(["fever"]).reasons == triage.decide(["fever"], "en").reasons
    assert triage.for_lang() is triage.load()


def _broken(tmp_path, change) -> str:
    data = json.loads(SPANISH_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "triage.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["signs"].pop("fever"), r"signs: missing \['fever'\]"),
        (lambda d: d["advice"].update(extra="Texto."), r"advice: .*not in the table \['extra'\]"),
        (lambda d: d["groups"].pop("injury"), r"groups: missing \['injury'\]"),
        (lambda d: d["outcomes"]["urgent"].update(title=" "), "outcome urgent needs text"),
        (lambda d: d["signs"]["leg-weakness"].update(hint=""), "sign leg-weakness hint"),
        (lambda d: d["signs"]["fever"].update(hint="Pista"), "where the English has none"),
        (lambda d: d["advice"].update({"infection": None}), "advice infection needs text"),
        (lambda d: d.update(review_status="done"), "review_status must be one of"),
        (lambda d: d.update(review_status="reviewed"), "names its reviewer and date"),
    ],
)
def test_a_broken_translation_is_refused_on_load(tmp_path, change, message):
    with pytest.raises(triage.WordingError, match=message):
        triage.load_translated("es", _broken(tmp_path, change))


def test_a_reviewed_translation_names_its_reviewer(tmp_path):
    path = _broken(
        tmp_path,
        lambda d: d.update(
            review_status="reviewed", reviewer="A. Reviewer", reviewed_on="2026-01-05"
        ),
    )
    wording = triage.load_translated("es", path).wording
    assert wording.review_status == "reviewed" and not wording.unreviewed
    assert wording.doc.meta["reviewer"] == "A. Reviewer"
    assert str(wording.doc.meta["reviewed_on"]) == "2026-01-05"
