"""Triage for back and neck pain: which door to send a person to, from the signs they tick.

One rule table, ``seed_data/triage.json``, serves the /find-care page and
``GET /api/v1/triage``. Each rule names the signs that must all be present, the outcome it
calls for and why; the most serious outcome among the rules that apply decides, and no rule
applying means self-care. The file is checked when it loads, so a sign without a rule or a
rule naming an unknown sign fails loudly instead of being skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import url_for

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "triage.json"
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
class Table:
    """The loaded rule table."""

    signs: dict[str, Sign]
    groups: tuple[tuple[str, str], ...]
    rules: tuple[Rule, ...]
    outcomes: dict[str, Outcome]
    sources: dict[str, dict[str, str]]

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


def decide(signs: Iterable[str]) -> Decision:
    """The decision for these sign keys (raises ``UnknownSign``)."""
    return load().decide(signs)


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
