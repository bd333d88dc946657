"""Words templates need in the visitor's language beyond the catalog: specialty names
(from ``seed_data/es/specialties.csv``, tied to NUCC codes) and the typeahead's words.

The catalog (gettext) translates the site's own sentences; specialty names are data, one
per NUCC code, so they come from the same file Spanish search reads.
"""

from __future__ import annotations

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
)


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


def typeahead_words() -> dict[str, str]:
    """The typeahead script's words (static/js/typeahead.js), keyed by the English text."""
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
    """Give templates ``specialty_name``, ``translate`` and ``typeahead_words``."""
    app.jinja_env.filters["specialty_name"] = specialty_name
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.globals["typeahead_words"] = typeahead_words
