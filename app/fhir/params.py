"""Parse FHIR search parameters into a typed request, or refuse them with a clear message."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.fhir.errors import FhirError

# name -> FHIR search parameter type, per resource type: every SHALL parameter of the Da Vinci
# PDex Plan-Net 1.1.0 CapabilityStatement (and ``near``, ``identifier`` on Practitioner).
SEARCH_PARAMS: dict[str, dict[str, str]] = {
    "Practitioner": {
        "_id": "token",
        "_lastUpdated": "date",
        "name": "string",
        "family": "string",
        "given": "string",
        "identifier": "token",
    },
    "PractitionerRole": {
        "_id": "token",
        "_lastUpdated": "date",
        "practitioner": "reference",
        "organization": "reference",
        "location": "reference",
        "service": "reference",
        "network": "reference",
        "endpoint": "reference",
        "role": "token",
        "specialty": "token",
    },
    "Location": {
        "_id": "token",
        "_lastUpdated": "date",
        "partof": "reference",
        "organization": "reference",
        "endpoint": "reference",
        "name": "string",
        "address": "string",
        "address-city": "string",
        "address-state": "string",
        "address-postalcode": "string",
        "type": "token",
        "near": "special",
    },
    "Organization": {
        "_id": "token",
        "_lastUpdated": "date",
        "partof": "reference",
        "endpoint": "reference",
        "coverage-area": "reference",
        "address": "string",
        "name": "string",
        "type": "token",
    },
    "InsurancePlan": {
        "_id": "token",
        "_lastUpdated": "date",
        "administered-by": "reference",
        "owned-by": "reference",
        "coverage-area": "reference",
        "network": "reference",
        "name": "string",
        "plan-type": "token",
        "identifier": "token",
        "type": "token",
    },
    "HealthcareService": {
        "_id": "token",
        "_lastUpdated": "date",
        "location": "reference",
        "coverage-area": "reference",
        "organization": "reference",
        "endpoint": "reference",
        "name": "string",
        "service-category": "token",
        "service-type": "token",
        "specialty": "token",
    },
    "Endpoint": {
        "_id": "token",
        "_lastUpdated": "date",
        "organization": "reference",
    },
    "OrganizationAffiliation": {
        "_id": "token",
        "_lastUpdated": "date",
        "primary-organization": "reference",
        "participating-organization": "reference",
        "location": "reference",
        "service": "reference",
        "network": "reference",
        "endpoint": "reference",
        "role": "token",
        "specialty": "token",
    },
}
# (resource type, reference parameter) -> (target resource type, chains the IG's
# SearchParameter lists). A plain reference value is the chain ``_id``.
_ORG_CHAINS = ("name", "address", "partof", "type")
_LOC_CHAINS = (
    "address",
    "address-postalcode",
    "address-city",
    "address-state",
    "organization",
    "type",
)
_SERVICE_CHAINS = ("service-category", "organization", "location")
REFERENCES: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("PractitionerRole", "practitioner"): ("Practitioner", ("name",)),
    ("PractitionerRole", "organization"): ("Organization", _ORG_CHAINS),
    ("PractitionerRole", "location"): ("Location", _LOC_CHAINS),
    ("PractitionerRole", "service"): ("HealthcareService", _SERVICE_CHAINS),
    ("PractitionerRole", "network"): ("Organization", _ORG_CHAINS),
    ("PractitionerRole", "endpoint"): ("Endpoint", ("organization",)),
    ("Location", "partof"): ("Location", ("type", "address", "organization")),
    ("Location", "organization"): ("Organization", _ORG_CHAINS),
    ("Location", "endpoint"): ("Endpoint", ("organization",)),
    ("Organization", "partof"): ("Organization", ("name", "address", "type")),
    ("Organization", "endpoint"): ("Endpoint", ("organization",)),
    ("Organization", "coverage-area"): ("Location", ()),
    ("InsurancePlan", "administered-by"): ("Organization", ("name", "partof")),
    ("InsurancePlan", "owned-by"): ("Organization", ("name", "partof")),
    ("InsurancePlan", "coverage-area"): ("Location", ()),
    ("InsurancePlan", "network"): ("Organization", ("name", "partof")),
    ("HealthcareService", "location"): ("Location", _LOC_CHAINS),
    ("HealthcareService", "coverage-area"): ("Location", ()),
    ("HealthcareService", "organization"): ("Organization", _ORG_CHAINS),
    ("HealthcareService", "endpoint"): ("Endpoint", ("organization",)),
    ("Endpoint", "organization"): ("Organization", _ORG_CHAINS),
    ("OrganizationAffiliation", "primary-organization"): (
        "Organization",
        ("type", "address", "name", "partof"),
    ),
    ("OrganizationAffiliation", "participating-organization"): (
        "Organization",
        ("type", "address", "name", "partof"),
    ),
    ("OrganizationAffiliation", "location"): ("Location", _LOC_CHAINS),
    ("OrganizationAffiliation", "service"): ("HealthcareService", _SERVICE_CHAINS),
    ("OrganizationAffiliation", "network"): ("Organization", ("name", "partof")),
    ("OrganizationAffiliation", "endpoint"): ("Endpoint", ("organization",)),
}
INCLUDES: dict[str, tuple[str, ...]] = {
    "Endpoint": ("Endpoint:organization",),
    "HealthcareService": (
        "HealthcareService:location",
        "HealthcareService:coverage-area",
        "HealthcareService:organization",
        "HealthcareService:endpoint",
    ),
    "InsurancePlan": (
        "InsurancePlan:administered-by",
        "InsurancePlan:owned-by",
        "InsurancePlan:coverage-area",
    ),
    "Location": ("Location:endpoint", "Location:organization", "Location:partof"),
    "Organization": ("Organization:partof", "Organization:endpoint", "Organization:coverage-area"),
    "OrganizationAffiliation": (
        "OrganizationAffiliation:primary-organization",
        "OrganizationAffiliation:participating-organization",
        "OrganizationAffiliation:location",
        "OrganizationAffiliation:service",
        "OrganizationAffiliation:endpoint",
        "OrganizationAffiliation:network",
    ),
    "PractitionerRole": (
        "PractitionerRole:practitioner",
        "PractitionerRole:organization",
        "PractitionerRole:location",
        "PractitionerRole:service",
        "PractitionerRole:network",
        "PractitionerRole:endpoint",
    ),
}
REVINCLUDES: dict[str, tuple[str, ...]] = {
    "HealthcareService": ("PractitionerRole:service", "OrganizationAffiliation:service"),
    "Location": (
        "HealthcareService:location",
        "InsurancePlan:coverage-area",
        "OrganizationAffiliation:location",
        "PractitionerRole:location",
    ),
    "Organization": (
        "Endpoint:organization",
        "HealthcareService:organization",
        "InsurancePlan:administered-by",
        "InsurancePlan:owned-by",
        "OrganizationAffiliation:primary-organization",
        "PractitionerRole:organization",
        "PractitionerRole:network",
        "OrganizationAffiliation:participating-organization",
    ),
    "Practitioner": ("PractitionerRole:practitioner",),
}
MODIFIERS = {
    "string": ("", "exact", "contains"),
    "token": ("", "text"),
    "reference": ("",),
    "date": ("",),
}
DATE_RE = re.compile(
    r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9:]+)?)?)?)?$"
)
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
    chain: str = ""


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
    revincludes: tuple[str, ...] = ()
    ignored: list[str] = field(default_factory=list)

    def self_params(self) -> list[tuple[str, str]]:
        """The parameters this search used, for the Bundle's ``self`` and ``next`` links."""
        out = [(_key(c), ",".join(c.values)) for c in self.clauses]
        if self.near is not None:
            out.append(("near", f"{self.near.lat:g}|{self.near.lon:g}|{self.near.miles:g}|mi"))
        out += [("_include", inc) for inc in self.includes]
        out += [("_revinclude", inc) for inc in self.revincludes]
        out.append(("_count", str(self.count)))
        return out


