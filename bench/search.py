"""Search benchmark: synthetic 1k/10k/100k directories, query classes, baselines, quality.

Environment: BENCH_SIZES (default 1000,10000,100000), BENCH_QUERIES (per class, default
60), BENCH_DIR (default instance/bench).  Writes docs/search-benchmark.png and the search
section of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from werkzeug.datastructures import MultiDict

from app import create_app, search
from app.extensions import db
from app.geo import city_centroid, zip_centroid
from app.models import Location, Provider, Specialty
from app.services import audit
from app.services.seed import load_reference_data, seed_all
from app.transaction import unit_of_work
from bench import baselines, report
from bench.synth import SPECIALTY_WEIGHTS, generate
from config import Config

ROOT = Path(__file__).resolve().parent.parent
CODE = Path.cwd()  # where `python -m bench` runs (the checkout whose code is measured)
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",") if s]
PER_CLASS = int(os.environ.get("BENCH_QUERIES", "60"))
OUT = Path(os.environ.get("BENCH_DIR", ROOT / "instance" / "bench"))
CLASSES = [
    "exact name",
    "name prefix",
    "name typo",
    "specialty",
    "lay term",
    "city",
    "zip+radius by distance",
    "name/specialty + 2 filters",
    "typeahead",
]
LAY = [
    "back pain",
    "kids doctor",
    "heart doctor",
    "skin doctor",
    "physio",
    "sciatica",
    "foot doctor",
    "eye doctor",
    "chiro",
    "talk therapy",
    "pcp",
    "herniated disc",
]
LAY_SPEC = {
    "back pain": "physical-therapist",
    "kids doctor": "pediatrics",
    "heart doctor": "cardiology",
    "skin doctor": "dermatology",
    "physio": "physical-therapist",
    "sciatica": "physical-therapist",
    "foot doctor": "podiatrist",
    "eye doctor": "optometrist",
    "chiro": "chiropractor",
    "talk therapy": "psychologist",
    "pcp": "family-medicine",
    "herniated disc": "physical-therapist",
}


def make_app(name: str):
    return create_app(
        Config,
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{OUT / (name + '.db')}",
            "SEARCH_INDEX_DIR": str(OUT / f"index-{name}"),
            "SEARCH_SYNC_ON_COMMIT": False,
            "SEARCH_POLL_SECONDS": 0,
        },
    )


def build(size: int) -> tuple[object, dict]:
    """Generate the directory and build the index, timing the rebuild."""
    name = f"synthetic-{size}"
    OUT.mkdir(parents=True, exist_ok=True)
    for path in (OUT / f"{name}.db", OUT / f"index-{name}"):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    app = make_app(name)
    with app.app_context():
        db.create_all()
        load_reference_data()
        db.session.commit()
        started = time.monotonic()
        generate(size)
        generated = time.monotonic() - started
        info = search.rebuild(procs=search.rebuild_procs())  # what `flask search rebuild` does
    return app, {
        "generate_s": generated,
        "rebuild_s": info["seconds"],
        "index_mb": info["size_bytes"] / 2**20,
        "documents": info["documents"],
    }


def typo(word: str) -> str:
    w = "".join(c for c in word.lower() if c.isalpha())
    i = len(w) // 2
    return w[:i] + w[i + 1] + w[i] + w[i + 2 :] if len(w) >= 5 and w[i] != w[i + 1] else w + "e"


def sample_people(limit: int = 5000) -> list:
    """(first, last) names of the first ``limit`` active providers: the workloads' people."""
    return db.session.execute(
        db.select(Provider.first_name, Provider.last_name)
        .where(Provider.active.is_(True))
        .order_by(Provider.id)
        .limit(limit)
    ).all()


