"""Lighthouse 12 on the seeded demo: performance, accessibility, best practices and CLS.

Serves the seeded demo directory on loopback (``bench.pages.demo_server``) and runs the
pinned npm ``lighthouse`` (tests/browser/package.json) with Debian's Chromium, once per page
and preset (mobile: Lighthouse's default, a throttled mid-range phone; desktop: ``--preset
desktop``). Prints a table and exits 1 when a page misses a goal:

    performance >= 95, accessibility = 100, best practices = 100, CLS <= 0.05

Performance is timed on this machine's CPU (Lighthouse simulates the phone's slower CPU by
multiplying the task times it observes), so a busy machine costs points: a run that misses
only the performance goal is repeated twice and the median of the three counts, as
Lighthouse's own guidance on variance suggests. Every other goal must hold on the first run.
The server is warmed first (each page once, a different search for the results page), as a
running site is.

Run with ``make lighthouse`` or ``python -m bench.lighthouse [--pages home,profile]
[--presets mobile] [--reports DIR]``. Each run's JSON and HTML reports are kept under
``artifacts/lighthouse/`` by default, to read the audits behind a score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROME_PATH") or os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LIGHTHOUSE = ROOT / "tests" / "browser" / "node_modules" / "lighthouse" / "cli" / "index.js"
REPORTS = ROOT / "artifacts" / "lighthouse"
CHROME_FLAGS = " ".join(
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
)
CATEGORIES = ("performance", "accessibility", "best-practices")
TIMEOUT_SECONDS = 180

# name -> path: the five pages (slugs from seed_data/).
PAGES: dict[str, str] = {
    "home": "/",
    "article": "/health/exercise-for-the-spine",
    "find-care": "/find-care",
    "results": "/find-a-doctor?q=knee+pain&location=98104",
    "profile": "/providers/maria-nunez-dpt",
}
PRESETS = ("mobile", "desktop")
# Requested once before measuring: a warm process, but not the measured search's cache.
WARM_UP = [path for name, path in PAGES.items() if name != "results"] + [
    "/find-a-doctor?q=back+pain&location=98101"
]
CONFIRM_RUNS = 3
ATTEMPTS = 3

# The goals: a score (0-100) at least this, and cumulative layout shift at most this.
MIN_SCORES = {"performance": 95, "accessibility": 100, "best-practices": 100}
MAX_CLS = 0.05


@dataclass
class Result:
    """One Lighthouse run: the three category scores (0-100), CLS and what fell short."""

    page: str
    preset: str
    scores: dict[str, int]
    cls: float
    metrics: dict[str, float] = field(default_factory=dict)
    shortfalls: list[str] = field(default_factory=list)
    # the performance score of each run, when a miss made it repeat
    performance_runs: list[int] = field(default_factory=list)
    # diagnostics Lighthouse could not compute (none of them counts towards a score)
    unavailable: list[str] = field(default_factory=list)

    def misses(self) -> list[str]:
        """The goals this run missed, as readable phrases (empty when it met them all)."""
        out = [
            f"{name} {self.scores.get(name, 0)} < {goal}"
            for name, goal in MIN_SCORES.items()
            if self.scores.get(name, 0) < goal
        ]
        if self.cls > MAX_CLS:
            out.append(f"CLS {self.cls:.3f} > {MAX_CLS}")
        return out


def lighthouse_available() -> str | None:
    """Why Lighthouse cannot run here (a sentence), or None when it can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if shutil.which("node") is None:
        return "node is not installed"
    if not LIGHTHOUSE.exists():
        return f"{LIGHTHOUSE} is missing: run `cd tests/browser && npm ci`"
    return None


class LighthouseError(RuntimeError):
    """Lighthouse could not measure a page (it exited with an error, or wrote no report)."""


