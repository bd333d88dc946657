"""Triage for back and neck pain: which door to send a person to, from the signs they tick.

One rule table, ``seed_data/triage.json``, serves the /find-care page and
``GET /api/v1/triage``. Each rule names the signs that must all be present, the outcome it
calls for and why; the most serious outcome among the rules that apply decides, and no rule
applying means self-care. The file is checked when it loads, so a sign without a rule or a
rule naming an unknown sign fails loudly instead of being skipped.

The wording in another language is text only, in ``seed_data/<lang>/triage.json``, keyed by
the same ids (outcomes, groups, signs, and the ``advice`` each rule gives, by rule id), with
its review status. ``for_lang`` lays it over the English table, so the rules stay in one
place and a translation can never change a decision; a translation missing an id, or naming
one the table does not have, fails on load.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import url_for

from app.locale import DEFAULT, current_lang

SEED = Path(__file__).resolve().parents[2] / "seed_data"
DEFAULT_FILE = SEED / "triage.json"
# Each language's wording (text only, keyed by the English file's ids).
WORDING_FILES = {"es": SEED / "es" / "triage.json"}
REVIEW_STATUSES = ("machine", "reviewed")
OUTCOMES = ("emergency", "urgent", "soon", "self-care")
SELF_CARE_ARTICLE = "exercise-for-the-spine"


class UnknownSign(ValueError):
    """A sign key the table does not know; ``keys`` lists them in the order given."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys


@dataclass(frozen=True)
class Sign:
    """One checkbox: its key, group, label and hint."""

    key: str
    group: str
    label: str
    hint: str


@dataclass(frozen=True)
class Rule:
    """Signs that together call for an outcome, and why (with the guidance it rests on)."""

    id: str
    when: frozenset[str]
    outcome: str
    reason: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What one outcome tells the person, and the number to call (911 or none)."""

    key: str
    rank: int
    call: str | None
    title: str
    summary: str
    default_reason: str


@dataclass(frozen=True)
class Decision:
    """The outcome for a set of signs and the rules that decided it."""

    outcome: Outcome
    signs: tuple[str, ...]
    rules: tuple[Rule, ...]

    @property
    def reasons(self) -> list[str]:
        """Why, in the table's order (the outcome's default reason when no rule decided)."""
        texts = [r.reason for r in self.rules]
        return texts or ([self.outcome.default_reason] if self.outcome.default_reason else [])


@dataclass(frozen=True)
class Wording:
    """Which language a table's text is in and whether a qualified translator reviewed it.

    Shaped like ``app.content.Translated`` (``unreviewed``, ``english_fallback``,
    ``review_status``, ``doc.meta``), so ``public/_unreviewed.html`` shows its notice.
    """

    lang: str = DEFAULT
    review_status: str = "original"
    reviewer: str = ""
    reviewed_on: date | None = None
    english_fallback: bool = False

    @property
    def unreviewed(self) -> bool:
        """True for a translation no qualified human translator has reviewed yet."""
        return self.review_status == "machine"

    @property
    def doc(self) -> Wording:
        """Itself: the notice template reads ``page.doc.meta``."""
        return self

    @property
    def meta(self) -> dict[str, Any]:
        """The reviewer and the date of the review, as a content file's front matter."""
        return {"reviewer": self.reviewer, "reviewed_on": self.reviewed_on}


@dataclass(frozen=True)
class Table:
    """The loaded rule table, its text in one language."""

    signs: dict[str, Sign]
    groups: tuple[tuple[str, str], ...]
    rules: tuple[Rule, ...]
    outcomes: dict[str, Outcome]
    sources: dict[str, dict[str, str]]
    wording: Wording = field(default_factory=Wording)

    def signs_in(self, group: str) -> list[Sign]:
        """The signs of one group, in table order."""
        return [s for s in self.signs.values() if s.group == group]

    def decide(self, signs: Iterable[str]) -> Decision:
        """The most serious outcome any applying rule calls for (self-care when none does).

        Raises ``UnknownSign`` naming every key the table does not know.
        """
        given = tuple(dict.fromkeys(signs))
        unknown = [k for k in given if k not in self.signs]
        if unknown:
            raise UnknownSign(unknown)
        present = frozenset(given)
        fired = [r for r in self.rules if r.when <= present]
        best = max((self.outcomes[r.outcome] for r in fired), key=lambda o: o.rank, default=None)
        best = best or self.outcomes["self-care"]
        return Decision(best, given, tuple(r for r in fired if r.outcome == best.key))


def _check(table: Table) -> None:
    """Refuse a table that could silently ignore a sign or name an unknown one."""
    if set(table.outcomes) != set(OUTCOMES):
        raise ValueError(f"triage outcomes must be exactly {OUTCOMES}")
    group_keys = {key for key, _ in table.groups}
    for sign in table.signs.values():
        if sign.group not in group_keys:
            raise ValueError(f"sign {sign.key} names unknown group {sign.group}")
    for rule in table.rules:
        _check_rule(table, rule)
    alone = {next(iter(r.when)) for r in table.rules if len(r.when) == 1}
    if set(table.signs) - alone:
        raise ValueError(f"signs without a rule of their own: {sorted(set(table.signs) - alone)}")


def _check_rule(table: Table, rule) -> None:
    """Refuse a rule naming an unknown sign, outcome or source."""
    if not rule.when or not rule.when <= set(table.signs):
        raise ValueError(f"rule {rule.id} names unknown signs {sorted(rule.when)}")
    if rule.outcome not in table.outcomes:
        raise ValueError(f"rule {rule.id} names unknown outcome {rule.outcome}")
    missing = [s for s in rule.sources if s not in table.sources]
    if not rule.sources or missing:
        raise ValueError(f"rule {rule.id} cites no known source ({missing})")


