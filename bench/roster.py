"""Roster import at scale: a generated 100,000-row CSV imported in one transaction, then indexed.

Run with ``python -m bench.roster`` (or ``make bench``). Goal: import plus indexing in 3 minutes
or less. Set ROSTER_ROWS to try another size.

``ROSTER_PROVIDERS=1000000`` runs the national case instead, as an operator would: a CSV of
that many providers at 25,000 clinics on real US ZIP codes (about 2.3 rows per provider) is
written to disk, a fresh SQLite directory is migrated and seeded with reference data, and
``flask roster import`` imports and indexes it, timed from outside. Goal at 1,000,000:
15 minutes. Two gunicorn workers serve the directory meanwhile; their RSS after the import
(goal 500 MB, without a restart) and after a restart is reported (``ROSTER_WORKERS=0``
leaves them out).
"""

from __future__ import annotations

import csv
import io
import os
import random
import tempfile
import time
from pathlib import Path

from app.services.roster.read import COLUMNS

GOAL_SECONDS = 180
ROWS = int(os.environ.get("ROSTER_ROWS", "100000"))
FIRST = [
    "ana",
    "ben",
    "carla",
    "dev",
    "elif",
    "farah",
    "gus",
    "hana",
    "ivan",
    "jun",
    "kofi",
    "lena",
    "mateo",
    "nia",
    "omar",
    "priya",
    "quinn",
    "rosa",
    "sami",
    "tala",
    "uma",
    "vik",
    "wen",
    "xavi",
    "yara",
    "zeno",
]
LAST = [
    "SMITH",
    "GARCIA",
    "O'BRIEN",
    "MCDONALD",
    "NGUYEN",
    "PATEL",
    "GARCIA-LOPEZ",
    "KIM",
    "COHEN",
    "OKAFOR",
    "LINDQVIST",
    "HASSAN",
    "NOVAK",
    "TANAKA",
    "RIVERA",
    "SINGH",
    "MORALES",
    "DUBOIS",
    "KOWALSKI",
    "ADEYEMI",
]
ZIPS = [
    "98101",
    "98102",
    "98103",
    "98104",
    "98105",
    "98107",
    "98109",
    "98112",
    "98115",
    "98117",
    "98118",
    "98122",
    "98125",
    "98133",
    "98004",
    "98005",
    "98006",
    "98007",
    "98008",
    "98033",
    "98034",
    "98052",
    "98055",
    "98056",
    "98057",
    "98059",
]
STREETS = ("Main St", "Pine Street", "1st Ave", "Madison St", "NE 8th St", "Rainier Ave S")


def npi_for(n: int) -> str:
    """A valid NPI (Luhn check digit over the 80840 prefix) derived from ``n``."""
    from app.parsing.validation import luhn_valid

    body = f"1{n:08d}"
    for digit in "0123456789":
        if luhn_valid("80840" + body + digit):
            return body + digit
    raise AssertionError("no check digit")


