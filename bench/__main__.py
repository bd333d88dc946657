"""Run every benchmark module listed in BENCHMARKS; each exposes ``run() -> None``.

Add a module (e.g. ``bench.roster``) to BENCHMARKS to include it.  Select a subset with
``python -m bench search`` or ``BENCH_ONLY=search``.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

BENCHMARKS = [
    "bench.search",
    "bench.http",
    "bench.profile",
    "bench.understanding",
    "bench.roster",
    "bench.pages",
    "bench.staff",
    "bench.vocab_memory",
    "bench.export",
]


def main(argv: list[str]) -> int:
    wanted = set(argv) or set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    for name in BENCHMARKS:
        if wanted and name.rsplit(".", 1)[-1] not in wanted:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                print(f"== {name}: not present, skipped")
                continue
            raise
        started = time.monotonic()
        print(f"== {name}")
        module.run()
        print(f"== {name} finished in {time.monotonic() - started:.0f}s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
