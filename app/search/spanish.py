"""Spanish search words: specialty names and synonyms, condition phrases, care-path terms.

The words live in ``seed_data/es/`` beside the English seed data, each tied to its English
twin (a NUCC code, an English condition name, a care-path slug), so a Spanish phrase finds
exactly what its English twin finds. ``vocab._load`` adds them to the vocabulary built from
the database; the files are part of the release, so their digest is part of the saved
vocabulary's key (``spanish.digest``). Sources: docs/content.md.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[2] / "seed_data" / "es"
FILES = ("specialties.csv", "conditions.csv", "care_paths.json", "red_flags.json")


@dataclass(frozen=True)
class SpanishWords:
    """The Spanish words, keyed by their English twins."""

    # NUCC code -> (Spanish name, synonyms)
    specialties: dict[str, tuple[str, tuple[str, ...]]]
    # English condition name -> (Spanish name, terms)
    conditions: dict[str, tuple[str, tuple[str, ...]]]
    # care path slug -> terms
    care_paths: dict[str, tuple[str, ...]]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split("|") if t.strip())


@cache
def load(folder: Path = FOLDER) -> SpanishWords:
    """Read the Spanish words (empty when the folder is missing)."""
    if not folder.is_dir():
        return SpanishWords({}, {}, {})
    specialties = {
        r["code"]: (r["name"], _split(r.get("synonyms", "")))
        for r in _rows(folder / "specialties.csv")
    }
    conditions = {
        r["condition"]: (r["name"], _split(r.get("terms", "")))
        for r in _rows(folder / "conditions.csv")
    }
    paths = json.loads((folder / "care_paths.json").read_text(encoding="utf-8"))
    care_paths = {slug: tuple(spec.get("terms", [])) for slug, spec in paths.items()}
    return SpanishWords(specialties, conditions, care_paths)


@cache
def digest(folder: Path = FOLDER) -> str:
    """Changes whenever a Spanish word file does (part of the saved vocabulary's key)."""
    h = hashlib.sha256()
    for name in FILES:
        path = folder / name
        h.update(path.read_bytes() if path.is_file() else b"-")
    return h.hexdigest()[:16]


def phrases() -> list[str]:
    """Every Spanish phrase a patient could type, sorted (what the Spanish walk searches)."""
    words = load()
    out: set[str] = set()
    for name, synonyms in words.specialties.values():
        out.update({name, *synonyms})
    for name, terms in words.conditions.values():
        out.update({name, *terms})
    for terms in words.care_paths.values():
        out.update(terms)
    return sorted(p for p in out if p.strip())
