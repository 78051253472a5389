"""Every step in its order in time (ADR 0012): a step dated before the step it follows is
refused (409 ``date_order`` or a more specific code) and nothing is appended; on the same
day it is accepted. A correction that would move a step before the step it follows, or
after the step that follows it, is refused the same way. The state "as of day D" never
shows a stage that could not have existed on D.

The happy path of ``tests.scenario`` runs from 2023-02-01: enrolment 02-01, certificate
03-03, application 03-10, biography 03-15, introducers 03-20, verification request 03-25,
result 04-24, biography certified 04-29, branch vote 05-09, committee vote 05-19, decision
06-08, ceremony 06-22, new-member class 08-21, recognition vote 2024-06-25, decision
2024-07-12.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.candidacy import events as ev
from domain.candidacy.decide import out_of_order
from domain.candidacy.events import effective_events, replay, state_as_of
from domain.candidacy.order import ORDER
from domain.candidacy.state import Stage
from domain.errors import DomainError
from domain.values import Person
from tests.scenario import ADMIN, nominate
from tests.unit.helpers import (
    APPLICATION,
    BIOGRAPHY,
    BRANCH_VOTE,
    CEREMONY,
    CERTIFICATE,
    CERTIFY,
    DECISION,
    ENROL,
    GRASSROOTS_VOTE,
    INTRODUCERS,
    NEW_MEMBER_CLASS,
    RECOGNITION_VOTE,
    VERIFY_REQUEST,
    VERIFY_RESULT,
    World,
    assert_accepted,
    assert_refused,
    make_world,
    open_candidacy,
    snapshot,
    steps,
    version_of,
)
from workflows import commands as c

DATE_FIELDS = (
    "enrolled_on",
    "issued_on",
    "submitted_on",
    "introduced_on",
    "requested_on",
    "recorded_on",
    "certified_on",
    "held_on",
    "decided_on",
    "completed_on",
)


def date_field(command: c.Command) -> str:
    """The field that dates a command of the happy path."""
    return next(name for name in DATE_FIELDS if getattr(command, name, None) is not None)


def dated(command: c.Command, day: date) -> c.Command:
    return command.model_copy(update={date_field(command): day})


def day_of(command: c.Command) -> date:
    value = getattr(command, date_field(command))
    assert isinstance(value, date)
    return value


@pytest.fixture
def world() -> World:
    return make_world()


# ------------------------------------------------------------ the four cases of the issue


@pytest.mark.parametrize(
    ("step", "day", "other_step", "other_day"),
    [
        # a certificate issued before the class enrolment (2023-02-01)
        (CERTIFICATE, date(2023, 1, 31), "class enrolment", date(2023, 2, 1)),
        # a biography certified before the last verification result (2023-04-24)
        (CERTIFY, date(2023, 4, 23), "verification requests and results", date(2023, 4, 24)),
        # a branch vote before the biography certification (2023-04-29)
        (BRANCH_VOTE, date(2023, 4, 28), "biography certification", date(2023, 4, 29)),
        # a grassroots committee vote before the branch vote (2023-05-09)
        (GRASSROOTS_VOTE, date(2023, 5, 8), "branch resolution", date(2023, 5, 9)),
    ],
)
def test_a_step_before_the_step_it_follows_is_refused_naming_both(
    world: World, step: int, day: date, other_step: str, other_day: date
) -> None:
    cid = open_candidacy(world, upto=step)
    command = dated(steps(world.tree)[step], day)
    error = assert_refused(world.app, cid, command, "date_order")
    assert day.isoformat() in error.detail and other_day.isoformat() in error.detail
    assert other_step in error.detail
    # The same day as the step it follows is accepted.
    assert_accepted(world.app, cid, dated(command, other_day))


def test_an_application_before_the_certificate_and_introducers_before_the_application(
    world: World,
) -> None:
    cid = open_candidacy(world, upto=APPLICATION)
    path = steps(world.tree)
    assert_refused(world.app, cid, dated(path[APPLICATION], date(2023, 3, 2)), "date_order")
    assert_accepted(world.app, cid, dated(path[APPLICATION], date(2023, 3, 3)))
    assert_accepted(world.app, cid, dated(path[BIOGRAPHY], date(2023, 3, 3)))
    assert_refused(world.app, cid, dated(path[INTRODUCERS], date(2023, 3, 2)), "date_order")


def test_a_verification_request_before_the_introducers_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=VERIFY_REQUEST)
    request = steps(world.tree)[VERIFY_REQUEST]
    error = assert_refused(world.app, cid, dated(request, date(2023, 3, 19)), "date_order")
    assert "introducers on 2023-03-20" in error.detail
    assert_accepted(world.app, cid, dated(request, date(2023, 3, 20)))


def test_a_decision_before_the_committee_resolution_and_a_ceremony_before_the_decision(
    world: World,
) -> None:
    cid = open_candidacy(world, upto=CEREMONY - 1)
    path = steps(world.tree)
    decision = path[CEREMONY - 1]
    assert_refused(world.app, cid, dated(decision, date(2023, 5, 18)), "date_order")
    assert_accepted(world.app, cid, dated(decision, date(2023, 5, 19)))
    # A ceremony before the decision keeps its own code (ADR 0003).
    assert_refused(world.app, cid, dated(path[CEREMONY], date(2023, 5, 18)), "ceremony_overdue")


def test_a_second_branch_vote_before_the_failed_first_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    vote = steps(world.tree)[BRANCH_VOTE]
    assert isinstance(vote, c.RecordBranchVote)
    assert_accepted(world.app, cid, vote.model_copy(update={"in_favour": 5}))  # failed
    error = assert_refused(world.app, cid, dated(vote, date(2023, 5, 8)), "date_order")
    assert "earlier branch vote on 2023-05-09" in error.detail
    assert_accepted(world.app, cid, vote)  # the same day again: a second attempt


def test_a_transfer_or_withdrawal_before_the_latest_step_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE + 1)  # the branch voted on 2023-05-09
    transfer = c.TransferCandidacy(
        to_branch_id=world.tree.other_branch, effective_on=date(2023, 5, 8)
    )
    error = assert_refused(world.app, cid, transfer, "date_order")
    assert "latest recorded step on 2023-05-09" in error.detail
    withdrawal = c.Withdraw(effective_on=date(2023, 5, 8), reason="chuyển công tác")
    assert_refused(world.app, cid, withdrawal, "date_order")
    assert_accepted(world.app, cid, transfer.model_copy(update={"effective_on": date(2023, 5, 9)}))
    # A later step cannot be dated before the transfer: it belongs to the receiving branch.
    grassroots = dated(steps(world.tree)[GRASSROOTS_VOTE], date(2023, 5, 9))
    assert_accepted(world.app, cid, grassroots)


# ------------------------------------------------------------ probation (issue 9 §4)


def test_the_new_member_class_is_completed_during_probation(world: World) -> None:
    cid = open_candidacy(world, upto=NEW_MEMBER_CLASS)  # the ceremony was on 2023-06-22
    course = steps(world.tree)[NEW_MEMBER_CLASS]
    error = assert_refused(world.app, cid, dated(course, date(2023, 6, 21)), "date_order")
    assert "admission ceremony on 2023-06-22" in error.detail
    assert_accepted(world.app, cid, dated(course, date(2023, 6, 22)))


def test_a_new_member_class_recorded_late_is_no_later_than_the_recognition_vote(
    world: World,
) -> None:
    path = steps(world.tree)
    cid = open_candidacy(world, upto=NEW_MEMBER_CLASS)
    vote = path[RECOGNITION_VOTE]
    assert_accepted(world.app, cid, vote)  # held 2024-06-25, before the class was recorded
    course = path[NEW_MEMBER_CLASS]
    error = assert_refused(world.app, cid, dated(course, date(2024, 6, 26)), "date_order")
    assert "recognition vote on 2024-06-25" in error.detail
    assert_accepted(world.app, cid, dated(course, date(2024, 6, 25)))


def test_a_recognition_vote_before_the_new_member_class_is_refused(world: World) -> None:
    path = steps(world.tree)
    cid = open_candidacy(world, upto=RECOGNITION_VOTE)  # class completed 2023-08-21
    removal = c.RecordRecognitionVote(
        held_on=date(2023, 8, 20), eligible_official_members=9, in_favour=9, proposal="remove"
    )
    error = assert_refused(world.app, cid, removal, "date_order")
    assert "new-member class on 2023-08-21" in error.detail
    assert_accepted(world.app, cid, path[RECOGNITION_VOTE])


# ------------------------------------------------------------ corrections


def _correct(position: int, **changes: Any) -> c.CorrectRecord:
    return c.CorrectRecord(position=position, changes=changes, reason="ghi nhầm ngày")


def test_a_correction_cannot_move_a_step_before_the_step_it_follows(world: World) -> None:
    cid = open_candidacy(world, upto=GRASSROOTS_VOTE + 1)
    # The certificate (2023-03-03) moved before the enrolment (2023-02-01).
    error = assert_refused(
        world.app, cid, _correct(version_of(CERTIFICATE), issued_on="2023-01-31"), "date_order"
    )
    assert "class enrolment on 2023-02-01" in error.detail
    assert_accepted(world.app, cid, _correct(version_of(CERTIFICATE), issued_on="2023-02-01"))


def test_a_correction_cannot_move_a_step_after_the_step_that_follows_it(world: World) -> None:
    cid = open_candidacy(world, upto=GRASSROOTS_VOTE + 1)
    # The biography certification (2023-04-29) moved after the branch vote (2023-05-09).
    error = assert_refused(
        world.app, cid, _correct(version_of(CERTIFY), certified_on="2023-05-10"), "date_order"
    )
    assert "2023-05-10" in error.detail and "2023-05-09" in error.detail
    assert_accepted(world.app, cid, _correct(version_of(CERTIFY), certified_on="2023-05-09"))


def _legacy_history() -> tuple[ev.CandidacyEvent, ...]:
    """A history recorded before ADR 0012: the certificate is dated before the enrolment."""
    envelope: dict[str, Any] = {
        "actor": "legacy",
        "role": "board",
        "request_id": "r",
        "timestamp": datetime(2024, 1, 1, tzinfo=UTC),
        "rule_set": "24-QĐ/TW",
    }
    cid = uuid4()
    nominated = ev.CandidateNominated(
        originator_id=cid,
        originator_version=1,
        person=Person.model_validate(
            {
                "full_name": "Lê Văn Cũ",
                "sex": "male",
                "date_of_birth": "1995-01-01",
                "ethnicity": "Kinh",
                "youth_union_member": False,
                "education": "university",
            }
        ),
        branch_id=uuid4(),
        nominated_by="branch",
        nominated_on=date(2023, 1, 2),
        **envelope,
    )
    enrolled = ev.ClassEnrolled(
        originator_id=cid, originator_version=2, enrolled_on=date(2023, 3, 1), **envelope
    )
    certified = ev.CertificateRecorded(
        originator_id=cid,
        originator_version=3,
        issued_on=date(2023, 2, 1),
        number="CN-1",
        issuer="TTCT",
        **envelope,
    )
    return (nominated, enrolled, certified)


def test_the_state_as_of_a_day_never_shows_a_stage_that_could_not_exist_then() -> None:
    history = _legacy_history()
    assert replay(history).stage == Stage.CERTIFIED  # as recorded
    between = state_as_of(history, date(2023, 2, 15))
    assert between is not None
    # On 15 February neither the enrolment (1 March) nor so the certificate could count.
    assert between.stage == Stage.SOURCE_POOL and between.certificate is None
    after = state_as_of(history, date(2023, 3, 1))
    assert after is not None and after.stage == Stage.CERTIFIED
    assert out_of_order(effective_events(history)) == frozenset({3})


def test_a_legacy_out_of_order_step_does_not_block_an_unrelated_correction() -> None:
    from domain.candidacy.decide import correct
    from domain.events import Envelope
    from tests.unit.helpers import CALENDAR

    history = _legacy_history()
    state = replay(history)
    envelope = Envelope(
        recorded_at=datetime(2024, 2, 1, tzinfo=UTC), actor="a", role="board", request_id="r"
    )
    fixed = correct(
        state,
        envelope,
        CALENDAR,
        corrected_on=date(2024, 2, 1),
        position=3,
        changes={"number": "CN-2"},
        reason="số ghi nhầm",
    )
    assert fixed.changes == {"number": "CN-2"}
    # Restating that step's date must bring it into order.
    with pytest.raises(DomainError) as refused:
        correct(
            state,
            envelope,
            CALENDAR,
            corrected_on=date(2024, 2, 1),
            position=3,
            changes={"issued_on": "2023-02-02"},
            reason="ngày ghi nhầm",
        )
    assert refused.value.rule == "date_order"


def test_every_step_of_a_candidacy_is_in_the_order_table() -> None:
    recordable = {
        cls.__name__
        for cls in vars(ev).values()
        if isinstance(cls, type)
        and issubclass(cls, ev.CandidacyEvent)
        and cls.allowed_stages
        and not cls.__name__.startswith("_")
        and cls not in (ev.CandidacyEvent, ev.Corrected)
    }
    assert recordable == set(ORDER)


# ------------------------------------------------------------ the property


# The step each happy-path step follows in time (index into ``steps``): the one whose date
# bounds it from below in the order table.
FOLLOWS = {
    CERTIFICATE: ENROL,
    APPLICATION: CERTIFICATE,
    BIOGRAPHY: APPLICATION,
    INTRODUCERS: APPLICATION,
    VERIFY_REQUEST: INTRODUCERS,
    VERIFY_RESULT: VERIFY_REQUEST,
    CERTIFY: VERIFY_RESULT,
    BRANCH_VOTE: CERTIFY,
    GRASSROOTS_VOTE: BRANCH_VOTE,
    DECISION: GRASSROOTS_VOTE,
    CEREMONY: DECISION,
    NEW_MEMBER_CLASS: CEREMONY,
}


def _path(world: World, gaps: list[int]) -> list[c.Command]:
    """The happy path with each step ``gap`` days after the step before it."""
    path = steps(world.tree, date(2023, 2, 1))[: NEW_MEMBER_CLASS + 1]
    day = date(2023, 2, 1)
    out = []
    for i, (command, gap) in enumerate(zip(path, gaps, strict=False)):
        day = day if i == 0 else day + timedelta(days=gap)
        out.append(dated(command, day))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    gaps=st.lists(st.integers(0, 25), min_size=NEW_MEMBER_CLASS + 1, max_size=NEW_MEMBER_CLASS + 1),
    step=st.sampled_from(sorted(FOLLOWS)),
    back=st.integers(1, 40),
    by_correction=st.booleans(),
)
def test_a_step_moved_before_its_predecessor_is_always_refused(
    gaps: list[int], step: int, back: int, by_correction: bool
) -> None:
    world = make_world()
    path = _path(world, gaps)
    cid = nominate(world.app, world.tree, on=date(2023, 1, 10))
    moved_to = day_of(path[FOLLOWS[step]]) - timedelta(days=back)
    command: c.Command
    if by_correction:
        for recorded in path:
            world.app.execute(cid, recorded, ADMIN)
        command = _correct(version_of(step), **{date_field(path[step]): moved_to.isoformat()})
    else:
        for recorded in path[:step]:
            world.app.execute(cid, recorded, ADMIN)
        command = dated(path[step], moved_to)
    before = snapshot(world.app, cid)
    with pytest.raises(DomainError):
        world.app.execute(cid, command, ADMIN)
    assert snapshot(world.app, cid) == before  # nothing appended, anywhere


def test_a_correction_cannot_make_the_candidate_born_after_or_too_young_at_nomination(
    world: World,
) -> None:
    cid = open_candidacy(world, upto=2)
    born_late = {
        **world.app.candidacy(cid).person.model_dump(mode="json"),
        "date_of_birth": "2024-02-01",
    }
    assert_refused(world.app, cid, _correct(1, person=born_late), "born_after_nomination")
    # Born 2000-05-01: a nomination in 2012 would be at eleven.
    assert_refused(
        world.app, cid, _correct(1, nominated_on="2012-01-02"), "too_young_at_nomination"
    )


def test_a_committee_vote_before_the_sub_unit_appraisal_names_the_appraisal(world: World):
    cid = open_candidacy(world, upto=GRASSROOTS_VOTE)  # branch vote on 2023-05-09
    assert_accepted(world.app, cid, c.RecordSubunitAppraisal(appraised_on=date(2023, 5, 12)))
    vote = dated(steps(world.tree)[GRASSROOTS_VOTE], date(2023, 5, 11))
    error = assert_refused(world.app, cid, vote, "date_order")
    assert "sub-unit appraisal on 2023-05-12" in error.detail


def test_as_of_a_day_a_stored_out_of_order_vote_waits_for_what_it_followed() -> None:
    """Recorded before ADR 0012: biography certified 04-29, then a branch vote dated 04-28,
    then a committee vote dated 04-27. As of 04-27 or 04-28 neither vote had happened."""
    cid = uuid4()
    envelope: dict[str, Any] = {
        "actor": "legacy",
        "role": "board",
        "request_id": "r",
        "timestamp": datetime(2024, 1, 1, tzinfo=UTC),
        "rule_set": "24-QĐ/TW",
    }
    person = Person.model_validate(
        {
            "full_name": "Lê Văn Cũ",
            "sex": "male",
            "date_of_birth": "1995-01-01",
            "ethnicity": "Kinh",
            "youth_union_member": False,
            "education": "university",
        }
    )
    steps_: list[ev.CandidacyEvent] = [
        ev.CandidateNominated(
            person=person,
            branch_id=uuid4(),
            nominated_by="branch",
            nominated_on=date(2023, 1, 2),
            **_at(cid, 1, envelope),
        ),
        ev.ClassEnrolled(enrolled_on=date(2023, 1, 10), **_at(cid, 2, envelope)),
        ev.CertificateRecorded(
            issued_on=date(2023, 2, 10), number="CN", issuer="TTCT", **_at(cid, 3, envelope)
        ),
        ev.ApplicationSubmitted(submitted_on=date(2023, 2, 15), **_at(cid, 4, envelope)),
        ev.VerificationRequested(
            subject="candidate",
            requested_on=date(2023, 3, 1),
            field_check_needed=False,
            **_at(cid, 5, envelope),
        ),
        ev.BiographyCertified(certified_on=date(2023, 4, 29), **_at(cid, 6, envelope)),
        ev.BranchVoteHeld(
            held_on=date(2023, 4, 28), eligible=9, in_favour=9, **_at(cid, 7, envelope)
        ),
        ev.GrassrootsVoteHeld(
            held_on=date(2023, 4, 27), eligible=7, in_favour=7, **_at(cid, 8, envelope)
        ),
    ]
    history = tuple(steps_)
    assert replay(history).stage == Stage.AWAITING_DECISION
    for day in (date(2023, 4, 27), date(2023, 4, 28)):
        then = state_as_of(history, day)
        assert then is not None and then.stage == Stage.VERIFICATION, day
        assert then.branch_resolution_on is None and then.votes == ()
    done = state_as_of(history, date(2023, 4, 29))
    assert done is not None and done.stage == Stage.AWAITING_DECISION


def _at(cid: Any, version: int, envelope: dict[str, Any]) -> dict[str, Any]:
    return {"originator_id": cid, "originator_version": version, **envelope}
