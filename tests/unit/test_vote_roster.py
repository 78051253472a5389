"""Votes counted against the roster (ADR 0012): a branch vote counts the branch's official
members on the vote's day as the roster has them, less the members the regulations leave
out (temporarily transferred away; exempt from activities and absent); ``branch_too_small``
and 2/3 come from that figure; an override (reason and document) stands in where the
roster is not loaded, and is recorded, shown and listed as a departure.

The scenario branch has 9 official members (official since 2001); the branch vote of the
happy path is held on 2023-05-09 and the recognition vote on 2024-06-25.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.candidacy import events as ev
from domain.candidacy.state import Stage
from domain.compliance import deadline_compliance
from domain.values import DocumentRef, Period
from tests.scenario import ADMIN
from tests.unit.helpers import (
    BRANCH_VOTE,
    CALENDAR,
    RECOGNITION_VOTE,
    World,
    assert_accepted,
    assert_refused,
    branch_vote,
    make_world,
    open_candidacy,
    register_member,
    steps,
)
from workflows import commands as c

VOTE_ON = date(2023, 5, 9)
OVERRIDE = c.RosterOverrideIn(
    reason="Nhập hồ sơ cũ: danh sách chi bộ chưa nhập",
    document=DocumentRef(form="6-KNĐ", number="03-NQ/CB", dated=VOTE_ON),
)


@pytest.fixture
def world() -> World:
    return make_world()


def _excluded(world: World, *reasons: str) -> list[c.ExcludedMemberRef]:
    officials = world.tree.officials
    return [
        c.ExcludedMemberRef(member_id=officials[-1 - i], reason=reason)
        for i, reason in enumerate(reasons)
    ]


@pytest.mark.parametrize(("eligible", "refused"), [(8, True), (9, False), (10, True)])
def test_the_eligible_count_must_equal_the_roster(world: World, eligible: int, refused: bool):
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    command = branch_vote(VOTE_ON, eligible=eligible, in_favour=eligible)
    if refused:
        error = assert_refused(world.app, cid, command, "eligible_count_mismatch")
        assert f"counts {eligible} eligible" in error.detail
        assert "roster has 9 official members" in error.detail and "2023-05-09" in error.detail
    else:
        state = assert_accepted(world.app, cid, command)
        vote = state.history[-1]
        assert isinstance(vote, ev.BranchVoteHeld) and vote.roster_official_members == 9
        check = next(ch for ch in vote.checks if ch.rule == "eligible_count_mismatch")
        assert check.passed and check.params == {"eligible": 9, "roster": 9, "excluded": 0}


def test_members_left_out_by_the_regulations_are_not_counted(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    excluded = _excluded(world, "temporarily_transferred", "exempt_and_absent")
    # Counting them is refused; 9 less 2 is accepted, and 2/3 is of the 7.
    assert_refused(
        world.app,
        cid,
        branch_vote(VOTE_ON, 9, 9, excluded_members=excluded),
        "eligible_count_mismatch",
    )
    state = assert_accepted(world.app, cid, branch_vote(VOTE_ON, 7, 5, excluded_members=excluded))
    assert state.stage == Stage.BRANCH_APPROVED  # 5 of 7 reaches 2/3
    vote = state.history[-1]
    assert isinstance(vote, ev.BranchVoteHeld)
    assert [x.reason for x in vote.excluded_members] == [
        "temporarily_transferred",
        "exempt_and_absent",
    ]


def test_four_of_seven_after_exclusions_fails_against_the_roster_figure(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    excluded = _excluded(world, "temporarily_transferred", "exempt_and_absent")
    state = assert_accepted(world.app, cid, branch_vote(VOTE_ON, 7, 4, excluded_members=excluded))
    assert state.stage == Stage.VERIFICATION and state.failed_branch_votes == 1


def test_only_official_members_of_the_branch_can_be_excluded(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    elsewhere = register_member(world.app, world.tree.other_branch)
    stranger = [c.ExcludedMemberRef(member_id=elsewhere, reason="temporarily_transferred")]
    error = assert_refused(
        world.app,
        cid,
        branch_vote(VOTE_ON, 8, 8, excluded_members=stranger),
        "excluded_not_official",
    )
    assert str(elsewhere) in error.detail
    twice = [*_excluded(world, "exempt_and_absent")] * 2
    with pytest.raises(ValueError, match="more than once"):
        branch_vote(VOTE_ON, 7, 7, excluded_members=twice)


def test_the_roster_as_it_stood_on_the_vote_day(world: World) -> None:
    """A member official from the day after the vote does not count; one official on the
    vote's day does; a member of another branch never does."""
    register_member(
        world.app, world.tree.branch, admitted_on=date(2022, 5, 10), official_on=date(2023, 5, 10)
    )
    register_member(
        world.app,
        world.tree.branch,
        status="probationary",
        admitted_on=date(2022, 11, 1),
        official_on=None,
    )
    register_member(world.app, world.tree.other_branch)
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    assert_refused(world.app, cid, branch_vote(VOTE_ON, 10, 10), "eligible_count_mismatch")
    assert_accepted(world.app, cid, branch_vote(VOTE_ON, 9, 9))
    register_member(world.app, world.tree.branch, admitted_on=date(2022, 5, 9), official_on=VOTE_ON)
    assert world.app.roster.official_members(world.tree.branch, VOTE_ON) != []
    assert len(world.app.roster.official_members(world.tree.branch, VOTE_ON)) == 10


