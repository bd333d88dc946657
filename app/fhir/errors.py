"""FHIR errors: every failure under /fhir answers with an OperationOutcome."""

from __future__ import annotations

import json

from flask import Response

FHIR_JSON = "application/fhir+json"

# HTTP status -> OperationOutcome.issue.code (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = {
    400: "invalid",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    410: "deleted",
    413: "too-costly",
    414: "too-long",
    429: "throttled",
    503: "transient",
}


class FhirError(Exception):
    """A request the FHIR API answers with an OperationOutcome and an HTTP status."""

    def __init__(self, status: int, diagnostics: str, code: str | None = None) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or ISSUE_TYPES.get(status, "exception")


def outcome(diagnostics: str, code: str = "invalid", severity: str = "error") -> dict:
    """An OperationOutcome resource with one issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def fhir_response(body: dict, status: int = 200) -> Response:
    """Serialise a resource as ``application/fhir+json``."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(data, status=status, mimetype=FHIR_JSON)


def outcome_response(status: int, diagnostics: str, code: str | None = None) -> Response:
    """An OperationOutcome response for an HTTP error status."""
    issue_code = code or ISSUE_TYPES.get(status, "exception")
    fatal = "fatal" if status >= 500 else "error"
    return fhir_response(outcome(diagnostics, issue_code, fatal), status)
