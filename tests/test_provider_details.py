"""Provider details: ages seen ("Sees children" filter), board certifications, education and
hospital affiliations — staff-edited and audited, shown on profiles, exported in FHIR."""

from __future__ import annotations

import re

import extruct
import pytest
from fhir.resources.R4B.practitioner import Practitioner
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app import search
from app.extensions import db
from app.models import AuditEvent, Provider
from app.parsing import provider_details as details
from tests import factories as f
from tests.conftest import AuthActions
from tests.test_clinic_details import _all_ids
from tests.test_staff_providers import _form

KIDS_RE = r'name="children" value="1"( checked)?>\s*<span>Sees children <span class="count">\((\d+)'


@pytest.mark.parametrize(
    ("text", "rows", "errors"),
    [
        ("", [], []),
        (
            "American Board of Pediatrics | Pediatrics | 2015\n\n",
            [{"board": "American Board of Pediatrics", "specialty": "Pediatrics", "year": 2015}],
            [],
        ),
        (
            "  ABFM|Family Medicine|2001  ",
            [{"board": "ABFM", "specialty": "Family Medicine", "year": 2001}],
            [],
        ),
        ("ABFM | Family Medicine", [], ["Line 1: write it as Board | Specialty | Year."]),
        ("ABFM | Family Medicine | 15", [], ["Line 1: the year must be"]),
        ("ABFM | Family Medicine | ２０１５", [], ["Line 1: the year must be"]),
        ("ABFM | Family Medicine | 1800", [], ["Line 1: the year must be"]),
        ("ABFM |  | 2010", [], ["Line 1: name both the board and the specialty."]),
        ("ABFM | FM |", [], ["Line 1: add the year"]),
        ("a | b | 2010\n" * 13, [], ["List at most 12 lines."]),
    ],
)
def test_parse_certifications(text, rows, errors):
    got_rows, got_errors = details.parse_certifications(text)
    assert got_rows == rows
    assert len(got_errors) == len(errors)
    for got, want in zip(got_errors, errors, strict=True):
        assert got.startswith(want)


def test_parse_education_and_affiliations():
    rows, errors = details.parse_education("MD | Cascade University | 2004\nResidency | Lakeside")
    assert errors == []
    assert rows == [
        {"degree": "MD", "institution": "Cascade University", "year": 2004},
        {"degree": "Residency", "institution": "Lakeside", "year": None},
    ]
    assert details.parse_education("just words")[1] == [
        "Line 1: write it as Degree or program | Institution | Year."
    ]
    names, errors = details.parse_affiliations("Lakeside General\n\nLakeside General\nHarbor")
    assert names == ["Lakeside General", "Harbor"] and errors == []
    assert details.parse_affiliations("x" * 201)[1] == ["Line 1: at most 200 characters."]


# A semicolon is refused: it separates entries in the roster CSV cell.
PART = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="|;"
        ),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@given(
    st.lists(
        st.fixed_dictionaries({"board": PART, "specialty": PART, "year": st.integers(1940, 2026)}),
        max_size=12,
    ),
    st.lists(
        st.fixed_dictionaries(
            {"degree": PART, "institution": PART, "year": st.none() | st.integers(1940, 2026)}
        ),
        max_size=12,
    ),
)
def test_format_then_parse_round_trips(certs, education):
    assert details.parse_certifications(details.format_certifications(certs)) == (certs, [])
    assert details.parse_education(details.format_education(education)) == (education, [])


@pytest.fixture
def people(any_app: Flask) -> dict:
    with any_app.app_context():
        f.user()
        spec = f.specialty(display_name="Family Medicine", slug="family-medicine")
        clinic = f.location()
        a = f.provider([spec], [clinic], first_name="Ada", last_name="Adams")
        b = f.provider([spec], [clinic], first_name="Bo", last_name="Brown")
        db.session.commit()
        search.rebuild()
        return {"a": a.id, "b": b.id}


