"""Words templates need in the visitor's language beyond the catalog: specialty names
(from ``seed_data/es/specialties.csv``, tied to NUCC codes), language names (CLDR's, through
Babel) and the typeahead's words.

The catalog (gettext) translates the site's own sentences; specialty names are data, one
per NUCC code, so they come from the same file Spanish search reads.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.locale import current_lang
from app.search.interface import spanish_words

# Labels that are data in the code (app.models), put in the catalog here; templates
# translate them with the ``translate`` filter.
DATA_LABELS = (
    _l("Wheelchair-accessible entrance"),
    _l("Accessible parking"),
    _l("Elevator"),
    _l("Accessible restroom"),
    _l("Hearing loop"),
    _l("Interpreter services"),
    _l("Appointments only"),
    _l("Walk-in clinic"),
    _l("Urgent care"),
    _l("Children"),
    _l("Adults"),
    _l("Older adults"),
    _l("Female"),
    _l("Male"),
    _l("Nonbinary"),
    _l("Self-pay"),
)
# Languages CLDR has no name for (ASL), or names less exactly than the directory does.
LANGUAGE_NAMES = {
    "ase": _l("American Sign Language"),
    "zh": _l("Chinese (Mandarin)"),
}


def translate(text: object) -> str:
    """``text`` from the catalog (a data label listed in ``DATA_LABELS``), else as is."""
    return gettext(str(text)) if text else ""


def specialty_name(display: str, code: str | None) -> str:
    """A specialty's name in the request's language (its English name where there is no
    translation)."""
    if current_lang() != "es" or not code:
        return display
    found = spanish_words().specialties.get(code)
    return found[0] if found else display


def place_label(label: str) -> str:
    """The search's name for a place (``ZIP 98104``, a city, a clinic) in the request's
    language: only the ZIP's word needs translating."""
    code = label.removeprefix("ZIP ")
    if code != label and code.isdigit():
        return gettext("ZIP %(code)s", code=code)
    return label


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def language_name(name: str, code: str | None, start: bool = False) -> str:
    """A spoken or signed language's name in the request's language (``name``, the stored
    English one, where there is none); ``start`` capitalises it to begin a line or label
    (Spanish writes language names in lower case)."""
    lang = current_lang()
    if lang == "en" or not code:
        return name
    found = LANGUAGE_NAMES.get(code)
    text = str(found) if found is not None else _locale(lang).languages.get(code, name)
    return text[:1].upper() + text[1:] if start else text


def typeahead_words() -> dict[str, str]:
    """The typeahead script's words (static/js/typeahead.js), keyed by the English text."""
    return dict(_typeahead_words(current_lang()))


@cache
def _typeahead_words(lang: str) -> dict[str, str]:
    # Worked out once per language (the catalogs do not change while the app runs); called
    # inside a request in that language, so gettext reads that language's catalog.
    texts = (
        gettext("Providers"),
        gettext("Conditions"),
        gettext("Specialties"),
        gettext("Clinics"),
        gettext("Suggestions"),
        gettext("No suggestions."),
        gettext("Matches “%(words)s”"),
        gettext("Call %(number)s"),
        gettext("Call %(number)s and press %(key)s"),
        gettext("Text %(number)s"),
        gettext("Text %(word)s to %(number)s"),
        gettext("Chat at %(site)s"),
        gettext("%(name)s chosen. Add a location, or search now."),
        gettext("%(num)s suggestion available. Use the up and down arrow keys to choose."),
        gettext("%(num)s suggestions available. Use the up and down arrow keys to choose."),
    )
    keys = (
        "Providers",
        "Conditions",
        "Specialties",
        "Clinics",
        "Suggestions",
        "No suggestions.",
        "Matches “%(words)s”",
        "Call %(number)s",
        "Call %(number)s and press %(key)s",
        "Text %(number)s",
        "Text %(word)s to %(number)s",
        "Chat at %(site)s",
        "%(name)s chosen. Add a location, or search now.",
        "%(num)s suggestion available. Use the up and down arrow keys to choose.",
        "%(num)s suggestions available. Use the up and down arrow keys to choose.",
    )
    return {k: v for k, v in zip(keys, texts, strict=True) if k != v}


def init_app(app: Flask) -> None:
    """Give templates ``specialty_name``, ``language_name``, ``place_label``, ``translate``
    and ``typeahead_words``."""
    app.jinja_env.filters["specialty_name"] = specialty_name
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["place_label"] = place_label
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.globals["typeahead_words"] = typeahead_words
