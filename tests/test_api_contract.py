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