def _key(clause: Clause) -> str:
    name = f"{clause.name}.{clause.chain}" if clause.chain else clause.name
    return f"{name}:{clause.modifier}" if clause.modifier else name


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
    req = SearchRequest(resource_type)
    getlist = args.getlist if hasattr(args, "getlist") else lambda k: [args[k]]
    for key in args:
        for raw in getlist(key):
            value = _clean(key, raw)
            step = _CONTROL_PARAMS.get(key, _parse_param)
            step(req, key, value, strict)
    return req


def _unknown(req: SearchRequest, key: str, why: str, strict: bool) -> None:
    """Ignore an unsupported parameter (noted for the outcome), or refuse it when strict."""
    if strict:
        raise FhirError(400, why)
    req.ignored.append(key)


def _set_count(req: SearchRequest, key: str, value: str, strict: bool) -> None:
    if value:
        req.count = min(_whole("_count", value, 10**9), MAX_COUNT)


def _set_offset(req: SearchRequest, key: str, value: str, strict: bool) -> None:
    req.offset = _whole("_offset", value, MAX_OFFSET) if value else 0


def _check_format(req: SearchRequest, key: str, value: str, strict: bool) -> None:
    if value and value.split(";")[0].strip().lower() not in FORMATS:
        raise FhirError(406, "Only JSON (application/fhir+json) is supported.")