def run_one(
    base_url: str, name: str, path: str, preset: str, reports: Path, html: bool = True
) -> Result:
    """Run Lighthouse on ``base_url + path``; a run that breaks is tried again, twice.

    On a busy machine Lighthouse now and then loses its trace (``NO_NAVSTART``) or times
    out; that says nothing about the page, so only a third failure in a row is raised.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _run_once(base_url, name, path, preset, reports, html)
        except (LighthouseError, subprocess.TimeoutExpired):
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _run_once(
    base_url: str, name: str, path: str, preset: str, reports: Path, html: bool
) -> Result:
    reports.mkdir(parents=True, exist_ok=True)
    stem = reports / f"{name}-{preset}"
    report_file = Path(f"{stem}.report.json")
    report_file.unlink(missing_ok=True)  # never read a previous run's report
    command = [
        "node",
        str(LIGHTHOUSE),
        base_url + path,
        "--quiet",
        "--output=json",
        *(["--output=html"] if html else ["--disable-full-page-screenshot"]),
        # Two outputs are written to <stem>.report.json/.html; one, to the path as given.
        f"--output-path={stem if html else report_file}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--max-wait-for-load=30000",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    # CHROME_PATH makes chrome-launcher use Debian's Chromium; nothing is downloaded.
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    proc = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    if proc.returncode != 0 or not report_file.exists():
        raise LighthouseError(
            f"lighthouse failed on {path} ({preset}), exit {proc.returncode}:\n"
            f"{proc.stderr[-2000:]}"
        )
    return read_report(json.loads(report_file.read_text(encoding="utf-8")), name, preset)


def read_report(report: dict, name: str, preset: str) -> Result:
    """Scores, CLS, the main timings and the audits that cost points, from a JSON report."""
    if report.get("runtimeError"):
        raise LighthouseError(f"lighthouse on {name} ({preset}): {report['runtimeError']}")
    audits = report["audits"]
    scores = {
        key: round((report["categories"][key]["score"] or 0) * 100)
        for key in CATEGORIES
        if key in report["categories"]
    }
    metrics = {
        key: audits[key].get("numericValue", 0.0)
        for key in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "speed-index",
        )
        if key in audits
    }
    shortfalls = []
    for key in CATEGORIES:
        category = report["categories"].get(key)
        if not category:
            continue
        for ref in category["auditRefs"]:
            audit = audits[ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                shown = audit.get("displayValue") or audit["score"]
                shortfalls.append(f"{key}: {ref['id']} ({shown})")
    for key, audit in audits.items():
        details = audit.get("details") or {}
        if details.get("type") == "opportunity" and (details.get("overallSavingsMs") or 0) > 0:
            shortfalls.append(f"opportunity: {key} (saves {details['overallSavingsMs']:.0f} ms)")
    return Result(
        page=name,
        preset=preset,
        scores=scores,
        cls=float(audits["cumulative-layout-shift"].get("numericValue", 0.0)),
        metrics=metrics,
        shortfalls=shortfalls,
        unavailable=sorted(k for k, a in audits.items() if a.get("scoreDisplayMode") == "error"),
    )


def run_page(
    base_url: str, name: str, path: str, preset: str, reports: Path, html: bool = True
) -> Result:
    """One page and preset; repeated when only performance missed, the median counting."""
    first = run_one(base_url, name, path, preset, reports, html)
    if first.misses() != [m for m in first.misses() if m.startswith("performance")]:
        return first  # accessibility, best practices or CLS: no second chance
    if not first.misses():
        return first
    runs = [first] + [
        run_one(base_url, name, path, preset, reports, html) for _ in range(CONFIRM_RUNS - 1)
    ]
    runs.sort(key=lambda r: r.scores.get("performance", 0))
    median = runs[len(runs) // 2]
    median.performance_runs = [r.scores.get("performance", 0) for r in runs]
    median.scores["performance"] = round(statistics.median(median.performance_runs))
    return median


def warm_up(base_url: str) -> None:
    """Request each page once, so the first measured load is not the process's first."""
    for path in WARM_UP:
        with urllib.request.urlopen(base_url + path, timeout=60) as response:  # noqa: S310 - http loopback
            response.read()


