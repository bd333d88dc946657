"""The home page renders in a real Chromium with no console errors."""

from __future__ import annotations


def test_home_renders_without_console_errors(page, live_server):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = page.goto(live_server + "/")
    assert response is not None and response.status == 200
    assert page.locator("h1").first.is_visible()
    assert page.locator("a.skip-link").count() == 1
    assert errors == []
