"""`flask search rebuild` writes a large directory in several processes: same answers,
and a writer process that dies fails the rebuild instead of losing listings quietly."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from app import search
from app.search import whoosh_adapter
from app.search.whoosh_adapter import PlainQueueMpWriter, segment_count
from tests.test_search_arrays import _answers


def _parallel(app, procs: int = 2) -> None:
    app.config.update(SEARCH_PARALLEL_FROM=1, SEARCH_REBUILD_PROCS=procs)


def _serial_then_parallel(app) -> tuple[list, list, dict]:
    """Answers after a one-process rebuild, after a parallel one, and the latter's report."""
    search.RESULT_CACHE = False
    try:
        search.rebuild()
        serial = _answers()
        _parallel(app)
        report = search.rebuild(procs=search.rebuild_procs())
        return serial, _answers(), report
    finally:
        search.RESULT_CACHE = True


def test_a_parallel_rebuild_answers_as_a_serial_one(seeded_app):
    with seeded_app.app_context():
        serial, parallel, report = _serial_then_parallel(seeded_app)
        assert report["documents"] == 134
        ix = search.store().open_index()
        try:
            assert segment_count(ix) == 2  # one per writer process, no final merge
        finally:
            ix.storage.close()
        # Plain files, not compound ones: Whoosh reads a compound file's parts into RAM.
        folder = search.store().gen_path(search.store().current_generation())
        assert not list(folder.glob("*.seg"))
        assert parallel == serial
        assert search.verify() == []


def test_the_cli_rebuild_uses_the_configured_processes(seeded_app):
    _parallel(seeded_app, procs=3)
    result = seeded_app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 134 providers" in result.output
    assert "Writing the index segments" in result.output
    with seeded_app.app_context():
        ix = search.store().open_index()
        try:
            assert segment_count(ix) == 3
        finally:
            ix.storage.close()
        assert search.verify() == []


class _DyingTask(whoosh_adapter.SubWriterTask):
    """A writer process that dies as it starts, as when the kernel's OOM killer takes it."""

    def run(self) -> None:
        os._exit(1)


def test_a_writer_process_that_dies_fails_the_rebuild_and_keeps_the_old_index(
    seeded_app, monkeypatch
):
    with seeded_app.app_context():
        before = search.status()["generation"]
        answers = _answers()

        monkeypatch.setattr(PlainQueueMpWriter, "task_class", _DyingTask)
        _parallel(seeded_app)
        with pytest.raises(search.SearchUnavailable, match=r"process died|wrote 0 of 134"):
            search.rebuild(procs=2)
        assert search.status()["generation"] == before
        assert multiprocessing.active_children() == []  # no writer process left behind
        assert sorted(p.name for p in search.store().root.glob("gen-*")) == [before]
        assert _answers() == answers


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_the_parallel_rebuild_works_when_processes_are_not_forked(seeded_app, method):
    """Python 3.14 starts processes with forkserver on Linux, and macOS spawns: what a writer
    process is given must pickle, so the parent-side queue watcher stays behind."""
    before = multiprocessing.get_start_method()
    multiprocessing.set_start_method(method, force=True)
    try:
        with seeded_app.app_context():
            serial, parallel, report = _serial_then_parallel(seeded_app)
            assert report["documents"] == 134
            assert parallel == serial
    finally:
        multiprocessing.set_start_method(before, force=True)
    assert multiprocessing.active_children() == []
