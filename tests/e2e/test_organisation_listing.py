"""``GET /organisations`` (issue 12): the units under a unit, or the roots, as the tree
stood on a day; search by code or name without diacritics; within the caller's subtree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from domain.text import folded, matches
from tests.scenario import ADMIN, Tree, build_tree, make_app
from workflows import commands as c

AUTH = {"Authorization": "Bearer admin-t"}


@pytest.fixture
def world() -> Iterator[tuple[Any, Tree, TestClient]]:
    app = make_app()
    tree = build_tree(app, officials=1)
    app.rename_organisation(
        tree.commune,
        c.RenameOrganisation(name="Đảng ủy xã Lát", effective_on=date(2020, 1, 1)),
        ADMIN,
    )
    with TestClient(create_app(Settings(admin_token="admin-t"), admissions=app)) as client:
        yield app, tree, client


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


def test_the_roots_and_the_children(world) -> None:
    _, tree, client = world
    assert _codes(client.get("/organisations", headers=AUTH)) == ["T01"]
    assert _codes(
        client.get("/organisations", params={"parent_id": str(tree.commune)}, headers=AUTH)
    ) == ["CBCS01", "DU01"]


def test_the_tree_as_it_stood_on_a_day(world) -> None:
    _, tree, client = world
    before = client.get(
        "/organisations",
        params={"parent_id": str(tree.province), "as_of": "2010-12-31"},
        headers=AUTH,
    )
    assert _codes(before) == []  # founded 2011-01-01
    named = client.get(
        "/organisations",
        params={"parent_id": str(tree.province), "as_of": "2019-06-01"},
        headers=AUTH,
    ).json()["items"][0]
    assert named["name"] == "Đơn vị X01" and named["path"] == [str(tree.province), named["id"]]
    now = client.get("/organisations", params={"parent_id": str(tree.province)}, headers=AUTH)
    assert now.json()["items"][0]["name"] == "Đảng ủy xã Lát"


def test_search_ignores_diacritics_and_case(world) -> None:
    _, _, client = world
    assert _codes(client.get("/organisations", params={"q": "dang uy xa lat"}, headers=AUTH)) == [
        "X01"
    ]
    assert _codes(client.get("/organisations", params={"q": "cb0"}, headers=AUTH)) == [
        "CB01",
        "CB02",
    ]


def test_pages_follow_the_cursor(world) -> None:
    _, _, client = world
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"q": "đơn vị", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/organisations", params=params, headers=AUTH).json()
        seen += [item["code"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["CB01", "CB02", "CBCS01", "DU01", "T01"]  # X01 is renamed


def test_a_board_sees_its_own_subtree_only(world) -> None:
    app, tree, client = world
    secret, _ = app.issue_token(Role.BOARD, tree.grassroots, "ban tổ chức", ADMIN)
    board = {"Authorization": f"Bearer {secret}"}
    assert _codes(client.get("/organisations", headers=board)) == ["DU01"]
    assert _codes(client.get("/organisations", params={"q": "don vi"}, headers=board)) == [
        "CB01",
        "CB02",
        "DU01",
    ]
    outside = client.get("/organisations", params={"parent_id": str(tree.commune)}, headers=board)
    assert outside.status_code == 403 and outside.json()["rule"] == "forbidden_scope"


def test_folding() -> None:
    assert folded("  Nguyễn   Thị MAI ") == "nguyen thi mai"
    assert folded("Đảng ủy") == "dang uy"
    assert matches("nguyen mai", "Nguyễn Thị Mai") and not matches("nguyen lan", "Nguyễn Thị Mai")
