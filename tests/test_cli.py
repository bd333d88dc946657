"""The seed and users commands."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CarePath, Location, Provider, Specialty, User


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_loads_everything_once(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "134 providers" in result.output
    with app.app_context():
        assert count(Specialty) == 856
        assert count(Location) == 11  # 8 clinics and 3 walk-in or urgent-care sites
        first = count(Provider)
        assert first >= 120
        spine = db.session.scalar(select(CarePath).where(CarePath.slug == "spine"))
        assert spine.specialties[0].slug == "physical-therapist"
        assert "back pain" in spine.terms
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0
    assert "Nothing to add" in again.output
    with app.app_context():
        assert count(Provider) == first
        assert count(Specialty) == 856


def test_seeded_clinics_have_coordinates_and_hours(app, runner):
    runner.invoke(args=["seed"])
    with app.app_context():
        for clinic in db.session.scalars(select(Location)):
            assert clinic.latitude and clinic.longitude, clinic.slug
            assert 47 < clinic.latitude < 48.2, clinic.slug
            assert clinic.hours, clinic.slug


def test_seeded_providers_are_fictional_and_complete(app, runner):
    runner.invoke(args=["seed"])
    with app.app_context():
        for provider in db.session.scalars(select(Provider)):
            assert provider.npi is None
            assert provider.primary_specialty is not None
            assert provider.locations
            assert provider.bio


def test_users_create_reads_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "Admin@Example.org", "--role", "admin", "--password-stdin"],
        input="a long and unusual passphrase\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "admin@example.org"
        assert user.role == "admin"
        assert user.password_hash.startswith("scrypt:")
        assert "passphrase" not in user.password_hash
        events = db.session.scalars(select(AuditEvent)).all()
        assert events and all("passphrase" not in str(e.after) for e in events)


def test_users_create_refuses_short_common_and_duplicate(app, runner):
    args = ["users", "create", "desk@example.org", "--password-stdin"]
    short = runner.invoke(args=args, input="short\n")
    assert short.exit_code != 0 and "at least 12" in short.output
    common = runner.invoke(args=args, input="password1234\n")
    assert common.exit_code != 0 and "common" in common.output
    ok = runner.invoke(args=args, input="a perfectly fine passphrase\n")
    assert ok.exit_code == 0
    dup = runner.invoke(args=args, input="a perfectly fine passphrase\n")
    assert dup.exit_code != 0 and "already exists" in dup.output


def test_users_deactivate_rotates_session_token(app, runner):
    runner.invoke(
        args=["users", "create", "desk@example.org", "--password-stdin"],
        input="a perfectly fine passphrase\n",
    )
    with app.app_context():
        token = db.session.scalar(select(User.session_token))
    result = runner.invoke(args=["users", "deactivate", "desk@example.org"])
    assert result.exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User))
        assert not user.active
        assert user.session_token != token
    missing = runner.invoke(args=["users", "deactivate", "nobody@example.org"])
    assert missing.exit_code != 0
