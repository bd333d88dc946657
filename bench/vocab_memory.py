"""The saved vocabulary's load time and size in memory (issue 25).

``python -m bench vocab_memory`` builds (once) a synthetic directory of
``BENCH_VOCAB_SIZE`` providers (default 10,000; ``bench/synth.py``) in ``BENCH_DIR``, builds
its vocabulary with both typo lexicons, and loads the saved form (``vocab_file``) 15 times:
CPU time with the collector paused (min and median), and what ``tracemalloc`` counts as
held after a load and at its peak. The same vocabulary as a pickle (what releases before
issue 25 saved; made and loaded here in memory only, never from a file) is the yardstick.
It prints a table; the figures go in docs/benchmarks.md by hand.
"""

from __future__ import annotations

import gc
import os
import pickle
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from app import create_app
from app.extensions import db
from app.search import vocab, vocab_file
from app.services.seed import load_reference_data
from bench.synth import generate
from config import Config

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("BENCH_VOCAB_SIZE", "10000"))
OUT = Path(os.environ.get("BENCH_DIR", ROOT / "instance" / "bench"))
RUNS = 15


def _vocabulary() -> vocab.Vocab:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"vocab-synthetic-{SIZE}.db"
    app = create_app(
        Config,
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SEARCH_INDEX_DIR": "",
            "SEARCH_SYNC_ON_COMMIT": False,
            "SEARCH_POLL_SECONDS": 0,
        },
    )
    with app.app_context():
        if not path.exists() or path.stat().st_size == 0:
            db.create_all()
            load_reference_data()
            db.session.commit()
            generate(SIZE)
            db.session.commit()
        with db.engine.connect() as conn:
            built = vocab.build(conn)
    built.lexicon("health")
    built.lexicon("place")
    return built


def _row(name: str, data: bytes, loads: Callable[[bytes], object]) -> str:
    times = []
    for _ in range(RUNS):
        gc.collect()
        gc.disable()
        started = time.process_time()
        loaded = loads(data)
        del loaded
        times.append(time.process_time() - started)
        gc.enable()
    gc.collect()
    gc.disable()
    tracemalloc.start()
    loaded = loads(data)
    held, peak = tracemalloc.get_traced_memory()  # with ``loaded`` still alive
    tracemalloc.stop()
    del loaded
    gc.enable()
    times.sort()
    return (
        f"| {name} | {len(data) / 2**20:.2f} MB | {times[0] * 1000:.0f} ms | "
        f"{times[len(times) // 2] * 1000:.0f} ms | {held / 2**20:.2f} MB | {peak / 2**20:.2f} MB |"
    )


def run() -> None:
    """Print the table for docs/benchmarks.md ("Saved vocabulary in memory")."""
    built = _vocabulary()
    print(f"{SIZE:,} providers, {len(built.places):,} clinics")
    print("| Saved form | File | Load (min CPU) | Load (median CPU) | Held after load | Peak |")
    print("|---|---:|---:|---:|---:|---:|")
    print(_row("pickle (yardstick)", pickle.dumps(built, protocol=5), pickle.loads))
    print(_row("msgpack string table", vocab_file.dump(built), vocab_file.load))


if __name__ == "__main__":
    run()
