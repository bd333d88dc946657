"""The index follows the database: commit, rollback, crash recovery, two hosts, CLI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import Provider, SearchOutbox
from app.search import sync
from app.services import audit
from app.services.seed import seed_all
from app.transaction import unit_of_work
from tests import factories


def names(q: str) -> list[int]:
    """Providers found by name (a primary-care fallback found nobody by that name)."""
    results = search.search(search.parse_params(MultiDict({"q": q}), api=True))
    return [] if results.fallback else [h.provider_id for h in results.hits]


def _edit(slug: str, **changes) -> Provider:
    provider = db.session.scalar(db.select(Provider).filter_by(slug=slug))
    for key, value in changes.items():
        setattr(provider, key, value)
    audit.enqueue("provider", [provider.id])
    return provider


def test_commit_is_visible_at_once(seeded_app):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        provider = _edit("rebecca-smith-md", last_name="Smythe-Zebulon")
        db.session.commit()
        assert provider.id in names("zebulon")
        assert search.verify() == []


def test_rollback_never_reaches_the_index(seeded_app):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        _edit("rebecca-smith-md", last_name="Quixotic")
        db.session.flush()
        db.session.rollback()
        assert search.apply_changes() == 0
        assert names("quixotic") == []
        assert search.verify() == []


def test_index_check_failing_after_commit_never_fails_the_save(seeded_app, monkeypatch):
    """The commit is done: an indexing fault afterwards is retried, never raised."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True

    def vanished() -> bool:
        raise FileNotFoundError("segment merged away by another process")

    monkeypatch.setattr(sync, "index_healthy", vanished)
    with seeded_app.app_context():
        with unit_of_work():
            pid = _edit("rebecca-smith-md", last_name="Resilient").id
        sync.wait_for_background()
        assert pid in names("resilient")
        assert search.verify() == []


def test_integrity_check_tolerates_a_generation_removed_under_it(seeded_app):
    """Another process swapping generations must not make a reader's check crash."""
    with seeded_app.app_context():
        store = search.store()
        gen = store.current_generation()
        doomed = store.gen_path(gen).parent / "gen-00000000000000-gone"
        assert store.file_manifest(doomed.name) == {}
        live = store.file_manifest(gen)
        assert live and all(size >= 0 for size, _ in live.values())
        assert store.integrity_problem() is None


def test_crash_between_commit_and_index_is_applied_when_a_worker_starts(seeded_app):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False  # the "crash": nothing applied
    with seeded_app.app_context():
        pid = _edit("rebecca-smith-md", last_name="Crashproof").id
        db.session.commit()
        assert names("crashproof") == []
        assert any("differs" in line for line in search.verify())
        before = search.status()["last_seq"]
    sync.start_warmup(seeded_app).join(30)  # what gunicorn's post_worker_init runs
    with seeded_app.app_context():
        assert pid in names("crashproof")
        assert search.status()["last_seq"] > before and search.status()["pending"] == 0


def test_deactivated_provider_is_deleted_and_location_change_reindexes(seeded_app):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with seeded_app.app_context():
        provider = _edit("maria-nunez-dpt", active=False)
        db.session.commit()
        assert names("nunez") == []
        count = search.document_count()
        assert count == 133
        _edit("maria-nunez-dpt", active=True)
        db.session.commit()
        assert names("nunez") == [provider.id]