def _kids_count(client, query: str = "location=98104") -> int:
    match = re.search(KIDS_RE, client.get(f"/find-a-doctor?{query}").get_data(as_text=True))
    assert match, "no Sees children filter with a count"
    return int(match.group(2))


def test_staff_edit_details_audited_shown_filtered_and_exported(any_app, people):
    client = any_app.test_client()
    AuthActions(client).login()
    assert _kids_count(client) == 0
    url = f"/staff/providers/{people['a']}/edit"
    data = _form(client.get(url).get_data(as_text=True))
    data.update(
        sees_children="y",
        sees_adults="y",
        board_certifications="American Board of Family Medicine | Family Medicine | 2012",
        education="MD | Cascade University | 2006\nResidency | Lakeside General | 2009",
        hospital_affiliations="Lakeside General Hospital",
    )
    resp = client.post(url, data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    with any_app.app_context():
        p = db.session.get(Provider, people["a"])
        assert (p.sees_children, p.sees_adults, p.sees_older_adults) == (True, True, False)
        assert p.board_certifications[0]["year"] == 2012
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "provider").order_by(AuditEvent.id)
        ).all()[-1]
        changed = {name for name, _, _ in event.changed_fields()}
        assert {
            "sees_children",
            "board_certifications",
            "education",
            "hospital_affiliations",
        } <= changed
        slug = p.slug
    assert _kids_count(client) == 1
    html = client.get("/find-a-doctor?location=98104&children=1").get_data(as_text=True)
    assert "Adams" in html and "Brown" not in html
    profile = client.get(f"/providers/{slug}").get_data(as_text=True)
    for text in (
        "Sees children, adults",
        "Family Medicine, American Board of Family Medicine (2012)",
        "MD, Cascade University (2006)",
        "Lakeside General Hospital",
    ):
        assert text in profile
    [item] = extruct.extract(profile, base_url="http://localhost/", syntaxes=["json-ld"])["json-ld"]
    assert item["hospitalAffiliation"] == [
        {"@type": "Hospital", "name": "Lakeside General Hospital"}
    ]
    body = client.get(f"/fhir/R4/Practitioner/{people['a']}").get_json(force=True)
    Practitioner.model_validate(body)
    quals = body["qualification"]
    assert {
        "code": {"text": "Board certified: Family Medicine"},
        "period": {"start": "2012"},
        "issuer": {"display": "American Board of Family Medicine"},
    } in quals
    assert {
        "code": {"text": "MD"},
        "issuer": {"display": "Cascade University"},
        "period": {"end": "2006"},
    } in quals
    # The edit form shows the saved lines again, ready to change.
    again = _form(client.get(url).get_data(as_text=True))
    assert (
        again["education"] == "MD | Cascade University | 2006\nResidency | Lakeside General | 2009"
    )


def test_bad_detail_lines_answer_422_and_save_nothing(any_app, people):
    client = any_app.test_client()
    AuthActions(client).login()
    url = f"/staff/providers/{people['b']}/edit"
    data = _form(client.get(url).get_data(as_text=True))
    data.update(board_certifications="ABFM | Family Medicine | 20x2", education="no bars here")
    resp = client.post(url, data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Line 1: the year must be" in html and "Degree or program | Institution | Year" in html
    with any_app.app_context():
        p = db.session.get(Provider, people["b"])
        assert p.board_certifications == [] and p.education == []


def test_seeded_children_filter_counts_match_the_database(seeded_app: Flask):
    client = seeded_app.test_client()
    with seeded_app.app_context():
        truth = set(
            db.session.scalars(
                select(Provider.id).where(
                    Provider.active.is_(True), Provider.sees_children.is_(True)
                )
            )
        )
    count = _kids_count(client, "location=98104&radius=100")
    found = _all_ids(client, {"location": "98104", "radius": "100", "children": "1"})
    assert count == len(found) == len(truth) and found == truth
    both = _all_ids(
        client, {"location": "98104", "radius": "500", "children": "1", "wheelchair": "1"}
    )
    assert both < found
