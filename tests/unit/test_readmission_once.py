"""Re-admission is once only (domain.md), and the person is never counted twice: the
nomination records on the roster that the earlier membership ended, when the roster did not
know it yet, and the admission marks the earlier membership as re-admitted (ADR 0012)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.member_ids import member_id_for
from tests.scenario import ADMIN, drive, path_to_official, person
from tests.unit.helpers import (
    CEREMONY,
    World,
    assert_nomination_refused,
    make_world,
    register_member,
)
from workflows import commands as c

LEFT_ON = date(2018, 6, 1)


@pytest.fixture
def world() -> World:
    return make_world()


def _readmit(
    world: World, previous: object, on: date = date(2021, 6, 1), **facts: object
) -> c.Nominate:
    return c.Nominate(
        person=person(date_of_birth="1980-01-01"),
        branch_id=world.tree.branch,
        nominated_by="branch",
        nominated_on=on,
        helper_member_id=world.tree.officials[0],
        readmission=c.ReadmissionFacts(
            previous_member_id=previous, consent_reference="12-CV/TU", **facts
        ),
    )


def test_the_nomination_records_that_the_earlier_membership_ended(world: World) -> None:
    app = world.app
    earlier = register_member(
        app, world.tree.branch, admitted_on=date(2005, 3, 1), official_on=date(2006, 3, 1)
    )
    assert len(app.roster.official_members(world.tree.branch, date(2021, 6, 1))) == 10
    app.nominate(_readmit(world, earlier, left_on=LEFT_ON, left_reason="moved_abroad"), ADMIN)
    left = app.member(earlier)
    assert left.status == "left" and left.left_on == LEFT_ON and left.left_reason == "moved_abroad"
    # The person is no longer counted as an official member of the branch.
    assert len(app.roster.official_members(world.tree.branch, date(2021, 6, 1))) == 9
    assert len(app.roster.official_members(world.tree.branch, date(2018, 5, 31))) == 10


def test_a_leaving_date_the_roster_contradicts_is_refused(world: World) -> None:
    app = world.app
    earlier = register_member(app, world.tree.branch)
    app.nominate(_readmit(world, earlier, left_on=LEFT_ON, left_reason="moved_abroad"), ADMIN)
    again = _readmit(
        world, earlier, on=date(2021, 7, 1), left_on=date(2017, 1, 1), left_reason="moved_abroad"
    )
    error = assert_nomination_refused(app, again, "readmission_not_allowed")
    assert "left on 2018-06-01" in error.detail


def test_the_earlier_membership_cannot_lead_to_a_second_readmission(world: World) -> None:
    app = world.app
    earlier = register_member(app, world.tree.branch)
    cid = app.nominate(
        _readmit(world, earlier, left_on=LEFT_ON, left_reason="moved_abroad"), ADMIN
    ).id
    drive(app, cid, path_to_official(world.tree, date(2021, 7, 1)), upto=CEREMONY)
    assert app.member(earlier).readmitted_as == member_id_for(cid)
    assert app.member(member_id_for(cid)).readmitted
    for previous in (earlier, member_id_for(cid)):
        error = assert_nomination_refused(
            app, _readmit(world, previous, on=date(2026, 6, 1)), "readmission_not_allowed"
        )
        assert "once" in error.detail