def _add_include(req: SearchRequest, key: str, value: str, strict: bool) -> None:
    """``_include`` / ``_revinclude``: kept once each, if this resource type lists it."""
    table = INCLUDES if key == "_include" else REVINCLUDES
    value = _include_name(value)
    if value not in table.get(req.resource_type, ()):
        if value:
            _unknown(req, key, f"{key}={value} is not supported here.", strict)
    elif key == "_include" and value not in req.includes:
        req.includes += (value,)
    elif key == "_revinclude" and value not in req.revincludes:
        req.revincludes += (value,)


def _split_key(key: str) -> tuple[str, str, str, str]:
    """``name[.chain][:modifier]`` or ``name:Type.chain[:modifier]`` -> its four parts."""
    path, _, modifier = key.partition(":")
    name, _, chain = path.partition(".")
    type_modifier = ""
    if "." in modifier:  # location:Location.address-city[:exact]
        type_modifier, _, chain = modifier.partition(".")
        chain, _, modifier = chain.partition(":")
    return name, chain, modifier, type_modifier


def _parse_param(req: SearchRequest, key: str, value: str, strict: bool) -> None:
    """A search parameter of the resource type: plain, chained or ``near``."""
    name, chain, modifier, type_modifier = _split_key(key)
    kind = SEARCH_PARAMS[req.resource_type].get(name)
    if kind is None:
        why = f"{key} is not a supported search parameter for {req.resource_type}."
        _unknown(req, key, why, strict)
    elif chain:
        _parse_chained(req, key, value, strict, (name, chain, modifier, type_modifier))
    elif not value:  # FHIR: a parameter with an empty value is ignored
        return
    elif kind == "special":
        _set_near(req, name, modifier, value)
    else:
        _parse_plain(req, name, kind, modifier, value)


def _parse_chained(
    req: SearchRequest, key: str, value: str, strict: bool, parts: tuple[str, str, str, str]
) -> None:
    name, chain, modifier, type_modifier = parts
    try:
        kind = _check_chain(req.resource_type, name, chain, type_modifier)
    except FhirError as error:
        _unknown(req, key, error.diagnostics, strict)
        return
    if modifier not in MODIFIERS.get(kind, ("",)):
        raise FhirError(400, f"The modifier :{modifier} is not supported on {key}.")
    if not value:
        return
    values = _values(value)
    _check_how_many(name, values)
    if values:
        req.clauses.append(Clause(name, modifier, values, chain))


def _set_near(req: SearchRequest, name: str, modifier: str, value: str) -> None:
    if modifier:
        raise FhirError(400, f"{name} takes no modifier.")
    if req.near is not None:
        raise FhirError(400, "near can be given only once.")
    req.near = parse_near(value)


def _parse_plain(req: SearchRequest, name: str, kind: str, modifier: str, value: str) -> None:
    if kind == "reference" and modifier == REFERENCES[(req.resource_type, name)][0]:
        modifier = ""
    if modifier not in MODIFIERS[kind] or (modifier == "text" and name in ("_id", "identifier")):
        raise FhirError(400, f"The modifier :{modifier} is not supported on {name}.")
    values = _values(value)
    if kind == "date":
        for v in values:
            if not DATE_RE.match(v):
                raise FhirError(400, f"{name}: {v[:40]!r} is not a FHIR date.")
    _check_how_many(name, values)
    if values:
        req.clauses.append(Clause(name, modifier, values))


def _values(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in _split(value) if v.strip())


def _check_how_many(name: str, values: tuple[str, ...]) -> None:
    if len(values) > MAX_VALUES:
        raise FhirError(400, f"{name} takes at most {MAX_VALUES} values.")


_CONTROL_PARAMS = {
    "_count": _set_count,
    "_offset": _set_offset,
    "_format": _check_format,
    "_include": _add_include,
    "_revinclude": _add_include,
}


def _include_name(value: str) -> str:
    """``PractitionerRole:location:Location`` -> ``PractitionerRole:location``."""
    parts = value.split(":")
    return ":".join(parts[:2]) if len(parts) == 3 else value


def _check_chain(resource_type: str, name: str, chain: str, modifier: str) -> str:
    """Check ``name.chain`` against the IG's chains; return the last parameter's type."""
    ref = REFERENCES.get((resource_type, name))
    if ref is None:
        raise FhirError(400, f"{name} is not a reference parameter of {resource_type}.")
    target, chains = ref
    if modifier and modifier != target:
        raise FhirError(400, f"{name}:{modifier} does not name {name}'s target, {target}.")
    first, _, rest = chain.partition(".")
    if first not in chains:
        raise FhirError(400, f"{resource_type} does not support the chain {name}.{first}.")
    kind = SEARCH_PARAMS[target].get(first)
    if kind is None:
        raise FhirError(400, f"{target} has no parameter {first}.")
    if rest:
        return _check_chain(target, first, rest, "")
    return kind


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
