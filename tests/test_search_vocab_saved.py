"""The vocabulary saved beside the index: a restarted worker loads it instead of rebuilding.

What an operator meets: a worker restarts after an admin renamed a clinic, two workers
start at once, the file is damaged or from another release, the folder is read-only.
Each time the vocabulary a search uses must be the database's current one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.models import Location
from app.search import vocab as vocab_module
from app.search.vocab import get_vocab, invalidate


def _saved(app) -> list[Path]:
    return sorted(Path(app.config["SEARCH_INDEX_DIR"]).glob("vocab-*.msgpack"))


def _no_building(monkeypatch) -> None:
    def refuse(conn):
        raise AssertionError("the vocabulary was rebuilt instead of loaded")

    monkeypatch.setattr(vocab_module, "build", refuse)


def _restart() -> None:
    """What a new process sees: no vocabulary in memory (the saved files stay)."""
    invalidate(keep_saved=True)


def _shape(v) -> tuple:
    return (
        sorted(v.places),
        sorted(v.specialties),
        len(v.place_phrases),
        sorted(v.lexicon("place").words)[:50],
        v.lexicon("health").lookup("cardiolgy")[:3],
    )


def test_a_restarted_worker_loads_the_saved_vocabulary(seeded_app, monkeypatch):
    with seeded_app.app_context():
        invalidate()
        built = get_vocab()
        assert len(_saved(seeded_app)) == 1
        assert set(built.lexicons) == {"health", "place"}, "saved with its typo lookups"
        expected = _shape(built)
        _restart()
        _no_building(monkeypatch)
        loaded = get_vocab()
        assert loaded is not built and _shape(loaded) == expected


def test_an_edited_clinic_is_never_answered_from_an_old_file(seeded_app):
    with seeded_app.app_context():
        invalidate()
        get_vocab()
        old = _saved(seeded_app)
        clinic = db.session.scalars(db.select(Location).order_by(Location.id)).first()
        clinic.name = "Quillayute Harbor Clinic"
        db.session.commit()
        invalidate()
        fresh = get_vocab()
        assert ("quillayute",) in fresh.place_phrases or any(
            "quillayute" in key for key in fresh.place_phrases
        )
        now = _saved(seeded_app)
        assert len(now) == 1 and now != old, "the older version's file is dropped"
        _restart()
        assert "quillayute" in get_vocab().lexicon("place").words


@pytest.mark.parametrize("damage", [b"", b"not msgpack", b"\x80\x05N.", b"\x80\x05K\x07."])
def test_a_damaged_file_is_rebuilt(seeded_app, damage: bytes):
    with seeded_app.app_context():
        invalidate()
        expected = _shape(get_vocab())
        for path in _saved(seeded_app):
            path.write_bytes(damage)
        _restart()
        assert _shape(get_vocab()) == expected
        assert all(p.stat().st_size > 1000 for p in _saved(seeded_app)), "and saved again"


def test_a_file_from_other_code_is_not_used(seeded_app, monkeypatch):
    with seeded_app.app_context():
        invalidate()
        get_vocab()
        before = _saved(seeded_app)
        monkeypatch.setattr(vocab_module, "code_digest", lambda: "another-release")
        _restart()
        get_vocab()
        assert _saved(seeded_app) != before


def test_a_failed_save_still_answers_and_leaves_no_temporary(seeded_app, monkeypatch):
    """A full disk or read-only folder: the save fails, the search does not."""
    with seeded_app.app_context():
        for path in _saved(seeded_app):
            path.unlink()

        def full_disk(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(vocab_module.os, "replace", full_disk)
        invalidate()
        assert get_vocab().places
        folder = Path(seeded_app.config["SEARCH_INDEX_DIR"])
        assert _saved(seeded_app) == [] and not list(folder.glob(".vocab-*"))


def test_without_an_index_folder_nothing_is_saved(seeded_app, tmp_path):
    seeded_app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "not-made-yet")
    with seeded_app.app_context():
        invalidate()
        assert get_vocab().places
        assert not (tmp_path / "not-made-yet").exists()


def test_a_care_path_term_added_is_seen_at_once_and_after_a_restart(seeded_app):
    """Care paths carry no version column: their terms are hashed into the key, and the
    committing process also drops its saved files."""
    from app.models import CarePath

    with seeded_app.app_context():
        invalidate()
        get_vocab()
        path = db.session.scalars(db.select(CarePath).order_by(CarePath.id)).first()
        path.terms = [*path.terms, "wobbly kneecap"]
        db.session.commit()  # invalidates this process's vocabulary
        assert any("wobbl" in " ".join(k) for k in get_vocab().path_phrases)
        _restart()  # another worker, restarted: it never saw the commit
        assert any("wobbl" in " ".join(k) for k in get_vocab().path_phrases)
        assert len(_saved(seeded_app)) == 1


_FRESH_WORKER = """
import sys
from sqlalchemy import event
from sqlalchemy.orm import Mapper