@lru_cache(maxsize=4)
def load(path: str | None = None) -> Table:
    """Read and check the rule table (cached per path)."""
    data = json.loads(Path(path or DEFAULT_FILE).read_text(encoding="utf-8"))
    outcomes = {
        key: Outcome(
            key, spec["rank"], spec["call"], spec["title"], spec["summary"], spec["default_reason"]
        )
        for key, spec in data["outcomes"].items()
    }
    table = Table(
        signs={s["key"]: Sign(s["key"], s["group"], s["label"], s["hint"]) for s in data["signs"]},
        groups=tuple((g["key"], g["legend"]) for g in data["groups"]),
        rules=tuple(
            Rule(r["id"], frozenset(r["when"]), r["outcome"], r["reason"], tuple(r["sources"]))
            for r in data["rules"]
        ),
        outcomes=outcomes,
        sources=data["sources"],
    )
    _check(table)
    return table


class WordingError(ValueError):
    """A translation of the table's text is incomplete, or names ids the table lacks."""


def _same_ids(part: str, english: Iterable[str], translated: dict[str, Any]) -> None:
    """Refuse a translated part that misses an id of the English table or adds one."""
    english_ids, ids = set(english), set(translated)
    if english_ids != ids:
        raise WordingError(
            f"triage wording, {part}: missing {sorted(english_ids - ids)}, "
            f"not in the table {sorted(ids - english_ids)}"
        )


def _text(value: object, where: str, *, required: bool) -> str:
    """A translated text: a string, present where the English one is."""
    if not isinstance(value, str) or (required and not value.strip()):
        raise WordingError(f"triage wording: {where} needs text")
    if not required and value:
        raise WordingError(f"triage wording: {where} has text where the English has none")
    return value


def _wording(data: dict[str, Any], lang: str) -> Wording:
    """The review status of a translation, checked like a content file's."""
    status = data.get("review_status")
    if status not in REVIEW_STATUSES:
        raise WordingError(f"triage wording: review_status must be one of {REVIEW_STATUSES}")
    reviewer, reviewed_on = data.get("reviewer") or "", data.get("reviewed_on") or ""
    if status == "reviewed" and not (reviewer and reviewed_on):
        raise WordingError("triage wording: a reviewed translation names its reviewer and date")
    day = date.fromisoformat(reviewed_on) if reviewed_on else None
    return Wording(lang, status, reviewer, day)


def translate(table: Table, data: dict[str, Any], lang: str) -> Table:
    """``table`` with its text from ``data`` (a wording file); the rules are untouched."""
    for part, ids in (
        ("outcomes", table.outcomes),
        ("groups", (key for key, _ in table.groups)),
        ("signs", table.signs),
        ("advice", (r.id for r in table.rules)),
    ):
        _same_ids(part, ids, data.get(part) or {})
    outcomes = {}
    for key, outcome in table.outcomes.items():
        spec = data["outcomes"][key]
        outcomes[key] = replace(
            outcome,
            title=_text(spec.get("title"), f"outcome {key}", required=True),
            summary=_text(spec.get("summary"), f"outcome {key}", required=True),
            default_reason=_text(
                spec.get("default_reason", ""),
                f"outcome {key} default_reason",
                required=bool(outcome.default_reason),
            ),
        )
    signs = {}
    for key, sign in table.signs.items():
        spec = data["signs"][key]
        signs[key] = replace(
            sign,
            label=_text(spec.get("label"), f"sign {key}", required=True),
            hint=_text(spec.get("hint", ""), f"sign {key} hint", required=bool(sign.hint)),
        )
    groups = tuple(
        (key, _text(data["groups"][key], f"group {key}", required=True)) for key, _ in table.groups
    )
    rules = tuple(
        replace(rule, reason=_text(data["advice"][rule.id], f"advice {rule.id}", required=True))
        for rule in table.rules
    )
    wording = _wording(data, lang)
    return replace(
        table, signs=signs, groups=groups, rules=rules, outcomes=outcomes, wording=wording
    )


@lru_cache(maxsize=8)
def load_translated(lang: str, path: str | None = None) -> Table:
    """The table with its text in ``lang`` from ``path`` (by default the language's file)."""
    source = Path(path) if path else WORDING_FILES[lang]
    return translate(load(), json.loads(source.read_text(encoding="utf-8")), lang)


def for_lang(lang: str | None = None) -> Table:
    """The table in ``lang`` (by default the request's language); English has no file."""
    lang = lang or current_lang()
    return load_translated(lang) if lang in WORDING_FILES else load()


def decide(signs: Iterable[str], lang: str | None = None) -> Decision:
    """The decision for these sign keys, its text in ``lang`` or the request's language
    (raises ``UnknownSign``)."""
    return for_lang(lang).decide(signs)


def sign_keys() -> list[str]:
    """Every sign key, in table order."""
    return list(load().signs)


def next_url(decision: Decision, location: str = "") -> str:
    """The page for the decision's outcome: where the person should go next.

    emergency: the find-care page with the 911 call; urgent: urgent-care and walk-in sites;
    soon: spine care near the place; self-care: the article's exercises.
    """
    place = {"location": location} if location else {}
    outcome = decision.outcome.key
    if outcome == "emergency":
        return url_for("public.find_care", sign=list(decision.signs))
    if outcome == "urgent":
        return url_for("public.urgent_care", sign=list(decision.signs), **place)
    if outcome == "soon":
        return url_for("public.spine_care", sign=list(decision.signs), **place)
    return url_for("public.article", slug=SELF_CARE_ARTICLE)
