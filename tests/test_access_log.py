"""gunicorn, started with the project's gunicorn.conf.py, never logs what people search for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import config
from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
SEARCH = "/find-a-doctor?q=back+pain&location=98104"
SECRETS = ("back", "pain", "98104", "q=", "location=")
ANYWHERE = ("back+pain", "back pain", "98104", "q=")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        error.close()
        return error.code


@pytest.fixture
def database(tmp_path: Path) -> dict[str, str]:
    """A temporary SQLite database and search index holding the demo directory."""
    from app import search
    from app.services.seed import seed_all
    from app.transaction import unit_of_work

    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
    }
    app = create_app(
        config.TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "SEARCH_INDEX_DIR": env["SEARCH_INDEX_DIR"],
        },
    )
    with app.app_context():
        db.create_all()
        with unit_of_work():
            seed_all()
        search.rebuild()
        db.session.remove()
        db.engine.dispose()
    return env


def wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{log.read_text()}")
        try:
            fetch(base + "/healthz")
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")


@contextmanager
def gunicorn(database: dict[str, str], log: Path, workers: int = 1) -> Iterator[str]:
    """Run the real gunicorn with gunicorn.conf.py on a free port; yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **database,
        "APP_ENV": "development",
        "SECRET_KEY": "gunicorn-test-secret",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": "1" if workers == 1 else "2",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(base, process, log)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=15)


def test_access_log_has_the_path_but_not_the_search_terms(database, tmp_path):
    log = tmp_path / "gunicorn.log"
    with gunicorn(database, log) as base:
        fetch(base + SEARCH)
        # A referrer can carry the last search too; it must not reach the log either.
        fetch(base + "/providers/maria-nunez-dpt", Referer=base + SEARCH)
    text = log.read_text()
    lines = [line for line in text.splitlines() if '"GET /' in line]
    assert any('"GET /find-a-doctor ' in line for line in lines), text
    assert any('"GET /providers/maria-nunez-dpt ' in line for line in lines), text
    for line in lines:
        for secret in SECRETS:
            assert secret not in line, f"{secret!r} was written to the access log: {line}"
    for secret in ANYWHERE:
        assert secret not in text, f"{secret!r} was written to gunicorn's output:\n{text}"
