"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis),
stateless: every operation on its own. The sequences of operations along the schema's links:
``test_schemathesis_stateful.py``; the world, steering and budget: ``fuzzing.py``.

Every operation of ``/openapi.json`` is called with generated requests, valid and invalid
(schemathesis's examples, coverage and fuzzing phases), as an admin (``Authorization:
Bearer``), through the ASGI app, on an in-memory store that already holds a small tree, a
roster, candidacies at several stages and a quota.

Every response must:

- never be a server error (``not_a_server_error``: no error path answers 500);
- as an error (status >= 400), be ``application/problem+json`` with ``type``, ``title``,
  ``status`` (equal to the HTTP status) and ``detail`` (``problem_details``);
- conform to the schema: a documented status, content type and headers, and a body that
  validates against the response schema (``response_schema_conformance``);
- refuse requests without a valid token, answer 405 with a full ``Allow`` to methods a path
  does not have, and the other default checks, except the two excluded in ``fuzzing.py``.

Hypothesis runs derandomized with a small budget per operation, so a run is reproducible
and takes about half a minute. ``make fuzz`` fuzzes deeper with fresh seeds.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from schemathesis import Case

from api.http import examples as ex
from tests.e2e.fuzzing import (
    AUTH,
    DERANDOMIZE,
    MAX_EXAMPLES,
    RequestCount,
    fuzzed,
    problem_details,
    schema_of,
)

pytestmark = pytest.mark.timeout(int(os.environ.get("KETNAP_FUZZ_TIMEOUT", "120")))

FUZZED = fuzzed()
world = FUZZED.world
schema = schema_of(FUZZED.app, lambda: world)


# --- the tests ----------------------------------------------------------------------------


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api(case: Case[Any], request_count: RequestCount) -> None:
    request_count.sent += 1
    case.call_and_validate(headers=AUTH, additional_checks=[problem_details])


NESTED: Any = 0
for _ in range(300):  # deeper than orjson writes (254)
    NESTED = [NESTED]


CORRECTIONS = "/candidacies/{candidacy_id}/corrections"
QUOTA = "/organisations/{organisation_id}/quotas/{period}"
REASON = "Biên bản ghi nhầm"


@pytest.mark.parametrize(
    ("path", "method", "body", "retry_of"),
    [
        # Integers beyond 64 bits, which the store's JSON encoder cannot write (found by
        # fuzzing: 500 on saving the quota, or on fingerprinting a retried correction).
        (QUOTA, "PUT", {"target": 2**64}, None),
        (QUOTA, "PUT", {"target": 1, "sub_targets": {"women": 2**64}}, None),
        (QUOTA, "PUT", {"target": "9" * 30}, None),
        (CORRECTIONS, "POST", {"position": 9, "changes": {"x": 2**70}, "reason": REASON}, None),
        # A retry under an Idempotency-Key already used: the body is fingerprinted first.
        (
            CORRECTIONS,
            "POST",
            {"position": 9, "changes": {"x": 2**70}, "reason": REASON},
            "2023-05-01",
        ),
        (
            CORRECTIONS,
            "POST",
            {"position": 2**64, "changes": {"x": 1}, "reason": REASON},
            "2023-05-02",
        ),
        # Nesting deeper than the store's encoder goes.
        (
            CORRECTIONS,
            "POST",
            {"position": 9, "changes": {"x": NESTED}, "reason": REASON},
            "2023-05-03",
        ),
    ],
)
def test_values_the_store_cannot_hold_are_refused(
    path: str, method: str, body: dict[str, Any], retry_of: str | None
) -> None:
    """422 problem+json, not 500. With ``retry_of``, the request retries (same
    Idempotency-Key, another body) a correction of the biography certification's date."""
    operation = schema[path][method]
    known = {"organisation_id": ex.PROVINCE_ID, "period": "2024", "candidacy_id": str(world.spare)}
    parameters = {k: v for k, v in known.items() if "{" + k + "}" in path}
    headers = dict(AUTH)
    if retry_of is not None:
        headers["Idempotency-Key"] = f"retry-of-{retry_of}"
        first: dict[str, Any] = {
            "position": 9,
            "changes": {"certified_on": retry_of},
            "reason": REASON,
        }
        recorded = operation.Case(
            path_parameters=parameters, body=first, media_type="application/json"
        ).call(headers=headers)
        assert recorded.status_code == 200, recorded.text
    case = operation.Case(path_parameters=parameters, body=body, media_type="application/json")
    response = case.call_and_validate(headers=headers, additional_checks=[problem_details])
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("path", "method", "allow"),
    [
        ("/candidacies", "DELETE", "GET, POST"),  # two routes on one path
        ("/organisations/{organisation_id}/quotas/{period}", "POST", "GET, PUT"),
        ("/health", "PUT", "GET"),
    ],
)
def test_405_lists_every_method_of_the_path(path: str, method: str, allow: str) -> None:
    """``Allow`` names the methods of every route on the path, not just the first's."""
    operation = next(iter(schema[path].values()))
    parameters = {"organisation_id": ex.PROVINCE_ID, "period": "2024"}
    case = operation.Case(
        method=method,
        path_parameters={k: v for k, v in parameters.items() if "{" + k + "}" in path},
    )
    response = case.call(headers=AUTH)
    assert response.status_code == 405, response.text
    assert response.headers.get("allow") == [allow]
    problem_details(None, response, case)  # type: ignore[arg-type]
