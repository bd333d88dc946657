"""The API accepts exactly what its OpenAPI document says; HTTP details (405 Allow, 503)."""

from __future__ import annotations

import pytest

from app.api.openapi import COMMON_RESPONSES, FLAG_PARAMS, FLAG_VALUES


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/providers"),
        ("delete", "/api/v1/suggest"),
        ("put", "/find-a-doctor"),
        ("post", "/health/exercise-for-the-spine"),
        ("put", "/staff/login"),
    ],
)
def test_405_carries_allow(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed and method.upper() not in allowed


@pytest.mark.parametrize("name", FLAG_PARAMS)
@pytest.mark.parametrize("value", ["true", "TRUE", "yes", "on", "2", "", " 1"])
def test_flag_values_outside_the_enum_are_refused(seeded_client, name, value):
    response = seeded_client.get("/api/v1/providers", query_string={name: value})
    assert response.status_code == 400
    assert response.get_json()["field"] == name


@pytest.mark.parametrize("name", FLAG_PARAMS)
@pytest.mark.parametrize("value", FLAG_VALUES)
def test_flag_values_in_the_enum_are_accepted(seeded_client, name, value):
    assert seeded_client.get("/api/v1/providers", query_string={name: value}).status_code == 200


def test_every_operation_documents_405_414_and_503(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for params in (
        p["schema"]
        for p in doc["paths"]["/providers"]["get"]["parameters"]
        if p["name"] in FLAG_PARAMS
    ):
        assert params["enum"] == FLAG_VALUES
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert set(COMMON_RESPONSES) <= set(operation["responses"]), (path, method)
            assert "Retry-After" in operation["responses"]["503"]["headers"]


def _search_params(client) -> dict[str, dict]:
    doc = client.get("/api/v1/openapi.json").get_json()
    return {p["name"]: p["schema"] for p in doc["paths"]["/providers"]["get"]["parameters"]}


@pytest.mark.parametrize("name", ["q", "location"])
def test_text_over_200_characters_is_refused_as_documented(demo_app, name):
    client = demo_app.test_client()
    assert _search_params(client)[name]["maxLength"] == 200
    ok = client.get("/api/v1/providers", query_string={name: "knee " * 40})
    assert ok.status_code == 200
    refused = client.get("/api/v1/providers", query_string={name: "knee " * 40 + "x"})
    assert refused.status_code == 400
    assert refused.get_json()["field"] == name


def test_list_filters_are_documented_as_the_directorys_values(demo_app):
    client = demo_app.test_client()
    params = _search_params(client)
    for name in ("specialty", "clinic", "language", "insurance"):
        values = params[name]["items"]["enum"]
        assert values and values == sorted(values), name
        assert params[name]["maxItems"] == 20
        first = client.get("/api/v1/providers", query_string={name: values[0]})
        assert first.status_code == 200, (name, values[0])
        assert "no-such-value" not in values
        unknown = client.get("/api/v1/providers", query_string={name: "no-such-value"})
        assert unknown.status_code == 400 and unknown.get_json()["field"] == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("gender", "f"),
        ("gender", ""),
        ("sort", "NAME"),
        ("page", ""),
        ("page", "٣"),
        ("per_page", "1_0"),
        ("radius", " 5"),
        ("specialty", ""),
        ("specialty", " physical-therapist"),
    ],
)
def test_values_outside_the_document_are_refused(demo_app, name, value):
    """The pages forgive these (a blank field, "f" for F); the API says no, as documented."""
    client = demo_app.test_client()
    response = client.get("/api/v1/providers", query_string={name: value})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == name
