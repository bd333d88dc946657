"""HTTP benchmark: our app against two references, same box, same run.

The references are a plain Flask + SQLite FTS5 app (``bench.reference_app``) and Flask over
Tantivy doing exactly the same work (``bench.tantivy_app``).  All three run under gunicorn
with 2 workers on loopback over the same synthetic database; one client sends the same query
mix to each (interleaved, so background load hits them alike)
and the tables give p50/p95 per class side by side, worker RSS, the first search after a
start, and the import (generate) and rebuild times.

Environment: BENCH_SIZES (default 100000; e.g. 1000000), BENCH_QUERIES (per class; default
200 up to 100,000 providers, where a p95 of 60 samples is their third slowest and swings by a
millisecond from run to run, and 60 above, where the reference's broad queries take seconds
each), BENCH_DIR (default instance/bench), BENCH_REUSE=1 to reuse a directory already built
there.  Writes BENCH_DIR/http-results.json, docs/http-benchmark.png and the HTTP section of
docs/benchmarks.md.  Loopback only; every wait and loop is bounded.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from app import search
from app.extensions import db
from app.geo import city_centroid, zip_centroid
from app.models import Location, Specialty
from bench import baselines, tantivy_app
from bench.search import OUT, build, make_app, percentiles, sample_people
from bench.synth import SPECIALTY_WEIGHTS

ROOT = Path(__file__).resolve().parent.parent
CODE = Path.cwd()
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "100000").split(",") if s]
QUERIES = os.environ.get("BENCH_QUERIES")


def per_class(size: int) -> int:
    """Timed queries per class at this size (BENCH_QUERIES, else by size)."""
    if QUERIES:
        return int(QUERIES)
    return 200 if size <= 100_000 else 60


REUSE = os.environ.get("BENCH_REUSE") == "1"
START_TIMEOUT = 600.0  # seconds a server may take to answer its first search
RESTARTS = 9  # restarts timed after the run, spawn to first answer (the machine is noisy)
# Every size measured so far, so a run of one size keeps the other's tables in the docs.
RESULTS = ROOT / "docs" / "http-results.json"
CLASSES = [
    "name",
    "full name",
    "specialty",
    "specialty + city",
    "ZIP + distance",
    "typeahead",
    "HTML search page",
]
START, END = "<!-- http:start -->", "<!-- http:end -->"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 60.0) -> float:
    """Milliseconds to fetch ``url`` completely (raises on a non-200 answer)."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{url}: HTTP {exc.code}") from exc
    return (time.perf_counter() - started) * 1000


def _first_answer(url: str, process: subprocess.Popen | None = None) -> float:
    """Seconds from now until ``url`` first answers 200 (bounded by START_TIMEOUT).

    Gives up at once when the server ``process`` has exited (its log says why).
    """
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited; see {OUT}/gunicorn-*.log")
        try:
            _get(url, timeout=START_TIMEOUT)
            return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer within {START_TIMEOUT:.0f}s")


PLAIN_CONFIG = Path(__file__).with_name("gunicorn_plain.py")


class Server:
    """A gunicorn master with 2 workers on a loopback port."""

    def __init__(self, app: str, env: dict[str, str], config: str | None = None) -> None:
        self.port = _port()
        self.log = open(OUT / f"gunicorn-{app.split(':')[0]}.log", "ab")  # noqa: SIM115
        gunicorn = Path(sys.executable).parent / "gunicorn"
        # The reference apps get an empty config: gunicorn would otherwise read our
        # ./gunicorn.conf.py, whose hooks start the search poller in every worker.
        args = [str(gunicorn), "-c", str(PLAIN_CONFIG), "-w", "2", "-b", f"127.0.0.1:{self.port}"]
        if config:
            args = [str(gunicorn), "-c", config]
            env = {**env, "PORT": str(self.port), "WEB_CONCURRENCY": "2", "HOST": "127.0.0.1"}
        self.process = subprocess.Popen(
            [*args, app],
            cwd=CODE,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(pid) for pid in out.split()]

    def rss_mb(self) -> float:
        """The largest worker's resident memory (VmRSS), in MB."""
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return max(sizes, default=0.0)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.log.close()


