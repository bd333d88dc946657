"""A deterministic synthetic directory (clinics and providers) written with bulk inserts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import zipcodes
from sqlalchemy import insert, select

from app.extensions import db
from app.models import (
    InsurancePlan,
    Language,
    Location,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    SearchOutbox,
    Specialty,
    provider_insurance,
    provider_language,
)
from app.models.provider import name_key
from app.parsing.validation import npi_problem


def _names(text: str) -> list[str]:
    return text.split(" ")


LAST = _names(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Kim Park Chen Tran Le Pham Huynh Patel Shah Singh Kaur Khan Ali Ahmed Hassan "
    "Mohamed Cohen Levy Novak Kowalski Nowak Ivanova Petrov Sokolov Muller Schmidt Schneider "
    "Fischer Weber Meyer Rossi Russo Ferrari Esposito Bianchi Romano Dubois Laurent Moreau "
    "Núñez Peña Ibáñez Castañeda García-López Ortega-Ruiz O'Brien O'Connor McCarthy Murphy "
    "Kelly Sullivan Walsh Byrne Yamamoto Tanaka Suzuki Sato Watanabe Takahashi Nakamura "
    "Kobayashi Wong Chan Leung Lam Okafor Okonkwo Adeyemi Mensah Haile Tesfaye Bekele Abdi "
    "Farah Warsame Andersen Nielsen Hansen Larsen Johansson Lindqvist Berg Virtanen Korhonen "
    "van der Berg De la Cruz"
)
FIRST = _names(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Steven Ashley Paul Emily Andrew Michelle Joshua Amanda Kevin "
    "Melissa Brian Stephanie George Rebecca Timothy Laura Ryan Emma Jacob Olivia Noah Ava "
    "Liam Sophia María José Lucía Héctor Sofía Mateo Camila Diego Valeria Wei Li Ming Yan "
    "Hiroshi Yuki Aiko Kenji Min-jun Seo-yeon Ji-ho Priya Arjun Ananya Rohan Fatima Omar "
    "Aisha Yusuf Amina Kwame Ngozi Chidi Abebe Tigist Dawit Hodan Olena Dmitri Irina Ivan "
    "Svetlana Élodie Zoë"
)
SPECIALTY_WEIGHTS = {
    "physical-therapist": 18,
    "family-medicine": 14,
    "internal-medicine": 10,
    "pediatrics": 6,
    "family-nurse-practitioner": 6,
    "physician-assistant": 5,
    "chiropractor": 4,
    "orthopedic-physical-therapist": 4,
    "sports-physical-therapist": 3,
    "psychologist": 4,
    "psychiatry": 2,
    "cardiology": 2,
    "dermatology": 2,
    "obstetrics-gynecology": 3,
    "orthopaedic-surgery": 2,
    "physical-medicine-rehabilitation": 2,
    "neurology": 1,
    "massage-therapist": 3,
    "occupational-therapist": 2,
    "registered-dietitian": 1,
    "optometrist": 1,
    "podiatrist": 1,
    "acupuncturist": 1,
    "sports-medicine": 1,
    "interventional-pain-medicine": 1,
    "gastroenterology": 1,
    "ent": 1,
    "urology": 1,
}
LANG_WEIGHTS = {
    "es": 12,
    "zh": 4,
    "vi": 4,
    "ko": 3,
    "tl": 3,
    "ru": 2,
    "so": 2,
    "ar": 2,
    "hi": 2,
    "fr": 2,
}


# Up to a state's size the directory is one state's (Washington, the demo's home); above it,
# the nation's: clinics on real ZIP codes of every state, 25,000 of them at 1,000,000.
NATIONAL_FROM = 100_001


def clinic_zips(rng: random.Random, n: int, national: bool) -> list[dict]:
    """``n`` real ZIP codes (with repeats) for clinics: Washington's, or every state's."""
    found = zipcodes.list_all() if national else zipcodes.filter_by(state="WA")
    rows = [z for z in found if z.get("zip_code_type") == "STANDARD" and z.get("lat")]
    rows.sort(key=lambda z: z["zip_code"])
    return [rng.choice(rows) for _ in range(n)]


def synthetic_npi(pid: int) -> str:
    """A distinct NPI that passes the check digit, derived from the provider id."""
    base = f"{100_000_000 + pid * 7 % 900_000_000:09d}"
    return next(base + d for d in "0123456789" if npi_problem(base + d) is None)


def verified(pid: int, now: datetime) -> datetime | None:
    """A spread of verification dates: a tenth never verified, a tenth over a year ago, the
    rest within the last six months, so the verification queue and its counts have work."""
    if pid % 10 == 0:
        return None
    if pid % 10 == 1:
        return now - timedelta(days=400 + pid % 300)
    return now - timedelta(days=pid % 170)


def generate(size: int, seed: int = 42) -> dict:
    """Insert ``size`` providers (and size/50 clinics, size/40 nationally) into an empty schema."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    conn = db.session.connection()
    spec_ids = dict(conn.execute(select(Specialty.slug, Specialty.id)).all())
    lang_ids = dict(conn.execute(select(Language.code, Language.id)).all())
    plan_ids = list(conn.execute(select(InsurancePlan.id)).scalars())
    national = size >= NATIONAL_FROM
    n_clinics = max(8, size // 40 if national else size // 50)
    clinics = []
    for i, z in enumerate(clinic_zips(rng, n_clinics, national), 1):
        clinics.append(
            {
                "id": i,
                "slug": f"clinic-{i}",
                "name": f"{z['city'].title()} Health Center {i}",
                "neighborhood": "",
                "address_line1": f"{100 + i} Main St",
                "address_line2": "",
                "city": z["city"].title(),
                "state": z["state"],
                "zip": z["zip_code"],
                "phone": f"(206) 555-{i % 10000:04d}",
                "latitude": float(z["lat"]) + rng.uniform(-0.01, 0.01),
                "longitude": float(z["long"]) + rng.uniform(-0.01, 0.01),
                "accessibility_notes": "",
                "parking_notes": "",
                "active": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    conn.execute(insert(Location), clinics)
    specs, weights = zip(*[(spec_ids[s], w) for s, w in SPECIALTY_WEIGHTS.items()], strict=True)
    langs, lweights = zip(*[(lang_ids[c], w) for c, w in LANG_WEIGHTS.items()], strict=True)
    last_w = [1 / (i + 1) ** 0.7 for i in range(len(LAST))]
    first_w = [1 / (i + 1) ** 0.5 for i in range(len(FIRST))]
    batch: dict[str, list] = {"p": [], "ps": [], "pl": [], "lang": [], "ins": [], "out": []}

    def flush() -> None:
        for key, model in (
            ("p", Provider),
            ("ps", ProviderSpecialty),
            ("pl", ProviderLocation),
            ("lang", provider_language),
            ("ins", provider_insurance),
            ("out", SearchOutbox),
        ):
            if batch[key]:
                conn.execute(insert(model), batch[key])
                batch[key].clear()

    for pid in range(1, size + 1):
        first, last = rng.choices(FIRST, first_w)[0], rng.choices(LAST, last_w)[0]
        credentials = rng.choice(["MD", "DO", "DPT", "PT", "ARNP", "PA-C", "DC"])
        npi = synthetic_npi(pid)
        batch["p"].append(
            {
                "id": pid,
                "slug": f"provider-{pid}",
                "first_name": first,
                "middle_name": "",
                "last_name": last,
                "suffix": "",
                "credentials": credentials,
                "npi": npi,
                "name_key": name_key(first, last, "", "", credentials, npi),
                "gender": rng.choice("FFMMX" if pid % 50 == 0 else "FM"),
                "pronouns": "",
                "bio": f"{first} {last} sees patients of all ages and explains options clearly.",
                "website": "",
                "accepting_new_patients": rng.random() < 0.7,
                "telehealth": rng.random() < 0.4,
                "active": rng.random() > 0.02,
                "verified_at": verified(pid, now),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        chosen = list(dict.fromkeys(rng.choices(specs, weights, k=rng.choice((1, 1, 2, 3)))))
        batch["ps"] += [
            {"provider_id": pid, "specialty_id": s, "is_primary": i == 0, "position": i}
            for i, s in enumerate(chosen)
        ]
        home = rng.randrange(n_clinics)
        sites = {home + 1} | ({rng.randrange(n_clinics) + 1} if rng.random() < 0.3 else set())
        batch["pl"] += [
            {"provider_id": pid, "location_id": c, "phone": "", "position": i}
            for i, c in enumerate(sorted(sites))
        ]
        spoken = {lang_ids["en"]} | (
            set(rng.choices(langs, lweights)) if rng.random() < 0.35 else set()
        )
        batch["lang"] += [{"provider_id": pid, "language_id": lang} for lang in spoken]
        batch["ins"] += [
            {"provider_id": pid, "insurance_plan_id": p}
            for p in rng.sample(plan_ids, rng.randint(3, 7))
        ]
        batch["out"].append(
            {"entity_type": "provider", "entity_id": pid, "op": "upsert", "at": now}
        )
        if pid % 10000 == 0:
            flush()
    flush()
    db.session.commit()
    return {"providers": size, "clinics": n_clinics}
