"""schema.org JSON-LD on provider profiles and clinic pages, extracted with extruct."""

from __future__ import annotations

import re

import extruct
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Location, Provider
from app.public.jsonld import schema_type
from app.security import CSP
from app.services.directory import load_providers
from tests import factories as f

SCRIPT_RE = re.compile(r"<script\b([^>]*)>", re.I)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def jsonld(client: FlaskClient, path: str) -> list[dict]:
    resp = client.get(path)
    assert resp.status_code == 200, path
    html = resp.get_data(as_text=True)
    for attrs in SCRIPT_RE.findall(html):
        # The strict CSP allows only our own script files; inline data blocks are inert.
        assert "src=" in attrs or 'type="application/ld+json"' in attrs, attrs
    assert resp.headers["Content-Security-Policy"] == CSP
    return extruct.extract(html, base_url="http://localhost" + path, syntaxes=["json-ld"])[
        "json-ld"
    ]


def _no_ratings(data: object) -> None:
    text = repr(data)
    for word in ("aggregateRating", "review", "ratingValue"):
        assert word not in text


def test_every_profile_carries_physician_or_closest_type(seeded_app: Flask):
    client = seeded_app.test_client()
    with seeded_app.app_context():
        ids = db.session.scalars(select(Provider.id).where(Provider.active.is_(True))).all()
        providers = load_providers(ids)
        expected = {
            p.slug: {
                "type": schema_type(p),
                "name": p.display_name,
                "specialties": [s.specialty.display_name for s in p.specialty_links],
                "accepting": p.accepting_new_patients,
                "languages": sorted(lang.name for lang in p.languages),
                "clinics": [link.location for link in p.active_location_links],
                "phone": p.active_location_links[0].effective_phone
                if p.active_location_links
                else None,
            }
            for p in providers
        }
    types = set()
    for slug, want in expected.items():
        [item] = jsonld(client, f"/providers/{slug}")
        _no_ratings(item)
        types.add(item["@type"])
        assert item["@context"] == "https://schema.org"
        assert item["@type"] == want["type"]
        assert item["name"] == want["name"]
        assert item["medicalSpecialty"] == want["specialties"]
        assert item["isAcceptingNewPatients"] is want["accepting"]
        assert (
            sorted(lang["name"] for lang in item.get("availableLanguage", [])) == want["languages"]
        )
        assert item["url"] == f"http://localhost/providers/{slug}"
        if want["clinics"]:
            first = want["clinics"][0]
            assert item["telephone"] == want["phone"]
            assert item["address"][0]["postalCode"] == first.zip
            assert item["address"][0]["addressLocality"] == first.city
            assert item["geo"] == {
                "@type": "GeoCoordinates",
                "latitude": first.latitude,
                "longitude": first.longitude,
            }
    assert {"Physician", "Physiotherapy"} <= types
    assert len(expected) > 100


def test_every_clinic_page_carries_medical_clinic_with_hours(seeded_app: Flask):
    client = seeded_app.test_client()
    with seeded_app.app_context():
        clinics = db.session.scalars(select(Location).where(Location.active.is_(True))).all()
        expected = {c.slug: (c.name, c.phone, c.zip, c.hours_by_day()) for c in clinics}
    assert expected
    for slug, (name, phone, zip_code, by_day) in expected.items():
        [item] = jsonld(client, f"/locations/{slug}")
        _no_ratings(item)
        assert item["@type"] == "MedicalClinic" and item["name"] == name
        assert item["telephone"] == phone and item["address"]["postalCode"] == zip_code
        assert item["geo"]["@type"] == "GeoCoordinates"
        got = {
            (day.rsplit("/", 1)[1], spec["opens"], spec["closes"])
            for spec in item["openingHoursSpecification"]
            for day in spec["dayOfWeek"]
        }
        want = {
            (day, o.strftime("%H:%M"), c.strftime("%H:%M"))
            for day, spans in by_day
            for o, c in spans
        }
        assert got == want and got


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ("MD", "Physician"),
        ("DO", "Physician"),
        ("PT, DPT, OCS", "Physiotherapy"),
        ("DDS", "Dentist"),
        ("ARNP, FNP-C", "MedicalBusiness"),
        ("", "MedicalBusiness"),
        ("MD, PhD", "Physician"),
        ("m.d.", "MedicalBusiness"),
    ],
)
def test_schema_type_from_credentials(credentials, expected):
    assert schema_type(Provider(credentials=credentials)) == expected


def test_hostile_names_cannot_break_out_of_the_script(any_app: Flask):
    evil = "</script><script>alert(1)</script> & <!-- 'x'"
    with any_app.app_context():
        spec = f.specialty(display_name="Spine </script> & care")
        clinic = f.location(name=f"Clinic {evil}", phone="(206) 555-0199")
        p = f.provider([spec], [clinic], first_name=evil, last_name="O'Brien")
        db.session.commit()
        slug, clinic_slug = p.slug, clinic.slug
    client = any_app.test_client()
    for path, field, value in (
        (f"/providers/{slug}", "name", f"{evil} O'Brien, MD"),
        (f"/locations/{clinic_slug}", "name", f"Clinic {evil}"),
    ):
        html = client.get(path).get_data(as_text=True)
        block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
        assert "<" not in block and ">" not in block and "&" not in block
        [item] = jsonld(client, path)
        assert item[field] == value
    [item] = jsonld(client, f"/providers/{slug}")
    assert item["medicalSpecialty"] == ["Spine </script> & care"]