def workload(size: int) -> dict[str, list[tuple[str, str]]]:
    """(our path, reference path) pairs per class, drawn from the data."""
    rng = random.Random(size)
    people = sample_people()
    places = db.session.execute(db.select(Location.city, Location.state, Location.zip)).all()
    names = dict(db.session.execute(db.select(Specialty.slug, Specialty.display_name)).all())
    specs = list(SPECIALTY_WEIGHTS)
    q = urllib.parse.urlencode
    out: dict[str, list[tuple[str, str]]] = {c: [] for c in CLASSES}
    for _ in range(per_class(size) + 4):  # the last 4 warm the servers up and are not timed
        first, last = rng.choice(people)
        city, state, zip_code = rng.choice(places)
        spec = rng.choice(specs)
        z = zip_centroid(zip_code) or (47.6, -122.3)
        c = city_centroid(city, state) or z
        out["name"].append((f"/api/v1/providers?{q({'q': last})}", f"/search?{q({'text': last})}"))
        full = f"{first} {last}"
        out["full name"].append(
            (f"/api/v1/providers?{q({'q': full})}", f"/search?{q({'text': full})}")
        )
        out["specialty"].append(
            (f"/api/v1/providers?{q({'q': names[spec]})}", f"/search?{q({'specialty': spec})}")
        )
        out["specialty + city"].append(
            (
                f"/api/v1/providers?{q({'q': names[spec], 'location': f'{city}, {state}'})}",
                f"/search?{q({'specialty': spec, 'lat': c[0], 'lon': c[1]})}",
            )
        )
        zip_ours = {"q": "pt", "location": zip_code, "radius": "10", "sort": "distance"}
        zip_ref = {"specialty": "physical-therapist", "lat": z[0], "lon": z[1], "radius": 10}
        out["ZIP + distance"].append((f"/api/v1/providers?{q(zip_ours)}", f"/search?{q(zip_ref)}"))
        prefix = rng.choice([last[: rng.randint(2, 4)], names[spec][:3], f"{first} {last[:2]}"])
        out["typeahead"].append(
            (f"/api/v1/suggest?{q({'q': prefix})}", f"/suggest?{q({'q': prefix})}")
        )
        out["HTML search page"].append(
            (f"/find-a-doctor?{q({'q': names[spec]})}", f"/page?{q({'specialty': spec})}")
        )
    return out


