"""Schemathesis against each service's own OpenAPI document, in process, as every kind of caller:
no input makes a 5xx, and every answer (status, content type, body) is one the document describes."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from shared.auth import STAFF_ROLES

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# `make fuzz` raises this; the bounded run in `make test` keeps ~100 cases per service and caller.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
CALLERS = {
    "procurement": ["anonymous", *sorted(STAFF_ROLES)],
    "inventory": ["anonymous", *sorted(STAFF_ROLES)],
    "supplier_portal": ["anonymous", *sorted(STAFF_ROLES), "supplier_owner", "supplier_staff"],
}


@pytest.mark.parametrize("service, caller", [(s, c) for s, callers in CALLERS.items() for c in callers])
def test_no_generated_request_breaks_the_documented_contract(service, caller, fuzz_target):
    app, headers = fuzz_target(service, caller)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
    @given(case=schema.as_strategy())
    def fuzz(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
