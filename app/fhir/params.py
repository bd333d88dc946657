"""Parse FHIR search parameters into a typed request, or refuse them with a clear message."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.fhir.errors import FhirError

# name -> FHIR search parameter type, per resource type (the CapabilityStatement lists them).
SEARCH_PARAMS: dict[str, dict[str, str]] = {
    "Practitioner": {
        "_id": "token",
        "name": "string",
        "family": "string",
        "given": "string",
        "identifier": "token",
    },
    "PractitionerRole": {
        "_id": "token",
        "specialty": "token",
        "practitioner": "reference",
        "location": "reference",
        "organization": "reference",
        "location.address-postalcode": "string",
        "location.address-city": "string",
        "location.address-state": "string",
    },
    "Location": {
        "_id": "token",
        "name": "string",
        "address": "string",
        "address-city": "string",
        "address-state": "string",
        "address-postalcode": "string",
        "near": "special",
    },
    "Organization": {"_id": "token", "name": "string"},
}
INCLUDES: dict[str, tuple[str, ...]] = {
    "PractitionerRole": (
        "PractitionerRole:practitioner",
        "PractitionerRole:location",
        "PractitionerRole:organization",
    ),
}
MODIFIERS = {"string": ("", "exact", "contains"), "token": ("",), "reference": ("",)}
REFERENCE_TARGETS = {
    "practitioner": "Practitioner",
    "location": "Location",
    "organization": "Organization",
}
FORMATS = ("json", "application/json", "application/fhir+json")
DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 1_000_000
MAX_VALUE_LENGTH = 200
MAX_VALUES = 50
UNIT_MILES = {"mi": 1.0, "[mi_i]": 1.0, "[mi_us]": 1.0, "km": 0.621371, "": 0.621371}
NEAR_DEFAULT_MILES = 25.0
NEAR_MAX_MILES = 500.0
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Clause:
    """One search parameter: ``name[:modifier]=v1,v2`` (values are ORed)."""

    name: str
    modifier: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Near:
    """A ``near=lat|lon|distance|units`` search, with the distance in miles."""

    lat: float
    lon: float
    miles: float


@dataclass
class SearchRequest:
    """A parsed search: clauses (ANDed), paging, includes and what was ignored."""

    resource_type: str
    clauses: list[Clause] = field(default_factory=list)
    near: Near | None = None
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: tuple[str, ...] = ()
    ignored: list[str] = field(default_factory=list)

    def self_params(self) -> list[tuple[str, str]]:
        """The parameters this search used, for the Bundle's ``self`` and ``next`` links."""
        out = [(_key(c), ",".join(c.values)) for c in self.clauses]
        if self.near is not None:
            out.append(("near", f"{self.near.lat:g}|{self.near.lon:g}|{self.near.miles:g}|mi"))
        out += [("_include", inc) for inc in self.includes]
        out.append(("_count", str(self.count)))
        return out


def _key(clause: Clause) -> str:
    return f"{clause.name}:{clause.modifier}" if clause.modifier else clause.name


def strict_handling(prefer: str | None) -> bool:
    """True when the ``Prefer`` header asks for ``handling=strict``."""
    for part in (prefer or "").split(","):
        for token in part.split(";"):
            key, _, value = token.strip().partition("=")
            if key.strip().lower() == "handling" and value.strip().strip('"').lower() == "strict":
                return True
    return False


def _clean(name: str, raw: str) -> str:
    if len(raw) > MAX_VALUE_LENGTH:
        raise FhirError(400, f"The value of {name} is longer than {MAX_VALUE_LENGTH} characters.")
    if CONTROL_RE.search(raw):
        raise FhirError(400, f"The value of {name} contains control characters.")
    return raw.strip()


