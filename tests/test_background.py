"""Work kept off the request: big change sets, a damaged index, the poller, housekeeping."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import LoginAttempt, Provider, SearchOutbox, Specialty, now_utc
from app.search import sync
from app.services.specialties import update_synonyms
from app.transaction import unit_of_work


def _hits(q: str) -> list[int]:
    results = search.search(search.parse_params(MultiDict({"q": q}), api=True))
    return [h.provider_id for h in results.hits]


def _busiest_specialty() -> Specialty:
    from app.models import ProviderSpecialty

    sid = db.session.scalar(
        select(ProviderSpecialty.specialty_id)
        .group_by(ProviderSpecialty.specialty_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    return db.session.get(Specialty, sid)


def test_big_synonym_edit_is_indexed_in_the_background_not_in_the_request(seeded_app, monkeypatch):
    """The save returns while the background job is still held back, so it cannot have
    waited for it (or done its work); released, the job indexes the edit."""
    seeded_app.config["SEARCH_SYNC_MAX_ROWS"] = 2
    release = threading.Event()
    real = sync.apply_quietly

    def held(app, **kwargs):  # sync.apply_quietly is a test seam (docs/architecture.md)
        if not release.wait(60):
            raise AssertionError("the request waited for the background job")
        return real(app, **kwargs)

    monkeypatch.setattr(sync, "apply_quietly", held)
    with seeded_app.app_context():
        spec = _busiest_specialty()
        before = search.status()["last_seq"]
        with unit_of_work():
            update_synonyms(spec, ["zebraword"], spec.version, None)
        state = search.status()  # the request is over; the job has not been let go yet
        assert state["last_seq"] == before and state["pending"] > 0
        release.set()
        sync.wait_for_background()
        assert search.status()["last_seq"] > before
        assert search.status()["pending"] == 0
        assert _hits("zebraword")
        assert search.verify() == []


def test_small_edit_is_applied_inline(seeded_app):
    with seeded_app.app_context():
        p = db.session.scalar(select(Provider).filter_by(slug="linh-tran-dpt"))
        with unit_of_work():
            p.last_name = "Inlineapplied"
            from app.services import audit

            audit.enqueue("provider", [p.id])
        assert p.id in _hits("inlineapplied")  # no waiting: applied before commit returned


def _damage(index_dir: str) -> list[Path]:
    """Overwrite the live generation's segment files, as a bad disk or a stray cp would."""
    root = Path(index_dir)
    gen = (root / "CURRENT").read_text().strip()
    victims = [f for f in (root / gen).iterdir() if f.suffix in (".seg", ".trm", ".pst")]
    assert victims
    for f in victims:
        f.write_bytes(b"\0garbage" * max(1, f.stat().st_size // 8))
    return victims


def test_damaged_index_is_detected_everywhere_and_rebuilt_with_edits_made_meanwhile(
    seeded_app, make_app
):
    index_dir = seeded_app.config["SEARCH_INDEX_DIR"]
    # A second "worker": its own app object and a searcher opened before the damage.
    other = make_app(
        seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        create_schema=False,
        SEARCH_INDEX_DIR=index_dir,
    )
    with other.app_context():
        assert _hits("tran")
    with seeded_app.app_context():
        old_gen = search.status()["generation"]
    victims = _damage(index_dir)
    for app in (seeded_app, other):
        health = app.test_client().get("/healthz")
        assert health.status_code == 503
        assert "damaged" in health.get_json()["search"]
        assert (
            victims[0].name in health.get_json()["search"]
            or "index file" in (health.get_json()["search"])
        )
    result = seeded_app.test_cli_runner().invoke(args=["search", "verify"])
    assert result.exit_code != 0
    assert "index file" in result.output and old_gen in result.output
    search_page = seeded_app.test_client().get("/find-a-doctor?q=tran")
    assert search_page.status_code in (200, 503)
    # An edit made while the index is damaged is kept in the outbox...
    with seeded_app.app_context():
        seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False
        p = db.session.scalar(select(Provider).filter_by(slug="linh-tran-dpt"))
        with unit_of_work():
            p.last_name = "Meanwhile"
            from app.services import audit

            audit.enqueue("provider", [p.id])
        # ...and the background applier (the poller's job) rebuilds into a fresh directory.
        assert sync.apply_quietly(seeded_app) > 0
        status = search.status()
        assert status["generation"] != old_gen
        assert Path(index_dir, status["generation"]).is_dir()
        assert p.id in _hits("meanwhile")
        assert search.verify() == []
    for app in (seeded_app, other):
        assert app.test_client().get("/healthz").status_code == 200


def test_no_request_starts_the_poller(seeded_app):
    seeded_app.config["SEARCH_POLL_SECONDS"] = 0.05
    client = seeded_app.test_client()
    assert client.get("/find-a-doctor?q=tran").status_code == 200
    assert "search_poller" not in seeded_app.extensions
    poller = sync.start_poller(seeded_app)
    try:
        assert poller is not None and poller.thread.is_alive()
        assert sync.start_poller(seeded_app) is poller  # once per process
    finally:
        poller.stop.set()
        poller.wake.set()
        poller.thread.join(5)


def test_prune_outbox_keeps_recent_and_unapplied_rows(seeded_app):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False  # leave the new rows unapplied
    runner = seeded_app.test_cli_runner()
    with seeded_app.app_context():
        last = search.status()["last_seq"]
        old = now_utc() - timedelta(days=30)
        db.session.add_all(
            [
                SearchOutbox(seq=last + 1000, entity_type="provider", entity_id=1, at=old),
                SearchOutbox(seq=last + 1001, entity_type="provider", entity_id=1),
            ]
        )
        db.session.execute(db.update(SearchOutbox).where(SearchOutbox.seq <= last).values(at=old))
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    result = runner.invoke(args=["search", "prune-outbox", "--keep-days", "7"])
    assert result.exit_code == 0, result.output
    with seeded_app.app_context():
        left = set(db.session.scalars(select(SearchOutbox.seq)))
    assert left == {last + 1000, last + 1001}  # unapplied (old) and recent rows stay
    assert f"Deleted {total - 2} " in result.output
    bad = runner.invoke(args=["search", "prune-outbox", "--keep-days", "0"])
    assert bad.exit_code != 0


def test_prune_login_attempts(app):
    with app.app_context():
        db.session.add_all(
            [
                LoginAttempt(email="a@example.org", client="1", at=now_utc() - timedelta(days=40)),
                LoginAttempt(email="a@example.org", client="1"),
            ]
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "prune-attempts", "--keep-days", "30"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 login attempt" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
