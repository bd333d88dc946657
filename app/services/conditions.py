"""Conditions: admins keep the everyday condition vocabulary that search understands.

A condition maps what patients type ("knee pain", "sore knees") to NUCC specialties, first-line
care first. Search reads the table through its cached vocabulary, which reloads when any
condition's version changes, so no listing needs re-indexing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import HealthCondition, Specialty, User
from app.services import audit
from app.services.write import unique_slug
from app.transaction import InvalidInput, StaleEdit, flush

MAX_TERMS = 200
MAX_TERM_LENGTH = 80
MAX_SPECIALTIES = 12
AUDIENCES = ("", "children", "women")


@dataclass
class ConditionData:
    """What the condition form submits, already split into lines."""

    name: str
    terms: list[str]
    specialty_codes: list[str]
    audience: str = ""
    category: str = ""


def _text(value: str, cap: int) -> str:
    """NFC text without control characters, spaces collapsed, capped after normalising."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(ch for ch in value if ch.isprintable() or ch == " ")
    return " ".join(value.split())[:cap]


def _clean_terms(lines: list[str]) -> list[str]:
    out: dict[str, None] = {}
    for line in lines:
        term = _text(line, MAX_TERM_LENGTH).lower()
        if term:
            out.setdefault(term, None)
    return list(out)


def validate(data: ConditionData) -> ConditionData:
    """Normalise a submission; raise InvalidInput naming each field to fix."""
    errors: dict[str, str] = {}
    name = _text(data.name, 200)
    if not name:
        errors["name"] = "Enter the condition's name, as patients say it."
    terms = _clean_terms(data.terms)
    if len(terms) > MAX_TERMS:
        errors["terms"] = f"Keep to {MAX_TERMS} words or phrases."
    codes = list(dict.fromkeys(c.strip().upper() for c in data.specialty_codes if c.strip()))
    known = set(db.session.scalars(select(Specialty.code).where(Specialty.code.in_(codes))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        errors["specialty_codes"] = (
            "These are not NUCC taxonomy codes in the directory: " + ", ".join(unknown[:5])
        )
    elif not codes:
        errors["specialty_codes"] = "Enter at least one NUCC code, first-line care first."
    elif len(codes) > MAX_SPECIALTIES:
        errors["specialty_codes"] = f"Keep to {MAX_SPECIALTIES} specialties."
    if data.audience not in AUDIENCES:
        errors["audience"] = "Choose everyone, children or women."
    if errors:
        raise InvalidInput(errors)
    return ConditionData(name, terms, codes, data.audience, _text(data.category, 60))


def _snapshot(condition: HealthCondition) -> dict:
    return {
        "name": condition.name,
        "terms": list(condition.terms or []),
        "specialty_codes": list(condition.specialty_codes or []),
        "audience": condition.audience,
        "category": condition.category,
        "version": condition.version,
    }


def create_condition(data: ConditionData, actor: User | None) -> HealthCondition:
    """Stage a new condition and its audit row."""
    data = validate(data)
    condition = HealthCondition(
        slug=unique_slug(HealthCondition, data.name),
        name=data.name,
        terms=data.terms,
        specialty_codes=data.specialty_codes,
        audience=data.audience,
        category=data.category,
    )
    db.session.add(condition)
    flush(condition)
    audit.record(
        "create",
        "condition",
        condition.id,
        actor=actor,
        after=_snapshot(condition),
        summary=condition.name,
    )
    return condition


def update_condition(
    condition: HealthCondition,
    data: ConditionData,
    expected_version: int | None,
    actor: User | None,
) -> HealthCondition:
    """Stage changes to a condition; raise StaleEdit if someone saved it first."""
    if expected_version is not None and condition.version != expected_version:
        raise StaleEdit(condition)
    data = validate(data)
    before = _snapshot(condition)
    condition.name = data.name
    condition.terms = data.terms
    condition.specialty_codes = data.specialty_codes
    condition.audience = data.audience
    condition.category = data.category
    flush(condition)
    audit.record(
        "update",
        "condition",
        condition.id,
        actor=actor,
        before=before,
        after=_snapshot(condition),
        summary=condition.name,
    )
    return condition
