"""Adding a host: copy a peer's index generation, then catch up from its recorded outbox seq."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import Provider
from app.services import audit


def _edit(slug: str, **changes) -> int:
    provider = db.session.scalar(select(Provider).where(Provider.slug == slug))
    for key, value in changes.items():
        setattr(provider, key, value)
    audit.enqueue("provider", [provider.id])
    db.session.commit()
    return provider.id


def _ids(q: str) -> list[int]:
    found = search.search(search.parse_params(MultiDict({"q": q}), api=True))
    return [h.provider_id for h in found.hits]


def test_a_new_host_copies_a_peer_and_catches_up(seeded_app, make_app, tmp_path: Path):
    peer_dir = seeded_app.config["SEARCH_INDEX_DIR"]
    url = seeded_app.config["SQLALCHEMY_DATABASE_URI"]
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        _edit("rebecca-smith-md", last_name="Peerapplied")
        copied_seq = search.index_version()[1]
    newcomer = make_app(url, create_schema=False, SEARCH_INDEX_DIR=str(tmp_path / "new-host"))
    newcomer.config["SEARCH_SYNC_ON_COMMIT"] = False
    with newcomer.app_context():
        # committed after the copy was made: only the newcomer's catch-up can bring it
        pid = _edit("maria-nunez-dpt", last_name="Latecomer")
    with seeded_app.app_context():
        search.close_all()
    peer_state = sorted(os.listdir(peer_dir))
    result = newcomer.test_cli_runner().invoke(args=["search", "clone", peer_dir])
    assert result.exit_code == 0, result.output
    assert "newer change(s)" in result.output
    with newcomer.app_context():
        assert search.status()["pending"] == 0
        assert search.index_version()[1] > copied_seq
        assert pid in _ids("latecomer") and _ids("peerapplied")
        assert search.verify() == []
        gen = search.store().current_generation()
        assert any(p.name.startswith("arrays-") for p in search.store().gen_path(gen).iterdir())
    assert sorted(os.listdir(peer_dir)) == peer_state  # the peer is left as it was


def test_clone_refuses_nonsense(seeded_app, make_app, tmp_path: Path):
    url = seeded_app.config["SQLALCHEMY_DATABASE_URI"]
    empty = tmp_path / "empty"
    empty.mkdir()
    newcomer = make_app(url, create_schema=False, SEARCH_INDEX_DIR=str(tmp_path / "x"))
    runner = newcomer.test_cli_runner()
    result = runner.invoke(args=["search", "clone", str(empty)])
    assert result.exit_code == 1 and "no search index" in result.output
    result = runner.invoke(args=["search", "clone", str(tmp_path / "missing")])
    assert result.exit_code == 2
    own = seeded_app.test_cli_runner().invoke(
        args=["search", "clone", seeded_app.config["SEARCH_INDEX_DIR"]]
    )
    assert own.exit_code == 1 and "own index" in own.output


def _tar_like_copy(peer_dir: str, target: Path) -> Path:
    """What `tar` without sub-second times leaves: the same files, mtimes cut to seconds."""
    import shutil

    shutil.copytree(peer_dir, target, ignore=shutil.ignore_patterns("*.lock", "write.lock"))
    for path in target.rglob("*"):
        if path.is_file():
            whole = int(path.stat().st_mtime)
            os.utime(path, (whole, whole))
    return target


def test_a_copy_that_lost_exact_times_is_not_mistaken_for_damage(
    seeded_app, make_app, tmp_path: Path
):
    with seeded_app.app_context():
        search.close_all()
    copy = _tar_like_copy(seeded_app.config["SEARCH_INDEX_DIR"], tmp_path / "tarred")
    newcomer = make_app(
        seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        create_schema=False,
        SEARCH_INDEX_DIR=str(tmp_path / "new-host"),
    )
    result = newcomer.test_cli_runner().invoke(args=["search", "clone", str(copy)])
    assert result.exit_code == 0, result.output
    with newcomer.app_context():
        assert search.integrity_problem() is None
        gen = search.store().current_generation()
        assert search.apply_changes() == 0 and search.store().current_generation() == gen
        assert search.verify() == []


def test_a_truncated_copy_is_never_opened_and_the_index_is_rebuilt(
    seeded_app, make_app, tmp_path: Path
):
    with seeded_app.app_context():
        search.close_all()
    copy = _tar_like_copy(seeded_app.config["SEARCH_INDEX_DIR"], tmp_path / "cut")
    gen = (copy / "CURRENT").read_text().strip()
    index_files = [
        p
        for p in (copy / gen).iterdir()
        if p.name != "state.json" and not p.name.startswith("arrays-")
    ]
    biggest = max(index_files, key=lambda p: p.stat().st_size)
    biggest.write_bytes(biggest.read_bytes()[:-10])
    newcomer = make_app(
        seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        create_schema=False,
        SEARCH_INDEX_DIR=str(tmp_path / "new-host"),
    )
    result = newcomer.test_cli_runner().invoke(args=["search", "clone", str(copy)])
    assert result.exit_code == 0, result.output
    assert f"{biggest.name} does not match the peer's SHA-256 manifest" in result.output
    assert "Rebuilt" in result.output
    with newcomer.app_context():
        rebuilt = search.store().current_generation()
        assert rebuilt is not None and "-copy-" not in rebuilt
        assert not any("-copy-" in p.name for p in (tmp_path / "new-host").iterdir())
        assert _ids("smith") and search.verify() == []