def generate(rows: int, seed: int = 7, clinic_count: int = 400) -> bytes:
    """A deterministic roster with about 2.3 clinic rows per provider.

    Up to 400 clinics sit in Seattle; more are spread over real US ZIP codes, as a national
    directory's would be.
    """
    rng = random.Random(seed)
    specialties = [
        "225100000X",
        "207X00000X",
        "207Q00000X",
        "208D00000X",
        "363LF0000X",
        "2084N0400X",
        "111N00000X",
        "213E00000X",
    ]
    if clinic_count <= 400:
        places = [("Seattle", "WA", rng.choice(ZIPS)) for _ in range(clinic_count)]
    else:
        from bench.synth import clinic_zips

        places = [
            (z["city"], z["state"], z["zip_code"])
            for z in clinic_zips(rng, clinic_count, national=True)
        ]
    clinics = [
        (
            f"Clinic {i}",
            f"{100 + i} {rng.choice(STREETS)}",
            city,
            state,
            zip_code,
            f"(206) 555-{1000 + i % 9000:04d}",
        )
        for i, (city, state, zip_code) in enumerate(places)
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    written, n = 0, 0
    while written < rows:
        n += 1
        first, last = rng.choice(FIRST).upper(), rng.choice(LAST)
        specs = ";".join(rng.sample(specialties, rng.choice((1, 1, 2))))
        langs = ";".join(rng.sample(["en", "es", "vi", "zh", "Somali"], rng.choice((1, 2))))
        base = [
            npi_for(n),
            first,
            last,
            rng.choice(("MD", "DO", "PT, DPT", "NP")),
            rng.choice("FMX "),
            specs,
        ]
        tail = [
            langs,
            rng.choice(("yes", "no")),
            rng.choice(("true", "false")),
            "medicare;self-pay",
            f"Generated provider {n}.",
        ]
        for clinic in rng.sample(clinics, min(rng.choice((2, 2, 3)), rows - written)):
            name, street, city, state, zip_code, phone = clinic
            writer.writerow([*base, name, street, city, state, zip_code, phone, *tail])
            written += 1
    return out.getvalue().encode("utf-8")


def run() -> None:
    """Generate, dry-run, import and index a large roster; print a table of timings."""
    if os.environ.get("ROSTER_PROVIDERS"):
        run_cli(int(os.environ["ROSTER_PROVIDERS"]))
        return
    from app import create_app, search
    from app.extensions import db
    from app.services.roster.apply import import_roster
    from app.services.seed import load_reference_data
    from app.transaction import unit_of_work
    from config import TestingConfig

    base = Path(tempfile.mkdtemp(prefix="bench-roster-"))
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'bench.db'}",
            "SEARCH_INDEX_DIR": str(base / "index"),
            "SEARCH_SYNC_ON_COMMIT": False,  # index explicitly below, to time it on its own
        },
    )
    timings: list[tuple[str, float, int]] = []
    with app.app_context():
        db.create_all()
        load_reference_data()
        db.session.commit()
        search.rebuild()
        started = time.monotonic()
        data = generate(ROWS)
        timings.append(("generate CSV (not counted)", time.monotonic() - started, ROWS))

        started = time.monotonic()
        report = import_roster(data, dry_run=True)
        timings.append(("dry run (check only)", time.monotonic() - started, ROWS))
        assert report.ok, report.errors[:5]

        started = time.monotonic()
        with unit_of_work():
            report = import_roster(data, dry_run=False, filename="bench.csv")
        imported = time.monotonic() - started
        timings.append(("import (one transaction)", imported, ROWS))

        started = time.monotonic()
        applied = search.apply_changes()
        indexed = time.monotonic() - started
        timings.append((f"indexing ({applied} outbox rows)", indexed, report.created))
        docs = search.document_count()
        db.session.remove()
        db.engine.dispose()

    total = imported + indexed
    print(f"Roster import: {ROWS:,} rows -> {report.summary()}; {docs:,} documents indexed")
    print(f"{'stage':<34}{'seconds':>10}{'rows/s':>12}")
    for stage, seconds, n in timings:
        print(f"{stage:<34}{seconds:>10.1f}{n / max(seconds, 1e-9):>12,.0f}")
    verdict = "OK" if total <= GOAL_SECONDS else "OVER GOAL"
    print(f"{'import + indexing':<34}{total:>10.1f}{'':>12}  goal <= {GOAL_SECONDS}s: {verdict}")


NATIONAL_GOAL_SECONDS = 15 * 60


WORKER_GOAL_MB = 500
PROBES = (
    "/api/v1/providers?q=smith",
    "/api/v1/providers?q=garcia",
    "/api/v1/providers?q=family+medicine",
    "/api/v1/providers?q=physical+therapy+98101",
    "/find-care?q=pediatrics",
    "/api/v1/suggest?q=gar",
)


def _serve(env: dict[str, str]):
    """Our app under gunicorn (2 workers, its own gunicorn.conf.py: the search poller runs)."""
    from bench.http import OUT, Server, _first_answer

    OUT.mkdir(parents=True, exist_ok=True)  # the servers' logs
    server = Server("wsgi:app", env, config="gunicorn.conf.py")
    _first_answer(server.base + PROBES[0], server.process)
    return server


def _search_all(server, rounds: int = 3) -> int:
    """Every probe a few times (both workers answer some); the largest total found."""
    import json
    import urllib.request

    found = 0
    for _ in range(rounds):
        for path in PROBES:
            with urllib.request.urlopen(server.base + path, timeout=120) as response:  # noqa: S310
                body = response.read()
            if path.startswith("/api/v1/providers"):
                found = max(found, json.loads(body)["total"])
    return found


