"""Absolute URLs come only from SITE_URL or a trusted host; a forged Host never shows."""

from __future__ import annotations

import pytest

from app import create_app
from config import ProductionConfig

FORGED = "evil.example.net"
ABSOLUTE_PAGES = ["/sitemap.xml", "/robots.txt", "/health/exercise-for-the-spine", "/"]


@pytest.mark.parametrize("path", ABSOLUTE_PAGES)
def test_forged_host_is_refused_when_hosts_are_trusted(seeded_client, path):
    response = seeded_client.get(path, headers={"Host": FORGED})
    assert response.status_code == 400
    assert FORGED.encode() not in response.data


@pytest.mark.parametrize("path", ABSOLUTE_PAGES)
def test_site_url_wins_over_any_host(make_app, path):
    app = make_app(SITE_URL="https://care.example.org/", TRUSTED_HOSTS=None)
    response = app.test_client().get(path, headers={"Host": FORGED})
    assert response.status_code == 200
    assert FORGED.encode() not in response.data
    assert b"https://care.example.org/" in response.data


def test_without_site_url_or_trusted_hosts_links_use_the_servers_own_address(make_app):
    app = make_app(SITE_URL=None, TRUSTED_HOSTS=None)
    client = app.test_client()
    for path in ("/robots.txt", "/health/exercise-for-the-spine"):
        body = client.get(path, headers={"Host": FORGED}).get_data(as_text=True)
        assert FORGED not in body
        assert "http://127.0.0.1:8000/" in body


def test_forged_x_forwarded_host_is_ignored_behind_a_proxy(make_app):
    app = make_app(TRUSTED_PROXY_COUNT=0)
    body = (
        app.test_client()
        .get("/robots.txt", headers={"X-Forwarded-Host": FORGED})
        .get_data(as_text=True)
    )
    assert FORGED not in body


def test_production_refuses_to_start_without_site_url_or_trusted_hosts(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    overrides = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"}
    with pytest.raises(RuntimeError, match="SITE_URL"):
        create_app(ProductionConfig, overrides)
    monkeypatch.setenv("TRUSTED_HOSTS", "care.example.org, www.care.example.org")
    app = create_app(ProductionConfig, {**overrides, "SEARCH_POLL_SECONDS": 0})
    assert app.config["TRUSTED_HOSTS"] == ["care.example.org", "www.care.example.org"]
    ok = app.test_client().get("/robots.txt", headers={"Host": "care.example.org"})
    assert ok.status_code == 200
    assert "https://care.example.org/sitemap.xml" in ok.get_data(as_text=True) or (
        "http://care.example.org/sitemap.xml" in ok.get_data(as_text=True)
    )
    assert app.test_client().get("/robots.txt", headers={"Host": FORGED}).status_code == 400