def measure(size: int) -> dict:
    """Build (or reuse) the directory, start both servers and time every class."""
    name = f"synthetic-{size}"
    db_path = OUT / f"{name}.db"
    info: dict = {}
    if REUSE and db_path.exists() and (OUT / f"index-{name}").exists():
        app = make_app(name)
    else:
        app, built = build(size)
        info.update(built)
        if size < 1_000_000:  # at 1M the build's own rebuild is the measure (15 min each)
            with app.app_context():
                started = time.monotonic()
                search.rebuild(procs=search.rebuild_procs())
                info["rebuild_again_s"] = time.monotonic() - started
    with app.app_context():
        load = workload(size)
        info["documents"] = search.document_count()
    conn = baselines.connect(str(db_path))
    started = time.monotonic()
    baselines.build_fts(conn)
    info["fts_build_s"] = time.monotonic() - started
    conn.close()
    tantivy_dir = OUT / f"tantivy-{name}"
    started = time.monotonic()
    tantivy_app.build_index(db_path, tantivy_dir)
    info["tantivy_build_s"] = time.monotonic() - started
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "bench",
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SEARCH_INDEX_DIR": str(OUT / f"index-{name}"),
        "SEARCH_RESULT_CACHE": "0",  # time the real work, not a cache hit
        "TRUSTED_HOSTS": "127.0.0.1",  # production refuses to start without it or SITE_URL
    }
    # What `make setup` does on a deployment: workers read compiled modules rather than
    # compile the app on each start (they would here when PYTHONDONTWRITEBYTECODE is set).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "app", "config.py", "wsgi.py"],
        cwd=CODE,
        check=False,
    )
    probe = "/api/v1/providers?q=smith"
    ours = Server("wsgi:app", env, config="gunicorn.conf.py")
    info["ours_first_search_s"] = _first_answer(ours.base + probe, ours.process)
    ref = Server("bench.reference_app:app", {"REFERENCE_DB": str(db_path)})
    info["ref_first_search_s"] = _first_answer(ref.base + "/search?text=smith", ref.process)
    tan = Server(
        "bench.tantivy_app:app", {"REFERENCE_DB": str(db_path), "TANTIVY_INDEX": str(tantivy_dir)}
    )
    info["tantivy_first_search_s"] = _first_answer(tan.base + "/search?text=smith", tan.process)
    try:
        for items in load.values():  # warm all three: every worker, every code path
            for mine, theirs in items[-4:]:
                _get(ours.base + mine)
                _get(ref.base + theirs)
                _get(tan.base + theirs)
        times: dict[str, dict[str, list[float]]] = {}
        for cls, items in load.items():
            mine_ms, ref_ms, tan_ms = [], [], []
            for mine, theirs in items[:-4]:
                mine_ms.append(_get(ours.base + mine))
                ref_ms.append(_get(ref.base + theirs))
                tan_ms.append(_get(tan.base + theirs))
            times[cls] = {"ours": mine_ms, "ref": ref_ms, "tantivy": tan_ms}
        info["classes"] = {
            cls: {key: percentiles(values) for key, values in t.items()} for cls, t in times.items()
        }
        info["ours_rss_mb"] = ours.rss_mb()
        info["ref_rss_mb"] = ref.rss_mb()
        info["tantivy_rss_mb"] = tan.rss_mb()
    finally:
        ours.stop()
        ref.stop()
        tan.stop()
    # The goal's case: a restarted server (its vocabulary and arrays saved by the first).
    restarts = []
    for _ in range(RESTARTS):
        again = Server("wsgi:app", env, config="gunicorn.conf.py")
        try:
            restarts.append(_first_answer(again.base + probe, again.process))
        finally:
            again.stop()
    info["ours_restart_s"] = restarts
    info["measured"] = time.strftime("%Y-%m-%d")
    return info