def run_all(
    base_url: str,
    pages: dict[str, str] | None = None,
    presets: tuple[str, ...] = PRESETS,
    reports: Path = REPORTS,
    html: bool = True,
) -> list[Result]:
    """Lighthouse on every page and preset, one run at a time (they share the CPU)."""
    warm_up(base_url)
    return [
        run_page(base_url, name, path, preset, reports, html)
        for name, path in (pages or PAGES).items()
        for preset in presets
    ]


def table(results: list[Result]) -> str:
    """A plain-text table: page, preset, the three scores, CLS, LCP and TBT, verdict."""
    rows = [("page", "preset", "perf", "a11y", "best-pr", "CLS", "FCP ms", "LCP ms", "TBT ms", "")]
    for r in results:
        rows.append(
            (
                r.page,
                r.preset,
                str(r.scores.get("performance", "-")),
                str(r.scores.get("accessibility", "-")),
                str(r.scores.get("best-practices", "-")),
                f"{r.cls:.3f}",
                f"{r.metrics.get('first-contentful-paint', 0):.0f}",
                f"{r.metrics.get('largest-contentful-paint', 0):.0f}",
                f"{r.metrics.get('total-blocking-time', 0):.0f}",
                "ok" if not r.misses() else "MISSED",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def report(results: list[Result]) -> str:
    """The table, then each missed goal with the audits that cost points."""
    out = [table(results)]
    goals = ", ".join(f"{k} {'' if v == 100 else '>= '}{v}" for k, v in MIN_SCORES.items())
    out.append(f"\nGoals: {goals}, CLS <= {MAX_CLS}.")
    unavailable = sorted({key for r in results for key in r.unavailable})
    if unavailable:
        out.append(
            "Diagnostics Lighthouse could not compute with this Chromium (no score uses them): "
            + ", ".join(unavailable)
            + "."
        )
    for r in results:
        if r.performance_runs:
            runs = ", ".join(map(str, r.performance_runs))
            out.append(f"\n{r.page} ({r.preset}): performance missed once; runs {runs}")
    for r in results:
        if r.misses():
            out.append(f"\n{r.page} ({r.preset}) missed: {'; '.join(r.misses())}")
            out.extend(f"  - {s}" for s in r.shortfalls)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Serve the demo, run Lighthouse, print the table; 1 when a goal is missed, 2 on error."""
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__)
    parser.add_argument("--pages", help=f"comma-separated, of: {', '.join(PAGES)}")
    parser.add_argument("--presets", help="comma-separated, of: mobile, desktop")
    parser.add_argument("--reports", type=Path, default=REPORTS, help="where reports go")
    args = parser.parse_args(argv)
    pages = PAGES
    if args.pages:
        unknown = [p for p in args.pages.split(",") if p not in PAGES]
        if unknown:
            parser.error(f"unknown page(s): {', '.join(unknown)}")
        pages = {p: PAGES[p] for p in args.pages.split(",")}
    presets = tuple(args.presets.split(",")) if args.presets else PRESETS
    if set(presets) - set(PRESETS):
        parser.error(f"unknown preset(s): {', '.join(sorted(set(presets) - set(PRESETS)))}")
    problem = lighthouse_available()
    if problem:
        print(f"lighthouse: {problem}", file=sys.stderr)
        return 2
    from bench.pages import demo_server

    print(f"## Lighthouse {_version()} (Chromium at {CHROMIUM}, seeded demo on loopback)\n")
    with demo_server() as base:
        try:
            results = run_all(base, pages, presets, args.reports)
        except (LighthouseError, subprocess.TimeoutExpired) as exc:
            print(f"lighthouse: {exc}", file=sys.stderr)
            return 2
    print(report(results))
    print(f"\nReports: {args.reports}/<page>-<preset>.report.html")
    return 1 if any(r.misses() for r in results) else 0


def _version() -> str:
    package = LIGHTHOUSE.parents[1] / "package.json"
    return json.loads(package.read_text(encoding="utf-8")).get("version", "?")


def run() -> None:
    """``make bench`` entry: print the table (a missed goal is reported, not raised)."""
    main([])


if __name__ == "__main__":
    sys.exit(main())
