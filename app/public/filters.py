"""Template filters for the directory pages: highlighting, phone links, hours, distances.

Times, dates, weekday names and distances are formatted for the page's language by Babel;
phone numbers keep the North American form "(206) 555-0100" in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time
from functools import lru_cache
from urllib.parse import quote_plus

from babel import dates as babel_dates
from flask_babel import format_decimal, get_locale, gettext, ngettext
from markupsafe import Markup, escape

from app.models.location import WEEKDAY_NAMES
from app.public import bp
from app.services.clinic_order import nearest_first
from app.text import fold as search_fold

MAX_TERMS = 12
# Cards and profiles list a provider's clinics nearest first when a place was given.
bp.app_template_global("nearest_first")(nearest_first)


def _fold_with_map(text: str) -> tuple[str, list[int] | range]:
    """``text`` folded as search folds it, plus, per folded char, its index in ``text``."""
    if text.isascii():
        # ASCII folds char for char (lower case; a backquote becomes an apostrophe).
        return search_fold(text), range(len(text))
    folded: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for low in search_fold(ch):
            folded.append(low)
            index.append(i)
    return "".join(folded), index


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its accents ("Núñez" -> "nunez"), as search does."""
    return search_fold(text)


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for the words starting with any of ``terms`` (folded), or None."""
    wanted = []
    for term in terms[:MAX_TERMS]:
        t = fold(term).strip()
        if t and len(t) <= 60:
            wanted.append(re.escape(t))
    return re.compile(r"(?<!\w)(?:" + "|".join(wanted) + r")\w*") if wanted else None


def _spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Merged (start, end) spans of the words in ``text`` that start with one of ``terms``."""
    pattern = _pattern(tuple(str(t) for t in list(terms)[:MAX_TERMS]))
    if pattern is None or not text:
        return []
    folded, index = _fold_with_map(text)
    spans: list[tuple[int, int]] = []
    for match in pattern.finditer(folded):
        start = index[match.start()]
        end = index[match.end() - 1] + 1
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


@bp.app_template_filter("highlight")
def highlight(text: object, terms: Iterable[str] | None) -> Markup:
    """Escape ``text`` and wrap the words matching ``terms`` (accent-insensitive) in <mark>."""
    raw = "" if text is None else str(text)
    if not terms:
        return escape(raw)
    return _highlighted(raw, tuple(str(t) for t in list(terms)[:MAX_TERMS]))


# A results page highlights the same few names (a specialty, a clinic, a language) on card
# after card, for the same words: the answer is remembered (it depends on nothing else).
@lru_cache(maxsize=4096)
def _highlighted(raw: str, terms: tuple[str, ...]) -> Markup:
    out = Markup()
    last = 0
    for start, end in _spans(raw, terms):
        out += escape(raw[last:start]) + Markup("<mark>") + escape(raw[start:end])
        out += Markup("</mark>")
        last = end
    return out + escape(raw[last:])


@bp.app_template_filter("tel_href")
@lru_cache(maxsize=4096)
def tel_href(phone: str | None) -> str:
    """A ``tel:`` URL for a North American phone number like "(206) 555-0100"."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 10:
        digits = "1" + digits
    return f"tel:+{digits}" if digits else ""


@bp.app_template_filter("clock")
def clock(value: time | None) -> str:
    """A time in the page's language, by Babel: "8:00 AM" (with CLDR's narrow no-break
    space) in English, "8:00" in Spanish."""
    if value is None:
        return ""
    return babel_dates.format_time(value, "short", locale=get_locale())


@bp.app_template_filter("weekday")
def weekday(name: str) -> str:
    """An English weekday name ("Monday", from the hours tables) in the page's language."""
    if name not in WEEKDAY_NAMES:
        return name
    found = babel_dates.get_day_names("wide", "format", locale=get_locale())
    text = found[WEEKDAY_NAMES.index(name)]
    return text[:1].upper() + text[1:]


@bp.app_template_filter("miles")
def miles(value: float | None) -> str:
    """A distance as "under 0.1 miles", "0.4 miles", "1 mile" or "12 miles" (Spanish: "0,4
    millas"), the number by Babel."""
    if value is None:
        return ""
    if value < 0.1:
        return gettext("under %(num)s miles", num=format_decimal(0.1, "0.#"))
    rounded = round(value, 1) if value < 10 else round(value)
    text = format_decimal(rounded, "0.#" if value < 10 else "0")
    return ngettext("%(dist)s mile", "%(dist)s miles", 1 if rounded == 1 else 2, dist=text)


@bp.app_template_filter("long_date")
def long_date(value: datetime | None) -> str:
    """A date as "March 4, 2025" (Spanish: "4 de marzo de 2025"), by Babel."""
    if value is None:
        return ""
    return babel_dates.format_date(value, "long", locale=get_locale())


@bp.app_template_filter("map_url")
def map_url(address: str) -> str:
    """A plain OpenStreetMap search link for an address (nothing is embedded)."""
    return "https://www.openstreetmap.org/search?query=" + quote_plus(address or "")


@bp.app_template_filter("short_clock")
def short_clock(value: time | None) -> str:
    """A time as short as the page's language writes it, by Babel: "8 PM" and "8:30 PM"
    (no ":00" on the hour) in English, "20:00" and "8:30" in Spanish (24-hour)."""
    if value is None:
        return ""
    locale = get_locale()
    pattern = locale.time_formats["short"].pattern if locale else ""
    if value.minute == 0 and "h" in pattern:
        return babel_dates.format_skeleton("h", value, locale=locale)
    return babel_dates.format_time(value, "short", locale=locale)


@bp.app_template_filter("day_name")
def day_name(weekday: int) -> str:
    """A weekday (0 = Monday) as the page's language writes it inside a sentence: "Monday",
    "lunes"."""
    return babel_dates.get_day_names("wide", "format", locale=get_locale())[weekday]
