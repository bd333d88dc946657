"""Schemathesis walks the OpenAPI document against the real app: no failure allowed.

Every built-in check runs, on valid input (which must be accepted) and on invalid input
(which must be refused): the document and the API say the same thing. The list filters'
enums come from the live directory, so "schema-valid" means a slug the directory knows.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

# Enough to reach every parameter of every operation in both modes (about 20 s in all on
# one core); more finds nothing new and the whole suite has to fit its time.
MAX_EXAMPLES = 25


def all_checks() -> list:
    """Every check schemathesis ships, so none is quietly left out."""
    load_all_checks()
    checks = CHECKS.get_all()
    names = {check.__name__ for check in checks}
    assert {"positive_data_acceptance", "negative_data_rejection", "not_a_server_error"} <= names
    return checks


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_openapi_document(seeded_app, mode):
    """Every operation, with generated valid (then invalid) input, answers as documented."""
    checks = all_checks()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not (
            len(operation.query) or len(operation.path_parameters)
        ):
            continue  # nothing to get wrong in a request without parameters

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            # The in-process WSGI transport does not decompress; ask for plain bodies.
            case.call_and_validate(headers={"Accept-Encoding": "identity"}, checks=checks)

        check()
