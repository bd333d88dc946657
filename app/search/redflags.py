"""Red flags: words that describe an emergency (call 911) or a crisis (call or text 988).

This module only *detects*: it returns the level ("emergency" or "crisis"), which a search
reports as the reason code ``red-flag:<level>``. The notice shown for a level (its words,
the numbers to call) is built outside search, by ``app.notices``.

One vocabulary, ``seed_data/red_flags.json``, serves the search box, the typeahead and the
API, so a patient sees the same words wherever they type them; its emergency phrases cover
the /find-care warning signs that call for 911 (``seed_data/triage.json``). Its clinical
sources are listed in the file and in docs/content.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.search.text import stems, words

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "red_flags.json"
# The Spanish phrases: read beside the English ones, so "dolor de pecho" raises the 911
# notice whichever language the page is in (the notice's words follow the page).
SPANISH_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "es" / "red_flags.json"
# When both kinds match ("overdose" and "suicidal"), the emergency notice comes first.
LEVELS = ("emergency", "crisis")


@dataclass(frozen=True)
class RedFlags:
    """The loaded vocabulary: stemmed phrases per level and the look-alikes to ignore."""

    phrases: dict[str, frozenset[tuple[str, ...]]]
    not_red_flags: tuple[str, ...]
    exclusions: frozenset[tuple[str, ...]]
    max_len: int

    def detect(self, text: str) -> str | None:
        """The level ``text`` calls for, or None. Emergencies win over crises."""
        tokens = _without(stems(words(text[:400])), self.exclusions)
        if not tokens:
            return None
        for level in LEVELS:
            found = self.phrases.get(level, frozenset())
            for n in range(min(self.max_len, len(tokens)), 0, -1):
                for i in range(len(tokens) - n + 1):
                    if tokens[i : i + n] in found:
                        return level
        return None


def _without(tokens: tuple[str, ...], spans: frozenset[tuple[str, ...]]) -> tuple[str, ...]:
    """``tokens`` with look-alike phrases ("stroke rehab") blanked out."""
    out = list(tokens)
    for span in spans:
        n = len(span)
        for i in range(len(out) - n + 1):
            if tuple(out[i : i + n]) == span:
                out[i : i + n] = [""] * n
    return tuple(out)


def _key(phrase: str) -> tuple[str, ...]:
    return stems(words(phrase))


def _keys(datas: list[dict], level: str) -> frozenset[tuple[str, ...]]:
    """The phrase keys of one level, from every file."""
    texts = [p for data in datas for p in data["levels"][level]["phrases"]]
    return frozenset(k for k in (_key(p) for p in texts) if k)


@lru_cache(maxsize=4)
def load(path: str | None = None) -> RedFlags:
    """Read the red-flag vocabulary (cached per path): the English file and, by default,
    the Spanish one beside it."""
    files = [Path(path)] if path else [DEFAULT_FILE, SPANISH_FILE]
    datas = [json.loads(f.read_text(encoding="utf-8")) for f in files if f.is_file()]
    phrases = {level: _keys(datas, level) for level in LEVELS}
    max_len = max([1, *(len(k) for keys in phrases.values() for k in keys)])
    not_red = tuple(p for data in datas for p in data.get("not_red_flags", []))
    exclusions = frozenset(k for k in (_key(p) for p in not_red) if k)
    return RedFlags(
        phrases=phrases,
        not_red_flags=not_red,
        exclusions=exclusions,
        max_len=max_len,
    )


def detect(text: str) -> str | None:
    """The level ("emergency" or "crisis") ``text`` calls for, or None."""
    if not text:
        return None
    return load().detect(text)
