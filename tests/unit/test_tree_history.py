"""The tree and the roster have their real history (issue 9 §3): any date from the Party's
founding on 1930-02-03, with or without a rule set; the district level until 2025-07-01;
candidacy steps still need a rule set in force (from 2011)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.http.app import create_app
from api.settings import Settings
from domain.errors import DomainError
from domain.organisation import DISTRICT_LEVEL_ENDED_ON, has_district_level
from domain.rulesets import RULE_SETS
from domain.values import PARTY_FOUNDED
from tests.scenario import ADMIN, make_app, person
from tests.unit.helpers import found_unit
from workflows import commands as c
from workflows.application import Admissions

FOUNDED = date(1930, 2, 3)
DAY_BEFORE = date(1930, 2, 2)


def _refused_input(build: Any, field: str, code: str = "before_party_founded") -> None:
    """``build()`` fails validation at ``field`` with ``code``."""
    with pytest.raises(ValidationError) as caught:
        build()
    errors = caught.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [((field,), code)], errors


def _refused(app: Admissions, rule: str, action: Any) -> DomainError:
    before = app.recorder.max_notification_id()
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.rule == rule, caught.value.detail
    assert app.recorder.max_notification_id() == before
    return caught.value


def test_the_party_founding_day_is_a_domain_constant() -> None:
    assert PARTY_FOUNDED == FOUNDED


# ---------------------------------------------------------------- 1930-02-03


def test_a_unit_is_founded_on_the_party_founding_day_not_the_day_before() -> None:
    app = make_app()
    province = found_unit(app, "T1930", "province", None, on=FOUNDED)
    assert app.organisation(province).founded_on == FOUNDED
    _refused_input(
        lambda: c.FoundOrganisation(
            code="T1929", name="Xứ ủy", kind="province", effective_on=DAY_BEFORE
        ),
        "effective_on",
    )


def test_a_move_on_the_party_founding_day_not_the_day_before() -> None:
    app = make_app()
    first = found_unit(app, "T1", "province", None, on=FOUNDED)
    second = found_unit(app, "T2", "province", None, on=FOUNDED)
    district = found_unit(app, "H1", "district", first, on=FOUNDED)
    moved = app.move_organisation(
        district, c.MoveOrganisation(new_parent_id=second, effective_on=FOUNDED), ADMIN
    )
    assert moved.parent_on(FOUNDED) == second
    _refused_input(
        lambda: c.MoveOrganisation(new_parent_id=second, effective_on=DAY_BEFORE), "effective_on"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda day: c.RenameOrganisation(name="Tên mới", effective_on=day),
        lambda day: c.MergeOrganisation(into_id=UUID(int=1), effective_on=day),
        lambda day: c.DissolveOrganisation(effective_on=day),
        lambda day: c.AssignResidentialArea(
            code="TH1", name="Thôn 1", kind="thon", effective_on=day
        ),
    ],
    ids=["rename", "merge", "dissolve", "area"],
)
def test_every_change_to_the_tree_is_refused_before_the_party_founding(build: Any) -> None:
    assert build(FOUNDED).effective_on == FOUNDED
    _refused_input(lambda: build(DAY_BEFORE), "effective_on")


def test_a_member_admitted_on_the_party_founding_day_not_the_day_before() -> None:
    app = make_app()
    province = found_unit(app, "T1", "province", None, on=FOUNDED)
    branch = found_unit(app, "CB1", "grassroots_branch", province, on=FOUNDED)

    def roster(admitted_on: date, official_on: date | None) -> c.RegisterMember:
        status = "official" if official_on else "probationary"
        return c.RegisterMember(
            full_name="Đảng viên", branch_id=branch, status=status, admitted_on=admitted_on,
            official_on=official_on, sex="male", date_of_birth=date(1905, 1, 1),
            ethnicity="Kinh",
        )  # fmt: skip

    member = app.register_member(roster(FOUNDED, date(1931, 2, 3)), ADMIN)
    assert (member.admitted_on, member.official_on) == (FOUNDED, date(1931, 2, 3))

    _refused_input(lambda: roster(DAY_BEFORE, date(1931, 1, 1)), "admitted_on")
    _refused_input(lambda: roster(DAY_BEFORE, None), "admitted_on")


def test_a_member_cannot_be_admitted_before_being_born() -> None:
    with pytest.raises(ValidationError) as caught:
        c.RegisterMember(
            full_name="Đảng viên", branch_id=UUID(int=1), status="probationary",
            admitted_on=date(1960, 1, 1), sex="female", date_of_birth=date(1960, 1, 2),
            ethnicity="Kinh",
        )  # fmt: skip
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("admitted_on",), "admitted_before_birth")
    ]


# ---------------------------------------------------------------- the district level


def test_a_1976_province_with_a_district_until_2025_07_01() -> None:
    app = make_app()
    province = found_unit(app, "T76", "province", None, on=date(1976, 1, 1))
    district = found_unit(app, "H76", "district", province, on=date(1976, 3, 1))
    assert app.organisation(district).founded_on == date(1976, 3, 1)
    assert found_unit(app, "H25", "district", province, on=date(2025, 6, 30))
    error = _refused(
        app,
        "no_district_level",
        lambda: found_unit(app, "H26", "district", province, on=date(2025, 7, 1)),
    )
    assert "2025-07-01" in error.detail and "294-QĐ/TW" in error.detail


def test_the_district_level_date_agrees_with_every_rule_set() -> None:
    for rule_set in RULE_SETS:
        assert has_district_level(rule_set.effective_from) == rule_set.has_district_level
    assert has_district_level(FOUNDED)
    assert has_district_level(DISTRICT_LEVEL_ENDED_ON.replace(day=30, month=6))
    assert not has_district_level(DISTRICT_LEVEL_ENDED_ON)


# ---------------------------------------------------------------- candidacies still need a rule set


def _tree_of_1976(app: Admissions) -> tuple[UUID, UUID]:
    province = found_unit(app, "T76", "province", None, on=date(1976, 1, 1))
    commune = found_unit(app, "X76", "commune", province, on=date(1976, 1, 1))
    branch = found_unit(app, "CB76", "grassroots_branch", commune, on=date(1976, 1, 1))
    return province, branch


def test_a_nomination_in_a_1976_branch_dated_2010_12_31_has_no_rule_set() -> None:
    app = make_app()
    _, branch = _tree_of_1976(app)
    command = c.Nominate(
        person=person(date_of_birth="1980-01-01"), branch_id=branch, nominated_by="branch",
        nominated_on=date(2010, 12, 31),
    )  # fmt: skip
    _refused(app, "no_rule_set", lambda: app.nominate(command, ADMIN))
    accepted = app.nominate(command.model_copy(update={"nominated_on": date(2011, 1, 1)}), ADMIN)
    assert accepted.history[0].rule_set == "45-QĐ/TW"


# ---------------------------------------------------------------- the tree of 1990, over HTTP


@pytest.fixture
def client() -> Iterator[tuple[TestClient, Admissions]]:
    app = make_app()
    api = create_app(Settings(admin_token="t"), admissions=app, keep_projections_caught_up=False)
    with TestClient(api, headers={"Authorization": "Bearer t"}) as http:
        yield http, app


def test_get_an_organisation_as_of_1990_answers_from_the_tree_of_1990(
    client: tuple[TestClient, Admissions],
) -> None:
    http, app = client
    old, _ = _tree_of_1976(app)
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
    client: tuple[TestClient, Admissions],
) -> None:
    http, app = client
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
    client: tuple[TestClient, Admissions],
) -> None:
    http, app = client
    province, branch = _tree_of_1976(app)
    member = {
        "full_name": "Đảng viên lão thành", "branch_id": str(branch), "status": "official",
        "admitted_on": "1950-05-19", "official_on": "1951-05-19", "sex": "male",
        "date_of_birth": "1930-01-01", "ethnicity": "Kinh",
    }  # fmt: skip
    assert http.post("/members", json=member).status_code == 201
    early = http.post("/members", json={**member, "admitted_on": "1930-02-02"})
    assert early.status_code == 422
    assert early.json()["errors"][0]["loc"] == ["body", "admitted_on"]
    nomination = {
        "person": person(date_of_birth="1980-01-01"), "branch_id": str(branch),
        "nominated_by": "branch", "nominated_on": "2010-12-31",
    }  # fmt: skip
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