def test_out_of_order_commit_fills_the_gap(seeded_app):
    """A seq below last_seq that commits late (PostgreSQL) is still applied."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    with seeded_app.app_context():
        provider = db.session.scalar(db.select(Provider).filter_by(slug="linh-tran-dpt"))
        late = SearchOutbox(seq=5000, entity_type="provider", entity_id=provider.id)
        db.session.add(SearchOutbox(seq=5002, entity_type="provider", entity_id=provider.id))
        db.session.commit()
        search.apply_changes()
        assert search.status()["last_seq"] == 5002
        provider.last_name = "Latecomer"
        db.session.add(late)
        db.session.commit()
        assert search.apply_changes() == 1
        assert provider.id in names("latecomer")


def test_rebuild_swaps_generations_and_searches_keep_working(seeded_app):
    with seeded_app.app_context():
        before = search.status()["generation"]
        assert names("nunez")
        report = search.rebuild()
        assert report["documents"] == 134 and report["generation"] != before
        assert names("nunez")
        root = Path(seeded_app.config["SEARCH_INDEX_DIR"])
        gens = [p.name for p in root.iterdir() if p.name.startswith("gen-")]
        assert len(gens) <= 2


def test_missing_index_is_built_on_demand(make_app):
    app = make_app()
    with app.app_context():
        factories.provider(
            last_name="Ondemand",
            specialties=[factories.specialty()],
            locations=[factories.location()],  # a listing without a clinic is not public
        )
        db.session.flush()
        audit.enqueue("provider", [p.id for p in db.session.scalars(db.select(Provider))])
        db.session.commit()  # SEARCH_SYNC_ON_COMMIT hands the build to the background
        sync.wait_for_background()
        assert search.document_count() == 1
        assert names("ondemand")


def test_cli_rebuild_verify_status(seeded_app):
    runner = seeded_app.test_cli_runner()
    result = runner.invoke(args=["search", "rebuild", "--if-missing"])
    assert result.exit_code == 0 and "present" in result.output
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Indexed 134 providers" in result.output
    assert "indexed 134/134" in result.output  # plain progress lines off a terminal
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0 and "Documents:         134" in result.output
    assert runner.invoke(args=["search", "verify"]).exit_code == 0
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    with seeded_app.app_context():
        _edit("linh-tran-dpt", accepting_new_patients=False)
        db.session.commit()
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1 and "accepting_new_patients" in result.output


def test_empty_index_dir_is_unavailable_until_built(make_app, tmp_path):
    app = make_app(SEARCH_INDEX_DIR=str(tmp_path / "nothing-here"))
    with app.app_context(), pytest.raises(search.SearchUnavailable):
        search.document_count()


@pytest.mark.postgres
def test_two_hosts_sharing_postgres_converge(make_app, pg_database, tmp_path):
    host_a = make_app(pg_database)
    host_b = make_app(pg_database, create_schema=False)
    with host_a.app_context():
        with unit_of_work():
            seed_all()
        search.rebuild()
    with host_b.app_context():
        search.apply_changes()  # builds host B's own index from scratch
        assert search.document_count() == 134
    with host_a.app_context():
        provider = _edit("linh-tran-dpt", last_name="Convergent")
        db.session.commit()  # host A applies at once
        assert provider.id in names("convergent")
        pid = provider.id
    with host_b.app_context():
        assert names("convergent") == []  # B has not polled yet
        assert search.apply_changes() >= 1
        assert names("convergent") == [pid]
        assert search.verify() == []
    assert os.path.realpath(host_a.config["SEARCH_INDEX_DIR"]) != os.path.realpath(
        host_b.config["SEARCH_INDEX_DIR"]
    )
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize(
    "seeded_app", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_postgres_transactions_committing_out_of_order(seeded_app):
    """T1 takes outbox seq N, T2 takes N+1 and commits first; T1's change still arrives.

    Real concurrent transactions on PostgreSQL, where a sequence hands out numbers at
    insert time, so the index sees N+1 committed while N is still invisible (a gap).
    """
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    with seeded_app.app_context():
        first, second = db.session.scalars(
            db.select(Provider.id).where(Provider.active.is_(True)).order_by(Provider.id).limit(2)
        ).all()
        db.session.remove()
        outbox = SearchOutbox.__table__
        with db.engine.connect() as c1, db.engine.connect() as c2:
            t1 = c1.begin()
            seq1 = c1.execute(
                outbox.insert()
                .values(entity_type="provider", entity_id=first, op="upsert")
                .returning(outbox.c.seq)
            ).scalar_one()
            c1.execute(
                db.update(Provider).where(Provider.id == first).values(last_name="Slowcommit")
            )
            t2 = c2.begin()
            seq2 = c2.execute(
                outbox.insert()
                .values(entity_type="provider", entity_id=second, op="upsert")
                .returning(outbox.c.seq)
            ).scalar_one()
            c2.execute(
                db.update(Provider).where(Provider.id == second).values(last_name="Quickcommit")
            )
            t2.commit()
            assert seq1 < seq2
            assert search.apply_changes() == 1
            assert search.status()["last_seq"] == seq2
            assert search.status()["gaps"] >= 1
            assert names("quickcommit") == [second]
            assert names("slowcommit") == []
            t1.commit()
        assert search.apply_changes() == 1
        assert names("slowcommit") == [first]
        assert search.verify() == []
