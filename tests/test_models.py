"""The data model on SQLite and PostgreSQL: constraints, versions, timestamps."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from tests import factories as f


def test_provider_relationships_and_names(any_app):
    with any_app.app_context():
        pt = f.specialty(display_name="Physical Therapist", slug="physical-therapist")
        pmr = f.specialty(display_name="Physical Medicine & Rehabilitation", slug="pmr")
        clinic = f.location(name="First Hill Clinic")
        es = f.language("es", "Spanish")
        p = f.provider(
            specialties=[pt, pmr],
            locations=[clinic],
            first_name="María",
            middle_name="José",
            last_name="Núñez-García",
            suffix="Jr.",
            credentials="PT, DPT",
        )
        p.languages = [es]
        db.session.commit()
        db.session.expire_all()
        got = db.session.get(type(p), p.id)
        assert got.display_name == "María José Núñez-García Jr., PT, DPT"
        assert got.primary_specialty.slug == "physical-therapist"
        assert [s.slug for s in got.specialties] == ["physical-therapist", "pmr"]
        assert got.location_links[0].effective_phone == "(206) 555-0100"
        assert got.languages[0].code == "es"
        assert got.created_at.tzinfo is UTC
        assert got.version == 1


def test_npi_unique_when_present(any_app):
    with any_app.app_context():
        f.provider(npi="1234567893")
        f.provider(npi=None)
        f.provider(npi=None)
        db.session.commit()
        f.provider(npi="1234567893")
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_version_column_refuses_stale_write(any_app):
    with any_app.app_context():
        p = f.provider()
        db.session.commit()
        pid = p.id
        # Another writer bumps the version behind this session's back.
        with db.engine.begin() as conn:
            conn.execute(
                db.text("UPDATE provider SET version = version + 1 WHERE id = :id"), {"id": pid}
            )
        p.bio = "changed"
        with pytest.raises(StaleDataError):
            db.session.commit()
        db.session.rollback()


def test_timestamps_are_evaluated_per_row(any_app):
    with any_app.app_context():
        a = f.provider()
        db.session.commit()
        b = f.provider()
        db.session.commit()
        assert b.created_at >= a.created_at
        old = a.updated_at
        a.bio = "new bio"
        db.session.commit()
        assert a.updated_at >= old
        assert a.version == 2