def table(size: int, info: dict) -> list[str]:
    rows = [
        f"#### {size:,} providers",
        "",
        "| Query class | Ours p50 | Ours p95 | FTS5 p50 | FTS5 p95 | vs FTS5 (p95) "
        "| Tantivy p50 | Tantivy p95 | vs Tantivy (p95) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for cls, pair in info["classes"].items():
        (o50, o95), (r50, r95) = pair["ours"], pair["ref"]
        verdict = "ok" if o95 <= r95 else "slower"
        row = f"| {cls} | {o50:.1f} | {o95:.1f} | {r50:.1f} | {r95:.1f} | "
        row += f"{o95 / r95:.2f}x {verdict} |"
        if "tantivy" in pair:  # runs before the Tantivy reference existed have no column
            t50, t95 = pair["tantivy"]
            goal = "ok" if o95 <= 1.5 * t95 else "over 1.5x"
            row += f" {t50:.1f} | {t95:.1f} | {o95 / t95:.2f}x {goal} |"
        else:
            row += " | | |"
        rows.append(row)
    rows += [
        "",
        f"Worker RSS: ours {info['ours_rss_mb']:.0f} MB, FTS5 {info['ref_rss_mb']:.0f} MB"
        + (f", Tantivy {info['tantivy_rss_mb']:.0f} MB. " if "tantivy_rss_mb" in info else ". ")
        + "First search after a start (server spawn to first answer): ours "
        f"{info['ours_first_search_s']:.1f} s, FTS5 {info['ref_first_search_s']:.1f} s"
        + (
            f", Tantivy {info['tantivy_first_search_s']:.1f} s."
            if "tantivy_first_search_s" in info
            else "."
        ),
    ]
    if info.get("ours_restart_s"):
        restarts = sorted(info["ours_restart_s"])
        rows[-1] += (
            f" Restarted (vocabulary and arrays already saved), {len(restarts)} times: "
            f"median {restarts[len(restarts) // 2]:.2f} s, slowest {restarts[-1]:.2f} s."
        )
    if info.get("measured"):
        rows[0] += f" (measured {info['measured']})"
    extra = []
    if "generate_s" in info:
        extra.append(f"generated (bulk insert) in {info['generate_s']:.0f} s")
    if "rebuild_s" in info:
        extra.append(f"index built in {info['rebuild_s']:.0f} s")
    if "rebuild_again_s" in info:
        extra.append(f"a full rebuild took {info['rebuild_again_s']:.0f} s")
    extra.append(f"the reference's FTS5 table built in {info['fts_build_s']:.0f} s")
    if "tantivy_build_s" in info:
        extra.append(f"the Tantivy index in {info['tantivy_build_s']:.0f} s")
    rows.append("Import: " + "; ".join(extra) + ".")
    return rows


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results)
    fig, axes = plt.subplots(1, len(sizes), figsize=(7 * len(sizes), 5), squeeze=False)
    for ax, size in zip(axes[0], sizes, strict=True):
        classes = list(results[size]["classes"])
        xs = range(len(classes))
        ours = [results[size]["classes"][c]["ours"][1] for c in classes]
        ref = [results[size]["classes"][c]["ref"][1] for c in classes]
        tan = [results[size]["classes"][c].get("tantivy", (0.0, 0.0))[1] for c in classes]
        ax.bar([x - 0.27 for x in xs], ours, 0.27, label="Find Care (ours)")
        ax.bar(list(xs), ref, 0.27, label="Flask + SQLite FTS5", hatch="//")
        ax.bar([x + 0.27 for x in xs], tan, 0.27, label="Flask + Tantivy", hatch="..")
        ax.set_yscale("log")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(classes, rotation=25, ha="right")
        ax.set_ylabel("p95 over HTTP (ms, log scale)")
        ax.set_title(f"{size:,} providers, gunicorn 2 workers, loopback")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_docs(results: dict, path: Path) -> None:
    lines = [
        START,
        "### Over HTTP against the FTS5 and Tantivy references (`python -m bench http`)",
        "",
    ]
    lines += [
        "Both apps run under gunicorn with 2 workers on loopback, over the same synthetic "
        "SQLite database (Tantivy matches and counts from its own index, then loads the page's "
        "cards from that database like the others); one client sends each query to ours and "
        "then to each reference. "
        "Times in ms.",
        "",
        "![p95 over HTTP, ours and the FTS5 reference](http-benchmark.png)",
        "",
    ]
    for size in sorted(results):
        lines += [*table(size, results[size]), ""]
    lines.append(END)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = "\n".join(lines)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def _earlier_results() -> dict[int, dict]:
    """The sizes measured by earlier runs (docs/http-results.json), by size."""
    try:
        data = json.loads(RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {int(size): info for size, info in data.items()}


def run() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in SIZES:
        info = measure(size)
        results[size] = info
        print("\n".join(table(size, info)))
        print()
    (OUT / "http-results.json").write_text(json.dumps(results, indent=2, default=str))
    results = {**_earlier_results(), **results}
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    chart(results, ROOT / "docs" / "http-benchmark.png")
    write_docs(results, ROOT / "docs" / "benchmarks.md")
