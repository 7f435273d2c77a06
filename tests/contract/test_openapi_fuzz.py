"""Schemathesis against each service's own OpenAPI document, in process, on the seeded records of
`world`, as every kind of caller: no input makes a 5xx, and every answer (status, content type,
body) is one the document describes."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth import STAFF_ROLES

# `make fuzz` raises this to 1,000 and more; `make test` runs ~100 cases per service and caller.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
STAFF_CALLERS = ["anonymous", *sorted(STAFF_ROLES)]
CALLERS = {"procurement": STAFF_CALLERS, "inventory": STAFF_CALLERS,
           "supplier_portal": [*STAFF_CALLERS, "supplier_a", "supplier_a_staff"]}


def success_is_documented(ctx, response, case):
    """Every operation documents `default` (any error, as a problem document); a success must be
    documented by its own status code, with its own schema."""
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code < 400 and str(response.status_code) not in documented:
        raise AssertionError(f"{case.method} {case.path} answered {response.status_code}, which its document "
                             f"does not list ({sorted(documented)})")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          success_is_documented]


def fuzz(cases, caller: str, headers: dict, savepoint) -> None:
    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
    @given(case=cases)
    def run(case):
        note(f"as {caller}")
        # Each case starts from the seeded records: a generated DELETE does not empty the next one's world.
        with savepoint():
            case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("service", sorted(CALLERS))
def test_no_generated_request_breaks_the_documented_contract(service, apps, world, callers, savepoint):
    """Valid requests (schemathesis' positive mode) reach the domain rules on the seeded records; invalid
    ones (negative mode: wrong types, missing fields, values out of range) must be refused with a 4xx."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", apps[service])
    cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE))
    for caller in CALLERS[service]:
        fuzz(cases, caller, callers[caller], savepoint)


@pytest.mark.parametrize("service", sorted(CALLERS))
def test_linked_operations_in_sequence_keep_the_documented_contract(service, apps, world, callers, savepoint):
    """Stateful: schemathesis links operations whose answers feed other operations' parameters (inferred
    from the documents, which declare no links of their own) and runs them in sequence as an officer
    or supplier who may do most things; each scenario is rolled back."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", apps[service])
    headers = callers["supplier_a" if service == "supplier_portal" else "admin"]

    class Scenario(schema.as_state_machine()):
        def setup(self):
            self.scope = savepoint()
            self.scope.__enter__()

        def teardown(self):
            self.scope.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Scenario.run(settings=settings(max_examples=max(EXAMPLES // 5, 10), stateful_step_count=6, deadline=None,
                                   suppress_health_check=list(HealthCheck)))
