"""The tree and the roster of before 2011 over HTTP (issue 9 §3), in process on an
in-memory store: an organisation as of 1990 answers from the tree of 1990, a founding before
the Party's answers 422 naming the field, a member of 1950 is registered while a nomination
of 2010 is refused, and the read side takes the old tree. The rules themselves:
``tests/unit/test_tree_history.py``."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.scenario import person
from tests.unit.helpers import World, found_unit, tree_of_1976


def test_get_an_organisation_as_of_1990_answers_from_the_tree_of_1990(
    world: World, in_process: TestClient
) -> None:
    http, app = in_process, world.app
    old, _ = tree_of_1976(app)
    new = found_unit(app, "T91", "province", None, on=date(1991, 8, 12))
    district = found_unit(app, "H77", "district", old, on=date(1977, 5, 1))
    moved = http.post(
        f"/organisations/{district}/moves",
        json={"new_parent_id": str(new), "effective_on": "1991-08-12"},
    )
    assert moved.status_code == 200, moved.text
    renamed = http.post(
        f"/organisations/{district}/renames",
        json={"name": "Huyện mới", "effective_on": "2000-01-01"},
    )
    assert renamed.status_code == 200, renamed.text

    then = http.get(f"/organisations/{district}", params={"as_of": "1990-01-01"})
    assert then.status_code == 200, then.text
    body = then.json()
    assert body["as_of"] == "1990-01-01"
    assert body["parent_id"] == str(old)
    assert body["path"] == [str(old), str(district)]
    assert body["name"] == "Đơn vị H77" and body["in_force"] is True
    now = http.get(f"/organisations/{district}").json()
    assert (now["parent_id"], now["name"]) == (str(new), "Huyện mới")
    assert http.get(f"/organisations/{district}", params={"as_of": "1977-04-30"}).status_code == 404


def test_founding_before_the_party_answers_422_naming_the_field(
    world: World, in_process: TestClient
) -> None:
    http, app = in_process, world.app
    before = app.recorder.max_notification_id()
    response = http.post(
        "/organisations",
        json={"code": "T29", "name": "Xứ ủy", "kind": "province", "effective_on": "1930-02-02"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["rule"] == "invalid_input"
    assert "effective_on" in problem["detail"]
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "effective_on"], "before_party_founded")
    ]
    assert app.recorder.max_notification_id() == before
    founded = http.post(
        "/organisations",
        json={"code": "T30", "name": "Xứ ủy", "kind": "province", "effective_on": "1930-02-03"},
    )
    assert founded.status_code == 201, founded.text


def test_a_member_of_1950_over_http_and_a_nomination_of_2010_refused(
    world: World, in_process: TestClient
) -> None:
    http, app = in_process, world.app
    province, branch = tree_of_1976(app)
    member = {
        "full_name": "Đảng viên lão thành",
        "branch_id": str(branch),
        "status": "official",
        "admitted_on": "1950-05-19",
        "official_on": "1951-05-19",
        "sex": "male",
        "date_of_birth": "1930-01-01",
        "ethnicity": "Kinh",
    }
    assert http.post("/members", json=member).status_code == 201
    early = http.post("/members", json={**member, "admitted_on": "1930-02-02"})
    assert early.status_code == 422
    assert early.json()["errors"][0]["loc"] == ["body", "admitted_on"]
    nomination = {
        "person": person(date_of_birth="1980-01-01"),
        "branch_id": str(branch),
        "nominated_by": "branch",
        "nominated_on": "2010-12-31",
    }
    refused = http.post("/candidacies", json=nomination)
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "no_rule_set"
    # The read side takes the old tree and roster as they are.
    for path, params in [
        ("/reports/residential-coverage", {"organisation_id": str(province)}),
        ("/reports/admissions", {"organisation_id": str(province)}),
        (f"/organisations/{province}/quotas/1976", {}),
    ]:
        assert http.get(path, params=params).status_code == 200, path
