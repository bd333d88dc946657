"""Nothing in the index folder is unpickled: a planted pickle is never run.

A pickle runs code while it loads, before any check could look at what it built. Each
test plants pickles whose loading would create a marker file, where an older release kept
its ``.pkl`` files, in place of today's saved files, and in a peer's folder a new host
clones from, then proves the marker never appears and that search still answers.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

from werkzeug.datastructures import MultiDict

from app import search
from app.search.vocab import get_vocab

ROOT = Path(__file__).resolve().parent.parent


class _Planted:
    """Unpickling this opens (creates) ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _payload(marker: Path, size: int = 0) -> bytes:
    """A pickle that creates ``marker`` when loaded, padded to ``size`` bytes (a pickle
    stops reading at its end, so the padding changes nothing)."""
    data = pickle.dumps(_Planted(marker), protocol=pickle.HIGHEST_PROTOCOL)
    return data + b"\0" * max(0, size - len(data))


def _live(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def _plant_everywhere(index_dir: Path, marker: Path) -> list[Path]:
    """Pickles where the old release's files lived, and over today's saved files."""
    gen = _live(index_dir)
    planted = []
    for arrays in gen.glob("arrays-*.npz"):
        key = arrays.stem.split("-", 2)[2]
        old = gen / f"arrays-7-{key}.pkl"  # the previous release's arrays file
        old.write_bytes(_payload(marker))
        arrays.write_bytes(_payload(marker))
        planted += [old, arrays]
    for vocab in index_dir.glob("vocab-*.msgpack"):
        old = vocab.with_suffix(".pkl")
        old.write_bytes(_payload(marker))
        vocab.write_bytes(_payload(marker))
        planted += [old, vocab]
    assert planted
    return planted


_FRESH_WORKER = """
import wsgi
from app import search
from app.search.vocab import get_vocab

client = wsgi.app.test_client()
for path in ("/api/v1/providers?q=smith", "/api/v1/suggest?q=nun", "/find-a-doctor?q=back+pain"):
    answer = client.get(path)
    print(path, answer.status_code)
with wsgi.app.app_context():
    search.apply_changes()  # the writer: an old index (pickle files) is rebuilt
answer = client.get("/api/v1/providers?q=smith")
assert answer.status_code == 200, answer.status_code
print("total", answer.get_json()["total"])
"""


def test_pickles_where_the_old_files_lived_are_never_run(seeded_app, tmp_path: Path):
    """A restarted worker meets pickles in the old files' places and in place of today's:
    none is loaded, the old index is rebuilt, and search answers."""
    index_dir = Path(seeded_app.config["SEARCH_INDEX_DIR"])
    marker = tmp_path / "pickle-was-run"
    with seeded_app.app_context():
        search.rebuild()
        get_vocab()  # saved beside the index, as a first worker leaves it
        search.close_all()
    old_gen = _live(index_dir)
    _plant_everywhere(index_dir, marker)
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": str(index_dir),
        "SEARCH_POLL_SECONDS": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_WORKER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not marker.exists(), "a planted pickle was loaded"
    total = int(done.stdout.split("total", 1)[1])
    assert total > 0
    assert _live(index_dir) != old_gen, "the old index was rebuilt"
    assert not list(_live(index_dir).glob("*.pkl"))
    with seeded_app.app_context():
        search.close_all()
        found = search.search(search.parse_params(MultiDict({"q": "smith"}), api=True))
        assert found.total == total
        assert not list(index_dir.glob("vocab-*.pkl")), "old vocabulary pickles are removed"
    assert not marker.exists()


def _copy_of(index_dir: Path, target: Path) -> Path:
    shutil.copytree(index_dir, target, ignore=shutil.ignore_patterns("*.lock", "write.lock"))
    return target


def _clone(app, source: Path):
    return app.test_cli_runner().invoke(args=["search", "clone", str(source)])


def test_a_clone_source_with_planted_pickles_never_runs_them(seeded_app, make_app, tmp_path: Path):
    """A Whoosh file of the peer replaced by a pickle of the same size fails its SHA-256
    check: the copy is never opened and this host's index is rebuilt from the database."""
    marker = tmp_path / "pickle-was-run"
    with seeded_app.app_context():
        search.close_all()
    peer = _copy_of(Path(seeded_app.config["SEARCH_INDEX_DIR"]), tmp_path / "peer")
    gen = _live(peer)
    toc = next(gen.glob("_MAIN_*.toc"))  # Whoosh unpickles its schema from this file
    size, times = toc.stat().st_size, toc.stat()
    toc.write_bytes(_payload(marker, size))
    os.utime(toc, ns=(times.st_atime_ns, times.st_mtime_ns))  # size and time unchanged
    newcomer = make_app(
        seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        create_schema=False,
        SEARCH_INDEX_DIR=str(tmp_path / "new-host"),
    )
    result = _clone(newcomer, peer)
    assert result.exit_code == 0, result.output
    assert f"{toc.name} does not match the peer's SHA-256 manifest" in result.output
    with newcomer.app_context():
        assert search.search(search.parse_params(MultiDict({"q": "smith"}), api=True)).total
        assert search.verify() == []
    assert not marker.exists(), "a planted pickle was loaded"


def test_a_clone_leaves_out_planted_arrays_and_rebuilds_them(seeded_app, make_app, tmp_path):
    """Saved arrays replaced by pickles fail their digests: left out, rebuilt here."""
    marker = tmp_path / "pickle-was-run"
    with seeded_app.app_context():
        search.close_all()
    peer = _copy_of(Path(seeded_app.config["SEARCH_INDEX_DIR"]), tmp_path / "peer")
    for arrays in _live(peer).glob("arrays-*.npz"):
        arrays.write_bytes(_payload(marker))
    newcomer = make_app(
        seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        create_schema=False,
        SEARCH_INDEX_DIR=str(tmp_path / "new-host"),
    )
    result = _clone(newcomer, peer)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Copied"), result.output
    with newcomer.app_context():
        assert search.search(search.parse_params(MultiDict({"q": "smith"}), api=True)).total
        assert search.verify() == []
        assert list(search.store().live_path().glob("arrays-*.npz")), "rebuilt here"
    assert not marker.exists(), "a planted pickle was loaded"


def test_a_peer_index_of_an_older_release_is_rebuilt_not_copied(
    seeded_app, make_app, tmp_path: Path
):
    marker = tmp_path / "pickle-was-run"
    with seeded_app.app_context():
        search.close_all()
    peer = _copy_of(Path(seeded_app.config["SEARCH_INDEX_DIR"]), tmp_path / "peer")
    (_live(peer) / "arrays-7-MAIN_old.pkl").write_bytes(_payload(marker))
    newcomer = make_app(
        seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        create_schema=False,
        SEARCH_INDEX_DIR=str(tmp_path / "new-host"),
    )
    result = _clone(newcomer, peer)
    assert result.exit_code == 0, result.output
    assert "older release" in result.output and "Rebuilt" in result.output
    with newcomer.app_context():
        assert search.search(search.parse_params(MultiDict({"q": "smith"}), api=True)).total
    assert not marker.exists()
