"""Page weight and speed: each public page in Chromium, compressed bytes and DOMContentLoaded.

Run alone with ``python -m bench.pages``, or through ``make bench``. The budget (100 KB per
page, HTML + CSS + JS + images, as transferred) is asserted by tests/browser/test_page_weight.py,
which reuses ``measure`` from here.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BUDGET_BYTES = 100 * 1024
RUNS = 5

# name -> path: the public pages a patient sees (slugs from seed_data/).
PUBLIC_PAGES: dict[str, str] = {
    "home": "/",
    "health": "/health",
    "article": "/health/exercise-for-the-spine",
    "news": "/news",
    "news-item": "/news/spine-care-team",
    "find-care": "/find-care",
    "find-care-unanswered": "/find-care?asked=signs",
    "find-care-emergency": "/find-care?asked=signs&sign=bladder-bowel&sign=minor-fall",
    "find-care-urgent": "/find-care/urgent-care?sign=fever&location=98104",
    "find-care-soon": "/find-care/spine-care?sign=minor-fall&location=98104",
    "find-care-self-care": "/find-care?asked=signs&sign=none",
    "find-care-results": "/find-care/spine-care?location=98104",
    "find-a-doctor": "/find-a-doctor",
    "search-results": "/find-a-doctor?q=physical+therapist&location=98104",
    "search-zero": "/find-a-doctor?q=zqxjvw+kkpfr",
    "profile": "/providers/maria-nunez-dpt",
    "clinic": "/locations/first-hill",
    "specialty": "/specialties/physical-therapist",
    "privacy": "/privacy",
}

PERFORMANCE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    dcl: nav.domContentLoadedEventEnd,
    blocking: performance.getEntriesByType('resource')
      .filter(e => e.renderBlockingStatus === 'blocking').map(e => e.name),
  };
}"""


@dataclass
class PageStats:
    """What one cold load of a page cost."""

    path: str
    status: int
    transferred: int
    dcl_ms: float
    requests: list[tuple[str, int]] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)

    @property
    def kb(self) -> float:
        return self.transferred / 1024


def measure(browser, base_url: str, path: str) -> PageStats:
    """Load ``path`` cold in a fresh context; count every response's bytes on the wire."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        response = page.goto(base_url + path, wait_until="load")
        perf = page.evaluate(PERFORMANCE)
        requests = []
        for request in finished:
            sizes = request.sizes()
            size = sizes["responseBodySize"] + max(sizes["responseHeadersSize"], 0)
            requests.append((request.url, size))
        return PageStats(
            path=path,
            status=response.status if response else 0,
            transferred=sum(size for _, size in requests),
            dcl_ms=perf["dcl"],
            requests=requests,
            blocking=[urlsplit(url).path for url in perf["blocking"]],
        )
    finally:
        context.close()


@contextmanager
def demo_server() -> Iterator[str]:
    """Serve the seeded demo directory from a temporary folder on a loopback port."""
    from app import create_app, search
    from app.extensions import db
    from app.services.seed import seed_all
    from app.transaction import unit_of_work
    from config import TestingConfig

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        app = create_app(
            TestingConfig,
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}",
                "SEARCH_INDEX_DIR": str(Path(tmp) / "index"),
            },
        )
        with app.app_context():
            db.create_all()
            with unit_of_work():
                seed_all()
            search.rebuild()
            db.session.remove()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        try:
            with serve_on_loopback(app) as base:
                yield base
        finally:
            with app.app_context():
                db.engine.dispose()


@contextmanager
def serve_on_loopback(app) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a background thread; yield its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def measure_all(runs: int = RUNS) -> list[PageStats]:
    """Measure every public page ``runs`` times; keep the median DOMContentLoaded."""
    from playwright.sync_api import sync_playwright

    results = []
    with demo_server() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            for path in PUBLIC_PAGES.values():
                samples = [measure(browser, base, path) for _ in range(runs)]
                best = samples[-1]
                best.dcl_ms = statistics.median(s.dcl_ms for s in samples)
                results.append(best)
        finally:
            browser.close()
    return results


def table(results: list[PageStats]) -> str:
    """A plain-text table: page, status, requests, KB transferred, DOMContentLoaded."""
    names = {path: name for name, path in PUBLIC_PAGES.items()}
    rows = [("page", "status", "requests", "KB (gzip)", "DCL ms", "budget")]
    for r in results:
        verdict = "ok" if r.transferred <= BUDGET_BYTES and r.status == 200 else "OVER"
        rows.append(
            (
                names.get(r.path, r.path),
                str(r.status),
                str(len(r.requests)),
                f"{r.kb:.1f}",
                f"{r.dcl_ms:.0f}",
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run() -> None:
    """Print the page-weight table (skipped with a note when Chromium is missing)."""
    print(f"## Page weight and speed (Chromium, cold cache, loopback, median of {RUNS})\n")
    if not os.access(CHROMIUM, os.X_OK):
        print(f"skipped: Chromium not found at {CHROMIUM}")
        return
    print(table(measure_all()))
    print(f"\nBudget: {BUDGET_BYTES // 1024} KB transferred per page (HTML, CSS, JS, images).")


if __name__ == "__main__":
    run()
