"""The live-generation pointer is read again only when its file changed, and always then."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from app.search.store import POINTER, STATE, Store, write_atomic


def _generation(root: Path, name: str) -> None:
    (root / name).mkdir()
    write_atomic(root / name / STATE, '{"last_seq": 0}')


def _touch_later(path: Path, seconds: int) -> None:
    """Give a file an mtime ``seconds`` on (a later write, as an operator's would be)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


def test_signature_follows_every_way_the_pointer_changes(tmp_path: Path):
    store = Store(tmp_path)
    assert store.signature() == (None, None, None)  # no index yet
    _generation(tmp_path, "gen-a")
    _generation(tmp_path, "gen-b")
    write_atomic(tmp_path / POINTER, "gen-a\n")
    assert store.signature()[0] == "gen-a"
    assert store.signature()[0] == "gen-a"  # the cached read
    write_atomic(tmp_path / POINTER, "gen-b\n")  # a rebuild's switch: a rename
    assert store.signature()[0] == "gen-b"
    (tmp_path / POINTER).write_text("gen-a\n")  # an operator's rollback, in place
    _touch_later(tmp_path / POINTER, 2)
    assert store.signature()[0] == "gen-a"
    first = store.signature()
    write_atomic(tmp_path / "gen-a" / STATE, '{"last_seq": 5}')  # an applied batch
    assert store.signature()[0] == "gen-a" and store.signature() != first
    shutil.rmtree(tmp_path / "gen-a")  # the live generation removed under us
    assert store.signature()[0] is None
    (tmp_path / POINTER).unlink()
    assert store.signature() == (None, None, None)


def test_a_pointer_naming_a_missing_generation_is_no_index(tmp_path: Path):
    store = Store(tmp_path)
    write_atomic(tmp_path / POINTER, "gen-gone\n")
    assert store.signature()[0] is None
    assert store.current_generation() is None
    _generation(tmp_path, "gen-gone")  # the copy finishes: now it is served
    assert store.signature()[0] == "gen-gone"
