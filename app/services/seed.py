"""Load the demo directory from ``seed_data/`` (idempotent)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    WEEKDAYS,
    CarePath,
    CarePathSpecialty,
    InsurancePlan,
    Language,
    Location,
    LocationHours,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    Specialty,
    now_utc,
)
from app.services import audit
from app.services.geo import zip_centroid


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
    configured = current_app.config.get("SEED_DATA_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "seed_data"


def split_list(value: str | None) -> list[str]:
    """Split a ``;``-separated cell into trimmed, non-empty items."""
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def load_reference_data(base: Path | None = None) -> SeedReport:
    """Add specialties, care paths, languages and plans that are not there yet."""
    base = base or seed_dir()
    report = SeedReport()
    known = set(db.session.scalars(select(Specialty.code)))
    with (base / "specialties.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["code"] not in known]
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
    report.count("specialties", len(rows))

    known_langs = set(db.session.scalars(select(Language.code)))
    with (base / "languages.csv").open(encoding="utf-8", newline="") as fh:
        langs = [r for r in csv.DictReader(fh) if r["code"] not in known_langs]
    db.session.add_all(Language(code=r["code"], name=r["name"]) for r in langs)
    report.count("languages", len(langs))

    known_plans = set(db.session.scalars(select(InsurancePlan.slug)))
    with (base / "insurance_plans.csv").open(encoding="utf-8", newline="") as fh:
        plans = [r for r in csv.DictReader(fh) if r["slug"] not in known_plans]
    db.session.add_all(InsurancePlan(slug=r["slug"], name=r["name"]) for r in plans)
    report.count("insurance plans", len(plans))
    db.session.flush()

    by_code = {s.code: s for s in db.session.scalars(select(Specialty))}
    known_paths = set(db.session.scalars(select(CarePath.slug)))
    paths = json.loads((base / "care_paths.json").read_text(encoding="utf-8"))
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
        report.count("care paths", 1)
    return report


def parse_hours(hours: dict[str, list[list[str]]]) -> list[LocationHours]:
    """Turn ``{"mon": [["08:00", "17:00"]], ...}`` into hour rows."""
    rows = []
    for weekday, day in enumerate(WEEKDAYS):
        for opens, closes in hours.get(day, []):
            rows.append(
                LocationHours(
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
        lat_lon = zip_centroid(spec["zip"]) or (None, None)
        loc = Location(
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
        )
        db.session.add(loc)
        clinics[loc.slug] = loc
        report.count("clinics", 1)

    specialties = {s.code: s for s in db.session.scalars(select(Specialty))}
    languages = {x.code: x for x in db.session.scalars(select(Language))}
    plans = {x.slug: x for x in db.session.scalars(select(InsurancePlan))}
    now = now_utc()
    providers = []
    for spec in json.loads((base / "providers.json").read_text(encoding="utf-8")):
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
            verified_at=now - timedelta(days=int(spec.get("verified_days_ago", 0))),
        )
        provider.specialty_links = [
            ProviderSpecialty(specialty=specialties[code], is_primary=(i == 0), position=i)
            for i, code in enumerate(spec["specialties"])
        ]
        provider.location_links = [
            ProviderLocation(
                location=clinics[link["clinic"]], phone=link.get("phone", ""), position=i
            )
            for i, link in enumerate(spec["locations"])
        ]
        provider.languages = [languages[c] for c in spec.get("languages", [])]
        provider.insurance_plans = [plans[s] for s in spec.get("insurance", [])]
        providers.append(provider)
    db.session.add_all(providers)
    db.session.flush()
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


def seed_all() -> SeedReport:
    """Stage reference data and the demo directory (the caller commits once)."""
    report = load_reference_data()
    demo = load_demo_directory()
    for kind, n in demo.added.items():
        report.count(kind, n)
    return report