configured = []
event.listen(Mapper, "before_configured", lambda: configured.append(True))
import wsgi
from app import search

answer = wsgi.app.test_client().get("/api/v1/providers?q=smith")
assert answer.status_code == 200, answer.status_code
assert not configured, "the first search waited for SQLAlchemy's mappers"
with wsgi.app.app_context():
    search.warm()
assert configured, "warm() left the mappers to the first visitor"
print("ok", answer.get_json()["total"] >= 0)
"""


def test_a_restarted_worker_searches_before_configuring_the_orm(seeded_app):
    """A restart's first search loads the saved vocabulary and searches without configuring
    every mapper (0.12 s); the warm-up configures them once the searcher is ready."""
    import os
    import subprocess
    import sys

    with seeded_app.app_context():
        get_vocab()  # saved beside the index, as a first worker leaves it
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": seeded_app.config["SEARCH_INDEX_DIR"],
        "SEARCH_POLL_SECONDS": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_WORKER],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok True"


def test_the_saved_vocabulary_loads_equal_and_holds_each_string_once(seeded_app):
    """Every table comes back equal, and a string met in several tables is one object (the
    file's string table), as in the vocabulary built from the database."""
    from app.search import vocab_file

    with seeded_app.app_context():
        invalidate()
        built = get_vocab()
    loaded = vocab_file.load(vocab_file.dump(built))
    for name in (
        "specialties",
        "phrases",
        "path_phrases",
        "care_paths",
        "injury_terms",
        "places",
        "place_phrases",
        "languages",
        "plans",
        "words",
        "plain_words",
        "place_words",
        "suggestions",
        "path_suggestions",
        "bags",
        "children",
        "conditions",
        "condition_phrases",
        "condition_suggestions",
        "word_specialties",
        "max_phrase",
        "long_place_phrases",
        "clinic_list",
    ):
        assert getattr(loaded, name) == getattr(built, name), name
    assert loaded.clinic_index.texts == built.clinic_index.texts
    assert loaded.lexicon("place").lookup("seatle") == built.lexicon("place").lookup("seatle")
    objects: dict[str, int] = {}
    for place in loaded.places.values():
        for text in (place.slug, place.city, place.state):
            assert objects.setdefault(text, id(text)) == id(text), text
    for slugs in loaded.place_phrases.values():
        for slug in slugs:
            assert objects.setdefault(slug, id(slug)) == id(slug), slug
    assert loaded.suggestions
    for _, slug, *_ in loaded.suggestions:
        assert slug is loaded.specialties[slug].slug


@pytest.mark.parametrize("number", [10**9, -2])
def test_a_string_number_past_the_table_is_refused(seeded_app, number):
    """A file whose structures name a string it does not hold fails to load (and is rebuilt)."""
    import msgspec

    from app.search import vocab_file

    with seeded_app.app_context():
        saved = msgspec.msgpack.decode(vocab_file.dump(get_vocab()))
    saved[7] = [[number, *entry[1:]] for entry in saved[7]]  # the clinics' slugs
    with pytest.raises(ValueError):
        vocab_file.load(msgspec.msgpack.encode(saved))