def run_cli(providers: int) -> None:
    """The national case: ``flask roster import`` of ``providers`` providers into a fresh
    directory, timed from outside, with its peak memory and its own progress output.

    Two gunicorn workers serve the directory all along (as in production); once the import
    has been indexed and they answer from the new index, their RSS is read, then again
    after a restart (``ROSTER_WORKERS=0`` leaves the workers out)."""
    import subprocess
    import sys

    with_workers = os.environ.get("ROSTER_WORKERS", "1") != "0"
    base = Path(tempfile.mkdtemp(prefix="bench-roster-cli-"))
    rows = round(providers * 2.33)
    started = time.monotonic()
    data = generate(rows, clinic_count=max(400, providers // 40))
    path = base / "national.csv"
    path.write_bytes(data)
    del data
    made = time.monotonic() - started
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{base / 'directory.db'}",
        "SEARCH_INDEX_DIR": str(base / "index"),
        "SECRET_KEY": "bench-only",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed"], env=env, check=True, capture_output=True)
    server = None
    served: float | None = None  # from the import's start until the workers find it
    rss: dict[str, float] = {}
    if with_workers:
        subprocess.run([*flask, "search", "rebuild"], env=env, check=True, capture_output=True)
        server = _serve({**env, "APP_ENV": "production", "TRUSTED_HOSTS": "127.0.0.1"})
        _search_all(server)
        rss["before the import"] = server.rss_mb()
    try:
        started = time.monotonic()
        with (base / "import.out").open("w") as out_f, (base / "import.err").open("w") as err_f:
            child = subprocess.Popen(
                [*flask, "roster", "import", str(path)], env=env, stdout=out_f, stderr=err_f
            )
            # Waited for here, not by Popen: wait4 gives the command's own peak (with its
            # rebuild's writer processes), not that of this process's other children.
            _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        peak_mb = usage.ru_maxrss / 1024
        out = (base / "import.out").read_text()
        err = (base / "import.err").read_text()
        print(out.strip())
        if child.returncode:
            print(err[-2000:])
            raise SystemExit(f"flask roster import failed with exit code {child.returncode}")
        if server is not None:
            deadline = time.monotonic() + 1800
            while _search_all(server, 1) < providers // 100 and time.monotonic() < deadline:
                time.sleep(5)  # the workers follow the new index
            if time.monotonic() < deadline:
                served = time.monotonic() - started
            time.sleep(10)  # their pollers settle (a memory trim runs every minute)
            _search_all(server)
            rss["after the import (no restart)"] = server.rss_mb()
            server.stop()
            server = _serve({**env, "APP_ENV": "production", "TRUSTED_HOSTS": "127.0.0.1"})
            _search_all(server)
            rss["restarted"] = server.rss_mb()
    finally:
        if server is not None:
            server.stop()
    print(
        f"National roster: {providers:,} providers, {rows:,} rows, "
        f"{path.stat().st_size / 1e6:,.0f} MB (written in {made:.0f} s, not counted)"
    )
    print(f"{'stage':<40}{'seconds':>10}")
    print(f"{'flask roster import (import + index)':<40}{seconds:>10.1f}")
    if with_workers:
        found = f"{served:>10.1f}" if served is not None else "   not within 30 minutes"
        print(f"{'until the workers search the import':<40}{found}")
    print(f"{'peak memory of the command (MB)':<40}{peak_mb:>10,.0f}")
    for when, mb in rss.items():
        print(f"{'largest worker RSS, ' + when + ' (MB)':<40}{mb:>10,.0f}")
    verdict = "OK" if max(seconds, served or 0) <= NATIONAL_GOAL_SECONDS else "OVER GOAL"
    print(f"goal <= {NATIONAL_GOAL_SECONDS} s: {verdict}")
    if "after the import (no restart)" in rss:
        after = rss["after the import (no restart)"]
        verdict = "OK" if after <= WORKER_GOAL_MB else "OVER GOAL"
        print(f"worker goal <= {WORKER_GOAL_MB} MB after the import: {verdict}")


if __name__ == "__main__":
    run()