@pytest.mark.parametrize(("officials", "refused"), [(2, True), (3, False)])
def test_branch_too_small_is_decided_from_the_roster(officials: int, refused: bool) -> None:
    world = make_world(officials=officials)
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    if refused:
        assert_refused(world.app, cid, branch_vote(VOTE_ON, 2, 2), "branch_too_small")
        return
    # Three on the roster, one exempt and absent: the branch is large enough, 2 of 2 pass.
    excluded = _excluded(world, "exempt_and_absent")
    state = assert_accepted(world.app, cid, branch_vote(VOTE_ON, 2, 2, excluded_members=excluded))
    assert state.stage == Stage.BRANCH_APPROVED


def test_an_override_counts_as_given_is_recorded_and_listed_as_a_departure(world: World):
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    state = assert_accepted(world.app, cid, branch_vote(VOTE_ON, 11, 10, roster_override=OVERRIDE))
    vote = state.history[-1]
    assert isinstance(vote, ev.BranchVoteHeld)
    # The roster's figure is recorded beside the override, for the inspector.
    assert vote.roster_official_members == 9 and vote.roster_override is not None
    assert vote.roster_override.reason == OVERRIDE.reason
    check = next(ch for ch in vote.checks if ch.rule == "roster_override")
    assert check.passed and "03-NQ/CB" in check.detail
    report = deadline_compliance(
        [world.app.candidacy(cid)],
        organisation_id=world.tree.province,
        period=Period.parse("2023"),
        today=date(2026, 11, 1),
        calendar=CALENDAR,
        in_unit=lambda branch, day: True,
    )
    assert [
        (d.candidacy_id, d.step, d.on, d.reason, d.eligible, d.roster_official_members)
        for d in report.departures
    ] == [(cid, "BranchVoteHeld", VOTE_ON, OVERRIDE.reason, 11, 9)]
    other_year = deadline_compliance(
        [world.app.candidacy(cid)],
        organisation_id=world.tree.province,
        period=Period.parse("2024"),
        today=date(2026, 11, 1),
        calendar=CALENDAR,
        in_unit=lambda branch, day: True,
    )
    assert other_year.departures == []


