"""``GET /reports/deadline-compliance`` in process on an in-memory store: the report of an
auditor's subtree with its audit log line, and the refusals of other roles, other subtrees
and bad input. The figures themselves: ``tests/unit/test_compliance.py``."""

from __future__ import annotations

from uuid import uuid4

import httpx
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from tests.unit.helpers import LATE_CEREMONY, LATE_DECISION, World, admit


def _get(client: TestClient, token: str, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    response: httpx.Response = client.get(
        "/reports/deadline-compliance", params=params, headers=headers
    )
    return response


def test_the_report_over_http_for_an_auditor_of_the_subtree(
    world: World, in_process: TestClient, tokens: dict[str, str]
):
    late = admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    with capture_logs() as logs:
        response = _get(in_process, tokens["auditor"], period="2025")  # its own unit by default
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["organisation_id"] == str(world.tree.grassroots) and body["period"] == "2025"
    assert (body["steps"], body["met"], body["missed"], body["overdue"]) == (2, 1, 1, 0)
    assert body["late"][0]["candidacy_id"] == str(late)
    assert body["late"][0]["working_days_over"] == 2
    assert body["late"][0]["due_on"] == "2025-04-29"
    [line] = [entry for entry in logs if entry["event"] == "audit.read"]
    assert line["what"] == "compliance" and line["role"] == "auditor"
    assert line["organisation_id"] == str(world.tree.grassroots) and line["period"] == "2025"


def test_the_report_refuses_other_roles_subtrees_and_bad_input(
    world: World, in_process: TestClient, tokens: dict[str, str]
):
    http = in_process
    grassroots = str(world.tree.grassroots)
    outside = _get(http, tokens["outsider"], period="2025", organisation_id=grassroots)
    assert outside.status_code == 403 and outside.json()["rule"] == "forbidden_scope"
    reporter = _get(http, tokens["reporter"], period="2025", organisation_id=grassroots)
    assert reporter.status_code == 403 and reporter.json()["rule"] == "forbidden_role"
    bad = _get(http, tokens["admin"], period="twenty", organisation_id=grassroots)
    assert bad.status_code == 422 and bad.json()["rule"] == "invalid_period"
    assert _get(http, tokens["admin"], period="2025").status_code == 422  # no unit
    unknown = _get(http, tokens["admin"], period="2025", organisation_id=str(uuid4()))
    assert unknown.status_code == 404
