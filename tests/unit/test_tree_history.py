"""The tree and the roster have their real history (issue 9 §3): any date from the Party's
founding on 1930-02-03, with or without a rule set; the district level until 2025-07-01;
candidacy steps still need a rule set in force (from 2011). Over HTTP (an organisation as of
1990, 422 naming the field, the read side on the old tree): ``tests/e2e/test_tree_history.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from domain.errors import DomainError
from domain.organisation import DISTRICT_LEVEL_ENDED_ON, has_district_level
from domain.rulesets import RULE_SETS
from domain.values import PARTY_FOUNDED
from tests.scenario import ADMIN, make_app, person
from tests.unit.helpers import found_unit, tree_of_1976
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
            full_name="Đảng viên",
            branch_id=branch,
            status=status,
            admitted_on=admitted_on,
            official_on=official_on,
            sex="male",
            date_of_birth=date(1905, 1, 1),
            ethnicity="Kinh",
        )

    member = app.register_member(roster(FOUNDED, date(1931, 2, 3)), ADMIN)
    assert (member.admitted_on, member.official_on) == (FOUNDED, date(1931, 2, 3))

    _refused_input(lambda: roster(DAY_BEFORE, date(1931, 1, 1)), "admitted_on")
    _refused_input(lambda: roster(DAY_BEFORE, None), "admitted_on")


def test_a_member_cannot_be_admitted_before_being_born() -> None:
    with pytest.raises(ValidationError) as caught:
        c.RegisterMember(
            full_name="Đảng viên",
            branch_id=UUID(int=1),
            status="probationary",
            admitted_on=date(1960, 1, 1),
            sex="female",
            date_of_birth=date(1960, 1, 2),
            ethnicity="Kinh",
        )
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("admitted_on",), "admitted_before_birth")
    ]


# ---------------------------------------------------------------- the district level


def test_a_1976_province_with_a_district_until_2025_07_01() -> None:
    app = make_app()
    province = found_unit(app, "T76", "province", None, on=date(1976, 1, 1))
    district = found_unit(app, "H76", "district", province, on=date(1976, 3, 1))
    assert app.organisation(district).founded_on == date(1976, 3, 1)
    last = app.organisation(found_unit(app, "H25", "district", province, on=date(2025, 6, 30)))
    assert (last.kind.value, last.parent_id) == ("district", province)
    assert last.founded_on == date(2025, 6, 30)
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


def test_a_nomination_in_a_1976_branch_dated_2010_12_31_has_no_rule_set() -> None:
    app = make_app()
    _, branch = tree_of_1976(app)
    command = c.Nominate(
        person=person(date_of_birth="1980-01-01"),
        branch_id=branch,
        nominated_by="branch",
        nominated_on=date(2010, 12, 31),
    )
    _refused(app, "no_rule_set", lambda: app.nominate(command, ADMIN))
    accepted = app.nominate(command.model_copy(update={"nominated_on": date(2011, 1, 1)}), ADMIN)
    assert accepted.history[0].rule_set == "45-QĐ/TW"
