"""Small factories for test data (plain functions: no extra dependency)."""

from __future__ import annotations

import itertools
from datetime import time

from app.extensions import db
from app.models import (
    InsurancePlan,
    Language,
    Location,
    LocationHours,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    Specialty,
    User,
)
from app.services.mfa import new_totp_secret
from app.services.users import hash_password

_seq = itertools.count(1)


def specialty(**kw) -> Specialty:
    n = next(_seq)
    values = {
        "code": f"{n:09d}X",
        "grouping": "Test",
        "nucc_name": f"Specialty {n}",
        "display_name": f"Specialty {n}",
        "slug": f"specialty-{n}",
        "synonyms": [],
        "featured": True,
    }
    values.update(kw)
    obj = Specialty(**values)
    db.session.add(obj)
    return obj


def location(**kw) -> Location:
    n = next(_seq)
    values = {
        "slug": f"clinic-{n}",
        "name": f"Test Clinic {n}",
        "address_line1": f"{n} Main St",
        "city": "Seattle",
        "state": "WA",
        "zip": "98104",
        "phone": "(206) 555-0100",
        "latitude": 47.6036,
        "longitude": -122.3256,
        "hours": [LocationHours(weekday=0, opens=time(8), closes=time(17))],
    }
    values.update(kw)
    obj = Location(**values)
    db.session.add(obj)
    return obj


def language(code: str = "en", name: str = "English") -> Language:
    obj = Language(code=code, name=name)
    db.session.add(obj)
    return obj


def plan(slug: str = "medicare", name: str = "Medicare") -> InsurancePlan:
    obj = InsurancePlan(slug=slug, name=name)
    db.session.add(obj)
    return obj


def provider(specialties=(), locations=(), **kw) -> Provider:
    n = next(_seq)
    values = {
        "slug": f"provider-{n}",
        "first_name": "Test",
        "last_name": f"Provider{n}",
        "credentials": "MD",
    }
    values.update(kw)
    obj = Provider(**values)
    obj.specialty_links = [
        ProviderSpecialty(specialty=s, is_primary=i == 0, position=i)
        for i, s in enumerate(specialties)
    ]
    obj.location_links = [
        ProviderLocation(location=loc, position=i) for i, loc in enumerate(locations)
    ]
    db.session.add(obj)
    return obj


def user(
    email: str = "desk@example.org", password: str = "correct horse battery", role="staff"
) -> User:
    # An authenticator app already set up, as if enrolled: the test login gives its code.
    obj = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        totp_secret=new_totp_secret(),
    )
    db.session.add(obj)
    return obj


def apply_roster(data: bytes, **kw):
    """Import a roster the way the CLI does: in one unit of work, committed at the end."""
    from app.services.roster.apply import import_roster
    from app.transaction import unit_of_work

    with unit_of_work():
        return import_roster(data, **kw)
