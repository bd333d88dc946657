"""Lighthouse 12 goals on the five pages of issue 24, with the mobile and desktop presets.

The same runner as ``make lighthouse`` (bench/lighthouse.py), on the session's live server:
accessibility 100, best practices 100, CLS <= 0.05 (performance >= 95 is reported here and
held by ``make lighthouse``, which runs alone: the suite shares the CPU). All ten runs are in
one test, one after another on one xdist worker, because Lighthouse times the page on this
machine's CPU and two runs side by side would slow each other. They take about 3 minutes on
2 cores (a run that misses only performance is repeated twice, the median counting). The
JSON reports are kept in artifacts/lighthouse-test/.
"""

from __future__ import annotations

import pytest

from bench.lighthouse import lighthouse_available, report, run_all
from tests.browser.conftest import ARTIFACTS


def test_lighthouse_goals_on_phone_and_desktop(chromium_path, live_server):
    """chromium_path skips (or fails with REQUIRE_BROWSER=1) when Chromium is missing."""
    problem = lighthouse_available()
    if problem:
        # Like axe: a missing tool fails rather than letting the goals pass unchecked.
        pytest.fail(f"{problem}; `make install-test` installs it")
    results = run_all(live_server, reports=ARTIFACTS / "lighthouse-test", html=False)
    text = report(results)
    print(text)
    # Performance is timed on the CPU, which the suite shares with another xdist worker
    # running browsers of its own: its goal (>= 95) is held by `make lighthouse`, which
    # runs alone. Accessibility, best practices and layout shift do not depend on load.
    missed = [
        (r.page, r.preset, m)
        for r in results
        for m in r.misses()
        if not m.startswith("performance")
    ]
    assert not missed, text
