"""Where the time goes: a cProfile of one request per HTTP query class, ours and Tantivy's.

For each size in BENCH_SIZES (default 100000), reuses the HTTP benchmark's synthetic
directory and indexes when they are there (``BENCH_DIR``, built by ``python -m bench http``),
or builds them.  Each class's first workload query is sent once to warm up, then once under
cProfile through each app's test client (no network, no gunicorn).  Prints, per class, the
request's total and the functions with the most cumulative time in our code (``app/``) and in
the Tantivy reference.  ``BENCH_PROFILE_TOP`` (default 8) sets how many.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from pathlib import Path

from app.extensions import db
from bench import baselines, tantivy_app
from bench.http import SIZES, workload
from bench.search import OUT, build, make_app

TOP = int(os.environ.get("BENCH_PROFILE_TOP", "8"))
ROOT = Path(__file__).resolve().parent.parent


def _profile(client, path: str) -> tuple[float, pstats.Stats]:
    client.get(path)  # warm: caches, lazily opened files
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    response = client.get(path)
    profiler.disable()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return elapsed, pstats.Stats(profiler)


def _top(stats: pstats.Stats, under: str) -> list[tuple[float, str]]:
    """(cumulative ms, function) for the functions defined under ``under``, most first."""
    rows = []
    for (filename, line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if under in filename:
            short = filename.split(under, 1)[1]
            rows.append((ct * 1000, f"{under}{short}:{line} {name}"))
    rows.sort(reverse=True)
    return rows[:TOP]


def _directory(size: int):
    name = f"synthetic-{size}"
    db_path = OUT / f"{name}.db"
    if db_path.exists() and (OUT / f"index-{name}").exists():
        return make_app(name), db_path
    app, _info = build(size)
    return app, db_path


def run() -> None:
    for size in SIZES:
        app, db_path = _directory(size)
        with app.app_context():
            load = workload(size)
            db.session.remove()
        tantivy_dir = OUT / f"tantivy-synthetic-{size}"
        if not tantivy_dir.exists():
            conn = baselines.connect(str(db_path))
            baselines.build_fts(conn)
            conn.close()
            tantivy_app.build_index(db_path, tantivy_dir)
        os.environ["REFERENCE_DB"] = str(db_path)
        os.environ["TANTIVY_INDEX"] = str(tantivy_dir)
        ours, theirs = app.test_client(), tantivy_app.app.test_client()
        print(f"#### Where the time goes, {size:,} providers (one request per class)\n")
        for cls, items in load.items():
            mine, ref = items[0]
            ours_ms, ours_stats = _profile(ours, mine)
            ref_ms, ref_stats = _profile(theirs, ref)
            print(f"{cls}: ours {ours_ms:.1f} ms ({mine}); Tantivy {ref_ms:.1f} ms ({ref})")
            for ms, where in _top(ours_stats, "app/"):
                print(f"    ours  {ms:8.1f} ms  {where}")
            for ms, where in _top(ref_stats, "bench/"):
                print(f"    ref   {ms:8.1f} ms  {where}")
            print()
