"""``GET /members`` (issue 12): the roster of a branch or a subtree as of a day, by status,
searched by name without diacritics, within the caller's subtree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.scenario import ADMIN, Tree, build_tree, make_app
from workflows import commands as c

AUTH = {"Authorization": "Bearer admin-t"}


def _register(app: Any, branch: Any, name: str, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "full_name": name,
        "branch_id": branch,
        "status": "official",
        "admitted_on": date(2000, 1, 1),
        "official_on": date(2001, 1, 1),
        "sex": "female",
        "date_of_birth": date(1975, 1, 1),
        "ethnicity": "Kinh",
    }
    data.update(fields)
    return app.register_member(c.RegisterMember(**data), ADMIN).id


@pytest.fixture
def world() -> Iterator[tuple[Any, Tree, dict[str, Any], TestClient]]:
    app = make_app()
    tree = build_tree(app, officials=0)
    ids = {
        "mai": _register(app, tree.branch, "Nguyễn Thị Mai"),
        "lan": _register(
            app,
            tree.branch,
            "Trần Thị Lan",
            status="probationary",
            admitted_on=date(2024, 3, 1),
            official_on=None,
        ),
        "hoa": _register(app, tree.other_branch, "Lê Thị Hoa"),
    }
    app.record_member_departure(
        ids["hoa"], c.RecordMemberDeparture(left_on=date(2020, 6, 1), reason="died"), ADMIN
    )
    with TestClient(create_app(Settings(admin_token="admin-t"), admissions=app)) as client:
        yield app, tree, ids, client


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["full_name"] for item in response.json()["items"]]


def test_a_branch_on_a_day_and_by_status(world) -> None:
    _, tree, _, client = world
    branch = {"branch_id": str(tree.branch)}
    assert _names(client.get("/members", params=branch, headers=AUTH)) == [
        "Nguyễn Thị Mai",
        "Trần Thị Lan",
    ]
    before = {**branch, "as_of": "2023-12-31"}
    assert _names(client.get("/members", params=before, headers=AUTH)) == ["Nguyễn Thị Mai"]
    probationary = {**branch, "status": "probationary"}
    assert _names(client.get("/members", params=probationary, headers=AUTH)) == ["Trần Thị Lan"]


def test_a_subtree_and_a_search_without_diacritics(world) -> None:
    _, tree, _, client = world
    under = {"organisation_id": str(tree.grassroots)}
    assert _names(client.get("/members", params=under, headers=AUTH)) == [
        "Nguyễn Thị Mai",
        "Trần Thị Lan",
    ]  # Lê Thị Hoa left in 2020
    in_2019 = {**under, "as_of": "2019-01-01"}
    assert _names(client.get("/members", params=in_2019, headers=AUTH)) == [
        "Lê Thị Hoa",
        "Nguyễn Thị Mai",
    ]
    assert _names(client.get("/members", params={"q": "nguyen thi mai"}, headers=AUTH)) == [
        "Nguyễn Thị Mai"
    ]
    assert _names(client.get("/members", params={"q": "THI"}, headers=AUTH)) == [
        "Nguyễn Thị Mai",
        "Trần Thị Lan",
    ]


def test_a_board_reads_its_subtree_only(world) -> None:
    app, tree, _, client = world
    secret, _ = app.issue_token(Role.BOARD, tree.other_branch, "chi bộ 2", ADMIN)
    board = {"Authorization": f"Bearer {secret}"}
    assert _names(client.get("/members", headers=board)) == []  # its one member left
    refused = client.get("/members", params={"branch_id": str(tree.branch)}, headers=board)
    assert refused.status_code == 403 and refused.json()["rule"] == "forbidden_scope"
    reporter, _ = app.issue_token(Role.REPORTER, tree.branch, "báo cáo", ADMIN)
    denied = client.get("/members", headers={"Authorization": f"Bearer {reporter}"})
    assert denied.status_code == 403 and denied.json()["rule"] == "forbidden_role"
