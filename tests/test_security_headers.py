"""Every response carries the privacy and security headers, error pages included."""

from __future__ import annotations

import gzip
import re

import pytest
from flask import Flask

from app import search

REQUIRED = ("Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options")
STRICT_REFERRER = {"no-referrer", "same-origin"}
UNUSED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def parse_csp(value: str) -> dict[str, list[str]]:
    """Split a CSP header into ``{directive: [sources]}``."""
    policy: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            policy[words[0].lower()] = words[1:]
    return policy


def assert_secure_headers(response, what: str) -> None:
    headers = response.headers
    for name in REQUIRED:
        assert name in headers, f"{what}: missing {name}"
    csp = parse_csp(headers["Content-Security-Policy"])
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts, f"{what}: CSP sets no script-src or default-src"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, what
    assert "*" not in scripts and not any(s.startswith(("http:", "https:")) for s in scripts)
    assert csp.get("frame-ancestors") == ["'none'"], what
    assert csp.get("base-uri") == ["'none'"], what
    assert csp.get("object-src") == ["'none'"], what
    assert headers["Referrer-Policy"] in STRICT_REFERRER, what
    assert headers["X-Content-Type-Options"] == "nosniff", what
    permissions = headers.get("Permissions-Policy", "")
    for feature in UNUSED_FEATURES:
        assert f"{feature}=()" in permissions, f"{what}: Permissions-Policy leaves {feature} on"


@pytest.fixture
def app(make_app) -> Flask:
    """An app whose unexpected errors become 500 pages, with a route that fails."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        search.rebuild()  # an (empty) index, so /healthz is healthy

    @app.get("/_test/boom")
    def boom():
        raise RuntimeError("boom")

    return app


def asset_path(app: Flask, name: str) -> str:
    with app.test_request_context():
        return app.jinja_env.globals["asset_url"](name)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/healthz", 200),
        ("GET", "/no-such-page", 404),
        ("GET", "/_test/boom", 500),
        ("DELETE", "/", 405),
        ("GET", "/api/v1/no-such-endpoint", 404),
        ("GET", "/static/css/site.css", 200),
        ("GET", "/assets/css/site.000000000000.css", 404),
        ("GET", "/staff/", None),
        ("GET", "/staff/login", None),
        ("POST", "/staff/login", None),
    ],
)
def test_headers_on_every_kind_of_response(client, method, path, status):
    with client.open(path, method=method) as response:
        if status is not None:
            assert response.status_code == status
        assert_secure_headers(response, f"{method} {path} -> {response.status_code}")


def test_headers_on_hashed_asset(app, client):
    path = asset_path(app, "css/site.css")
    assert re.search(r"/assets/css/site\.[0-9a-f]{12}\.css$", path)
    with client.get(path) as response:
        assert response.status_code == 200
        assert_secure_headers(response, path)
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache


def test_api_errors_are_json_with_headers(client):
    with client.get("/api/v1/no-such-endpoint") as response:
        assert response.status_code == 404
        assert response.is_json and "error" in response.get_json()
        assert_secure_headers(response, "API 404")


def test_server_error_page_is_friendly(client):
    with client.get("/_test/boom") as response:
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        assert "Something went wrong" in body and "RuntimeError" not in body


def test_staff_responses_are_not_cached(client):
    with client.get("/staff/login") as response:
        assert response.headers.get("Cache-Control") == "no-store"


def test_html_is_served_compressed(client):
    with client.get("/", headers={"Accept-Encoding": "gzip, br"}) as response:
        assert response.headers.get("Content-Encoding") == "gzip"
        assert "Accept-Encoding" in response.headers.get("Vary", "")
        html = gzip.decompress(response.get_data()).decode()
        assert html.lstrip().lower().startswith("<!doctype html>")


def test_hashed_css_is_served_compressed(app, client):
    path = asset_path(app, "css/site.css")
    with client.get(path, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers.get("Content-Encoding") == "gzip"
        css = gzip.decompress(response.get_data()).decode()
    with client.get(path) as plain:
        assert plain.headers.get("Content-Encoding") is None
        assert plain.get_data(as_text=True) == css


def test_pages_have_no_inline_script_or_style(client):
    with client.get("/") as response:
        html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> on the page"
    assert " style=" not in html and "<style" not in html, "inline style on the page"


def test_production_adds_hsts(monkeypatch, tmp_path):
    from app import create_app
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "hsts-test-secret")
    app = create_app(
        ProductionConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "SEARCH_POLL_SECONDS": 0,  # no background poller outliving this schema-less app
            "SITE_URL": "https://care.example.org",
        },
    )
    with app.test_client() as client, client.get("/no-such-page") as response:
        assert response.status_code == 404
        assert_secure_headers(response, "production 404")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "br;q=1, gzip;q=0", ""])
def test_no_gzip_when_the_client_refuses_it(client, accept):
    with client.get("/", headers={"Accept-Encoding": accept}) as response:
        assert response.headers.get("Content-Encoding") is None
        assert b"<html" in response.get_data()
