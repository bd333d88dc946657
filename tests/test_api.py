"""The JSON API: shapes, errors and a property test over hostile input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import cpu_timed


def get(client, url, **params):
    with client.get(url, query_string=params) as response:
        return response.status_code, response.get_json()


def test_providers_shape(seeded_client):
    status, body = get(
        seeded_client,
        "/api/v1/providers",
        q="pt",
        location="98034",
        radius="10",
        sort="distance",
        per_page="5",
        language="en",
    )
    assert status == 200
    assert set(body) >= {
        "total",
        "page",
        "per_page",
        "results",
        "facets",
        "did_you_mean",
        "message",
    }
    assert body["per_page"] == 5 and len(body["results"]) == 5
    first = body["results"][0]
    assert set(first) >= {
        "id",
        "slug",
        "name",
        "credentials",
        "specialties",
        "locations",
        "accepting_new_patients",
        "telehealth",
        "languages",
        "url",
    }
    assert set(first["specialties"][0]) >= {"code", "name", "slug", "primary"}
    assert set(first["locations"][0]) >= {
        "slug",
        "name",
        "city",
        "state",
        "zip",
        "phone",
        "distance_miles",
    }
    assert first["locations"][0]["distance_miles"] is not None
    assert set(body["facets"]) == {"specialty", "language", "clinic", "gender", "insurance"}
    assert set(body["facets"]["language"][0]) >= {"slug", "name", "count"}


def test_provider_detail_and_404(seeded_client):
    status, body = get(seeded_client, "/api/v1/providers/1")
    assert status == 200 and body["id"] == 1 and "hours" in body["locations"][0]
    status, body = get(seeded_client, "/api/v1/providers/999999")
    assert status == 404 and "error" in body


def test_locations_and_specialties(seeded_client):
    status, body = get(seeded_client, "/api/v1/locations")
    assert status == 200 and len(body["locations"]) == 11
    featured = get(seeded_client, "/api/v1/specialties")[1]["specialties"]
    everything = get(seeded_client, "/api/v1/specialties", all="1")[1]["specialties"]
    assert 0 < len(featured) < len(everything)
    assert get(seeded_client, "/api/v1/specialties", all="x")[0] == 400


def test_suggest(seeded_client):
    status, body = get(seeded_client, "/api/v1/suggest", q="nun")
    assert status == 200 and body["providers"][0]["slug"] == "maria-nunez-dpt"
    assert get(seeded_client, "/api/v1/suggest", q="a", limit="0")[0] == 400


@pytest.mark.parametrize("q", ["sciatica", "herniated", "neck pain"])
def test_suggest_offers_care_path_terms(seeded_client, q):
    status, body = get(seeded_client, "/api/v1/suggest", q=q)
    assert status == 200 and body["specialties"], body
    first = body["specialties"][0]
    assert set(first) == {"name", "slug", "url", "matched"}
    assert first["slug"] == "spine" and first["url"].startswith("/find-a-doctor?q=")


@pytest.mark.parametrize("params", [{"sort": "distance"}, {"radius": "7"}])
def test_distance_without_location_explains(seeded_client, params):
    status, body = get(seeded_client, "/api/v1/providers", **params)
    assert status == 200 and body["total"] > 0
    assert "needs a location (a ZIP code or city); showing best matches." in body["message"]


def test_openapi(seeded_client):
    status, body = get(seeded_client, "/api/v1/openapi.json")
    assert status == 200 and body["openapi"].startswith("3.1")
    assert {"/providers", "/providers/{id}", "/suggest", "/locations", "/specialties"} <= set(
        body["paths"]
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"per_page": "101"}, "per_page"),
        ({"radius": "0"}, "radius"),
        ({"specialty": "nope"}, "specialty"),
        ({"sort": "x"}, "sort"),
        ({"gender": "Z"}, "gender"),
    ],
)
def test_bad_params_are_400_naming_the_field(seeded_client, params, field):
    status, body = get(seeded_client, "/api/v1/providers", **params)
    assert status == 400 and body["field"] == field and body["error"]


HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            '* ? ~5 ^ : " ( ) [ ] { } AND OR NOT',
            "x" * 10_000,
            "\x00",
            "😀🏥",
            "مرحبا بكم",
            "שלום",
            "dr. smith, md",
            "pt 98034",
            "-1",
        ]
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=HOSTILE,
    location=HOSTILE,
    page=st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 600).map(str)),
    radius=st.one_of(st.none(), st.text(max_size=4), st.integers(-5, 600).map(str)),
    per_page=st.one_of(st.none(), st.integers(-1, 200).map(str)),
    specialty=st.one_of(st.none(), st.sampled_from(["physical-therapist", "bogus", ""])),
)
def test_any_input_gives_json_never_500_and_is_fast(
    seeded_client, q, location, page, radius, per_page, specialty
):
    get(seeded_client, "/api/v1/providers", q="warm up", location="Seattle")  # per-process caches
    params = {
        "q": q,
        "location": location,
        "page": page,
        "radius": radius,
        "per_page": per_page,
        "specialty": specialty,
    }
    (status, body), seconds = cpu_timed(
        get,
        seeded_client,
        "/api/v1/providers",
        **{k: v for k, v in params.items() if v is not None},
    )
    assert seconds < 1.0
    assert status in (200, 400), body
    assert body is not None and (("error" in body) if status == 400 else ("results" in body))
    status, body = get(seeded_client, "/api/v1/suggest", q=q)
    if "\x00" in q:  # a NUL byte is refused before any view runs
        assert status == 400 and "error" in body
    else:
        assert status == 200 and set(body) == {
            "providers",
            "conditions",
            "specialties",
            "clinics",
            "alert",
        }


def test_suggest_urls_are_built_from_slugs(seeded_client):
    _, body = get(seeded_client, "/api/v1/suggest", q="kirk")
    assert body["clinics"][0]["url"] == "/locations/kirkland"
    _, body = get(seeded_client, "/api/v1/suggest", q="knee pai")
    knee = body["conditions"][0]
    assert knee["name"] == "Knee pain" and knee["url"] == "/find-a-doctor?q=knee+pain"
    assert knee["specialties"] and "query" not in knee
    _, body = get(seeded_client, "/api/v1/suggest", q="cardiology")
    assert body["specialties"][0]["url"] == "/find-a-doctor?specialty=cardiology"
    _, body = get(seeded_client, "/api/v1/suggest", q="chest pain")
    assert body["alert"]["level"] == "emergency" and body["alert"]["call"] == "911"
