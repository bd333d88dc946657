"""FHIR bulk export on large synthetic directories: ``python -m bench export``.

For each size in BENCH_EXPORT_SIZES (default 10,000 and 100,000 providers) it builds once a
synthetic directory (``bench.synth``) with Plan-Net data on top: two payers, four networks,
each provider taking two of them at each of their clinics, two services per clinic and an
affiliation per network. It then runs the export job itself (``bulk_export.run``, what the
``$export`` thread runs, every type) in a fresh process per size, and prints the job's time,
the process's RSS before the job and its peak, and the files written. Memory that does not
grow with the directory is the goal: the 100,000 run's peak should sit near the 10,000 one's.

Environment: BENCH_EXPORT_SIZES, BENCH_DIR (default instance/bench).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text

SIZES = [int(s) for s in os.environ.get("BENCH_EXPORT_SIZES", "10000,100000").split(",") if s]
NETWORKS = 4
CATEGORIES = ("prov", "outpat")


def _paths(size: int) -> tuple[Path, Path]:
    from bench.search import OUT

    return OUT, OUT / f"export-{size}.db"


def _app(db_path: Path):
    from app import create_app
    from config import Config

    return create_app(
        Config,
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SEARCH_INDEX_DIR": str(db_path.parent / f"index-{db_path.stem}"),
            "SEARCH_SYNC_ON_COMMIT": False,
            "SEARCH_POLL_SECONDS": 0,
        },
    )


def _plannet_rows() -> dict[str, int]:
    """Payers, networks, participation, services and affiliations over the synthetic rows."""
    from app.extensions import db
    from app.models import (
        HealthcareService,
        InsurancePlan,
        Location,
        NetworkParticipation,
        Organization,
        OrganizationAffiliation,
    )

    conn = db.session.connection()
    group = conn.execute(select(Organization.id).where(Organization.kind == "prvgrp")).scalar()
    payers = [
        conn.execute(
            insert(Organization).values(slug=f"payer-{i}", kind="payer", name=f"Payer {i}")
        ).inserted_primary_key[0]
        for i in (1, 2)
    ]
    networks = []
    for i in range(1, NETWORKS + 1):
        payer = payers[i % 2]
        networks.append(
            conn.execute(
                insert(Organization).values(
                    slug=f"ntwk-{i}", kind="ntwk", name=f"Network {i}", parent_id=payer
                )
            ).inserted_primary_key[0]
        )
        conn.execute(
            insert(OrganizationAffiliation).values(
                organization_id=payer, participating_id=group, network_id=networks[-1]
            )
        )
    plans = list(conn.execute(select(InsurancePlan.id).order_by(InsurancePlan.id)).scalars())
    for n, plan in enumerate(plans):
        network = networks[n % NETWORKS]
        payer = payers[(n % NETWORKS + 1) % 2]
        conn.execute(
            InsurancePlan.__table__.update()
            .where(InsurancePlan.id == plan)
            .values(network_id=network, owned_by_id=payer, administered_by_id=payer)
        )
    # Two networks per provider: (provider + k) % 4 for k in 0, 1, at each clinic.
    for k in (0, 1):
        for slot, network in enumerate(networks):
            conn.execute(
                text(
                    "INSERT INTO network_participation (provider_id, location_id, network_id, "
                    "accepting_new_patients, created_at, updated_at, version) "
                    "SELECT provider_id, location_id, :network, 1, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP, 1 FROM provider_location "
                    "WHERE (provider_id + :k) % :n = :slot"
                ),
                {"network": network, "k": k, "n": NETWORKS, "slot": slot},
            )
    clinics = list(conn.execute(select(Location.id)).scalars())
    conn.execute(
        insert(HealthcareService),
        [
            {"location_id": c, "category": cat, "name": f"Service {cat}", "type_text": cat}
            for c in clinics
            for cat in CATEGORIES
        ],
    )
    count = conn.execute(select(func.count()).select_from(NetworkParticipation)).scalar()
    return {"networks": len(networks), "participations": count, "clinics": len(clinics)}


def build(size: int) -> Path:
    """The size's directory, built once and reused."""
    out, db_path = _paths(size)
    if db_path.exists():
        return db_path
    from app.extensions import db
    from app.services.seed import load_reference_data
    from bench.synth import generate

    out.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_suffix(".tmp.db")
    tmp.unlink(missing_ok=True)
    app = _app(tmp)
    started = time.monotonic()
    with app.app_context():
        db.create_all()
        load_reference_data()
        db.session.commit()
        generate(size)
        info = _plannet_rows()
        db.session.commit()
        db.engine.dispose()
    os.replace(tmp, db_path)
    print(f"built {size:,} providers in {time.monotonic() - started:.0f}s: {info}")
    return db_path


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(db_path: str) -> None:
    """In a fresh process: run the export job for every type; print what it cost as JSON."""
    from app.services import bulk_export

    app = _app(Path(db_path))
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        with app.app_context():
            from app.extensions import db

            db.session.execute(text("SELECT 1"))  # connect before the baseline
            db.session.remove()
        bulk_export._write_status(
            folder, {"state": "running", "types": [], "done": [], "output": []}
        )
        before = _rss_mb()
        started = time.monotonic()
        bulk_export.run(app, folder, bulk_export.TYPES, None)
        seconds = time.monotonic() - started
        status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        size = sum(p.stat().st_size for p in folder.glob("*.ndjson"))
        counts = {o["type"]: o["count"] for o in status["output"]}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "state": status["state"],
                "seconds": seconds,
                "rss_before_mb": before,
                "peak_mb": peak,
                "bytes": size,
                "counts": counts,
            }
        )
    )


def measure(size: int) -> dict:
    """Export the size's directory in a fresh process; its figures."""
    db_path = build(size)
    done = subprocess.run(
        [sys.executable, "-m", "bench.export", "child", str(db_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> None:
    """Print the table for docs/benchmarks.md ("FHIR bulk export")."""
    rows = [(size, measure(size)) for size in SIZES]
    print(
        "| Providers | Resources | NDJSON | Export time | RSS before | Peak RSS | Growth |\n"
        "|---:|---:|---:|---:|---:|---:|---:|"
    )
    for size, r in rows:
        assert r["state"] == "complete", r
        total = sum(r["counts"].values())
        print(
            f"| {size:,} | {total:,} | {r['bytes'] / 2**20:,.0f} MB | {r['seconds']:,.1f} s "
            f"| {r['rss_before_mb']:.0f} MB | {r['peak_mb']:.0f} MB "
            f"| +{r['peak_mb'] - r['rss_before_mb']:.0f} MB |"
        )
    for size, r in rows:
        print(f"{size:,}: " + ", ".join(f"{k} {v:,}" for k, v in r["counts"].items()))


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2])
    else:
        run()
