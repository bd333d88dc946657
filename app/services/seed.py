"""Load the demo directory from ``seed_data/`` (idempotent)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.geo import zip_centroid
from app.models import (
    ACCESSIBILITY_FEATURES,
    WEEKDAYS,
    CarePath,
    CarePathSpecialty,
    HealthCondition,
    InsurancePlan,
    Language,
    Location,
    LocationHours,
    LocationPhoneHours,
    LocationWalkInHours,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    Specialty,
    Verification,
    now_utc,
)
from app.services import audit
from app.services.seed_networks import load_networks
from app.services.write import slugify


@dataclass
class SeedReport:
    """What a seed run added."""

    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, n: int) -> None:
        self.added[kind] = self.added.get(kind, 0) + n

    def __str__(self) -> str:
        if not any(self.added.values()):
            return "Nothing to add: the demo directory is already loaded."
        return ", ".join(f"{n} {kind}" for kind, n in self.added.items() if n) + " added."


def seed_dir() -> Path:
    """The folder holding the seed files."""
    configured = current_app.config["SEED_DATA_DIR"]
    return Path(configured) if configured else Path(current_app.root_path).parent / "seed_data"


def split_list(value: str | None) -> list[str]:
    """Split a ``;``-separated cell into trimmed, non-empty items."""
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def load_reference_data(base: Path | None = None) -> SeedReport:
    """Add specialties, care paths, languages and plans that are not there yet."""
    base = base or seed_dir()
    report = SeedReport()
    report.count("specialties", _load_specialties(base))
    report.count("languages", _load_languages(base))
    report.count("insurance plans", _load_plans(base))
    db.session.flush()
    by_code = {s.code: s for s in db.session.scalars(select(Specialty))}
    if paths := _load_care_paths(base, by_code):
        report.count("care paths", paths)
    report.count("conditions", load_conditions(base, set(by_code)))
    return report


def _new_rows(path: Path, key: str, known: set[str]) -> list[dict[str, str]]:
    """The CSV rows whose ``key`` column is not among ``known``."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r[key] not in known]


def _load_specialties(base: Path) -> int:
    known = set(db.session.scalars(select(Specialty.code)))
    rows = _new_rows(base / "specialties.csv", "code", known)
    db.session.add_all(
        Specialty(
            code=r["code"],
            grouping=r["grouping"],
            nucc_name=r["name"],
            display_name=r["display_name"] or r["name"],
            slug=r["slug"],
            synonyms=split_list(r.get("synonyms")),
            description=r.get("description") or "",
            featured=r.get("featured") == "1",
        )
        for r in rows
    )
    return len(rows)


def _load_languages(base: Path) -> int:
    known = set(db.session.scalars(select(Language.code)))
    langs = _new_rows(base / "languages.csv", "code", known)
    db.session.add_all(Language(code=r["code"], name=r["name"]) for r in langs)
    return len(langs)


def _load_plans(base: Path) -> int:
    known = set(db.session.scalars(select(InsurancePlan.slug)))
    plans = _new_rows(base / "insurance_plans.csv", "slug", known)
    db.session.add_all(InsurancePlan(slug=r["slug"], name=r["name"]) for r in plans)
    return len(plans)


def _load_care_paths(base: Path, by_code: dict[str, Specialty]) -> int:
    known_paths = set(db.session.scalars(select(CarePath.slug)))
    paths = json.loads((base / "care_paths.json").read_text(encoding="utf-8"))
    added = 0
    for slug, spec in paths.items():
        if slug in known_paths:
            continue
        path = CarePath(
            slug=slug,
            name=spec["name"],
            description=spec.get("description", ""),
            terms=[t.lower() for t in spec.get("terms", [])],
            injury_terms=[t.lower() for t in spec.get("injury_terms", [])],
        )
        path.members = [
            CarePathSpecialty(specialty=by_code[code], position=i)
            for i, code in enumerate(spec["specialties"])
        ]
        db.session.add(path)
        added += 1
    return added


def split_terms(value: str | None) -> list[str]:
    """Split a ``|``-separated cell into trimmed, lower-case, unique items."""
    seen: dict[str, None] = {}
    for part in (value or "").split("|"):
        part = " ".join(part.split()).lower()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def load_conditions(base: Path, codes: set[str]) -> int:
    """Add the condition vocabulary rows that are not there yet (by slug); return the count.

    Codes missing from the specialty table are dropped, so a trimmed taxonomy still loads.
    """
    path = base / "conditions.csv"
    if not path.exists():
        return 0
    known = set(db.session.scalars(select(HealthCondition.slug)))
    added = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            name = " ".join((row.get("name") or "").split())
            slug = slugify(name)
            if not name or not slug or slug in known:
                continue
            known.add(slug)
            terms = split_terms(row.get("terms"))
            if name.lower() not in terms:
                terms.insert(0, name.lower())
            db.session.add(
                HealthCondition(
                    slug=slug,
                    name=name,
                    category=(row.get("category") or "").strip(),
                    audience=(row.get("audience") or "").strip().lower(),
                    terms=terms,
                    specialty_codes=[
                        c.upper() for c in split_terms(row.get("specialties")) if c.upper() in codes
                    ],
                )
            )
            added += 1
    return added


