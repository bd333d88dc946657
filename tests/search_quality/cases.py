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

from app.search.text import words
from app.search.understand import CHILD_WORDS

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
    # Red-flag cases: the alert level the query must raise ("emergency", "crisis" or None).
    alert: str | None = None


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
    cases += understanding_cases(providers, slug_of)
    return cases


def _children(slug_of: dict[str, str]) -> dict[str, set[str]]:
    """NUCC code -> codes of its specializations (by "Classification, Specialization")."""
    with (SEED / "specialties.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_name = {r["name"]: r["code"] for r in rows}
    out: dict[str, set[str]] = {}
    for r in rows:
        parts = r["name"].split(", ")
        for n in range(len(parts) - 1, 0, -1):
            parent = by_name.get(", ".join(parts[:n]))
            if parent:
                out.setdefault(parent, set()).add(r["code"])
                break
    return out


def understanding_cases(providers: list[dict], slug_of: dict[str, str]) -> list[Case]:
    """Names, conditions, NUCC names, hierarchy, places, place typos, red flags, mixed."""
    cases: list[Case] = []
    children = _children(slug_of)
    with (SEED / "specialties.csv").open(encoding="utf-8", newline="") as fh:
        nucc = {r["code"]: r["name"] for r in csv.DictReader(fh)}

    def having(codes) -> set[str]:
        codes = set(codes)
        return {p["slug"] for p in providers if codes & set(p["specialties"])}

    primary_care = having({"207Q00000X", "207R00000X", "208D00000X"})
    pediatrics = having({"208000000X"})
    for p in providers:
        q = f"{p['first_name']} {p['last_name']}"
        cases.append(Case("names", {"q": q}, {p["slug"]}, k=1))
    with (SEED / "conditions.csv").open(encoding="utf-8", newline="") as fh:
        conditions = list(csv.DictReader(fh))
    for i, row in enumerate(conditions):
        codes = [c for c in row["specialties"].split("|") if c]
        relevant = having(codes)
        terms = [t for t in row["terms"].split("|") if t]
        for q in [row["name"].lower(), *terms[1 + i % 3 :: 6]]:
            expect = relevant
            if not expect:
                # Nobody treats it here: primary care, or pediatrics for a child's concern.
                child = row["audience"] == "children" or CHILD_WORDS & set(words(q))
                expect = pediatrics if child else primary_care
            cases.append(Case("conditions", {"q": q}, expect, k=3, relevant=expect))
    used = sorted({c for p in providers for c in p["specialties"]})
    for code in used:
        name = nucc[code]
        wanted = having({code} | children.get(code, set()))
        parts = name.replace(",", " ").replace("/", " ").split()
        for q in {name, " ".join(reversed(parts))}:
            cases.append(Case("nucc names", {"q": q}, wanted, k=3, relevant=wanted))
    for parent, kids in sorted(children.items()):
        sub = having(kids) - having({parent})
        if sub and parent in used:
            q = nucc[parent].lower()
            cases.append(Case("hierarchy", {"q": q}, sub, k=len(having({parent} | kids))))
    places = {
        "kirkland": "kirkland",
        "renton": "renton",
        "shoreline": "shoreline",
        "bellevue": "bellevue",
        "fremont": "fremont",
        "first-hill": "first hill",
        "columbia-city": "columbia city",
    }
    for clinic, place in places.items():
        here = {
            p["slug"] for p in providers if any(loc["clinic"] == clinic for loc in p["locations"])
        }
        for spec, code in (("family medicine", "207Q00000X"), ("physical therapist", "225100000X")):
            expected = here & having({code} | children.get(code, set()))
            if not expected:
                continue
            for q in (f"{spec} in {place}", f"{spec} near {place}", f"{place} {spec}"):
                cases.append(Case("places", {"q": q}, expected, k=len(expected), relevant=expected))
            longest = max(place.split(), key=len)
            typed = place.replace(longest, typo(longest))
            for q in (f"{spec} in {typed}", f"{spec} {typed}"):
                if len(longest) >= 5:
                    cases.append(
                        Case("place typos", {"q": q}, expected, k=len(expected), relevant=expected)
                    )
    flags = json.loads((SEED / "red_flags.json").read_text(encoding="utf-8"))
    for level, spec in flags["levels"].items():
        for phrase in spec["phrases"]:
            cases.append(Case("red flags", {"q": phrase}, set(), alert=level))
    for phrase in flags.get("not_red_flags", []):
        cases.append(Case("red flags", {"q": phrase}, set(), alert=None))
    for q, codes, clinic in [
        ("knee pain kirkland", ("207X00000X", "225100000X", "207Q00000X"), "kirkland"),
        ("heartburn in renton", ("207Q00000X", "207R00000X", "207RG0100X"), "renton"),
        ("sore throat near 98133", ("207Q00000X", "207R00000X", "207Y00000X"), "shoreline"),
        ("sprained ankle kirkland", ("207X00000X", "207XX0005X", "225100000X"), "kirkland"),
        ("anxiety first hill", ("103T00000X", "2084P0800X", "103TC0700X"), "first-hill"),
    ]:
        here = {
            p["slug"] for p in providers if any(loc["clinic"] == clinic for loc in p["locations"])
        }
        expected = here & having(codes)
        if expected:
            cases.append(Case("mixed", {"q": q}, expected, k=3))
    return cases


@dataclass
class Outcome:
    case: Case
    top: list[str]
    alert: str | None = None

    @property
    def hit(self) -> bool:
        if self.case.kind == "red flags":
            return self.alert == self.case.alert
        top = self.top[: self.case.k]
        if self.case.relevant:
            return bool(top) and top[0] in self.case.relevant and self.precision >= 0.8
        return bool(self.case.expected & set(top))

    @property
    def precision(self) -> float:
        if self.case.kind == "red flags":
            return float(self.hit)  # a yes/no judgement: the right notice or not
        top = self.top[: self.case.k]
        good = self.case.relevant or self.case.expected
        return sum(s in good for s in top) / len(top) if top else 0.0

    @property
    def recall(self) -> float:
        if self.case.kind == "red flags":
            return float(self.hit)
        top = set(self.top[: self.case.k])
        return (
            len(self.case.expected & top) / len(self.case.expected) if self.case.expected else 1.0
        )


def evaluate(run: Callable[[dict[str, str]], tuple[list[str], str | None]]) -> list[Outcome]:
    """Run every case through ``run`` (params -> (ranked slugs, alert level or None))."""
    out = []
    for case in build_cases():
        top, alert = run(case.params)
        out.append(Outcome(case, top, alert))
    return out
