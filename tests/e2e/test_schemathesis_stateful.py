"""Stateful fuzzing: sequences of requests along the OpenAPI links (schemathesis's state
machine), so what one answer creates is what the next request names.

The links are the API's own (``api.http.links``): a founded unit becomes the parent of the
next unit and the branch of a member or a nomination; a registered member the helper of a
nomination; a nominated candidacy's id names the reads and every command on it, one after
another, each sending the previous answer's ``ETag`` as ``If-Match`` (most of the time; a
link's value is sometimes left out or replaced, to reach the other paths). A scenario
starts from a root: a founding, a registration, a nomination or a command, with generated
ids steered to stored ones as in the stateless run (``fuzzing.py``); what the API creates
joins the pools.

The checks are those of the stateless run (``test_schemathesis.py``: no 5xx, problem+json
errors, schema conformance, the default checks but two), plus the stateful ones
(``use_after_free``, ``ensure_resource_availability``). The store is its own, so the
stateless run is not disturbed. Derandomized and short by default; ``make fuzz`` runs
``KETNAP_FUZZ_EXAMPLES`` scenarios of up to ``KETNAP_FUZZ_STEPS`` steps with fresh seeds.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from schemathesis import Case, Response

from api.http import examples as ex
from tests.e2e.fuzzing import (
    AUTH,
    DERANDOMIZE,
    FIRST_DAY,
    MAX_EXAMPLES,
    RequestCount,
    fuzzed,
    problem_details,
    schema_of,
)

pytestmark = pytest.mark.timeout(int(os.environ.get("KETNAP_FUZZ_TIMEOUT", "120")))

STEPS = int(os.environ.get("KETNAP_FUZZ_STEPS", "10"))


class Current:
    """The store a scenario runs against: a fresh one each scenario, so a scenario replayed
    (Hypothesis shrinking or re-checking it) meets the state it met the first time."""

    fuzzed = fuzzed()


schema = schema_of(Current.fuzzed.app, lambda: Current.fuzzed.world)
# The schema's links say what flows where. Dependency analysis would add some thousand
# guessed links (a candidacy's id into a member's path, among others), spreading the
# scenarios thin over transitions that answer 404; it is a generation choice, not a check.
schema.config.phases.stateful.inference.algorithms = []
Workflow: Any = schema.as_state_machine()


class APIWorkflow(Workflow):  # type: ignore[misc]
    """The state machine, as an admin, with the extra check, counting its requests."""

    requests: RequestCount | None = None

    def setup(self) -> None:
        Current.fuzzed = fuzzed()
        Current.fuzzed.world.day = FIRST_DAY

    def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
        return {"headers": AUTH, "app": Current.fuzzed.app}

    def after_call(self, response: Response, case: Case[Any]) -> None:
        super().after_call(response, case)
        Current.fuzzed.world.record(case, response)
        if APIWorkflow.requests is not None:
            APIWorkflow.requests.sent += 1

    def validate_response(
        self, response: Response, case: Case[Any], additional_checks: Any = None, **kwargs: Any
    ) -> None:
        checks = [problem_details, *(additional_checks or ())]
        super().validate_response(response, case, additional_checks=checks, **kwargs)


def test_links_are_followed(request_count: RequestCount) -> None:
    """Scenarios of up to ``STEPS`` steps along the links, every answer checked."""
    APIWorkflow.requests = request_count
    try:
        APIWorkflow.run(
            settings=settings(
                max_examples=MAX_EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                derandomize=DERANDOMIZE,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
        )
    finally:
        APIWorkflow.requests = None


def test_a_nominated_candidacy_is_followed_by_its_commands() -> None:
    """The links of a nomination's answer, followed by hand: its id names the next command,
    its ETag is that command's If-Match; the same If-Match again answers 412 (moved on)."""
    store = fuzzed()
    nominate = schema["/candidacies"]["POST"]
    links = nominate.definition.raw["responses"]["201"]["links"]
    enrol = links["candidacy_class_enrolment"]
    assert enrol["parameters"] == {
        "candidacy_id": "$response.body#/id",
        "header.If-Match": "$response.header.ETag",
    }
    body = ex.NOMINATE["default"]["value"]
    nominated = nominate.Case(body=body, media_type="application/json").call(
        headers=AUTH, app=store.app
    )
    assert nominated.status_code == 201, nominated.text
    operation = schema["/candidacies/{candidacy_id}/class-enrolment"]["POST"]
    step = operation.Case(
        path_parameters={"candidacy_id": nominated.json()["id"]},
        headers={"If-Match": nominated.headers["etag"][0]},
        body={"enrolled_on": "2023-02-01"},
        media_type="application/json",
    )
    enrolled = step.call_and_validate(
        headers=AUTH, app=store.app, additional_checks=[problem_details]
    )
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["version"] == nominated.json()["version"] + 1
    again = step.call(headers=AUTH, app=store.app)
    assert again.status_code == 412, again.text
