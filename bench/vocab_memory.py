"""The saved vocabulary's load time and size in memory (issue 25).

``python -m bench vocab_memory`` builds (once) a synthetic directory of
``BENCH_VOCAB_SIZE`` providers (default 10,000; ``bench/synth.py``) in ``BENCH_DIR``, builds
its vocabulary with both typo lexicons, and loads the saved form (``vocab_file``) 15 times
in a fresh process: CPU time with the collector paused (min and median), and what
``tracemalloc`` counts as held after a load and at its peak. The same vocabulary as a
pickle (what releases before issue 25 saved; written to BENCH_DIR and loaded by the
measuring process, never by the app) is the yardstick. It prints a table; the figures go
in docs/benchmarks.md by hand.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
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


_MEASURE = """
import gc, pickle, sys, time, tracemalloc
from app.search import vocab_file
form, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
loads = pickle.loads if form == "pickle" else vocab_file.load
times = []
for _ in range(runs):
    gc.collect()
    gc.disable()
    started = time.process_time()
    loaded = loads(data)
    times.append(time.process_time() - started)
    del loaded
    gc.enable()
gc.collect()
gc.disable()
tracemalloc.start()
loaded = loads(data)
held, peak = tracemalloc.get_traced_memory()
print(min(times), sorted(times)[len(times) // 2], held, peak)
"""


def _row(name: str, form: str, data: bytes) -> str:
    """Load ``data`` in a fresh process (as a restarted worker does: nothing else holds the
    vocabulary's strings), ``RUNS`` times for the CPU time, once more for the memory."""
    path = OUT / f"vocab-{form}.bin"
    path.write_bytes(data)
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, form, str(path), str(RUNS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    least, median, held, peak = (float(x) for x in out)
    return (
        f"| {name} | {len(data) / 2**20:.2f} MB | {least * 1000:.0f} ms | "
        f"{median * 1000:.0f} ms | {held / 2**20:.2f} MB | {peak / 2**20:.2f} MB |"
    )


def run() -> None:
    """Print the table for docs/benchmarks.md ("Saved vocabulary in memory")."""
    built = _vocabulary()
    print(f"{SIZE:,} providers, {len(built.places):,} clinics")
    print("| Saved form | File | Load (min CPU) | Load (median CPU) | Held after load | Peak |")
    print("|---|---:|---:|---:|---:|---:|")
    print(_row("pickle (yardstick)", "pickle", pickle.dumps(built, protocol=5)))
    print(_row("msgpack string table", "msgpack", vocab_file.dump(built)))


if __name__ == "__main__":
    run()