def _whole(name: str, raw: str, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise FhirError(400, f"{name} must be a whole number from 0 to {high}.")
    value = int(raw)
    if value > high:
        raise FhirError(400, f"{name} must be a whole number from 0 to {high}.")
    return value


def _float(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise FhirError(400, f"near: {name} must be a number, not {raw!r}.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise FhirError(400, f"near: {name} must be between {low:g} and {high:g}.")
    return value


def parse_near(raw: str) -> Near:
    """Parse ``lat|lon[|distance[|units]]``; units are mi or km (km when left out)."""
    parts = raw.split("|")
    if not 2 <= len(parts) <= 4:
        raise FhirError(400, "near must look like latitude|longitude|distance|mi.")
    lat = _float("latitude", parts[0], -90, 90)
    lon = _float("longitude", parts[1], -180, 180)
    unit = parts[3].strip() if len(parts) == 4 else ""
    if unit not in UNIT_MILES:
        raise FhirError(400, "near: the distance unit must be mi or km.")
    if len(parts) >= 3 and parts[2].strip():
        miles = _float("distance", parts[2], 0, 1e6) * UNIT_MILES[unit]
        if miles > NEAR_MAX_MILES:
            raise FhirError(400, f"near: the distance can be at most {NEAR_MAX_MILES:g} miles.")
    else:
        miles = NEAR_DEFAULT_MILES
    return Near(lat, lon, miles)


def parse_search(resource_type: str, args: Mapping[str, Any], *, strict: bool) -> SearchRequest:
    """Turn query arguments into a SearchRequest; unknown ones are ignored unless ``strict``."""
    known = SEARCH_PARAMS[resource_type]
    req = SearchRequest(resource_type)
    getlist = args.getlist if hasattr(args, "getlist") else lambda k: [args[k]]

    def unknown(key: str, why: str) -> None:
        if strict:
            raise FhirError(400, why)
        req.ignored.append(key)

    for key in args:
        for raw in getlist(key):
            value = _clean(key, raw)
            if key == "_count":
                req.count = min(_whole("_count", value, 10**9), MAX_COUNT) if value else req.count
            elif key == "_offset":
                req.offset = _whole("_offset", value, MAX_OFFSET) if value else 0
            elif key == "_format":
                if value and value.split(";")[0].strip().lower() not in FORMATS:
                    raise FhirError(406, "Only JSON (application/fhir+json) is supported.")
            elif key == "_include":
                allowed = INCLUDES.get(resource_type, ())
                if value not in allowed:
                    if not value:
                        continue
                    unknown(key, f"_include={value} is not supported here.")
                elif value not in req.includes:
                    req.includes += (value,)
            else:
                name, _, modifier = key.partition(":")
                kind = known.get(name)
                if kind is None:
                    unknown(key, f"{key} is not a supported search parameter for {resource_type}.")
                    continue
                if not value:  # FHIR: a parameter with an empty value is ignored
                    continue
                if kind == "special":
                    if modifier:
                        raise FhirError(400, f"{name} takes no modifier.")
                    if req.near is not None:
                        raise FhirError(400, "near can be given only once.")
                    req.near = parse_near(value)
                    continue
                if kind == "reference" and modifier == REFERENCE_TARGETS.get(name):
                    modifier = ""
                if modifier not in MODIFIERS[kind]:
                    raise FhirError(400, f"The modifier :{modifier} is not supported on {name}.")
                values = tuple(v.strip() for v in _split(value) if v.strip())
                if len(values) > MAX_VALUES:
                    raise FhirError(400, f"{name} takes at most {MAX_VALUES} values.")
                if values:
                    req.clauses.append(Clause(name, modifier, values))
    return req


def _split(value: str) -> list[str]:
    r"""Split on commas that are not escaped as ``\,`` (FHIR escaping)."""
    parts, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_token(value: str) -> tuple[str | None, str | None]:
    """Split a token ``system|code``: (None, code) for any system, ("", code) for none."""
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    return system, code or None


def reference_id(value: str, target: str) -> str | None:
    """The id in ``Type/id``, a full URL ending so, or a bare id; None if another type."""
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        return parts[0]
    return parts[-1] if parts[-2] == target else None