def workload(size: int) -> dict[str, list[tuple[dict, dict]]]:
    """(engine params, baseline query) pairs per class, drawn from the data."""
    rng = random.Random(size)
    people = sample_people()
    places = db.session.execute(db.select(Location.city, Location.zip)).all()
    names = dict(db.session.execute(db.select(Specialty.slug, Specialty.display_name)).all())
    specs = list(SPECIALTY_WEIGHTS)
    out: dict[str, list] = {c: [] for c in CLASSES}
    for _ in range(PER_CLASS):
        first, last = rng.choice(people)
        city, zip_code = rng.choice(places)
        spec = rng.choice(specs)
        lay = rng.choice(LAY)
        z = zip_centroid(zip_code)
        c = city_centroid(city, "WA")
        out["exact name"].append(({"q": f"{first} {last}"}, {"text": f"{first} {last}"}))
        out["name prefix"].append(({"q": last[:3]}, {"text": last[:3]}))
        out["name typo"].append(({"q": typo(last)}, {"text": typo(last)}))
        out["specialty"].append(({"q": names[spec]}, {"specialty": spec}))
        out["lay term"].append(({"q": lay}, {"specialty": LAY_SPEC[lay]}))
        out["city"].append(({"location": city}, {"origin": c}))
        out["zip+radius by distance"].append(
            (
                {"q": "pt", "location": zip_code, "radius": "10", "sort": "distance"},
                {"specialty": "physical-therapist", "origin": z, "radius": 10},
            )
        )
        if rng.random() < 0.5:
            out["name/specialty + 2 filters"].append(
                (
                    {"q": names[spec], "language": "es", "accepting": "1"},
                    {"specialty": spec, "language": "es", "accepting": True},
                )
            )
        else:
            out["name/specialty + 2 filters"].append(
                (
                    {"q": last, "language": "en", "accepting": "1"},
                    {"text": last, "language": "en", "accepting": True},
                )
            )
        prefix = rng.choice([last[: rng.randint(2, 4)], names[spec][:3], f"{first} {last[:2]}"])
        out["typeahead"].append(({"prefix": prefix}, {}))
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def time_engine(items) -> list[float]:
    times = []
    for params, _ in items:
        started = time.perf_counter()
        if "prefix" in params:
            search.suggest(params["prefix"])
        else:
            search.search(search.parse_params(MultiDict(params), api=False))
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_baseline(conn, kind: str, items) -> list[float]:
    times = []
    for _, query in items[:20]:
        started = time.perf_counter()
        baselines.run_query(conn, kind, query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_edit() -> tuple[float, float]:
    """One staff edit: (ms to apply it to the index, ms for the first search after it)."""
    provider = db.session.scalar(db.select(Provider).where(Provider.active.is_(True)).limit(1))
    provider.accepting_new_patients = not provider.accepting_new_patients
    audit.enqueue("provider", [provider.id])
    db.session.commit()
    started = time.perf_counter()
    search.apply_changes()
    applied = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    search.search(search.parse_params(MultiDict({"q": "physical therapist"}), api=False))
    return applied, (time.perf_counter() - started) * 1000


def measure_rss(size: int) -> tuple[float, float]:
    """(RSS, peak RSS) in MB of a real gunicorn worker after serving the query mix over HTTP."""
    app = make_app(f"synthetic-{size}")
    with app.app_context():
        queries = [params for items in workload(size).values() for params, _ in items]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "bench",
        "DATABASE_URL": f"sqlite:///{OUT / f'synthetic-{size}.db'}",
        "SEARCH_INDEX_DIR": str(OUT / f"index-synthetic-{size}"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=CODE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/healthz")
        for params in queries:
            _get(f"{base}/find-a-doctor?{urllib.parse.urlencode(params)}")
            if "q" in params:
                _get(f"{base}/api/v1/suggest?{urllib.parse.urlencode({'q': params['q'][:4]})}")
        workers = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        usage = [_vm_kb(int(pid)) for pid in workers]
    finally:
        process.terminate()
        process.wait(timeout=30)
    return max(u[0] for u in usage) / 1024, max(u[1] for u in usage) / 1024


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        response.read()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _vm_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def quality() -> dict:
    """Precision@k and recall of the search-quality query set on the demo directory."""
    sys.path.insert(0, str(CODE))
    from tests.search_quality.cases import evaluate
    from tests.search_quality.test_quality import run_case

    for path in (OUT / "demo.db", OUT / "index-demo"):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    app = make_app("demo")
    with app.app_context():
        db.create_all()
        with unit_of_work():
            seed_all()
        search.rebuild()
        outcomes = evaluate(run_case)
    kinds: dict[str, list] = {}
    for o in outcomes:
        kinds.setdefault(o.case.kind, []).append(o)
    return {
        kind: {
            "queries": len(items),
            "hit_rate": sum(o.hit for o in items) / len(items),
            "precision_at_k": statistics.mean(o.precision for o in items),
            "recall_at_k": statistics.mean(o.recall for o in items),
        }
        for kind, items in [("all", outcomes), *kinds.items()]
    }


def run() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    search.RESULT_CACHE = False
    results: dict = {"sizes": {}, "baselines": {}}
    for size in SIZES:
        app, info = build(size)
        print(
            f"-- {size} providers: generated in {info['generate_s']:.1f}s, rebuild "
            f"{info['rebuild_s']:.1f}s, index {info['index_mb']:.1f} MB"
        )
        with app.app_context():
            load = workload(size)
            started = time.perf_counter()
            search.search(search.parse_params(MultiDict({"q": "warm"}), api=False))
            info["first_search_ms"] = (time.perf_counter() - started) * 1000
            time_engine(load["city"][:3])
            info["classes"] = {c: percentiles(time_engine(load[c])) for c in CLASSES}
            info["apply_ms"], info["refresh_ms"] = time_edit()
        conn = baselines.connect(str(OUT / f"synthetic-{size}.db"))
        started = time.monotonic()
        baselines.build_fts(conn)
        info["fts_build_s"] = time.monotonic() - started
        for kind in ("like", "fts5"):
            results["baselines"].setdefault(kind, {})[size] = {
                c: percentiles(time_baseline(conn, kind, load[c])) for c in CLASSES[:-1]
            }
        conn.close()
        results["sizes"][size] = info
        report.print_size(size, info, results["baselines"])
    biggest = max(SIZES)
    results["rss_mb"], results["peak_rss_mb"] = measure_rss(biggest)
    results["bench_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["quality"] = quality()
    report.print_quality(results["quality"])
    print(
        f"Worker RSS at {biggest}: {results['rss_mb']:.0f} MB "
        f"(peak {results['peak_rss_mb']:.0f} MB) after the query mix"
    )
    (OUT / "search-results.json").write_text(json.dumps(results, indent=2, default=str))
    report.chart(results, CLASSES, ROOT / "docs" / "search-benchmark.png")
    report.write_docs(results, CLASSES, ROOT / "docs" / "benchmarks.md")
