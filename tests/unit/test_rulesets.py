"""Rule sets switch exactly on their effective dates, and every step records the one in
force on its own date."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain.candidacy.decide import nominate
from domain.errors import DomainError
from domain.events import Envelope
from domain.rulesets import (
    EARLIEST_DATE,
    RULE_SETS,
    NoRuleSet,
    rule_set_by_code,
    rule_set_on,
)
from domain.values import Person
from tests.scenario import ADMIN, person
from tests.unit.helpers import (
    CALENDAR,
    INTRODUCERS,
    assert_accepted,
    assert_nomination_refused,
    assert_refused,
    found_unit,
    introducers,
    make_world,
    open_candidacy,
    register_member,
)
from workflows import commands as c

BOUNDARIES = [
    (date(2016, 7, 25), "45-QĐ/TW", "29-QĐ/TW"),
    (date(2021, 7, 30), "29-QĐ/TW", "24-QĐ/TW"),
    (date(2025, 1, 20), "24-QĐ/TW", "232-QĐ/TW"),
    (date(2025, 7, 1), "232-QĐ/TW", "294-QĐ/TW"),
]


@pytest.mark.parametrize(("boundary", "before", "after"), BOUNDARIES)
def test_rule_set_switches_exactly_on_its_first_day(
    boundary: date, before: str, after: str
) -> None:
    assert rule_set_on(boundary - timedelta(days=1)).code == before
    assert rule_set_on(boundary).code == after
    assert rule_set_on(boundary + timedelta(days=1)).code == after


def test_named_boundaries() -> None:
    assert rule_set_on(date(2025, 1, 19)).code == "24-QĐ/TW"
    assert rule_set_on(date(2025, 1, 20)).code == "232-QĐ/TW"
    assert rule_set_on(date(2025, 6, 30)).code == "232-QĐ/TW"
    assert rule_set_on(date(2025, 7, 1)).code == "294-QĐ/TW"
    assert rule_set_on(date(2016, 7, 24)).code == "45-QĐ/TW"
    assert rule_set_on(date(2016, 7, 25)).code == "29-QĐ/TW"
    assert rule_set_on(date(2011, 1, 1)).code == "45-QĐ/TW"
    assert rule_set_on(date(2099, 12, 31)).code == "294-QĐ/TW"


@pytest.mark.parametrize("day", [date(2010, 12, 31), date(1990, 1, 1), date(1, 1, 1)])
def test_dates_before_2011_have_no_rule_set(day: date) -> None:
    assert date(2011, 1, 1) == EARLIEST_DATE
    with pytest.raises(NoRuleSet, match="2011-01-01"):
        rule_set_on(day)


def test_rule_sets_are_ordered_and_looked_up_by_code() -> None:
    starts = [rs.effective_from for rs in RULE_SETS]
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)
    for rs in RULE_SETS:
        assert rule_set_by_code(rs.code) is rs
        assert rule_set_on(rs.effective_from) is rs
    with pytest.raises(KeyError):
        rule_set_by_code("1-QĐ/TW")


def test_what_changes_between_rule_sets() -> None:
    rs232, rs294 = (rule_set_by_code(x) for x in ("232-QĐ/TW", "294-QĐ/TW"))
    # The numbers of domain.md are the same in every generation.
    for rs in RULE_SETS:
        assert (rs.min_age_months, rs.max_age_months) == (216, 720)
        assert rs.certificate_validity_months == 60
        assert (rs.vote_numerator, rs.vote_denominator) == (2, 3)
        assert rs.min_branch_official_members == 3
        assert (rs.decision_working_days, rs.ceremony_working_days) == (60, 30)
        assert rs.probation_months == 12
    assert not rs232.introducers_same_grassroots and rs294.introducers_same_grassroots
    assert rs232.has_district_level and not rs294.has_district_level
    assert "district" in rs232.competent_kinds and "district" not in rs294.competent_kinds
    assert rs294.guidance.startswith("Hướng dẫn 06-HD/TW")


# ---------------------------------------------------------------- through the workflow


@pytest.mark.parametrize(("boundary", "before", "after"), BOUNDARIES)
def test_a_nomination_records_the_rule_set_of_its_date(
    boundary: date, before: str, after: str
) -> None:
    world = make_world()
    early = open_candidacy(world, nominated_on=boundary - timedelta(days=1))
    late = open_candidacy(world, nominated_on=boundary)
    assert world.app.candidacy(early).history[0].rule_set == before
    assert world.app.candidacy(late).history[0].rule_set == after
    # The checks recorded on the event name the same rule set.
    assert {ch.rule_set for ch in world.app.candidacy(late).history[0].checks} == {after}


@pytest.mark.parametrize(("boundary", "before", "after"), BOUNDARIES)
def test_each_step_records_the_rule_set_of_its_own_date(
    boundary: date, before: str, after: str
) -> None:
    world = make_world()
    cid = open_candidacy(world, nominated_on=boundary - timedelta(days=10), upto=0)
    state = assert_accepted(
        world.app, cid, c.EnrolInClass(enrolled_on=boundary - timedelta(days=1))
    )
    assert state.history[-1].rule_set == before
    state = assert_accepted(
        world.app, cid, c.RecordCertificate(issued_on=boundary, number="CN-1", issuer="TTCT")
    )
    assert state.history[-1].rule_set == after
    assert state.history[0].rule_set == before


def test_a_nomination_before_2011_is_refused_with_no_rule_set() -> None:
    world = make_world()
    data = {
        "person": Person.model_validate(person(date_of_birth="1980-01-01")),
        "branch_id": world.tree.branch,
        "nominated_by": "branch",
    }
    envelope = Envelope(
        recorded_at=world.clock(), actor="admin@test", role="admin", request_id="r1"
    )
    with pytest.raises(DomainError) as caught:
        nominate(uuid4(), envelope, CALENDAR, nominated_on=date(2010, 12, 31), **data)
    assert caught.value.rule == "no_rule_set"
    event = nominate(uuid4(), envelope, CALENDAR, nominated_on=EARLIEST_DATE, **data)
    assert event.rule_set == "45-QĐ/TW"
    # Through the application the branch (founded 2011-01-01 at the earliest) is checked
    # first, and nothing is stored either way.
    command = c.Nominate(
        person=data["person"],
        branch_id=world.tree.branch,
        nominated_by="branch",
        nominated_on=date(2010, 12, 31),
    )
    assert_nomination_refused(world.app, command, "unit_not_in_force")
    accepted = world.app.nominate(command.model_copy(update={"nominated_on": EARLIEST_DATE}), ADMIN)
    assert accepted.history[0].rule_set == "45-QĐ/TW"


def test_a_step_dated_before_2011_is_refused_with_no_rule_set() -> None:
    world = make_world()
    cid = open_candidacy(world, nominated_on=date(2011, 1, 3), date_of_birth="1980-01-01")
    error = assert_refused(
        world.app, cid, c.EnrolInClass(enrolled_on=date(2010, 12, 31)), "no_rule_set"
    )
    assert isinstance(error, DomainError)


# ---------------------------------------------------------------- Quy định 294: same unit


@pytest.mark.parametrize(
    ("introduced_on", "outcome"),
    [(date(2025, 6, 30), "232-QĐ/TW"), (date(2025, 7, 1), "introducer_not_in_same_unit")],
)
def test_under_294_introducers_must_be_under_the_same_grassroots(
    introduced_on: date, outcome: str
) -> None:
    world = make_world()
    app, tree = world.app, world.tree
    # Another grassroots committee under the same commune, with an official member.
    other_grassroots = found_unit(app, "DU02", "grassroots_committee", tree.commune)
    other_branch = found_unit(app, "CB03", "branch", other_grassroots)
    outsider = register_member(app, other_branch)
    cid = open_candidacy(
        world, nominated_on=date(2025, 4, 1), start=date(2025, 4, 10), upto=INTRODUCERS
    )
    assert app.candidacy(cid).application_on is not None
    known = date(2023, 1, 1)
    command = introducers((tree.officials[0], known), (outsider, known), on=introduced_on)
    if outcome == "introducer_not_in_same_unit":
        error = assert_refused(app, cid, command, outcome)
        assert str(outsider) in error.detail
        # The same case with two members of the candidate's own grassroots is accepted.
        ok = introducers((tree.officials[0], known), (tree.officials[1], known), on=introduced_on)
        state = assert_accepted(app, cid, ok)
        assert state.history[-1].rule_set == "294-QĐ/TW"
    else:
        state = assert_accepted(app, cid, command)
        assert state.history[-1].rule_set == outcome
        recorded = {i.member_id: i.same_grassroots for i in state.introducers}
        assert recorded == {tree.officials[0]: True, outsider: False}


def test_a_member_of_another_branch_of_the_same_grassroots_may_introduce_under_294() -> None:
    world = make_world()
    app, tree = world.app, world.tree
    neighbour = register_member(app, tree.other_branch)
    cid = open_candidacy(
        world, nominated_on=date(2025, 4, 1), start=date(2025, 4, 10), upto=INTRODUCERS
    )
    known = date(2023, 1, 1)
    state = assert_accepted(
        app, cid, introducers((tree.officials[0], known), (neighbour, known), on=date(2025, 7, 2))
    )
    assert all(i.same_grassroots for i in state.introducers)
