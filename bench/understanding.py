"""Search understanding at scale: the whole vocabulary and labelled classes on a big directory.

``python -m bench understanding`` (or ``make bench``) builds the synthetic directory of
``BENCH_UNDERSTANDING_SIZE`` providers (default 100,000) with the demo reference data, then:

- walks the whole vocabulary (every specialty name, NUCC name, synonym, care-path term,
  condition term, clinic, city and neighborhood, alone and reversed) through the engine, and
  reports latency percentiles, the slowest query and any failure or empty answer;
- runs the labelled classes judged by specialty rather than by demo slug (a synthetic
  directory has no labelled people): conditions and NUCC names must put a provider of a
  mapped specialty (or of its specializations) first, red flags must raise their level.

It prints tables; the figures go in docs/benchmarks.md by hand.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import time
from pathlib import Path

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import ProviderSpecialty, Specialty
from app.search.vocab import every_phrase, get_vocab
from bench.search import OUT, build

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed_data"
SIZE = int(os.environ.get("BENCH_UNDERSTANDING_SIZE", "100000"))


def _phrases() -> list[str]:
    return every_phrase(get_vocab())


def _run(q: str):
    return search.search(search.parse_params(MultiDict({"q": q}), api=True))


def walk() -> dict:
    """Every vocabulary phrase alone and reversed: latency, failures, empty answers."""
    times: list[float] = []
    failures: list[str] = []
    empty: list[str] = []
    slowest = (0.0, "")
    for phrase in _phrases():
        for q in (phrase, " ".join(reversed(phrase.split()))):
            started = time.perf_counter()
            try:
                results = _run(q)
            except Exception as exc:
                failures.append(f"{q}: {exc!r}")
                continue
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            slowest = max(slowest, (elapsed, q))
            if not results.total:
                empty.append(q)
    times.sort()
    return {
        "queries": len(times) + len(failures),
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95)] * 1000,
        "max_ms": slowest[0] * 1000,
        "slowest": slowest[1],
        "over_1s": sum(t > 1.0 for t in times),
        "failures": failures[:10],
        "empty": empty[:10],
        "empty_count": len(empty),
    }


def _codes_of(provider_ids: list[int]) -> dict[int, set[str]]:
    rows = db.session.execute(
        select(ProviderSpecialty.provider_id, Specialty.code)
        .join(Specialty, Specialty.id == ProviderSpecialty.specialty_id)
        .where(ProviderSpecialty.provider_id.in_(provider_ids))
    ).all()
    out: dict[int, set[str]] = {}
    for pid, code in rows:
        out.setdefault(pid, set()).add(code)
    return out


def classes() -> dict[str, dict]:
    """Hit rate per class, judged by the specialties of the first result."""
    vocab = get_vocab()
    code_of = {slug: info.code for slug, info in vocab.specialties.items()}

    def family(codes: set[str]) -> set[str]:
        slugs = {s for s, c in code_of.items() if c in codes}
        for slug in list(slugs):
            slugs.update(vocab.children.get(slug, []))
        return {code_of[s] for s in slugs}

    primary = {"207Q00000X", "207R00000X", "208D00000X", "208000000X"}
    cases: list[tuple[str, str, set[str] | None, str | None]] = []
    with (SEED / "conditions.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            codes = set(filter(None, row["specialties"].split("|")))
            cases.append(("conditions", row["name"].lower(), family(codes) | primary, None))
    for _slug, info in vocab.specialties.items():
        cases.append(("nucc names", info.name, family({info.code}) | primary, None))
    flags = json.loads((SEED / "red_flags.json").read_text(encoding="utf-8"))
    for level, spec in flags["levels"].items():
        cases.extend(("red flags", phrase, None, level) for phrase in spec["phrases"])
    cases.extend(("red flags", phrase, None, None) for phrase in flags["not_red_flags"])
    outcome: dict[str, list[bool]] = {}
    times: dict[str, list[float]] = {}
    for kind, q, codes, level in cases:
        started = time.perf_counter()
        results = _run(q)
        times.setdefault(kind, []).append(time.perf_counter() - started)
        if codes is None:
            ok = (results.alert.level if results.alert else None) == level
        elif not results.hits:
            ok = False
        else:
            first = results.hits[0].provider_id
            # With nobody of a mapped specialty in the directory, primary care is right.
            ok = bool(_codes_of([first]).get(first, set()) & codes)
        outcome.setdefault(kind, []).append(ok)
    return {
        kind: {
            "queries": len(hits),
            "hit_rate": sum(hits) / len(hits),
            "p95_ms": sorted(times[kind])[int(len(times[kind]) * 0.95)] * 1000,
        }
        for kind, hits in outcome.items()
    }


def run() -> None:
    """Build the big directory, then print the walk and the class tables."""
    search.RESULT_CACHE = False
    OUT.mkdir(parents=True, exist_ok=True)
    app, info = build(SIZE)
    print(f"-- {SIZE:,} providers (index {info['index_mb']:.0f} MB)")
    with app.app_context():
        search.warm()
        result = walk()
        print("| Vocabulary walk | queries | p50 | p95 | max | over 1 s | failures | empty |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| alone and reversed | {result['queries']} | {result['p50_ms']:.1f} ms | "
            f"{result['p95_ms']:.1f} ms | {result['max_ms']:.0f} ms | {result['over_1s']} | "
            f"{len(result['failures'])} | {result['empty_count']} |"
        )
        print(f"slowest: {result['slowest']!r}; failures: {result['failures']}")
        print(f"empty (first 10): {result['empty']}")
        table = classes()
        print("| Class (judged by specialty) | queries | hit rate | p95 |")
        print("|---|---:|---:|---:|")
        for kind, row in table.items():
            print(f"| {kind} | {row['queries']} | {row['hit_rate']:.3f} | {row['p95_ms']:.1f} ms |")
