"""App-wide behaviour: factory, health check, headers, error pages."""

from __future__ import annotations

import re

import pytest

from app import create_app, search
from config import ProductionConfig


def test_production_refuses_to_start_without_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_healthz_reports_parts(app, client):
    # No index yet: a web request never builds one; /healthz names the failing part.
    missing = client.get("/healthz")
    assert missing.status_code == 503
    body = missing.get_json()
    assert set(body) >= {"status", "database", "search", "providers", "index_documents"}
    assert body["database"] == "ok" and body["providers"] == 0
    assert body["status"] == "error" and body["search"].startswith("error")
    with app.app_context():
        search.rebuild()
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.get_json() == {
        "status": "ok",
        "database": "ok",
        "search": "ok",
        "providers": 0,
        "index_documents": 0,
    }


def test_404_is_friendly_and_carries_headers(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert 'href="/"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and "error" in response.get_json()


def test_static_assets_are_hashed_and_cached(client):
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/assets/css/site\.[0-9a-f]{12}\.css)"', html)
    assert match, "stylesheet is not served under a hashed name"
    with client.get(match.group(1)) as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/assets/css/site.000000000000.css").status_code == 404


def test_html_is_compressed_when_accepted(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    if len(response.get_data()) >= 500:
        assert response.headers.get("Content-Encoding") == "gzip"


def test_a_web_worker_starts_without_the_migration_tooling(tmp_path):
    """gunicorn.conf.py marks its workers; they skip Alembic's imports (a faster first
    search after a restart), while the CLI keeps `flask db`."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "APP_ENV": "development",
        "SECRET_KEY": "worker-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
    }
    probe = "import sys, wsgi; print('alembic' in sys.modules, 'migrate' in wsgi.app.extensions)"
    worker = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        env={**env, "FINDCARE_WEB_WORKER": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert worker.stdout.split() == ["False", "False"], worker.stderr
    cli = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "current"],
        cwd=root,
        env={k: v for k, v in env.items() if k != "FINDCARE_WEB_WORKER"},
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
