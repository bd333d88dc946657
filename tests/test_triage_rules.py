"""The triage rule table, case by case against the guidance it cites, and its combinations.

Each expected outcome below is written out by hand from the cited guidance, not read back
from seed_data/triage.json, so a change to the table that contradicts a source fails here.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import notices
from app.search import redflags
from app.services import triage

ROOT = Path(__file__).resolve().parent.parent
TABLE = triage.load()
RANK = {"self-care": 0, "soon": 1, "urgent": 2, "emergency": 3}

# (signs, expected outcome, what the guidance says)
CASES: list[tuple[tuple[str, ...], str, str]] = [
    ((), "self-care", "ACP 2017 rec. 1; NICE NG59 1.2: no red flag, stay active, self-manage"),
    (("over-50",), "self-care", "ACP/APS 2007: age alone is one cancer risk factor; no imaging"),
    (("bladder-bowel",), "emergency", "cauda equina: NICE NG59 1.1.1, ACR variant 4, NHS"),
    (("saddle-numbness",), "emergency", "cauda equina (saddle anaesthesia): ACR variant 4, NHS"),
    (("leg-weakness",), "emergency", "ACP/APS 2007 rec. 3, ACR: severe or progressive deficit"),
    (("both-legs",), "emergency", "NHS sciatica: sciatica on both sides, call 999"),
    (("major-trauma",), "emergency", "NICE NG41; ACR red flag: recent significant trauma"),
    (("minor-fall",), "soon", "no red flag besides low-velocity trauma: not 911 (issue 24)"),
    (("injury",), "soon", "known injury or strain: see a doctor or PT before exercise"),
    (("spine-surgery",), "soon", "ACR variant 5: prior lumbar surgery, new or worse symptoms"),
    (("fever",), "urgent", "suspected spinal infection: NICE NG59 1.1.1, ACR red flag"),
    (("cancer-history",), "urgent", "NICE NG234 (was CG75, within 24 h); ACR variant 7"),
    (("weight-loss",), "soon", "ACP/APS 2007 single cancer risk factor; NICE NG12 referral"),
    (("osteoporosis",), "soon", "ACR variant 6: osteoporosis or chronic steroids, imaging"),
    (("infection-risk",), "soon", "ACR variant 7 / red flags: immunosuppression, IV drug use"),
    (("night-pain",), "soon", "NICE NG234 / CKS: nocturnal pain preventing sleep"),
    (("not-improving",), "soon", "ACR variant 3; ACP 2017 rec. 2: chronic pain, plan care"),
    # combinations: the most serious answer decides
    (("minor-fall", "leg-weakness"), "emergency", "progressive deficit outranks the fall"),
    (("minor-fall", "osteoporosis"), "urgent", "ACR variant 6: low-velocity trauma + osteoporosis"),
    (("minor-fall", "over-50"), "urgent", "ACR red flag: milder trauma at age over 50"),
    (("minor-fall", "cancer-history"), "urgent", "cancer and new pain: NICE NG234"),
    (("fever", "infection-risk"), "urgent", "infection suspected: same day"),
    (("weight-loss", "night-pain"), "soon", "NICE NG12: suspected cancer referral, days"),
    (("weight-loss", "over-50"), "soon", "ACP/APS 2007: several cancer risk factors, imaging"),
    (("cancer-history", "leg-weakness"), "emergency", "NICE NG234: MSCC, immediate"),
    (("fever", "bladder-bowel"), "emergency", "cauda equina outranks infection"),
    (("injury", "osteoporosis"), "soon", "no fall: fracture risk, not urgent"),
    (("osteoporosis", "over-50"), "soon", "no trauma: ACR variant 6, not urgent"),
    (("major-trauma", "minor-fall"), "emergency", "major trauma decides"),
    (("saddle-numbness", "injury"), "emergency", "cauda equina decides"),
    (("not-improving", "spine-surgery", "injury"), "soon", "none calls for more"),
    (("fever", "weight-loss", "night-pain", "cancer-history"), "urgent", "no emergency sign"),
    (tuple(TABLE.signs), "emergency", "every sign at once"),
]
# Pairs that call for more than either sign alone (the guidance names the combination).
ESCALATIONS = {
    frozenset({"minor-fall", "osteoporosis"}): "urgent",
    frozenset({"minor-fall", "over-50"}): "urgent",
}
REQUIRED_KEYS = {
    "bladder-bowel", "saddle-numbness", "leg-weakness", "major-trauma", "minor-fall", "fever",
    "weight-loss", "cancer-history", "osteoporosis", "night-pain", "injury",
}  # fmt: skip


@pytest.mark.parametrize(
    "signs, expected, guidance", CASES, ids=[",".join(c[0]) or "no-sign" for c in CASES]
)
def test_case_against_its_guidance(signs, expected, guidance):
    decision = triage.decide(signs)
    assert decision.outcome.key == expected, guidance
    assert decision.reasons, "every answer says why"
    assert decision.outcome.call == ("911" if expected == "emergency" else None)


def test_every_sign_alone_has_a_hand_written_case():
    singles = {c[0][0] for c in CASES if len(c[0]) == 1}
    assert set(TABLE.signs) == singles
    assert set(TABLE.signs) >= REQUIRED_KEYS


def test_someone_who_slipped_last_week_is_not_sent_to_911():
    decision = triage.decide(["minor-fall"])
    assert decision.outcome.key != "emergency" and decision.outcome.call is None


@pytest.mark.parametrize("pair", list(itertools.combinations(TABLE.signs, 2)), ids="+".join)
def test_every_pair_is_its_most_serious_sign_unless_guidance_names_the_pair(pair):
    alone = max(RANK[triage.decide([s]).outcome.key] for s in pair)
    expected = ESCALATIONS.get(frozenset(pair))
    got = triage.decide(pair).outcome.key
    assert RANK[got] == (RANK[expected] if expected else alone), pair
    assert triage.decide(reversed(pair)).outcome.key == got  # order never matters


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(sorted(TABLE.signs))), st.sets(st.sampled_from(sorted(TABLE.signs))))
def test_adding_a_sign_never_lowers_the_outcome(some, more):
    before = RANK[triage.decide(some).outcome.key]
    after = RANK[triage.decide(some | more).outcome.key]
    assert after >= before
    emergency = {k for k in TABLE.signs if triage.decide([k]).outcome.key == "emergency"}
    if some & emergency:
        assert before == RANK["emergency"]


def test_reasons_are_those_of_the_deciding_rules_only():
    decision = triage.decide(["minor-fall", "osteoporosis", "night-pain"])
    assert decision.outcome.key == "urgent"
    assert [r.id for r in decision.rules] == ["fragility-fracture"]
    assert decision.reasons == [decision.rules[0].reason]
    assert triage.decide([]).reasons == [TABLE.outcomes["self-care"].default_reason]


def test_unknown_signs_are_named_not_ignored():
    with pytest.raises(triage.UnknownSign) as caught:
        triage.decide(["fever", "zzz", "Fever", ""])
    assert caught.value.keys == ["zzz", "Fever", ""]


def test_every_rule_cites_guidance_and_the_three_named_guidelines_are_used():
    cited = {s for r in TABLE.rules for s in r.sources}
    assert {"acp-2017", "nice-ng59", "acr-lbp"} <= cited
    assert all(r.sources for r in TABLE.rules)
    docs = (ROOT / "docs" / "content.md").read_text(encoding="utf-8")
    for key, source in TABLE.sources.items():
        assert source["url"] in docs, f"docs/content.md does not cite {key}"
    for rule in TABLE.rules:
        assert f"`{rule.id}`" in docs, f"docs/content.md does not explain rule {rule.id}"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["rules"].pop(), "signs without a rule of their own"),
        (lambda d: d["rules"][0]["when"].append("zzz"), "unknown signs"),
        (lambda d: d["rules"][0]["sources"].append("nope"), "cites no known source"),
        (lambda d: d["rules"][0].update(outcome="later"), "unknown outcome"),
        (lambda d: d["signs"][0].update(group="elsewhere"), "unknown group"),
    ],
)
def test_a_broken_table_is_refused_on_load(tmp_path, change, message):
    data = json.loads(triage.DEFAULT_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "triage.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        triage.load(str(path))


# Search knows the same signs: what people type for each emergency sign raises the notice.
TYPED = {
    "bladder-bowel": ["back pain and lost bladder control", "lost control of my bowels"],
    "saddle-numbness": ["numb groin", "numbness between my legs", "saddle numbness"],
    "leg-weakness": ["can't feel my legs", "sudden leg weakness", "cannot feel my legs"],
    "both-legs": ["sciatica in both legs", "numbness in both legs"],
    "major-trauma": [],  # a crash or fall from a height is not typed as a search
}


def test_typed_emergency_signs_raise_the_search_notice():
    emergency = {k for k in TABLE.signs if triage.decide([k]).outcome.key == "emergency"}
    assert set(TYPED) == emergency
    for sign, phrases in TYPED.items():
        for text in phrases:
            level = redflags.detect(text)
            assert level == "emergency", f"{sign}: {text!r}"
            assert notices.alert(level).call == "911"


@pytest.mark.parametrize(
    "text", ["bladder control problems", "incontinence", "leg numbness", "back pain", "sciatica"]
)
def test_everyday_back_words_raise_no_notice(text):
    assert redflags.detect(text) is None