def test_an_override_with_too_few_members_is_still_too_small(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    assert_refused(
        world.app, cid, branch_vote(VOTE_ON, 2, 2, roster_override=OVERRIDE), "branch_too_small"
    )


def test_the_recognition_vote_counts_against_the_roster_too(world: World) -> None:
    path = steps(world.tree)
    cid = open_candidacy(world, upto=RECOGNITION_VOTE)
    vote = path[RECOGNITION_VOTE]
    assert isinstance(vote, c.RecordRecognitionVote)
    short = vote.model_copy(update={"eligible_official_members": 8, "in_favour": 8})
    assert_refused(world.app, cid, short, "eligible_count_mismatch")
    # The candidate is probationary: not counted among the official members.
    state = assert_accepted(world.app, cid, vote)
    recorded = state.history[-1]
    assert isinstance(recorded, ev.RecognitionVoteHeld) and recorded.roster_official_members == 9


def test_a_correction_cannot_restate_what_the_roster_gave(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE + 1)
    position = BRANCH_VOTE + 2
    for field, value in (("roster_official_members", 10), ("roster_override", None)):
        command = c.CorrectRecord(position=position, changes={field: value}, reason="sửa")
        error = assert_refused(world.app, cid, command, "invalid_correction")
        assert "came from the roster or the tree" in error.detail
    # The eligible count is the vote's own: restating it is re-checked against the roster.
    command = c.CorrectRecord(position=position, changes={"eligible": 10}, reason="đếm lại")
    assert_refused(world.app, cid, command, "eligible_count_mismatch")


def test_a_vote_recorded_before_the_roster_rule_keeps_its_payload_and_hash() -> None:
    """Older votes carry no roster fields: their payload (and so the hash chain) is what
    was stored, and they replay without a roster check."""
    from datetime import UTC, datetime

    vote = ev.BranchVoteHeld(
        originator_id=uuid4(),
        originator_version=10,
        timestamp=datetime(2024, 1, 1, tzinfo=UTC),
        actor="a",
        role="board",
        request_id="r",
        rule_set="24-QĐ/TW",
        held_on=VOTE_ON,
        eligible=9,
        in_favour=8,
    )
    payload = vote.payload()
    assert not {"roster_official_members", "excluded_members", "roster_override"} & set(payload)
    assert [ch.rule for ch in vote.roster_checks()] == ["branch_too_small", "no_eligible_members"]
    decided = ev.AdmissionDecided(
        originator_id=uuid4(),
        originator_version=12,
        timestamp=datetime(2024, 1, 1, tzinfo=UTC),
        actor="a",
        role="board",
        request_id="r",
        rule_set="24-QĐ/TW",
        decided_on=VOTE_ON,
        deciding_body_id=uuid4(),
        decision="admit",
    )
    assert "member_id" not in decided.payload()


def test_an_override_cannot_make_a_small_branch_large_enough() -> None:
    """The override's count stands for the branch: exclusions cannot be added to it, and a
    count under three is too small whatever the roster."""
    world = make_world(officials=2)
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    assert_refused(
        world.app, cid, branch_vote(VOTE_ON, 2, 2, roster_override=OVERRIDE), "branch_too_small"
    )
    with pytest.raises(ValueError, match="cannot be combined"):
        branch_vote(
            VOTE_ON,
            2,
            2,
            roster_override=OVERRIDE,
            excluded_members=[c.ExcludedMemberRef(member_id=uuid4(), reason="exempt_and_absent")],
        )
    with pytest.raises(ValueError, match="at least 1 character"):
        c.RosterOverrideIn(reason="   ", document=OVERRIDE.document)


def test_an_override_document_dated_after_today_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    later = OVERRIDE.model_copy(
        update={"document": DocumentRef(form="6-KNĐ", number="9", dated=date(2030, 1, 1))}
    )
    assert_refused(
        world.app, cid, branch_vote(VOTE_ON, 9, 9, roster_override=later), "roster_override"
    )


def test_a_vote_with_nobody_eligible_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    everyone = [
        c.ExcludedMemberRef(member_id=m, reason="exempt_and_absent") for m in world.tree.officials
    ]
    assert_refused(
        world.app, cid, branch_vote(VOTE_ON, 0, 0, excluded_members=everyone), "no_eligible_members"
    )


def test_restating_a_votes_date_counts_the_roster_of_the_new_day(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    assert_accepted(world.app, cid, branch_vote(VOTE_ON, 9, 8))
    # A tenth official from 2023-05-12: a vote dated then must count ten.
    register_member(
        world.app, world.tree.branch, admitted_on=date(2022, 5, 12), official_on=date(2023, 5, 12)
    )
    position = BRANCH_VOTE + 2
    moved = c.CorrectRecord(position=position, changes={"held_on": "2023-05-12"}, reason="sai ngày")
    error = assert_refused(world.app, cid, moved, "eligible_count_mismatch")
    assert "roster has 10" in error.detail and "2023-05-12" in error.detail
    both = c.CorrectRecord(
        position=position,
        changes={"held_on": "2023-05-12", "eligible": 10, "in_favour": 9},
        reason="sai ngày và số",
    )
    state = assert_accepted(world.app, cid, both)
    correction = state.history[-1]
    assert isinstance(correction, ev.Corrected)
    assert correction.changes["roster_official_members"] == 10  # looked up again, shown
    # An unrelated correction of the vote keeps the figure it was recorded with.
    same_day = c.CorrectRecord(position=position, changes={"in_favour": 8}, reason="đếm lại")
    recount = assert_accepted(world.app, cid, same_day).history[-1]
    assert isinstance(recount, ev.Corrected)
    assert "roster_official_members" not in recount.changes


def test_a_probationary_member_with_an_official_date_is_refused_and_not_counted() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        c.RegisterMember(
            full_name="B",
            branch_id=uuid4(),
            status="probationary",
            admitted_on=date(2000, 1, 1),
            official_on=date(2001, 1, 1),
            sex="male",
            date_of_birth=date(1970, 1, 1),
            ethnicity="Kinh",
        )
    assert refused.value.errors()[0]["loc"] == ("official_on",)
    with pytest.raises(ValidationError) as missing:
        c.RegisterMember(
            full_name="B",
            branch_id=uuid4(),
            status="official",
            admitted_on=date(2000, 1, 1),
            sex="male",
            date_of_birth=date(1970, 1, 1),
            ethnicity="Kinh",
        )
    assert missing.value.errors()[0]["loc"] == ("official_on",)


def test_a_member_who_joined_the_branch_later_is_not_counted_before(world: World) -> None:
    newcomer = c.RegisterMember(
        full_name="Đảng viên chuyển đến",
        branch_id=world.tree.branch,
        status="official",
        admitted_on=date(2010, 1, 1),
        official_on=date(2011, 1, 1),
        sex="female",
        date_of_birth=date(1985, 1, 1),
        ethnicity="Kinh",
        in_branch_since=date(2023, 6, 1),
    )
    world.app.register_member(newcomer, ADMIN)
    roster = world.app.roster
    assert len(roster.official_members(world.tree.branch, date(2023, 5, 31))) == 9
    assert len(roster.official_members(world.tree.branch, date(2023, 6, 1))) == 10


def test_a_board_keeps_the_roster_true_departures_and_transfers(world: World) -> None:
    app, tree = world.app, world.tree
    gone, moved = tree.officials[-1], tree.officials[-2]
    app.record_member_departure(
        gone, c.RecordMemberDeparture(left_on=date(2023, 3, 1), reason="died"), ADMIN
    )
    app.transfer_member(
        moved,
        c.TransferMember(to_branch_id=tree.other_branch, effective_on=date(2023, 4, 1)),
        ADMIN,
    )
    roster = app.roster
    assert len(roster.official_members(tree.branch, date(2023, 2, 28))) == 9
    assert len(roster.official_members(tree.branch, date(2023, 3, 1))) == 8  # left that day
    assert len(roster.official_members(tree.branch, date(2023, 4, 1))) == 7
    assert moved in roster.official_members(tree.other_branch, date(2023, 4, 1))
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    assert_refused(world.app, cid, branch_vote(VOTE_ON, 9, 9), "eligible_count_mismatch")
    assert_accepted(world.app, cid, branch_vote(VOTE_ON, 7, 6))
    from domain.errors import DomainError

    with pytest.raises(DomainError) as refused:
        later = c.TransferMember(to_branch_id=tree.other_branch, effective_on=date(2023, 5, 1))
        app.transfer_member(gone, later, ADMIN)
    assert refused.value.rule == "member_left"
    with pytest.raises(DomainError) as future:
        app.record_member_departure(
            moved, c.RecordMemberDeparture(left_on=date(2030, 1, 1), reason="resigned"), ADMIN
        )
    assert future.value.rule == "date_in_future"
