"""The query set: generated name typos plus hand-written lay, place and ZIP queries.

Shared by the quality test (a floor) and ``make bench`` (precision@k and recall).
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "seed_data"


@dataclass
class Case:
    """One query and the providers (slugs) a good engine puts in the top ``k``."""

    kind: str
    params: dict[str, str]
    expected: set[str]
    k: int = 5
    # For broad queries, every hit in the top k should be relevant (precision matters).
    relevant: set[str] = field(default_factory=set)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalpha() or c == " ").lower()


def typo(word: str) -> str:
    """A deterministic one-edit typo: swap two inner letters, or change the last one."""
    w = _fold(word).replace(" ", "")
    if len(w) >= 5:
        i = len(w) // 2
        if w[i] != w[i + 1]:
            return w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        return w[:i] + w[i + 1 :]
    return w[:-1] + ("x" if w[-1] != "x" else "z")


def load_seed() -> tuple[list[dict], dict[str, str]]:
    providers = json.loads((SEED / "providers.json").read_text(encoding="utf-8"))
    with (SEED / "specialties.csv").open(encoding="utf-8", newline="") as fh:
        slug_of = {row["code"]: row["slug"] for row in csv.DictReader(fh)}
    return providers, slug_of


def build_cases() -> list[Case]:
    providers, slug_of = load_seed()
    cases: list[Case] = []
    for p in providers:
        last = max(_fold(p["last_name"]).replace("-", " ").split(), key=len)
        q = typo(last) if len(last) >= 4 else f"{_fold(p['first_name'])} {typo(last)}"
        if len(last) >= 4 and sum(last in _fold(o["last_name"]) for o in providers) > 1:
            q = f"{_fold(p['first_name'])} {typo(last)}"
        cases.append(Case("name typo", {"q": q}, {p["slug"]}, k=3))

    def with_specialty(slug: str, primary_only: bool = False) -> set[str]:
        out = set()
        for p in providers:
            codes = p["specialties"][:1] if primary_only else p["specialties"]
            if any(slug_of[c] == slug for c in codes):
                out.add(p["slug"])
        return out

    lay = [
        ("pt", "physical-therapist"),
        ("physio", "physical-therapist"),
        ("physical therapy", "physical-therapist"),
        ("physical therapists", "physical-therapist"),
        ("kids doctor", "pediatrics"),
        ("pediatrician", "pediatrics"),
        ("heart doctor", "cardiology"),
        ("cardiologist", "cardiology"),
        ("skin", "dermatology"),
        ("skin doctor", "dermatology"),
        ("acne", "dermatology"),
        ("cancer", "hematology-oncology"),
        ("chiro", "chiropractor"),
        ("foot doctor", "podiatrist"),
        ("eye doctor", "optometrist"),
        ("massage", "massage-therapist"),
        ("acupuncture", "acupuncturist"),
        ("nutritionist", "registered-dietitian"),
        ("spine surgeon", "orthopaedic-spine-surgery"),
        ("pain management", "interventional-pain-medicine"),
        ("physiatrist", "physical-medicine-rehabilitation"),
        ("migraine", "neurology"),
        ("obgyn", "obstetrics-gynecology"),
        ("ent", "ent"),
        ("allergist", "allergy-immunology"),
        ("cardiolgy", "cardiology"),
        ("dermatolgist", "dermatology"),
    ]
    for q, slug in lay:
        also = {
            "hematology-oncology": "medical-oncology",
            "optometrist": "ophthalmology",
            "orthopaedic-spine-surgery": "neurological-surgery",
        }.get(slug)
        relevant = with_specialty(slug) | (with_specialty(also) if also else set())
        cases.append(Case("lay term", {"q": q}, set(relevant), k=3, relevant=relevant))
    spine = set()
    for code in json.loads((SEED / "care_paths.json").read_text())["spine"]["specialties"][:2]:
        spine |= with_specialty(slug_of[code], primary_only=True)
    for q in (
        "back pain",
        "sciatica",
        "herniated disc",
        "neck pain",
        "slipped disc",
        "lower back",
        "my back hurts",
        "my neck hurts",
        "i have sciatica",
        "upper back pain",
    ):
        cases.append(Case("care path", {"q": q}, spine, k=5, relevant=spine))

    def at(clinic: str, slug: str) -> set[str]:
        return {
            p["slug"]
            for p in providers
            if any(link["clinic"] == clinic for link in p["locations"])
            and any(slug_of[c] == slug for c in p["specialties"])
        }

    for q, clinic, slug in [
        ("pt in kirkland", "kirkland", "physical-therapist"),
        ("physical therapist in kirkland", "kirkland", "physical-therapist"),
        ("pt 98034", "kirkland", "physical-therapist"),
        ("chiropractor in renton", "renton", "chiropractor"),
        ("family medicine shoreline", "shoreline", "family-medicine"),
        ("pt near 98103", "fremont", "physical-therapist"),
    ]:
        expected = at(clinic, slug)
        cases.append(
            Case("specialty + place", {"q": q}, expected, k=len(expected), relevant=expected)
        )
    for p in providers[::9]:
        clinic = p["locations"][0]["clinic"]
        place = {"first-hill": "first hill", "columbia-city": "columbia city"}.get(clinic, clinic)
        last = _fold(p["last_name"])
        cases.append(Case("name + place", {"q": f"{last} {place}"}, {p["slug"]}, k=3))
    for zip_code, clinic, slug, radius in [
        ("98034", "kirkland", "physical-therapist", "5"),
        ("98057", "renton", "family-medicine", "5"),
        ("98133", "shoreline", "physical-therapist", "5"),
        ("98004", "bellevue", "internal-medicine", "5"),
    ]:
        expected = at(clinic, slug)
        cases.append(
            Case(
                "zip + radius",
                {"specialty": slug, "location": zip_code, "radius": radius, "sort": "distance"},
                expected,
                k=len(expected),
                relevant=expected,
            )
        )
    return cases


@dataclass
class Outcome:
    case: Case
    top: list[str]

    @property
    def hit(self) -> bool:
        top = self.top[: self.case.k]
        if self.case.relevant:
            return bool(top) and top[0] in self.case.relevant and self.precision >= 0.8
        return bool(self.case.expected & set(top))

    @property
    def precision(self) -> float:
        top = self.top[: self.case.k]
        good = self.case.relevant or self.case.expected
        return sum(s in good for s in top) / len(top) if top else 0.0

    @property
    def recall(self) -> float:
        top = set(self.top[: self.case.k])
        return (
            len(self.case.expected & top) / len(self.case.expected) if self.case.expected else 1.0
        )


def evaluate(run: Callable[[dict[str, str]], list[str]]) -> list[Outcome]:
    """Run every case through ``run`` (params -> ranked slugs)."""
    return [Outcome(case, run(case.params)) for case in build_cases()]
