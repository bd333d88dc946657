"""In a national directory most surnames are also towns: a person's name stays a person,
a place naming nobody stays a place."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.models import Provider
from app.services import audit
from tests import factories

# Real city and ZIP pairs; the clinics and people are fictional.
CLINICS = [
    ("Bayfront Clinic", "San Diego", "CA", "92101", 32.7157, -117.1611),
    ("Riverside Clinic", "Fort Smith", "AR", "72901", 35.3859, -94.3985),
    ("Gulf Clinic", "Mary Esther", "FL", "32569", 30.4099, -86.6650),
    ("Capitol Clinic", "Jackson", "MS", "39201", 32.2988, -90.1848),
    ("Harbor Clinic", "Seattle", "WA", "98104", 47.6021, -122.3280),
]


@pytest.fixture
def nation(app):
    with app.app_context():
        spec = factories.specialty(display_name="Family Medicine", slug="family-medicine")
        sites = {
            city: factories.location(
                name=name, city=city, state=state, zip=zip_code, latitude=lat, longitude=lon
            )
            for name, city, state, zip_code, lat, lon in CLINICS
        }
        for first, last, city in (
            ("Mary", "Smith", "Seattle"),
            ("Diego", "Sanchez", "Seattle"),
            ("Ruth", "Jackson", "Seattle"),
            ("Omar", "Haddad", "San Diego"),
        ):
            factories.provider(
                first_name=first,
                last_name=last,
                slug=f"{first}-{last}".lower(),
                specialties=[spec],
                locations=[sites[city]],
            )
        db.session.flush()
        audit.enqueue("provider", [p.id for p in db.session.scalars(db.select(Provider))])
        db.session.commit()
        search.rebuild()
    return app


def _search(app, **args):
    with app.app_context():
        return search.search(search.parse_params(MultiDict(args), api=True))


def _slugs(results) -> set[str]:
    return {hit.card.slug for hit in results.hits}


def test_a_full_name_made_of_place_words_is_a_person(nation):
    found = _search(nation, q="mary smith")  # "Mary Esther", "Fort Smith"
    assert found.origin is None and found.interpretation.location_text is None
    assert _slugs(found) == {"mary-smith"}


def test_a_place_naming_nobody_stays_a_place(nation):
    found = _search(nation, q="family medicine san diego")
    assert found.origin is not None and "San Diego" in found.origin.label
    assert found.hits[0].card.slug == "omar-haddad"  # the nearest first
    alone = _search(nation, q="san diego")  # "Diego Sanchez" does not make it a person
    assert alone.origin is not None and "San Diego" in alone.origin.label


def test_a_word_that_is_both_a_person_and_a_place_stays_a_place(nation):
    found = _search(nation, q="jackson")
    assert found.origin is not None and "Jackson" in found.origin.label


def test_a_cue_still_makes_a_person_a_place(nation):
    found = _search(nation, q="family medicine near fort smith")
    assert found.origin is not None and "Fort Smith" in found.origin.label
