"""Every guard of a candidacy through the application: refused with its rule code and
nothing appended, or accepted; failed votes, escalation, probation and re-admission.

Unless a test says otherwise the candidacy follows ``tests.scenario.path_to_official``
from 2023-02-01: certificate 2023-03-03, application 2023-03-10, biography 2023-03-15,
introducers 2023-03-20, verification 2023-03-25/2023-04-24, biography certified
2023-04-29, branch vote 2023-05-09, grassroots vote 2023-05-19, decision 2023-06-08,
ceremony 2023-06-22. The clock stands at 2026-11-01 10:00 in Vietnam.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain.candidacy.state import Stage
from domain.errors import DomainError
from domain.member_ids import member_id_for
from tests.scenario import ADMIN, Tree, drive, nominate, path_to_official, person
from tests.unit.helpers import (
    APPLICATION,
    BIOGRAPHY,
    BRANCH_VOTE,
    CEREMONY,
    CERTIFY,
    DECISION,
    GRASSROOTS_VOTE,
    INTRODUCERS,
    RECOGNITION_VOTE,
    VERIFY_RESULT,
    World,
    assert_accepted,
    assert_nomination_refused,
    assert_refused,
    branch_vote,
    found_unit,
    introducers,
    make_world,
    open_candidacy,
    register_member,
    steps,
)
from workflows import commands as c

VOTE_ON = date(2023, 5, 9)
INTRODUCED_ON = date(2023, 3, 20)
DECIDED_ON = date(2023, 6, 8)


@pytest.fixture
def world() -> World:
    return make_world()


# ---------------------------------------------------------------- branch vote: 2/3


def test_six_of_nine_passes_the_branch_vote(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    state = assert_accepted(world.app, cid, branch_vote(VOTE_ON, eligible=9, in_favour=6))
    assert state.stage == Stage.BRANCH_APPROVED
    assert state.branch_resolution_on == VOTE_ON
    assert state.votes[-1].passed and state.failed_branch_votes == 0
    vote_check = next(ch for ch in state.history[-1].checks if ch.rule == "vote_threshold")
    assert vote_check.passed


def test_five_of_nine_is_recorded_as_a_failed_attempt_not_refused(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    state = assert_accepted(world.app, cid, branch_vote(VOTE_ON, eligible=9, in_favour=5))
    assert state.stage == Stage.VERIFICATION
    assert state.branch_resolution_on is None
    assert state.failed_branch_votes == 1
    assert state.escalated_on is None
    (vote,) = state.votes
    assert (vote.body, vote.passed, vote.attempt, vote.in_favour, vote.eligible) == (
        "branch",
        False,
        1,
        5,
        9,
    )
    vote_check = next(ch for ch in state.history[-1].checks if ch.rule == "vote_threshold")
    assert not vote_check.passed and not vote_check.blocking
    # The grassroots committee cannot take up a candidacy the branch did not approve.
    assert_refused(
        world.app,
        cid,
        c.RecordGrassrootsVote(held_on=date(2023, 5, 20), committee_members=7, in_favour=7),
        "wrong_stage",
    )


@pytest.mark.parametrize(
    ("eligible", "in_favour", "refused"), [(2, 2, True), (3, 2, False), (3, 3, False)]
)
def test_a_branch_needs_three_eligible_official_members(
    eligible: int, in_favour: int, refused: bool
) -> None:
    world = make_world(officials=eligible)  # the roster has exactly ``eligible`` officials
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    command = branch_vote(VOTE_ON, eligible=eligible, in_favour=in_favour)
    if refused:
        assert_refused(world.app, cid, command, "branch_too_small")
    else:
        assert assert_accepted(world.app, cid, command).stage == Stage.BRANCH_APPROVED


# ---------------------------------------------------------------- age on the vote date


@pytest.mark.parametrize(
    ("born", "consent", "rule"),
    [
        ("2005-06-09", None, "age_out_of_range"),  # 17 years 11 months on 2023-05-09
        ("2005-05-10", None, "age_out_of_range"),  # 18 tomorrow
        ("2005-05-09", None, None),  # exactly 18
        ("1963-05-09", None, None),  # exactly 60
        ("1963-04-10", None, None),  # 60 years 0 months 29 days
        ("1963-04-09", None, "age_out_of_range"),  # 60 years 1 month
        ("1963-04-09", "88-CV/TU", None),  # ... with the provincial consent
    ],
)
def test_age_on_the_vote_date(
    world: World, born: str, consent: str | None, rule: str | None
) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE, date_of_birth=born)
    command = branch_vote(VOTE_ON, age_consent_reference=consent)
    if rule:
        error = assert_refused(world.app, cid, command, rule)
        assert "2023-05-09" in error.detail
    else:
        state = assert_accepted(world.app, cid, command)
        age = next(ch for ch in state.history[-1].checks if ch.rule == "age_out_of_range")
        assert age.passed and age.params["consent_reference"] == consent


# ---------------------------------------------------------------- certificate age


@pytest.mark.parametrize(
    ("held_on", "rule"),
    [
        (date(2024, 2, 3), None),  # 59 months after 2019-03-03
        (date(2024, 3, 3), None),  # exactly 60 months: the last valid day
        (date(2024, 3, 4), "certificate_expired"),  # the day after
        (date(2024, 4, 3), "certificate_expired"),  # 61 months
    ],
)
def test_certificate_at_most_sixty_months_old_on_the_vote_date(
    world: World, held_on: date, rule: str | None
) -> None:
    cid = open_candidacy(
        world, nominated_on=date(2019, 1, 10), start=date(2019, 2, 1), upto=BRANCH_VOTE
    )
    certificate = world.app.candidacy(cid).certificate
    assert certificate is not None and certificate.issued_on == date(2019, 3, 3)
    if rule:
        assert_refused(world.app, cid, branch_vote(held_on), rule)
    else:
        state = assert_accepted(world.app, cid, branch_vote(held_on))
        assert state.stage == Stage.BRANCH_APPROVED


# ---------------------------------------------------------------- education


def test_primary_education_needs_an_exception_reference(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE, education="primary")
    assert_refused(world.app, cid, branch_vote(VOTE_ON), "education_insufficient")
    state = assert_accepted(
        world.app, cid, branch_vote(VOTE_ON, education_exception_reference="15-CV/TU")
    )
    check = next(ch for ch in state.history[-1].checks if ch.rule == "education_insufficient")
    assert check.passed and "15-CV/TU" in check.detail


def test_lower_secondary_education_needs_no_exception(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE, education="lower_secondary")
    assert assert_accepted(world.app, cid, branch_vote(VOTE_ON)).stage == Stage.BRANCH_APPROVED


# ---------------------------------------------------------------- introducers


@pytest.mark.parametrize(
    ("known_since", "rule"),
    [
        (date(2022, 4, 20), "introducer_acquaintance_too_short"),  # 11 months
        (date(2022, 3, 21), "introducer_acquaintance_too_short"),  # a day short of 12
        (date(2022, 3, 20), None),  # exactly 12 months
    ],
)
def test_introducers_knew_the_candidate_twelve_months(
    world: World, known_since: date, rule: str | None
) -> None:
    cid = open_candidacy(world, upto=INTRODUCERS)
    o = world.tree.officials
    command = introducers((o[0], date(2020, 1, 1)), (o[1], known_since), on=INTRODUCED_ON)
    if rule:
        error = assert_refused(world.app, cid, command, rule)
        assert str(o[1]) in error.detail
    else:
        state = assert_accepted(world.app, cid, command)
        assert [i.member_id for i in state.introducers] == [o[0], o[1]]


@pytest.mark.parametrize(
    ("status", "official_on", "rule"),
    [
        ("probationary", None, "introducer_not_official"),
        ("official", date(2023, 3, 21), "introducer_not_official"),  # official from tomorrow
        ("official", INTRODUCED_ON, None),  # official since that very day
    ],
)
def test_introducers_must_be_official_members_on_the_day(
    world: World, status: str, official_on: date | None, rule: str | None
) -> None:
    member = register_member(
        world.app,
        world.tree.branch,
        status=status,
        admitted_on=date(2022, 1, 1),
        official_on=official_on,
    )
    cid = open_candidacy(world, upto=INTRODUCERS)
    known = date(2020, 1, 1)
    command = introducers((world.tree.officials[0], known), (member, known), on=INTRODUCED_ON)
    if rule:
        assert_refused(world.app, cid, command, rule)
    else:
        state = assert_accepted(world.app, cid, command)
        assert state.introducers[1].official_on == INTRODUCED_ON


def test_a_youth_union_member_is_introduced_by_the_union_and_one_member(world: World) -> None:
    # Born 2000-05-01: 22 on 2023-03-20, of youth age.
    cid = open_candidacy(world, upto=INTRODUCERS, youth_union_member=True)
    o, known = world.tree.officials, date(2020, 1, 1)
    resolution = c.Resolution(number="05-NQ/ĐTN", dated=INTRODUCED_ON)
    two = introducers((o[0], known), (o[1], known), on=INTRODUCED_ON)
    one = introducers((o[0], known), on=INTRODUCED_ON)
    assert_refused(world.app, cid, two, "introducers_incomplete")
    assert_refused(world.app, cid, one, "introducers_incomplete")
    assert_refused(
        world.app,
        cid,
        two.model_copy(update={"youth_union_resolution": resolution}),
        "introducers_incomplete",
    )
    state = assert_accepted(
        world.app, cid, one.model_copy(update={"youth_union_resolution": resolution})
    )
    assert state.youth_union_resolution == "05-NQ/ĐTN"
    assert len(state.introducers) == 1


def test_a_union_member_past_youth_age_needs_two_introducers(world: World) -> None:
    # Born 1990-01-01: 33 on 2023-03-20.
    cid = open_candidacy(
        world, upto=INTRODUCERS, youth_union_member=True, date_of_birth="1990-01-01"
    )
    o, known = world.tree.officials, date(2020, 1, 1)
    resolution = c.Resolution(number="05-NQ/ĐTN", dated=INTRODUCED_ON)
    assert_refused(
        world.app,
        cid,
        introducers((o[0], known), on=INTRODUCED_ON, resolution=resolution),
        "introducers_incomplete",
    )
    assert_accepted(world.app, cid, introducers((o[0], known), (o[1], known), on=INTRODUCED_ON))


# ---------------------------------------------------------------- dossier and verification


def test_biography_before_the_application_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=APPLICATION)
    # No application yet: the candidacy is still certified, not in the dossier stage.
    assert_refused(world.app, cid, c.SubmitBiography(submitted_on=date(2023, 3, 9)), "wrong_stage")
    assert_accepted(world.app, cid, c.SubmitApplication(submitted_on=date(2023, 3, 10)))
    # Dated before the application (2023-03-10): refused; the same day is fine.
    assert_refused(
        world.app,
        cid,
        c.SubmitBiography(submitted_on=date(2023, 3, 9)),
        "application_before_biography",
    )
    state = assert_accepted(world.app, cid, c.SubmitBiography(submitted_on=date(2023, 3, 10)))
    assert state.biography_on == date(2023, 3, 10)


def test_verification_needs_a_complete_dossier(world: World) -> None:
    cid = open_candidacy(world, upto=BIOGRAPHY)
    assert_refused(
        world.app,
        cid,
        c.RecordVerification(subject="candidate", requested_on=date(2023, 3, 25)),
        "dossier_incomplete",
    )


def test_biography_certified_only_when_every_subject_is_resolved(world: World) -> None:
    cid = open_candidacy(world, upto=VERIFY_RESULT)  # the candidate's request is pending
    app = world.app
    assert_accepted(
        app, cid, c.RecordVerification(subject="father", requested_on=date(2023, 3, 26))
    )
    # A mother who is a fully declared party member needs no field check.
    assert_accepted(
        app,
        cid,
        c.RecordVerification(
            subject="mother", requested_on=date(2023, 3, 26), field_check_needed=False
        ),
    )
    certify = c.CertifyBiography(certified_on=date(2023, 4, 29))
    error = assert_refused(app, cid, certify, "verification_incomplete")
    assert "candidate" in error.detail and "father" in error.detail
    assert_accepted(
        app,
        cid,
        c.RecordVerification(subject="candidate", result="cleared", recorded_on=date(2023, 4, 24)),
    )
    error = assert_refused(app, cid, certify, "verification_incomplete")
    assert "father" in error.detail and "mother" not in error.detail
    assert_accepted(
        app,
        cid,
        c.RecordVerification(subject="father", result="concern", recorded_on=date(2023, 4, 25)),
    )
    state = assert_accepted(app, cid, certify)
    assert state.biography_certified_on == date(2023, 4, 29)


def test_a_result_needs_a_pending_request(world: World) -> None:
    cid = open_candidacy(world, upto=VERIFY_RESULT)
    assert_refused(
        world.app,
        cid,
        c.RecordVerification(subject="spouse", result="cleared", recorded_on=date(2023, 4, 24)),
        "verification_not_requested",
    )
    # A result dated before the request (2023-03-25) is refused too.
    assert_refused(
        world.app,
        cid,
        c.RecordVerification(subject="candidate", result="cleared", recorded_on=date(2023, 3, 24)),
        "verification_not_requested",
    )


def test_the_branch_votes_only_on_a_certified_biography(world: World) -> None:
    cid = open_candidacy(world, upto=CERTIFY)
    assert_refused(world.app, cid, branch_vote(VOTE_ON), "biography_not_certified")


# ---------------------------------------------------------------- order of steps


def test_a_ceremony_before_the_decision_is_out_of_order(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    error = assert_refused(world.app, cid, c.HoldCeremony(held_on=date(2023, 5, 10)), "wrong_stage")
    assert "verification" in error.detail


def test_a_decision_before_the_grassroots_vote_is_out_of_order(world: World) -> None:
    cid = open_candidacy(world, upto=GRASSROOTS_VOTE)
    assert world.app.candidacy(cid).stage == Stage.BRANCH_APPROVED
    command = c.DecideAdmission(
        decided_on=date(2023, 5, 20), deciding_body_id=world.tree.grassroots, decision="admit"
    )
    assert_refused(world.app, cid, command, "wrong_stage")


def test_a_closed_candidacy_takes_no_further_steps(world: World) -> None:
    cid = open_candidacy(world, upto=BIOGRAPHY)
    state = assert_accepted(
        world.app, cid, c.Withdraw(effective_on=date(2023, 3, 12), reason="moved away")
    )
    assert state.stage == Stage.WITHDRAWN and state.outcome_on == date(2023, 3, 12)
    assert_refused(world.app, cid, c.SubmitBiography(submitted_on=date(2023, 3, 15)), "wrong_stage")
    assert_refused(
        world.app, cid, c.Withdraw(effective_on=date(2023, 3, 13), reason="again"), "wrong_stage"
    )


def test_a_step_before_the_nomination_is_refused(world: World) -> None:
    cid = open_candidacy(world)  # nominated 2023-01-10
    assert_refused(world.app, cid, c.EnrolInClass(enrolled_on=date(2023, 1, 9)), "date_order")
    assert_accepted(world.app, cid, c.EnrolInClass(enrolled_on=date(2023, 1, 10)))


# ---------------------------------------------------------------- dates in the future


def test_a_date_after_the_recording_day_is_refused(world: World) -> None:
    cid = open_candidacy(world, nominated_on=date(2026, 10, 1))
    # The clock says 2026-11-01 03:00 UTC, which is 10:00 on 1 November in Vietnam.
    error = assert_refused(
        world.app, cid, c.EnrolInClass(enrolled_on=date(2026, 11, 2)), "date_in_future"
    )
    assert "2026-11-01" in error.detail
    assert_accepted(world.app, cid, c.EnrolInClass(enrolled_on=date(2026, 11, 1)))


def test_the_recording_day_is_the_vietnamese_day() -> None:
    # 17:30 UTC on 1 November is 00:30 on 2 November in Vietnam (UTC+7).
    world = make_world()
    world.clock.now = datetime(2026, 11, 1, 17, 30, tzinfo=UTC)
    cid = open_candidacy(world, nominated_on=date(2026, 10, 1))
    assert_refused(world.app, cid, c.EnrolInClass(enrolled_on=date(2026, 11, 3)), "date_in_future")
    assert_accepted(world.app, cid, c.EnrolInClass(enrolled_on=date(2026, 11, 2)))


def test_a_nomination_in_the_future_is_refused(world: World) -> None:
    command = c.Nominate(
        person=person(),
        branch_id=world.tree.branch,
        nominated_by="youth_union",
        nominated_on=date(2026, 11, 2),
    )
    assert_nomination_refused(world.app, command, "date_in_future")


def test_the_helper_must_be_an_official_member(world: World) -> None:
    probationer = register_member(
        world.app,
        world.tree.branch,
        status="probationary",
        admitted_on=date(2022, 1, 1),
        official_on=None,
    )
    command = c.Nominate(
        person=person(),
        branch_id=world.tree.branch,
        nominated_by="branch",
        nominated_on=date(2023, 1, 10),
        helper_member_id=probationer,
    )
    assert_nomination_refused(world.app, command, "helper_not_official")
    cid = open_candidacy(world, upto=CEREMONY + 1)  # in probation
    assert_refused(
        world.app,
        cid,
        c.AssignHelper(member_id=probationer, assigned_on=date(2023, 6, 23)),
        "helper_not_official",
    )
    state = assert_accepted(
        world.app,
        cid,
        c.AssignHelper(member_id=world.tree.officials[2], assigned_on=date(2023, 6, 23)),
    )
    assert state.helper_member_id == world.tree.officials[2]


# ---------------------------------------------------------------- decision and ceremony


def _decision(body: UUID, on: date = DECIDED_ON) -> c.DecideAdmission:
    return c.DecideAdmission(decided_on=on, deciding_body_id=body, decision="admit")


def test_the_deciding_body_must_be_above_the_branch(world: World) -> None:
    app, tree = world.app, world.tree
    other_grassroots = found_unit(app, "DU02", "grassroots_committee", tree.commune)
    cid = open_candidacy(world, upto=DECISION)
    error = assert_refused(app, cid, _decision(other_grassroots), "not_competent")
    assert "not above the branch" in error.detail
    assert_refused(app, cid, _decision(tree.other_branch), "not_competent")
    assert_refused(app, cid, _decision(tree.branch), "not_competent")
    # The branch's commune (not a competent kind before 2025-07-01) cannot decide either.
    assert_refused(app, cid, _decision(tree.commune), "not_competent")
    state = assert_accepted(app, cid, _decision(tree.grassroots))
    assert state.stage == Stage.ADMITTED and state.deciding_body_id == tree.grassroots


def _district_tree(world: World) -> Tree:
    """Province → district (until its abolition) → grassroots committee → branch."""
    app = world.app
    district = found_unit(app, "H01", "district", world.tree.province)
    grassroots = found_unit(app, "DU-H", "grassroots_committee", district)
    branch = found_unit(app, "CB-H", "branch", grassroots)
    officials = [register_member(app, branch) for _ in range(3)]
    return Tree(world.tree.province, district, grassroots, branch, branch, branch, officials)


@pytest.mark.parametrize(
    ("decided_on", "rule"), [(date(2025, 6, 30), None), (date(2025, 7, 1), "not_competent")]
)
def test_a_district_decides_only_before_2025_07_01(
    world: World, decided_on: date, rule: str | None
) -> None:
    tree = _district_tree(world)
    cid = nominate(world.app, tree, on=date(2025, 1, 5))
    drive(world.app, cid, path_to_official(tree, date(2025, 2, 1)), upto=DECISION)
    assert world.app.candidacy(cid).grassroots_resolution_on == date(2025, 5, 19)
    command = _decision(tree.commune, decided_on)  # ``commune`` holds the district here
    if rule:
        error = assert_refused(world.app, cid, command, rule)
        assert "294-QĐ/TW" in error.detail
        # The grassroots committee is still competent that day.
        assert_accepted(world.app, cid, _decision(tree.grassroots, decided_on))
    else:
        state = assert_accepted(world.app, cid, command)
        assert state.history[-1].rule_set == "232-QĐ/TW"


# Decision Thu 2023-06-08, received the same day; 30 working days later (no holiday in
# June–July 2023): Jun 9 (1), Jun 12–16 (6), 19–23 (11), 26–30 (16), Jul 3–7 (21),
# 10–14 (26), 17–20 (30) -> Thu 2023-07-20.
CEREMONY_DUE = date(2023, 7, 20)


@pytest.mark.parametrize(
    ("held_on", "approval", "rule"),
    [
        (CEREMONY_DUE, None, None),
        (date(2023, 7, 21), None, "ceremony_overdue"),
        (date(2023, 7, 21), "31-CV/HU", None),
        # Before the decision was received: the ceremony rule refuses it too.
        (date(2023, 6, 7), None, "ceremony_overdue"),
    ],
)
def test_ceremony_within_thirty_working_days_of_the_decision(
    world: World, held_on: date, approval: str | None, rule: str | None
) -> None:
    cid = open_candidacy(world, upto=CEREMONY)
    command = c.HoldCeremony(held_on=held_on, approval_reference=approval)
    if rule:
        error = assert_refused(world.app, cid, command, rule)
        assert CEREMONY_DUE.isoformat() in error.detail
    else:
        state = assert_accepted(world.app, cid, command)
        assert state.stage == Stage.PROBATION
        assert state.probation_ends_on == date(held_on.year + 1, held_on.month, held_on.day)


def test_the_ceremony_counts_from_receipt_of_the_decision(world: World) -> None:
    cid = open_candidacy(world, upto=DECISION)
    assert_accepted(
        world.app,
        cid,
        c.DecideAdmission(
            decided_on=DECIDED_ON,
            deciding_body_id=world.tree.grassroots,
            decision="admit",
            received_on=date(2023, 6, 12),
        ),
    )
    # Mon 12 Jun + 30 working days is Mon 24 Jul 2023 (four days after CEREMONY_DUE).
    assert_accepted(world.app, cid, c.HoldCeremony(held_on=date(2023, 7, 24)))


def test_a_decision_received_before_it_was_taken_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=DECISION)
    assert_refused(
        world.app,
        cid,
        c.DecideAdmission(
            decided_on=DECIDED_ON,
            deciding_body_id=world.tree.grassroots,
            decision="admit",
            received_on=date(2023, 6, 7),
        ),
        "date_order",
    )


def test_a_decision_received_after_the_recording_day_is_refused(world: World) -> None:
    cid = open_candidacy(world, upto=DECISION)
    command = c.DecideAdmission(
        decided_on=DECIDED_ON,
        deciding_body_id=world.tree.grassroots,
        decision="admit",
        received_on=date(2026, 11, 2),  # the day after the clock's recording day
    )
    assert_refused(world.app, cid, command, "date_in_future")


def test_a_refusal_closes_the_candidacy_and_registers_nobody(world: World) -> None:
    cid = open_candidacy(world, upto=DECISION)
    state = assert_accepted(
        world.app,
        cid,
        c.DecideAdmission(
            decided_on=DECIDED_ON, deciding_body_id=world.tree.grassroots, decision="refuse"
        ),
    )
    assert state.stage == Stage.REJECTED and state.party_age_from is None
    with pytest.raises(DomainError) as caught:
        world.app.member(member_id_for(cid))
    assert caught.value.rule == "not_found"


def test_party_age_counts_from_the_decision_date(world: World) -> None:
    cid = open_candidacy(world, upto=CEREMONY)
    state = world.app.candidacy(cid)
    assert state.stage == Stage.ADMITTED
    assert state.decided_on == DECIDED_ON and state.party_age_from == DECIDED_ON
    member = world.app.member(member_id_for(cid))
    assert (member.status, member.admitted_on, member.official_on) == (
        "probationary",
        DECIDED_ON,
        None,
    )


# ---------------------------------------------------------------- escalation


def test_the_third_failed_branch_vote_escalates(world: World) -> None:
    app = world.app
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    failed = [date(2023, 5, 9), date(2023, 5, 19), date(2023, 5, 29)]
    for attempt, day in enumerate(failed, start=1):
        state = assert_accepted(app, cid, branch_vote(day, eligible=9, in_favour=5))
        assert state.failed_branch_votes == attempt
        assert state.votes[-1].attempt == attempt
        assert state.escalated_on == (day if attempt == 3 else None)
    assert state.stage == Stage.VERIFICATION
    # A fourth branch vote, even a unanimous one, is refused.
    error = assert_refused(app, cid, branch_vote(date(2023, 6, 1), 9, 9), "vote_escalated")
    assert "superior committee" in error.detail
    # The superior committee takes it up with its own resolution.
    state = assert_accepted(
        app, cid, c.RecordGrassrootsVote(held_on=date(2023, 6, 5), committee_members=7, in_favour=5)
    )
    assert state.stage == Stage.AWAITING_DECISION
    assert state.grassroots_resolution_on == date(2023, 6, 5)
    assert state.branch_resolution_on == date(2023, 6, 5)  # the decision clock starts here
    state = assert_accepted(app, cid, _decision(world.tree.grassroots, date(2023, 6, 20)))
    assert state.stage == Stage.ADMITTED


def test_a_pass_after_two_failures_does_not_escalate(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    assert_accepted(world.app, cid, branch_vote(date(2023, 5, 9), 9, 5))
    assert_accepted(world.app, cid, branch_vote(date(2023, 5, 19), 9, 4))
    state = assert_accepted(world.app, cid, branch_vote(date(2023, 5, 29), 9, 6))
    assert state.stage == Stage.BRANCH_APPROVED and state.escalated_on is None
    assert [v.passed for v in state.votes] == [False, False, True]
    assert state.votes[-1].attempt == 3


def test_a_failed_grassroots_vote_rejects(world: World) -> None:
    cid = open_candidacy(world, upto=GRASSROOTS_VOTE)
    state = assert_accepted(
        world.app,
        cid,
        c.RecordGrassrootsVote(held_on=date(2023, 5, 19), committee_members=7, in_favour=4),
    )
    assert state.stage == Stage.REJECTED and state.outcome_on == date(2023, 5, 19)


# ---------------------------------------------------------------- probation and recognition


def test_official_as_of_the_end_of_probation_however_late_the_decision(world: World) -> None:
    app, tree = world.app, world.tree
    # From 2023-10-11 the decision falls on 2024-02-15; the ceremony on 29 February 2024
    # starts a probation that ends on 28 February 2025 (12 months, clamped).
    cid = open_candidacy(world, start=date(2023, 10, 11), upto=CEREMONY)
    assert app.candidacy(cid).decided_on == date(2024, 2, 15)
    state = assert_accepted(app, cid, c.HoldCeremony(held_on=date(2024, 2, 29)))
    assert state.probation_ends_on == date(2025, 2, 28)
    vote = c.RecordRecognitionVote(
        held_on=date(2025, 2, 27), eligible_official_members=9, in_favour=9
    )
    assert_refused(app, cid, vote, "probation_not_ended")
    state = assert_accepted(app, cid, vote.model_copy(update={"held_on": date(2025, 2, 28)}))
    assert state.stage == Stage.RECOGNITION_REVIEW
    # The recognition decision comes half a year late.
    state = assert_accepted(
        app,
        cid,
        c.DecideRecognition(
            decided_on=date(2025, 9, 1), deciding_body_id=tree.grassroots, decision="recognise"
        ),
    )
    assert state.stage == Stage.OFFICIAL
    assert state.official_on == date(2025, 2, 28) == state.probation_ends_on
    assert state.recognition_decided_on == date(2025, 9, 1)
    assert state.party_age_from == date(2024, 2, 15)
    member = app.member(member_id_for(cid))
    assert (member.status, member.official_on) == ("official", date(2025, 2, 28))


def test_the_happy_path_ends_official_one_year_after_the_ceremony(world: World) -> None:
    cid = open_candidacy(world, upto=len(steps(world.tree)))
    state = world.app.candidacy(cid)
    assert state.stage == Stage.OFFICIAL
    assert state.ceremony_on == date(2023, 6, 22)
    assert state.official_on == date(2024, 6, 22) == state.probation_ends_on
    assert state.recognition_decided_on == date(2024, 7, 12)


def test_removal_from_the_probationary_list(world: World) -> None:
    cid = open_candidacy(world, upto=RECOGNITION_VOTE)
    state = assert_accepted(
        world.app,
        cid,
        c.RecordRecognitionVote(
            held_on=date(2023, 12, 1), eligible_official_members=9, in_favour=7, proposal="remove"
        ),
    )
    assert state.recognition_proposal == "remove"
    state = assert_accepted(
        world.app,
        cid,
        c.DecideRecognition(
            decided_on=date(2023, 12, 20), deciding_body_id=world.tree.grassroots, decision="remove"
        ),
    )
    assert state.stage == Stage.REMOVED and state.official_on is None
    member = world.app.member(member_id_for(cid))
    assert (member.status, member.left_on) == ("left", date(2023, 12, 20))


def test_no_recognition_before_probation_ends_even_after_a_removal_vote(world: World) -> None:
    cid = open_candidacy(world, upto=RECOGNITION_VOTE)  # probation ends 2024-06-22
    assert_accepted(
        world.app,
        cid,
        c.RecordRecognitionVote(
            held_on=date(2023, 12, 1), eligible_official_members=9, in_favour=7, proposal="remove"
        ),
    )
    recognise = c.DecideRecognition(
        decided_on=date(2023, 12, 20), deciding_body_id=world.tree.grassroots, decision="recognise"
    )
    error = assert_refused(world.app, cid, recognise, "probation_not_ended")
    assert "2024-06-22" in error.detail
    assert world.app.member(member_id_for(cid)).status == "probationary"


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("reprimand", None),
        ("warning", None),
        ("dismissal", "discipline_not_allowed"),
        ("expulsion", "discipline_not_allowed"),
    ],
)
def test_only_reprimand_or_warning_during_probation(
    world: World, kind: str, rule: str | None
) -> None:
    cid = open_candidacy(world, upto=CEREMONY + 1)
    command = c.RecordDiscipline(decided_on=date(2023, 9, 1), kind=kind)
    if rule:
        assert_refused(world.app, cid, command, rule)
    else:
        assert assert_accepted(world.app, cid, command).disciplines == (kind,)


def test_transfer_between_dossier_and_recognition(world: World) -> None:
    tree = world.tree
    cid = open_candidacy(world, upto=1)
    assert_refused(
        world.app,
        cid,
        c.TransferCandidacy(to_branch_id=tree.other_branch, effective_on=date(2023, 2, 2)),
        "wrong_stage",
    )
    cid = open_candidacy(world, upto=CEREMONY + 1)
    assert_refused(
        world.app,
        cid,
        c.TransferCandidacy(to_branch_id=tree.branch, effective_on=date(2023, 7, 1)),
        "same_branch",
    )
    assert_refused(
        world.app,
        cid,
        c.TransferCandidacy(to_branch_id=tree.grassroots, effective_on=date(2023, 7, 1)),
        "invalid_branch",
    )
    state = assert_accepted(
        world.app,
        cid,
        c.TransferCandidacy(to_branch_id=tree.other_branch, effective_on=date(2023, 7, 1)),
    )
    assert state.branch_id == tree.other_branch
    assert state.probation_ends_on == date(2024, 6, 22)  # the clock keeps running
    assert world.app.member(member_id_for(cid)).branch_id == tree.other_branch


# ---------------------------------------------------------------- re-admission


FIRST_ADMITTED = date(2005, 3, 1)
LEFT_ON = date(2018, 6, 1)


def _readmission(
    world: World, on: date, reason: str = "moved_abroad", previous: UUID | None = None
) -> c.Nominate:
    if previous is None:
        # The earlier membership was in another branch (it is not on this branch's roster).
        previous = register_member(
            world.app,
            world.tree.other_branch,
            admitted_on=FIRST_ADMITTED,
            official_on=date(2006, 3, 1),
        )
    return c.Nominate(
        person=person(date_of_birth="1980-01-01"),
        branch_id=world.tree.branch,
        nominated_by="branch",
        nominated_on=on,
        helper_member_id=world.tree.officials[0],
        readmission=c.ReadmissionFacts(
            previous_member_id=previous,
            left_on=LEFT_ON,
            left_reason=reason,
            consent_reference="12-CV/TU",
        ),
    )


@pytest.mark.parametrize(
    ("on", "reason", "rule"),
    [
        (date(2021, 5, 31), "moved_abroad", "readmission_not_allowed"),  # 35 months
        (date(2021, 6, 1), "moved_abroad", None),  # 36 months
        (date(2021, 6, 1), "resigned", "readmission_not_allowed"),
        (date(2021, 6, 1), "dropped_out", "readmission_not_allowed"),
        (date(2024, 6, 1), "corruption", "readmission_not_allowed"),
    ],
)
def test_readmission_waits_36_months_and_excludes_barred_reasons(
    world: World, on: date, reason: str, rule: str | None
) -> None:
    command = _readmission(world, on, reason)
    if rule:
        assert_nomination_refused(world.app, command, rule)
    else:
        state = world.app.nominate(command, ADMIN)
        assert state.readmission is not None and state.readmission.left_on == LEFT_ON
        assert state.history[0].checks[-1].rule == "readmission_not_allowed"


def test_readmission_party_age_counts_from_the_first_admission_plus_the_gap(world: World) -> None:
    app = world.app
    cid = app.nominate(_readmission(world, date(2021, 6, 1)), ADMIN).id
    drive(app, cid, path_to_official(world.tree, date(2021, 7, 1)), upto=CEREMONY)
    state = app.candidacy(cid)
    # The decision falls on 2021-11-05: 1253 days out of the Party since 2018-06-01.
    # 2005-03-01 + 1253 days = 2008-03-01 (+1096) + 157 days = 2008-08-05.
    assert state.decided_on == date(2021, 11, 5)
    assert (state.decided_on - LEFT_ON).days == 1253
    assert state.party_age_from == date(2008, 8, 5)
    assert app.member(member_id_for(cid)).readmitted
    # Re-admission happens once only: the re-admitted member cannot be re-admitted again.
    again = _readmission(world, date(2026, 6, 1), previous=member_id_for(cid))
    error = assert_nomination_refused(app, again, "readmission_not_allowed")
    assert "already re-admitted once" in error.detail
