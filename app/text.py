"""Text folding shared by the models, the services and the search package.

One definition, so the staff search key a model keeps, the words a service compares and
the terms the search index holds fold text the same way. It imports nothing from the app.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters NFKD leaves alone that people still type without their accent or ligature.
_EXTRA_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l",
     "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "ı": "i", "’": "'", "‘": "'", "`": "'"}
)  # fmt: skip


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Lower-case and strip accents: "Núñez" -> "nunez"."""
    if text.isascii():
        return text.lower().replace("`", "'")
    text = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()
