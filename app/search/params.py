"""Search parameters: parsing and validation of the shared query-string contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from app.search.text import MAX_TEXT, clean

PAGE_RADII = (5, 10, 25, 50, 100)
SORTS = ("relevance", "distance", "name")
GENDERS = ("F", "M", "X")
GENDER_LABELS = {"F": "Female", "M": "Male", "X": "Nonbinary"}
# The filters counted for every search, in the order pages and the API show them.
FACET_KEYS = ("specialty", "clinic", "language", "gender", "insurance")
MAX_PAGE = 500
PAGE_SIZE = 20
MAX_PER_PAGE = 100
MAX_VALUES = 20
LIST_FIELDS = ("specialty", "clinic", "language", "insurance")
_TRUE = ("1", "true", "on", "yes")
_FALSE = ("", "0", "false", "off", "no")


# ParamError codes: search says what is wrong with which parameter; the words, in each
# language, live in app/param_words.py (as reason codes' words live in app/reasons.py).
NOT_A_FLAG = "not-a-flag"  # {}
UNKNOWN_VALUE = "unknown-value"  # {"value": shown}
TOO_MANY_VALUES = "too-many-values"  # {"max": MAX_VALUES}
TOO_LONG = "too-long"  # {"max": MAX_TEXT}
OUT_OF_RANGE = "out-of-range"  # {"low": 1, "high": n}
NOT_A_CHOICE = "not-a-choice"  # {"choices": [...]}


class ParamError(ValueError):
    """A query parameter that cannot be used: ``field`` names it, ``code`` says why (one of
    the codes above) with ``values``; ``message`` is a plain English note for logs."""

    def __init__(self, field: str, code: str, **args: Any) -> None:
        super().__init__(f"{field}: {code} {args}" if args else f"{field}: {code}")
        self.field = field
        self.code = code
        self.values = args

    @property
    def message(self) -> str:
        """``field: code {args}``, for logs; people read ``app.param_words.text``."""
        return str(self)


@dataclass(frozen=True)
class SearchParams:
    """A validated search request."""

    q: str = ""
    location: str = ""
    radius: int | None = None
    specialty: tuple[str, ...] = ()
    clinic: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    gender: str | None = None
    insurance: tuple[str, ...] = ()
    accepting: bool = False
    telehealth: bool = False
    wheelchair: bool = False
    children: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = PAGE_SIZE

    def to_query(self, **changes: Any) -> list[tuple[str, str]]:
        """URL query pairs for these parameters with ``changes`` applied; defaults omitted."""
        params = replace(self, **changes) if changes else self
        pairs: list[tuple[str, str]] = []
        for f in fields(params):
            value = getattr(params, f.name)
            if value == f.default or value is None:
                continue
            if isinstance(value, tuple):
                pairs.extend((f.name, str(v)) for v in value)
            elif isinstance(value, bool):
                pairs.append((f.name, "1"))
            else:
                pairs.append((f.name, str(value)))
        return pairs

    def is_empty(self) -> bool:
        """True when there is no text, no location and no filter."""
        return not (
            self.q
            or self.location
            or self.specialty
            or self.clinic
            or self.language
            or self.gender
            or self.insurance
            or self.accepting
            or self.telehealth
            or self.wheelchair
            or self.children
        )

    def filters(self) -> dict[str, tuple[str, ...]]:
        """Active list-style filters, with gender as a one-item tuple."""
        out = {name: getattr(self, name) for name in LIST_FIELDS if getattr(self, name)}
        if self.gender:
            out["gender"] = (self.gender,)
        return out


def _getlist(args: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(args, "getlist"):
        values = args.getlist(name)
    else:
        raw = args.get(name)
        values = [] if raw is None else list(raw) if isinstance(raw, list | tuple) else [raw]
    return [clean(v, 120) for v in values]


def _first(args: Mapping[str, Any], name: str) -> str:
    values = _getlist(args, name)
    return values[0] if values else ""


def _int(args: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    raw = _first(args, name)
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(name, OUT_OF_RANGE, low=low, high=high) from None
    if not low <= value <= high:
        raise ParamError(name, OUT_OF_RANGE, low=low, high=high)
    return value


def _flag(args: Mapping[str, Any], name: str) -> bool:
    raw = _first(args, name).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ParamError(name, NOT_A_FLAG)


def _slugs(args: Mapping[str, Any], name: str, known) -> tuple[str, ...]:
    values: list[str] = []
    for raw in _getlist(args, name):
        value = raw.strip()
        if not value or value in values:
            continue
        if value not in known:
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise ParamError(name, UNKNOWN_VALUE, value=shown)
        values.append(value)
    if len(values) > MAX_VALUES:
        raise ParamError(name, TOO_MANY_VALUES, max=MAX_VALUES)
    return tuple(values)


# What the API's OpenAPI document allows (app/api/openapi.py); the pages are forgiving.
API_INTS = {"page": (1, MAX_PAGE), "per_page": (1, MAX_PER_PAGE), "radius": (1, 500)}
API_CHOICES = {"gender": GENDERS, "sort": ("", *SORTS)}


def _check_api(args: Mapping[str, Any], vocab) -> None:
    """Refuse what the API's document does not allow: text over MAX_TEXT characters,
    numbers not written in plain digits, and values (even blank ones) outside a list.

    The pages forgive what forms and edited links send (a blank field, "f" for F, text cut
    to length); an API client is told at once, as the document says.
    """
    _check_api_scalars(args)
    _check_api_lists(args, vocab)


def _check_api_scalars(args: Mapping[str, Any]) -> None:
    """Text lengths, whole numbers in range and single choices (gender, sort)."""
    for name in ("q", "location"):
        if any(len(value) > MAX_TEXT for value in _raw_values(args, name)):
            raise ParamError(name, TOO_LONG, max=MAX_TEXT)
    for name, (low, high) in API_INTS.items():
        for value in _raw_values(args, name):
            if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
                raise ParamError(name, OUT_OF_RANGE, low=low, high=high)
    for name, allowed in API_CHOICES.items():
        if any(value not in allowed for value in _raw_values(args, name)):
            raise ParamError(name, NOT_A_CHOICE, choices=[a for a in allowed if a])


def _check_api_lists(args: Mapping[str, Any], vocab) -> None:
    """List filters: at most MAX_VALUES values, each one the directory knows."""
    for name, known in _lists(vocab):
        values = _raw_values(args, name)
        if len(values) > MAX_VALUES:
            raise ParamError(name, TOO_MANY_VALUES, max=MAX_VALUES)
        for value in values:
            if value not in known:
                shown = clean(value, 40) + ("…" if len(value) > 40 else "")
                raise ParamError(name, UNKNOWN_VALUE, value=shown)


def _lists(vocab) -> tuple[tuple[str, Any], ...]:
    """The list filters: (parameter, the values the directory knows)."""
    return (
        ("specialty", vocab.specialties),
        ("clinic", vocab.places),
        ("language", vocab.languages),
        ("insurance", vocab.plans),
    )


def filter_values(vocab) -> dict[str, list[str]]:
    """Every value each list filter accepts, sorted (the API document's enums)."""
    return {name: sorted(known) for name, known in _lists(vocab)}


def parse_params(args: Mapping[str, Any], *, api: bool) -> SearchParams:
    """Validate query-string arguments; raise ParamError naming the first bad one.

    With ``api``, exactly what the API's OpenAPI document allows is accepted.
    """
    from app.search.vocab import get_vocab

    vocab = get_vocab()
    if api:
        _check_api(args, vocab)
    page = _int(args, "page", 1, MAX_PAGE)
    if api:
        radius = _int(args, "radius", 1, 500)
        per_page = _int(args, "per_page", 1, MAX_PER_PAGE)
    else:
        try:
            radius = _int(args, "radius", 0, 10**6)
        except ParamError:
            radius = -1
        if radius is not None and radius not in PAGE_RADII:
            raise ParamError("radius", NOT_A_CHOICE, choices=list(PAGE_RADII))
        per_page = None
    sort = _first(args, "sort").lower() or "relevance"
    if sort not in SORTS:
        raise ParamError("sort", NOT_A_CHOICE, choices=list(SORTS))
    gender = _first(args, "gender").upper() or None
    if gender is not None and gender not in GENDERS:
        raise ParamError("gender", NOT_A_CHOICE, choices=list(GENDERS))
    return SearchParams(
        q=clean(_first_raw(args, "q")),
        location=clean(_first_raw(args, "location")),
        radius=radius,
        specialty=_slugs(args, "specialty", vocab.specialties),
        clinic=_slugs(args, "clinic", vocab.places),
        language=_slugs(args, "language", vocab.languages),
        gender=gender,
        insurance=_slugs(args, "insurance", vocab.plans),
        accepting=_flag(args, "accepting"),
        telehealth=_flag(args, "telehealth"),
        wheelchair=_flag(args, "wheelchair"),
        children=_flag(args, "children"),
        sort=sort,
        page=page or 1,
        per_page=per_page or PAGE_SIZE,
    )


def _raw_values(args: Mapping[str, Any], name: str) -> list[str]:
    """Every value of ``name`` as sent (strings only)."""
    if hasattr(args, "getlist"):
        values = args.getlist(name)
    else:
        raw = args.get(name)
        values = [] if raw is None else list(raw) if isinstance(raw, list | tuple) else [raw]
    return [value for value in values if isinstance(value, str)]


def _first_raw(args: Mapping[str, Any], name: str) -> str:
    values = _raw_values(args, name)
    return values[0] if values else ""
