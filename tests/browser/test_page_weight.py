"""Each public page stays within 100 KB on the wire and blocks rendering only on its own CSS."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from bench.pages import BUDGET_BYTES, measure
from tests.browser.site import public_params


@pytest.mark.parametrize("path", public_params())
def test_page_weight_budget(browser, live_server, path):
    stats = measure(browser, live_server, path)
    if stats.status == 404:
        pytest.fail(f"{path} answers 404: the page is not built (yet)")
    assert stats.status == 200, f"{path} answered {stats.status}"
    listing = "\n".join(f"  {size / 1024:7.1f} KB  {url}" for url, size in stats.requests)
    assert stats.transferred <= BUDGET_BYTES, (
        f"{path} transferred {stats.kb:.1f} KB (budget {BUDGET_BYTES // 1024} KB):\n{listing}"
    )
    origin = urlsplit(live_server).netloc
    for url, _ in stats.requests:
        assert urlsplit(url).netloc == origin, f"{path} loaded {url} from elsewhere"
    for blocking in stats.blocking:
        assert blocking.startswith("/assets/css/") and blocking.endswith(".css"), (
            f"{path}: {blocking} blocks rendering; only the site's own CSS may"
        )


@pytest.mark.parametrize("path", public_params(("home", "search-results")))
def test_scripts_are_deferred_and_css_is_hashed(page, live_server, path):
    page.goto(live_server + path)
    blocking_scripts = page.eval_on_selector_all(
        "script",
        "els => els.filter(s => !s.defer && !s.async && s.type !== 'module').map(s => s.outerHTML)",
    )
    assert blocking_scripts == [], f"{path} has parser-blocking scripts: {blocking_scripts}"
    sheets = page.eval_on_selector_all("link[rel=stylesheet]", "els => els.map(e => e.href)")
    assert sheets, f"{path} has no stylesheet"
    for href in sheets:
        assert "/assets/css/" in href, f"{path}: {href} is not a hashed asset"
    response = page.request.get(sheets[0], headers={"Accept-Encoding": "gzip"})
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=31536000" in response.headers["cache-control"]
    response.dispose()
