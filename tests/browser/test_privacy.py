"""Nothing leaves the site's origin, the CSP holds, and cookies are locked down."""

from __future__ import annotations

import re

import pytest

from app import create_app
from config import ProductionConfig
from tests.browser.site import PROFILE_SLUG, goto_ok, public_params


def _watch_console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.mark.parametrize("path", public_params())
def test_public_page_stays_on_its_origin(page, live_server, record_requests, path):
    recorder = record_requests(page.context)
    errors = _watch_console(page)
    goto_ok(page, live_server + path)
    page.wait_for_load_state("networkidle")
    recorder.assert_same_origin()
    assert errors == [], f"{path}: console errors (CSP violations?): {errors}"


def test_typeahead_stays_on_its_origin(page, live_server, record_requests):
    recorder = record_requests(page.context)
    goto_ok(page, live_server + "/find-a-doctor")
    box = page.get_by_role("combobox").first
    # Wait for the typeahead's own request: "networkidle" was reached when the page loaded,
    # so waiting for it again returns before the debounced fetch starts.
    with page.expect_response(lambda r: "/api/v1/suggest" in r.url, timeout=15_000):
        box.press_sequentially("nune", delay=40)
    page.wait_for_load_state("networkidle")
    recorder.assert_same_origin()
    assert any("/api/" in url for url in recorder.urls), "typeahead made no request"


def test_staff_pages_stay_on_their_origin(page, live_server, record_requests, login):
    recorder = record_requests(page.context)
    errors = _watch_console(page)
    login(page)
    for path in ("/staff/", "/staff/providers"):
        goto_ok(page, live_server + path)
    page.locator("main a[href*='/edit']").first.click()
    page.wait_for_load_state("networkidle")
    recorder.assert_same_origin()
    assert errors == []


def test_session_cookie_is_httponly_and_lax(page, live_server, login):
    login(page)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "session" in cookies, f"no session cookie after login: {list(cookies)}"
    for cookie in cookies.values():
        assert cookie["httpOnly"], f"{cookie['name']} is readable by scripts"
        assert cookie["sameSite"] == "Lax", f"{cookie['name']} is SameSite={cookie['sameSite']}"
    assert page.evaluate("() => document.cookie") == ""


def test_public_pages_set_no_cookies(page, live_server):
    for path in ("/", f"/providers/{PROFILE_SLUG}", "/find-a-doctor?q=back+pain"):
        page.goto(live_server + path)
    assert page.context.cookies() == [], "a public page set a cookie"


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    """In production the session and remember-me cookies are Secure, HttpOnly and Lax."""
    monkeypatch.setenv("SECRET_KEY", "production-cookie-test-secret")
    app = create_app(
        ProductionConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "SEARCH_POLL_SECONDS": 0,  # no background poller outliving this schema-less app
            "SITE_URL": "https://care.example.org",
        },
    )
    for prefix in ("SESSION", "REMEMBER"):
        assert app.config[f"{prefix}_COOKIE_SECURE"] is True
        assert app.config[f"{prefix}_COOKIE_HTTPONLY"] is True
        assert app.config[f"{prefix}_COOKIE_SAMESITE"] == "Lax"

    @app.get("/_test/session")
    def touch_session():
        from flask import session

        session["seen"] = True
        return "ok"

    with app.test_client() as client, client.get("/_test/session") as response:
        cookie = response.headers["Set-Cookie"]
    assert re.search(r"; Secure\b", cookie), cookie
    assert re.search(r"; HttpOnly\b", cookie), cookie
    assert re.search(r"; SameSite=Lax\b", cookie), cookie
