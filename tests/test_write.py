"""The shared write boundary: one commit, rollback on error, conflicts mapped correctly."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import AuditEvent, Location, Provider
from app.services import providers as service
from app.services.write import replace_links, unique_slug
from app.transaction import InvalidInput, SlugTaken, StaleEdit, perform, unit_of_work
from tests import factories


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_unit_of_work_commits_once_and_rolls_back_on_error(any_app):
    with any_app.app_context():
        with unit_of_work():
            factories.location(name="Kept Clinic")
        with pytest.raises(RuntimeError), unit_of_work():
            factories.location(name="Lost Clinic")
            raise RuntimeError("boom")
        db.session.remove()
        names = set(db.session.scalars(select(Location.name)))
        assert names == {"Kept Clinic"}


def test_npi_clash_from_the_database_is_reported_on_the_npi_field(any_app):
    """The real unique violation, not the service's pre-check, maps to the NPI message."""
    with any_app.app_context():
        with unit_of_work():
            factories.provider(npi="1234567893", slug="first")
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            factories.provider(npi="1234567893", slug="second")
        assert caught.value.errors == {"npi": "Another listing already has this NPI."}
        assert _count(Provider) == 1


def test_slug_clash_is_a_retryable_race_not_an_npi_message(any_app):
    with any_app.app_context():
        with unit_of_work():
            factories.location(name="North", slug="north")
        with pytest.raises(SlugTaken), unit_of_work():
            factories.location(name="North again", slug="north")


def test_perform_retries_a_slug_race_with_a_fresh_slug(any_app):
    """The first attempt loses the race (a writer took the slug); the retry picks another."""
    with any_app.app_context():
        with unit_of_work():
            factories.location(name="Harbor", slug="harbor")
        attempts = []

        def work():
            attempts.append(1)
            # Attempt 1 behaves like a writer that chose its slug before the other committed.
            slug = "harbor" if len(attempts) == 1 else unique_slug(Location, "Harbor")
            return factories.location(name="Harbor", slug=slug)

        loc = perform(work)
        assert len(attempts) == 2
        assert loc.slug == "harbor-2"
        assert _count(Location) == 2


def test_other_integrity_errors_are_not_disguised(any_app):
    """A NOT NULL violation stays an IntegrityError; nobody is told about NPIs."""
    from sqlalchemy.exc import IntegrityError

    with any_app.app_context():
        with pytest.raises(IntegrityError), unit_of_work():
            db.session.add(AuditEvent(action=None, entity_type="y", actor_label="system"))
        assert _count(AuditEvent) == 0


def test_stale_edit_gives_the_current_row_after_rollback(any_app):
    with any_app.app_context():
        with unit_of_work():
            spec = factories.specialty()
            loc = factories.location()
            p = factories.provider(specialties=[spec], locations=[loc])
        pid, old_version = p.id, p.version
        with unit_of_work():
            service.set_accepting(p, False, old_version, None)
        with pytest.raises(StaleEdit) as caught, unit_of_work():
            service.mark_verified(p, old_version, None)
        current = caught.value.current
        assert current.id == pid
        assert current.version == old_version + 1
        assert current.accepting_new_patients is False


def test_stale_edit_raised_by_the_database_version_check(any_app):
    """Two sessions read version N; the second UPDATE matches no row and becomes StaleEdit."""
    with any_app.app_context():
        with unit_of_work():
            spec = factories.specialty()
            loc = factories.location()
            p = factories.provider(specialties=[spec], locations=[loc])
        pid = p.id
        p = db.session.get(Provider, pid)
        version = p.version
        with db.engine.begin() as conn:  # another writer, behind the ORM's back
            conn.execute(
                text("UPDATE provider SET version = version + 1, bio = 'other' WHERE id = :id"),
                {"id": pid},
            )
        with pytest.raises(StaleEdit) as caught, unit_of_work():
            service.set_accepting(p, not p.accepting_new_patients, None, None)
        assert caught.value.current.version == version + 1
        assert caught.value.current.bio == "other"


def test_replace_links_keeps_rows_that_stay_and_orders_the_rest():
    class Link:
        def __init__(self, key):
            self.key, self.position = key, None

    a, b, c = Link("a"), Link("b"), Link("c")

    def place(link, i, _k):
        link.position = i

    links = replace_links([a, b, c], lambda link: link.key, ["c", "d", "a", "c"], Link, place)
    assert [link.key for link in links] == ["c", "d", "a"]
    assert links[0] is c and links[2] is a
    assert [link.position for link in links] == [0, 1, 2]


def test_unique_slug_counts_up_and_remembers_what_it_handed_out(any_app):
    with any_app.app_context():
        with unit_of_work():
            factories.location(name="Eastside", slug="eastside")
        taken: set[str] = set()
        first = unique_slug(Location, "Eastside", taken)
        second = unique_slug(Location, "Éastside!", taken)
        assert (first, second) == ("eastside-2", "eastside-3")


def test_unhandled_write_conflicts_become_409_and_422_pages(any_app):
    """A view that lets StaleEdit/InvalidInput/SlugTaken escape still answers clearly."""

    @any_app.get("/_test/stale")
    def _stale():
        raise StaleEdit(None)

    @any_app.get("/_test/invalid")
    def _invalid():
        raise InvalidInput({"npi": "Another listing already has this NPI."})

    @any_app.get("/_test/slug")
    def _slug():
        raise SlugTaken("location.slug")

    client = any_app.test_client()
    assert client.get("/_test/stale").status_code == 409
    invalid = client.get("/_test/invalid")
    assert invalid.status_code == 422 and b"already has this NPI" in invalid.data
    assert client.get("/_test/slug").status_code == 409


def test_unique_slug_with_hundreds_of_namesakes_and_gaps(any_app):
    """What a national import does: hundreds of Ana Smiths, some slugs taken out of order by
    other writers, a new session that has forgotten its counters."""
    with any_app.app_context():
        factories.location(slug="harbor-clinic-70")  # taken before the run, past the first probe
        db.session.flush()
        handed = []
        for _ in range(150):
            slug = unique_slug(Location, "Harbor Clinic")
            factories.location(slug=slug)
            db.session.flush()
            handed.append(slug)
        assert len(set(handed)) == 150 and "harbor-clinic-70" not in handed
        assert handed[:3] == ["harbor-clinic", "harbor-clinic-2", "harbor-clinic-3"]
        factories.location(slug="harbor-clinic-152")  # another writer, ahead of our counter
        db.session.flush()
        assert unique_slug(Location, "Harbor Clinic") == "harbor-clinic-153"
        db.session.commit()
        db.session.remove()  # a new session: counters forgotten, the database still knows
        assert unique_slug(Location, "Harbor Clinic") == "harbor-clinic-153"  # never used
        assert unique_slug(Location, "Harbor Clinic-2") == "harbor-clinic-2-2"
