"""The benchmark's FTS5 reference app does the work it claims, on the same data as ours."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import search
from app.extensions import db
from app.models import Provider, ProviderSpecialty, Specialty
from app.services.seed import load_reference_data
from bench import baselines, reference_app
from bench.synth import generate


@pytest.fixture
def reference(sqlite_app, monkeypatch):
    with sqlite_app.app_context():
        load_reference_data()
        db.session.commit()
        generate(300)
        db.session.commit()
        search.rebuild()
        path = db.engine.url.database
    conn = baselines.connect(path)
    baselines.build_fts(conn)
    conn.close()
    monkeypatch.setenv("REFERENCE_DB", path)
    monkeypatch.setattr(reference_app, "_local", type(reference_app._local)())
    return reference_app.app.test_client()


def test_reference_counts_and_pages_like_ours(sqlite_app, reference):
    with sqlite_app.app_context():
        expected = db.session.scalar(
            select(func.count(func.distinct(Provider.id)))
            .join(ProviderSpecialty)
            .join(Specialty)
            .where(Specialty.slug == "physical-therapist", Provider.active.is_(True))
        )
        ours = sqlite_app.test_client().get(
            "/api/v1/providers", query_string={"specialty": "physical-therapist"}
        )
        assert ours.get_json()["total"] == expected
    body = reference.get("/search", query_string={"specialty": "physical-therapist"}).get_json()
    assert body["total"] == expected > 20
    assert len(body["results"]) == 20
    assert all("Physical Therapist" in r["specialties"] for r in body["results"])
    assert {"specialty", "clinic", "language", "insurance", "gender"} == set(body["facets"])
    near = reference.get(
        "/search",
        query_string={
            "specialty": "physical-therapist",
            "lat": 47.61,
            "lon": -122.33,
            "radius": 25,
        },
    ).get_json()
    miles = [c["miles"] for r in near["results"] for c in r["clinics"]]
    assert near["total"] <= expected and any(m is not None and m <= 25 for m in miles)
    page = reference.get("/page", query_string={"specialty": "physical-therapist"})
    assert (
        page.status_code == 200 and len(re.findall(r"<article>", page.get_data(as_text=True))) == 20
    )
    typed = reference.get("/suggest", query_string={"q": "smi"}).get_json()
    assert set(typed) == {"providers", "specialties", "clinics"}
    assert reference.get("/suggest", query_string={"q": '"'}).get_json()["providers"] == []
    assert reference.get("/search", query_string={"lat": "north"}).status_code == 400
