"""Creating listings in batches: the one create operation, for the form and for imports.

``create_providers`` writes a batch with one multi-row INSERT per table. These tests hold
it to what a listing saved through the ORM looks like: the same rows, the same audit
snapshot, the same checks, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import AuditEvent, Provider, SearchOutbox
from app.parsing.validation import NPI_PREFIX, luhn_valid
from app.services import providers as service
from app.services.providers import ProviderInput, create_providers, snapshot
from app.services.registry.findings import current_input
from app.services.write import unique_slugs
from app.transaction import InvalidInput, unit_of_work
from tests import factories

_names = itertools.count(1)
NAMES = st.sampled_from(["Ana", "José", "Mary-Kate", "O'Neil", "Núñez", "Lee", "Smith"])


def _refs():
    """Three specialties, three clinics, two languages and two plans, committed."""
    with unit_of_work():
        specs = [factories.specialty() for _ in range(3)]
        clinics = [factories.location() for _ in range(3)]
        langs = [factories.language("en", "English"), factories.language("es", "Spanish")]
        plans = [factories.plan("medicare", "Medicare"), factories.plan("aetna", "Aetna")]
    return (
        [s.id for s in specs],
        [c.id for c in clinics],
        [x.id for x in langs],
        [x.id for x in plans],
    )


def _npi(n: int) -> str:
    """A valid NPI (check digit included) made from a counter, as the form requires."""
    base = f"1{n:08d}"
    return next(base + d for d in "0123456789" if luhn_valid(NPI_PREFIX + base + d))


@st.composite
def listings(draw, refs):
    """A listing as the form or a roster may send it: repeated ids, blank optional fields,
    several clinics with and without their own phone, accents in names."""
    specs, clinics, langs, plans = refs
    n = next(_names)
    return ProviderInput(
        first_name=draw(NAMES),
        last_name=draw(NAMES),
        middle_name=draw(st.sampled_from(["", "J.", "María"])),
        suffix=draw(st.sampled_from(["", "Jr.", "III"])),
        credentials=draw(st.sampled_from(["", "MD", "PT, DPT"])),
        npi=draw(st.sampled_from([None, ""])) or (_npi(n) if draw(st.booleans()) else None),
        gender=draw(st.sampled_from([None, "", "F", "M", "X"])),
        bio=draw(st.sampled_from(["", "Sees runners.\nAnd swimmers."])),
        accepting_new_patients=draw(st.booleans()),
        telehealth=draw(st.booleans()),
        sees_children=draw(st.booleans()),
        board_certifications=draw(
            st.sampled_from([[], [{"board": "ABFM", "specialty": "Family", "year": 2015}]])
        ),
        hospital_affiliations=draw(st.sampled_from([[], ["Harbor General"]])),
        specialty_ids=draw(st.lists(st.sampled_from(specs), min_size=1, max_size=4)),
        clinics=draw(
            st.lists(
                st.tuples(st.sampled_from(clinics), st.sampled_from(["", "(206) 555-0199"])),
                min_size=1,
                max_size=4,
            )
        ),
        language_ids=draw(st.lists(st.sampled_from(langs), max_size=3)),
        plan_ids=draw(st.lists(st.sampled_from(plans), max_size=3)),
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_batch_is_written_exactly_as_the_form_would_save_each_listing(any_app, data):
    """Every listing of a batch reads back as its input, and its audit event holds the
    snapshot of the listing as stored, field for field."""
    # Hypothesis fixes the global random seed per example, and Whoosh names its segments
    # with that generator: indexing here would overwrite a segment of the same name.
    any_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    with any_app.app_context():
        refs = _cached_refs(any_app)
        items = data.draw(st.lists(listings(refs), min_size=1, max_size=6))
        outbox_before = _count(SearchOutbox)
        with unit_of_work():
            ids = create_providers(items, None)
        db.session.remove()
        assert len(ids) == len(set(ids)) == len(items)
        for data_in, pid in zip(items, ids, strict=True):
            p = db.session.get(Provider, pid)
            assert p.version == 1 and p.active and p.verified_at is not None
            assert p.npi == (data_in.npi or None)
            assert p.gender == (data_in.gender or None)
            assert [link.specialty_id for link in p.specialty_links] == list(
                dict.fromkeys(data_in.specialty_ids)
            )
            assert [(link.location_id, link.phone) for link in p.location_links] == list(
                dict(data_in.clinics).items()
            )
            assert p.name_key  # kept as the ORM hook keeps it
            event = db.session.scalar(
                select(AuditEvent).where(
                    AuditEvent.entity_type == "provider", AuditEvent.entity_id == pid
                )
            )
            assert event.action == "create" and event.summary == p.full_name
            assert event.after == snapshot(p)
        assert _count(SearchOutbox) == outbox_before + len(items)


def _cached_refs(app):
    """Reference rows made once per app (Hypothesis runs many examples in one test)."""
    if "test_refs" not in app.extensions:
        app.extensions["test_refs"] = _refs()
    return app.extensions["test_refs"]


def test_name_key_matches_what_the_orm_hook_writes(any_app):
    """The batch computes the staff search key itself; an edit recomputes it the same."""
    with any_app.app_context():
        specs, clinics, _, _ = _refs()
        item = ProviderInput(
            first_name="María",
            middle_name="J.",
            last_name="Núñez",
            suffix="Jr.",
            credentials="MD",
            npi="1234567893",
            specialty_ids=specs[:1],
            clinics=[(clinics[0], "")],
        )
        with unit_of_work():
            [pid] = create_providers([item], None)
        p = db.session.get(Provider, pid)
        written = p.name_key
        with unit_of_work():
            service.update_provider(p, current_input(p, bio="edited"), None, None)
        assert (
            db.session.get(Provider, pid).name_key == written == "nunez maria j. jr. md 1234567893"
        )


def test_namesakes_in_one_batch_get_numbered_slugs_after_existing_ones(any_app):
    with any_app.app_context():
        specs, clinics, _, _ = _refs()
        with unit_of_work():
            factories.provider(slug="ana-smith-md", first_name="Ana", last_name="Smith")
        item = ProviderInput(
            first_name="Ana",
            last_name="Smith",
            credentials="MD",
            specialty_ids=specs[:1],
            clinics=[(clinics[0], "")],
        )
        with unit_of_work():
            ids = create_providers([item] * 5, None)
        slugs = [db.session.get(Provider, pid).slug for pid in ids]
        assert slugs == [f"ana-smith-md-{n}" for n in range(2, 7)]


@pytest.mark.parametrize("width", [1, 3, 70, 200])
def test_unique_slugs_skips_every_taken_number_however_many_namesakes(any_app, width):
    """Slugs already used (in the database or staged) are never handed out again, and the
    lowest free numbers come first, even past several probe rounds."""
    with any_app.app_context():
        used = {"north" if n == 1 else f"north-{n}" for n in range(1, 140) if n % 7}
        with unit_of_work():
            for slug in used:  # leaves gaps: 7, 14, ... are free
                factories.location(slug=slug)
        staged = {"north-7"}
        got = unique_slugs(factories.Location, ["North"] * width + ["South"], staged)
        free = [f"north-{n}" for n in range(2, 1000) if f"north-{n}" not in used | {"north-7"}]
        assert got[:-1] == free[:width]
        assert got[-1] == "south"
        assert len(set(got)) == len(got)
        assert staged >= set(got)


def test_a_batch_refuses_an_npi_twice_or_one_already_listed(any_app):
    with any_app.app_context():
        specs, clinics, _, _ = _refs()

        def item(npi):
            return ProviderInput(
                first_name="Ana",
                last_name="Lee",
                npi=npi,
                specialty_ids=specs[:1],
                clinics=[(clinics[0], "")],
            )

        with unit_of_work():
            create_providers([item("1234567893")], None)
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            create_providers([item("1111111112"), item("1111111112")], None)
        assert "npi" in caught.value.errors
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            create_providers([item("2222222228"), item("1234567893")], None)
        assert caught.value.errors == {"npi": "Another listing already has this NPI."}
        assert _count(Provider) == 1  # nothing of a refused batch is kept


def test_unknown_specialty_or_clinic_is_refused_not_a_server_error(any_app):
    with any_app.app_context():
        specs, clinics, _, _ = _refs()
        base = {"first_name": "Ana", "last_name": "Lee"}
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            create_providers(
                [ProviderInput(**base, specialty_ids=[999999], clinics=[(clinics[0], "")])],
                None,
            )
        assert "specialty_1" in caught.value.errors
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            create_providers(
                [ProviderInput(**base, specialty_ids=specs[:1], clinics=[(999999, "")])], None
            )
        assert "clinics" in caught.value.errors
        with pytest.raises(InvalidInput), unit_of_work():
            create_providers([ProviderInput(**base)], None)  # active, with nothing
        assert _count(Provider) == 0
        assert _count(AuditEvent) == 0


def test_a_new_listing_from_the_form_is_searchable_at_once(any_app):
    """Outbox rows written by the bulk INSERT still trigger indexing after the commit."""
    from app import search

    any_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    with any_app.app_context():
        specs, clinics, _, _ = _refs()
        search.rebuild()
        with unit_of_work():
            p = service.create_provider(
                ProviderInput(
                    first_name="Zephyrine",
                    last_name="Quall",
                    specialty_ids=specs[:1],
                    clinics=[(clinics[0], "")],
                ),
                None,
            )
        pid = p.id
        results = search.search(search.parse_params(MultiDict({"q": "Zephyrine Quall"}), api=True))
        assert not results.fallback
        assert pid in [h.provider_id for h in results.hits]


def test_every_door_refuses_what_the_provider_form_refuses(any_app):
    """One rule in one place: the form's field rules hold in the service itself, so an
    import or an accepted registry finding cannot save a blank or overlong name."""
    with any_app.app_context():
        specs, clinics, _, _ = _refs()
        base = {"specialty_ids": specs[:1], "clinics": [(clinics[0], "")]}
        bad = ProviderInput(first_name="A" * 81, last_name=" ", gender="Q", **base)
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            create_providers([bad], None)
        assert caught.value.errors == {
            "first_name": "Too long: at most 80 characters.",
            "last_name": "Enter a last name.",
            "gender": "Choose Female, Male, Non-binary or other, or Not stated.",
        }
        with unit_of_work():
            p = service.create_provider(
                ProviderInput(first_name="Ana", last_name="Lee", **base), None
            )
        with pytest.raises(InvalidInput) as caught, unit_of_work():
            service.update_provider(
                p, current_input(p, last_name="", website="ftp://x"), None, None
            )
        assert set(caught.value.errors) == {"last_name", "website"}
        db.session.expire_all()
        assert (p.last_name, p.version) == ("Lee", 1)
        assert _count(Provider) == 1


def test_insert_many_writes_plain_rows_through_the_driver_and_others_as_usual(any_app):
    """Plain link rows go to the driver as tuples; a table with a Python-side default or a
    value SQLAlchemy converts goes through ``insert()``. Both land the same, a duplicate is
    the usual IntegrityError, and nothing is committed by the call."""
    from sqlalchemy.exc import IntegrityError

    from app.models import (
        NetworkParticipation,
        Organization,
        ProviderSpecialty,
        provider_language,
    )
    from app.services.write import insert_many

    def languages(pid):
        table = provider_language.c
        return sorted(db.session.scalars(select(table.language_id).where(table.provider_id == pid)))

    with any_app.app_context():
        specs, clinics, langs, _ = _refs()
        with unit_of_work():
            [pid] = create_providers(
                [
                    ProviderInput(
                        first_name="Ivo",
                        last_name="Bulk",
                        specialty_ids=specs[:1],
                        clinics=[(clinics[0], "")],
                    )
                ],
                None,
            )
        insert_many(provider_language, [{"provider_id": pid, "language_id": i} for i in langs])
        insert_many(provider_language, [])
        assert languages(pid) == sorted(langs)
        # Converted values (a bool on SQLite) and a Python-side default (created_at).
        insert_many(
            ProviderSpecialty.__table__,
            [{"provider_id": pid, "specialty_id": specs[1], "is_primary": False, "position": 1}],
        )
        org = Organization(slug="bulk-net", kind="network", name="Bulk Net")
        db.session.add(org)
        db.session.flush()
        row = {"provider_id": pid, "location_id": clinics[0], "network_id": org.id}
        insert_many(NetworkParticipation.__table__, [row | {"accepting_new_patients": True}])
        made = db.session.scalars(
            select(NetworkParticipation.created_at).where(NetworkParticipation.provider_id == pid)
        ).all()
        assert len(made) == 1 and made[0] is not None
        got = db.session.scalars(
            select(ProviderSpecialty.is_primary).where(ProviderSpecialty.provider_id == pid)
        ).all()
        assert sorted(got) == [False, True]
        with pytest.raises(IntegrityError):
            insert_many(provider_language, [{"provider_id": pid, "language_id": langs[0]}])
        db.session.rollback()
        assert languages(pid) == []
