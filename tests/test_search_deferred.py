"""Large index work never runs inside a web request: it is handed to a background thread."""

from __future__ import annotations

import shutil
import time

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import search
from app.extensions import db
from app.models import Provider, ProviderSpecialty, Specialty
from app.search import sync
from app.services import audit
from app.services.specialties import update_synonyms
from app.transaction import unit_of_work


def _biggest_specialty(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return db.session.execute(
            select(Specialty.id, func.count())
            .join(ProviderSpecialty, ProviderSpecialty.specialty_id == Specialty.id)
            .join(Provider, Provider.id == ProviderSpecialty.provider_id)
            .group_by(Specialty.id)
            .order_by(func.count().desc(), Specialty.id)
        ).first()


def _wait_until_applied(app: Flask, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            state = search.status()
        if state["pending"] == 0 or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def test_a_large_batch_is_refused_before_any_work(seeded_app: Flask):
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    spec_id, size = _biggest_specialty(seeded_app)
    with seeded_app.app_context():
        with unit_of_work():
            update_synonyms(db.session.get(Specialty, spec_id), ["bone bender"], None, None)
        before = search.index_version()
        with pytest.raises(search.BatchTooLarge):
            search.apply_changes(max_batch=size - 1)
        assert search.index_version() == before and search.status()["pending"] > 0
        assert search.apply_changes(max_batch=size) > 0
        assert search.status()["pending"] == 0 and search.verify() == []


def test_a_synonym_edit_returns_and_the_index_catches_up_in_the_background(
    seeded_app: Flask, monkeypatch: pytest.MonkeyPatch
):
    seeded_app.config.update(SEARCH_SYNC_ON_COMMIT=True, SEARCH_REQUEST_BATCH=3)
    spec_id, size = _biggest_specialty(seeded_app)
    assert size > 3
    started = []
    real = sync.hand_off

    def spy(app):
        started.append(time.monotonic())
        return real(app)

    sync.hand_off = spy
    try:
        with seeded_app.app_context(), unit_of_work():
            update_synonyms(db.session.get(Specialty, spec_id), ["bone bender"], None, None)
    finally:
        sync.hand_off = real
    assert len(started) == 1, "the commit should have handed the batch to a thread"
    state = _wait_until_applied(seeded_app)
    assert state["pending"] == 0
    with seeded_app.app_context():
        assert search.verify() == []


def test_a_small_edit_is_still_applied_inside_the_commit(seeded_app: Flask):
    seeded_app.config.update(SEARCH_SYNC_ON_COMMIT=True, SEARCH_REQUEST_BATCH=3)
    with seeded_app.app_context():
        provider = db.session.scalar(select(Provider).where(Provider.slug == "rebecca-smith-md"))
        provider.credentials = "MD, PhD"
        audit.enqueue("provider", [provider.id])
        db.session.commit()
        assert search.status()["pending"] == 0
        assert search.verify() == []


def test_a_missing_index_is_not_built_inside_a_request(seeded_app: Flask):
    seeded_app.config.update(SEARCH_REQUEST_BATCH=3)
    search.close_all()
    shutil.rmtree(seeded_app.config["SEARCH_INDEX_DIR"])
    with seeded_app.app_context():
        with pytest.raises(search.BatchTooLarge):
            search.apply_changes(max_batch=3)
        assert search.index_version() == (None, 0)
        thread = sync.hand_off(seeded_app)
    thread.join(120)
    with seeded_app.app_context():
        assert search.index_version()[0] is not None and search.verify() == []
