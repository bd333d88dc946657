"""Languages from the standard vocabularies: ISO 639-3 living languages, names and aliases.

``pycountry`` carries the full ISO 639-3 table (type ``L`` marks the 7,000-odd living
languages, signed ones included); ``langcodes`` with ``language-data`` finds a language by
its English name or a common alias in many languages (Mandarin, Farsi, Haitian Creole, ASL)
and gives the usual English display name.

The ``language`` table holds only the languages some listing has ever used. A row is added
the first time a roster or a staff form names a language, keyed by the shortest ISO code
(two letters where ISO 639-1 has one). So the public filter, which counts languages on
listings, shows only languages in use, while staff can pick from the whole standard.

Both packages are imported on first use, not with the module: loading their tables would
slow every web worker's start, and only staff forms and roster imports need them.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from functools import lru_cache

CODE_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
PICKER_MIN_SPEAKERS = 1_000_000
# Names langcodes reads as a language tag would be refused before the name lookup runs.
NOT_CODES = frozenset({"asl"})


class UnknownLanguage(ValueError):
    """A text that names no living language."""


def _entry(code: str):
    import pycountry

    code = code.lower()
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    return pycountry.languages.get(alpha_3=code)


def _living(code: str):
    entry = _entry(code)
    return entry if entry is not None and getattr(entry, "type", "") == "L" else None


def _short(entry) -> str:
    return getattr(entry, "alpha_2", None) or entry.alpha_3


def _candidates(text: str) -> list[str]:
    """Language subtags the text may stand for: as a code first, then as a name."""
    import langcodes

    tags = []
    if CODE_RE.match(text) and text.lower() not in NOT_CODES:
        tags.append(text.replace("_", "-"))
    with contextlib.suppress(LookupError):
        tags.append(str(langcodes.find(text)))
    return tags


@lru_cache(maxsize=4096)
def resolve_language(text: str) -> tuple[str, str]:
    """(code, English name) for a code, name or alias; raise UnknownLanguage otherwise.

    An individual language folds into its macrolanguage when that is what people mean
    ("Mandarin" is Chinese, ``zh``), but never into a different individual language
    (CLDR's Tagalog -> Filipino alias is not followed: both are accepted as themselves).
    """
    import langcodes

    cleaned = " ".join(unicodedata.normalize("NFC", text).split())
    if not cleaned:
        raise UnknownLanguage("Empty language name.")
    for tag in _candidates(cleaned):
        try:
            plain = langcodes.Language.get(tag, normalize=False).language
            folded = langcodes.Language.get(langcodes.standardize_tag(tag, macro=True)).language
        except (ValueError, LookupError):
            continue
        own = _living(plain) if plain else None
        macro = _living(folded) if folded else None
        if macro is not None and (own is None or getattr(macro, "scope", "") == "M"):
            return _short(macro), display_name(_short(macro))
        if own is not None:
            return _short(own), display_name(_short(own))
    raise UnknownLanguage(
        f"Unknown language “{cleaned}”. Use an English name like Mandarin or Haitian Creole, "
        "or an ISO 639 code like es or ase."
    )


def display_name(code: str) -> str:
    """The usual English name of a language code ("ht" -> "Haitian Creole")."""
    import langcodes

    name = langcodes.Language.get(code, normalize=False).display_name("en")
    if name.startswith("Unknown language"):
        entry = _entry(code)
        return entry.name if entry is not None else code
    return name


@lru_cache(maxsize=1)
def picker_names() -> tuple[str, ...]:
    """English names for the staff picker's suggestions: living languages with 1M+ speakers.

    Any other living language is still accepted when typed; this only keeps the list short.
    """
    import langcodes
    import pycountry

    names = set()
    for entry in pycountry.languages:
        if getattr(entry, "type", "") != "L":
            continue
        code = _short(entry)
        lang = langcodes.Language.get(code)
        try:
            population = lang.speaking_population()
        except (ValueError, LookupError):
            population = 0
        if population >= PICKER_MIN_SPEAKERS or code == "ase":
            names.add(display_name(code))
    return tuple(sorted(names, key=str.lower))


def split_languages(cell: str) -> list[str]:
    """Split a typed list of languages on ``;``, ``,`` or ``/``."""
    return [part.strip() for part in re.split(r"[;,/]", cell or "") if part.strip()]
