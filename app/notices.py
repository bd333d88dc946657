"""Red-flag notices: what to do now and whom to call, for an emergency or a crisis.

Search only reports a level (the reason ``red-flag:emergency`` or ``red-flag:crisis``);
this module turns a level into the notice pages and the API show. The notice's words and
numbers are data beside the phrases that raise it, in ``seed_data/red_flags.json``, with
their clinical sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.locale import current_lang

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "seed_data" / "red_flags.json"
# Each language's notice words, beside its phrases; a language without a file reads English.
FILES = {
    "en": DEFAULT_FILE,
    "es": Path(__file__).resolve().parents[1] / "seed_data" / "es" / "red_flags.json",
}
LEVELS = ("emergency", "crisis")


@dataclass(frozen=True)
class Alert:
    """A notice shown above any results: what to do now, and whom to call."""

    level: str
    heading: str
    message: str
    call: str
    # A crisis line also answers texts (sms:) and a web chat; None where it does not.
    text: str | None = None
    chat: str | None = None
    # The word to text (Spanish: "AYUDA") and the key that reaches this language ("2").
    text_body: str | None = None
    press: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The API shape: level, message, the number to call, and to text and the chat URL."""
        return {
            "level": self.level,
            "message": self.message,
            "call": self.call,
            "text": self.text,
            "chat": self.chat,
            "text_body": self.text_body,
            "press": self.press,
        }


@lru_cache(maxsize=4)
def _alerts(path: str | None = None) -> dict[str, Alert]:
    data = json.loads(Path(path or DEFAULT_FILE).read_text(encoding="utf-8"))
    out = {}
    for level in LEVELS:
        spec = data["levels"][level]
        out[level] = Alert(
            level,
            spec["heading"],
            spec["message"],
            str(spec["call"]),
            text=str(spec["text"]) if spec.get("text") else None,
            chat=spec.get("chat") or None,
            text_body=spec.get("text_body") or None,
            press=str(spec["press"]) if spec.get("press") else None,
        )
    return out


def alert(level: str, lang: str | None = None) -> Alert:
    """The notice for one level ("emergency" or "crisis"), in ``lang`` (by default the
    request's language)."""
    lang = lang or current_lang()
    return _alerts(str(FILES.get(lang, DEFAULT_FILE)))[level]


def alert_for(level: str | None) -> Alert | None:
    """The notice for a level search reported, or None when it reported none."""
    return alert(level) if level else None
