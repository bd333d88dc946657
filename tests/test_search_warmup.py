"""A database down when a worker starts delays the search warm-up; it never kills it.

Real outages, no mocks: a SQLite file whose folder is not there yet (a volume not mounted),
and a PostgreSQL database renamed away, then brought back.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

import pytest

from app import search
from app.search import sync
from tests.test_faults import _start_database, _stop_database

RETRYING = re.compile(r"retrying in ([0-9.]+) s")


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tries every 0.05 s, doubling up to 0.2 s (the worker's own: 1 s up to 60 s)."""
    monkeypatch.setattr(sync, "WARMUP_FIRST_DELAY", 0.05)
    monkeypatch.setattr(sync, "WARMUP_MAX_DELAY", 0.2)


def _waiting_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "warm-up waits for the database" in r.getMessage()]


def _wait_for_retries(caplog, warmup, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(_waiting_lines(caplog)) < count:
        assert time.monotonic() < deadline, f"the warm-up stopped trying:\n{caplog.text}"
        time.sleep(0.02)
    assert warmup.thread.is_alive()


def _assert_one_line_each(caplog: pytest.LogCaptureFixture) -> None:
    lines = _waiting_lines(caplog)
    assert lines
    for record in caplog.records:  # nothing anywhere came with a traceback
        assert record.exc_info is None, record.getMessage()
    for record in lines:
        assert record.levelno == logging.WARNING
        assert "\n" not in record.getMessage()
        assert "OperationalError" in record.getMessage()
    delays = [float(RETRYING.search(r.getMessage()).group(1)) for r in lines]
    assert delays == sorted(delays) and max(delays) <= 0.2  # backs off, bounded
    assert len(delays) < 3 or delays[-1] > delays[0]


def _warmed(app) -> bool:
    with app.app_context():
        return search.store().view is not None


def test_sqlite_not_there_at_start_is_waited_for(
    make_app, seeded_template: Path, tmp_path: Path, caplog, quick_backoff
):
    folder = tmp_path / "volume-not-mounted-yet"
    app = make_app(
        f"sqlite:///{folder / 'seeded.db'}",
        create_schema=False,
        SEARCH_INDEX_DIR=str(tmp_path / "index"),
    )
    shutil.copytree(seeded_template / "index", tmp_path / "index")
    with caplog.at_level(logging.DEBUG):
        warmup = sync.start_warmup(app)
        _wait_for_retries(caplog, warmup, 4)
        assert not _warmed(app)
        folder.mkdir()  # the volume appears
        shutil.copy(seeded_template / "seeded.db", folder / "seeded.db")
        warmup.join(30)
    assert not warmup.thread.is_alive()
    _assert_one_line_each(caplog)
    assert _warmed(app)
    assert app.test_client().get("/find-a-doctor?q=tran").status_code == 200


@pytest.mark.parametrize(
    "seeded_app", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_postgres_away_at_start_is_waited_for(seeded_app, caplog, quick_backoff):
    name = _stop_database(seeded_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with caplog.at_level(logging.DEBUG):
            warmup = sync.start_warmup(seeded_app)
            _wait_for_retries(caplog, warmup, 4)
            assert not _warmed(seeded_app)
    finally:
        _start_database(name)
    warmup.join(30)
    assert not warmup.thread.is_alive()
    _assert_one_line_each(caplog)
    assert _warmed(seeded_app)


def test_a_warmup_still_waiting_stops_when_told(make_app, tmp_path: Path, caplog, quick_backoff):
    """The retries end with the worker: a daemon thread, and a stop event for a clean exit."""
    app = make_app(f"sqlite:///{tmp_path / 'never' / 'there.db'}", create_schema=False)
    with caplog.at_level(logging.DEBUG):
        warmup = sync.start_warmup(app)
        assert warmup.thread.daemon
        _wait_for_retries(caplog, warmup, 2)
        warmup.stop.set()
        warmup.join(2)
    assert not warmup.thread.is_alive()
    assert not warmup.done.is_set()
