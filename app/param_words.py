"""The words for a refused query parameter: search says which and why, pages and the API say it.

``app.search`` raises ``ParamError(field, code, **values)``; this module turns it into a
sentence in the request's language (``/es/`` pages and ``lang=es`` on the API), as
``app/reasons.py`` does for search's reason codes. Parameter names (``page``, ``sort``) and
values stay as written: they are what the client sent.
"""

from __future__ import annotations

from flask_babel import gettext

from app.search.interface import (
    NOT_A_CHOICE,
    NOT_A_FLAG,
    OUT_OF_RANGE,
    TOO_LONG,
    TOO_MANY_VALUES,
    UNKNOWN_VALUE,
    ParamError,
)


def _unknown(name: str, value: str) -> str:
    if name == "specialty":
        return gettext("Unknown specialty: “%(value)s”.", value=value)
    if name == "clinic":
        return gettext("Unknown clinic: “%(value)s”.", value=value)
    if name == "language":
        return gettext("Unknown language: “%(value)s”.", value=value)
    if name == "insurance":
        return gettext("Unknown insurance plan: “%(value)s”.", value=value)
    return gettext("Unknown value for %(name)s: “%(value)s”.", name=name, value=value)


def choices_text(choices: list) -> str:
    """``a, b or c`` in the request's language."""
    words = [str(c) for c in choices]
    if len(words) < 2:
        return "".join(words)
    return gettext("%(first)s or %(last)s", first=", ".join(words[:-1]), last=words[-1])


def text(error: ParamError) -> str:
    """The sentence for a refused parameter, in the request's language."""
    name, values = error.field, error.values
    if error.code == NOT_A_FLAG:
        if values.get("zero"):
            return gettext("%(name)s must be 1 or 0 (or left out).", name=name)
        return gettext("%(name)s must be 1 or left out.", name=name)
    if error.code == UNKNOWN_VALUE:
        return _unknown(name, values["value"])
    if error.code == TOO_MANY_VALUES:
        return gettext("Choose at most %(max)d values for %(name)s.", max=values["max"], name=name)
    if error.code == TOO_LONG:
        return gettext("%(name)s must be at most %(max)d characters.", name=name, max=values["max"])
    if error.code == OUT_OF_RANGE:
        return gettext(
            "%(name)s must be a whole number from %(low)d to %(high)d.",
            name=name,
            low=values["low"],
            high=values["high"],
        )
    if error.code == NOT_A_CHOICE:
        if name == "radius":
            return gettext(
                "radius must be one of %(choices)s miles.",
                choices=choices_text(values["choices"]),
            )
        return gettext(
            "%(name)s must be one of %(choices)s.",
            name=name,
            choices=choices_text(values["choices"]),
        )
    return gettext("%(name)s cannot be used.", name=name)