def parse_hours(hours: dict[str, list[list[str]]], row_class: type = LocationHours) -> list:
    """Turn ``{"mon": [["08:00", "17:00"]], ...}`` into hour rows."""
    rows = []
    for weekday, day in enumerate(WEEKDAYS):
        for opens, closes in hours.get(day, []):
            rows.append(
                row_class(
                    weekday=weekday,
                    opens=time.fromisoformat(opens),
                    closes=time.fromisoformat(closes),
                )
            )
    return rows


def load_demo_directory(base: Path | None = None) -> SeedReport:
    """Add the demo clinics and providers, but only to an empty directory."""
    base = base or seed_dir()
    report = SeedReport()
    if db.session.scalar(select(func.count()).select_from(Provider)):
        return report
    clinics: dict[str, Location] = {loc.slug: loc for loc in db.session.scalars(select(Location))}
    for spec in json.loads((base / "locations.json").read_text(encoding="utf-8")):
        if spec["slug"] in clinics:
            continue
        loc = _demo_clinic(spec)
        db.session.add(loc)
        clinics[loc.slug] = loc
        report.count("clinics", 1)

    refs = _DemoRefs(
        clinics=clinics,
        specialties={s.code: s for s in db.session.scalars(select(Specialty))},
        languages={x.code: x for x in db.session.scalars(select(Language))},
        plans={x.slug: x for x in db.session.scalars(select(InsurancePlan))},
        now=now_utc(),
    )
    specs = json.loads((base / "providers.json").read_text(encoding="utf-8"))
    providers = [_demo_provider(spec, refs) for spec in specs]
    db.session.add_all(providers)
    db.session.flush()
    # Each demo listing was last checked by a phone call to its clinic.
    db.session.add_all(
        Verification(provider_id=p.id, at=p.verified_at, method="phone", confirmed="Demo listing")
        for p in providers
    )
    audit.enqueue("provider", (p.id for p in providers))
    audit.record(
        "seed",
        "directory",
        None,
        actor=None,
        summary=f"Loaded the demo directory: {len(providers)} providers, {len(clinics)} clinics",
    )
    report.count("providers", len(providers))
    return report


@dataclass
class _DemoRefs:
    """What demo providers refer to, by their seed keys."""

    clinics: dict[str, Location]
    specialties: dict[str, Specialty]
    languages: dict[str, Language]
    plans: dict[str, InsurancePlan]
    now: datetime


def _demo_clinic(spec: dict[str, Any]) -> Location:
    lat_lon = zip_centroid(spec["zip"]) or (None, None)
    return Location(
        slug=spec["slug"],
        name=spec["name"],
        neighborhood=spec.get("neighborhood", ""),
        address_line1=spec["address_line1"],
        address_line2=spec.get("address_line2", ""),
        city=spec["city"],
        state=spec["state"],
        zip=spec["zip"],
        phone=spec.get("phone", ""),
        latitude=spec.get("latitude", lat_lon[0]),
        longitude=spec.get("longitude", lat_lon[1]),
        accessibility_notes=spec.get("accessibility_notes", ""),
        parking_notes=spec.get("parking_notes", ""),
        hours=parse_hours(spec.get("hours", {})),
        phone_hours=parse_hours(spec.get("phone_hours", {}), LocationPhoneHours),
        walk_in=spec.get("walk_in", ""),
        walk_in_hours=parse_hours(spec.get("walk_in_hours", {}), LocationWalkInHours),
        **{name: name in spec.get("accessibility", ()) for name, _ in ACCESSIBILITY_FEATURES},
    )


def _demo_provider(spec: dict[str, Any], refs: _DemoRefs) -> Provider:
    ages = spec.get("ages", ())
    provider = Provider(
        slug=spec["slug"],
        first_name=spec["first_name"],
        middle_name=spec.get("middle_name", ""),
        last_name=spec["last_name"],
        suffix=spec.get("suffix", ""),
        credentials=spec.get("credentials", ""),
        npi=spec.get("npi") or None,
        gender=spec.get("gender") or None,
        pronouns=spec.get("pronouns", ""),
        bio=spec.get("bio", ""),
        accepting_new_patients=bool(spec.get("accepting_new_patients", True)),
        telehealth=bool(spec.get("telehealth", False)),
        sees_children="children" in ages,
        sees_adults="adults" in ages,
        sees_older_adults="older_adults" in ages,
        board_certifications=spec.get("board_certifications", []),
        education=spec.get("education", []),
        hospital_affiliations=spec.get("hospital_affiliations", []),
        verified_at=refs.now - timedelta(days=int(spec.get("verified_days_ago", 0))),
    )
    provider.specialty_links = [
        ProviderSpecialty(specialty=refs.specialties[code], is_primary=(i == 0), position=i)
        for i, code in enumerate(spec["specialties"])
    ]
    provider.location_links = [
        ProviderLocation(
            location=refs.clinics[link["clinic"]], phone=link.get("phone", ""), position=i
        )
        for i, link in enumerate(spec["locations"])
    ]
    provider.languages = [refs.languages[c] for c in spec.get("languages", [])]
    provider.insurance_plans = [refs.plans[s] for s in spec.get("insurance", [])]
    return provider


def seed_all() -> SeedReport:
    """Stage reference data and the demo directory (the caller commits once)."""
    report = load_reference_data()
    demo = load_demo_directory()
    for kind, n in demo.added.items():
        report.count(kind, n)
    for kind, n in load_networks(seed_dir()).items():
        report.count(kind, n)
    return report
