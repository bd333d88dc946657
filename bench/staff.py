"""Staff pages on a large synthetic directory: ``python -m bench staff``.

Reuses the directory the HTTP benchmark built (``BENCH_SIZES``, default 1,000,000; build it
first with ``BENCH_ONLY=http``), signs in through the real login form with Flask's test
client (in process: what the page costs, without the network), and times the dashboard,
the provider list with its filters and paging, free-text search, a clinic typed by name
(25,000 clinics), the provider form, and the first byte and memory of the CSV export.
Goal: each page in 300 ms or less; the export's first byte in 1 s or less.
"""

from __future__ import annotations

import os
import re
import resource
import secrets
import statistics
import time

from bench.search import OUT, make_app

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000000").split(",") if s]
REPEAT = 5
PAGE_GOAL_MS = 300
EXPORT_GOAL_MS = 1000
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _signed_in(app):
    """A test client signed in as a bench-only staff account (created once, random password)."""
    from app.extensions import db
    from app.models import User
    from app.services.users import hash_password

    password = secrets.token_urlsafe(18)
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="bench@example.org"))
        if user is None:
            user = User(email="bench@example.org", role="staff", password_hash="")
            db.session.add(user)
        user.password_hash = hash_password(password)
        db.session.commit()
    client = app.test_client()
    token = CSRF.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    client.post(
        "/staff/login",
        data={"email": "bench@example.org", "password": password, "csrf_token": token},
    )
    return client


def _time(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    response.get_data()
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return (time.perf_counter() - started) * 1000


def _first_byte(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    next(iter(response.response))
    elapsed = (time.perf_counter() - started) * 1000
    response.close()
    return elapsed


def _pages(app) -> dict[str, str]:
    from app.extensions import db
    from app.models import Location, Provider, Specialty

    with app.app_context():
        clinic = db.session.scalar(db.select(Location).order_by(Location.id.desc()).limit(1))
        spec = db.session.scalar(db.select(Specialty).filter_by(slug="family-medicine"))
        last = db.session.scalar(db.select(Provider).order_by(Provider.id.desc()).limit(1))
        pid, first_name, last_name = last.id, last.first_name, last.last_name
    word = clinic.name.split()[0]
    return {
        "dashboard": "/staff/",
        "provider list, page 1": "/staff/providers",
        "provider list, page 1,000": "/staff/providers?page=1000",
        "filter: clinic": f"/staff/providers?clinic={clinic.id}",
        "filter: specialty": f"/staff/providers?specialty={spec.id}",
        "filter: accepting, active": "/staff/providers?accepting=1&active=1",
        "text: a surname many share": f"/staff/providers?q={last_name.lower()}",
        "text: first and last name": f"/staff/providers?q={first_name}+{last_name}",
        "text: a surname nobody has": "/staff/providers?q=okafor",
        "text: part of an NPI": "/staff/providers?q=1234567",
        "text: a whole NPI": "/staff/providers?q=1234567893",
        "provider form": f"/staff/providers/{pid}/edit",
        "list: clinic typed by name": f"/staff/providers?clinic_q={word}",
        "registry differences": "/staff/verification",
        "due for re-check, page 1": "/staff/re-check",
        "due for re-check, page 2,000": "/staff/re-check?page=2000",
    }


def measure(size: int) -> list[tuple[str, float, float]]:
    app = make_app(f"synthetic-{size}")
    app.config["WTF_CSRF_ENABLED"] = True
    client = _signed_in(app)
    rows = []
    for label, url in _pages(app).items():
        _time(client, url)  # warm: the first visit loads the vocabulary and caches
        times = [_time(client, url) for _ in range(REPEAT)]
        rows.append((label, statistics.median(times), max(times)))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows.append(("export: first byte", _first_byte(client, "/staff/roster/export.csv"), 0.0))
    started = time.perf_counter()
    response = client.get("/staff/roster/export.csv", buffered=False)
    size_bytes = sum(len(chunk) for chunk in response.response)
    response.close()
    whole = (time.perf_counter() - started) * 1000
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    rows.append((f"export: all {size_bytes / 2**20:.0f} MB (peak RSS +{grown:.0f} MB)", whole, 0.0))
    return rows


def run() -> None:
    """Print a table per size."""
    for size in SIZES:
        if not (OUT / f"synthetic-{size}.db").exists():
            print(f"-- {size:,}: no directory in {OUT}; run BENCH_ONLY=http first")
            continue
        print(f"#### Staff pages, {size:,} providers (in process, median of {REPEAT})")
        print("")
        print("| Page | median ms | max ms | goal |")
        print("|---|---:|---:|---|")
        for label, median, worst in measure(size):
            goal = EXPORT_GOAL_MS if label.startswith("export: first") else PAGE_GOAL_MS
            verdict = (
                "" if label.startswith("export: all") else ("ok" if median <= goal else "OVER")
            )
            print(f"| {label} | {median:.0f} | {worst:.0f} | {verdict} |")
        print("")


if __name__ == "__main__":
    run()
