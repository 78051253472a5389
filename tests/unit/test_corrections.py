"""Corrections restate an earlier event by position: the original stays in the history,
the state and the deadlines follow the restated fact, and a correction that would make
any later step illegal is refused with that step's rule."""

from __future__ import annotations

from datetime import date

import pytest

from domain.candidacy.deadlines import deadlines
from domain.candidacy.events import (
    AdmissionDecided,
    ClassEnrolled,
    Corrected,
    effective_events,
    replay,
    state_as_of,
)
from domain.candidacy.state import Stage
from domain.errors import DomainError
from tests.scenario import ADMIN
from tests.unit.helpers import (
    BRANCH_VOTE,
    CALENDAR,
    CEREMONY,
    CERTIFICATE,
    DECISION,
    ENROL,
    GRASSROOTS_VOTE,
    World,
    assert_accepted,
    assert_refused,
    branch_vote,
    make_world,
    open_candidacy,
    version_of,
)
from workflows import commands as c

DECIDED_ON = date(2023, 6, 8)
DECISION_AT = version_of(DECISION)  # version 12 of the happy path


@pytest.fixture
def world() -> World:
    return make_world()


def _correct(
    position: int, reason: str = "typo in the register", **changes: object
) -> c.CorrectRecord:
    return c.CorrectRecord(position=position, changes=dict(changes), reason=reason)


def test_restating_the_decision_date_moves_party_age_and_the_ceremony_deadline(
    world: World,
) -> None:
    app = world.app
    cid = open_candidacy(world, upto=CEREMONY)
    before = app.candidacy(cid)
    original = before.history[DECISION_AT - 1]
    assert isinstance(original, AdmissionDecided) and original.decided_on == DECIDED_ON
    ceremony_due = next(
        d for d in deadlines(before, CALENDAR, date(2023, 7, 1)) if d.kind == "ceremony_due"
    )
    assert ceremony_due.due_on == date(2023, 7, 20)

    world.clock.advance(hours=1)
    state = assert_accepted(app, cid, _correct(DECISION_AT, decided_on=date(2023, 6, 1)))
    assert state.stage == Stage.ADMITTED
    assert state.decided_on == date(2023, 6, 1)
    assert state.party_age_from == date(2023, 6, 1)
    assert state.decision_received_on == date(2023, 6, 1)
    # Thu 1 Jun 2023 + 30 working days: Jun 2 (1), 5–9 (6), 12–16 (11), 19–23 (16),
    # 26–30 (21), Jul 3–7 (26), 10–13 (30) -> Thu 13 Jul 2023.
    moved = next(
        d for d in deadlines(state, CALENDAR, date(2023, 7, 1)) if d.kind == "ceremony_due"
    )
    assert (moved.basis_on, moved.due_on) == (date(2023, 6, 1), date(2023, 7, 13))

    # The original event is still in the history, byte for byte.
    assert state.history[DECISION_AT - 1] == original
    assert state.history[DECISION_AT - 1].content_hash() == original.content_hash()
    assert state.history[: len(before.history)] == before.history
    correction = state.history[-1]
    assert isinstance(correction, Corrected)
    assert (correction.position, correction.reason) == (DECISION_AT, "typo in the register")
    assert correction.prev_hash == before.last_hash
    # The stored events fold to the same state.
    assert replay(state.history) == state
    assert app.repository.get(cid) == state


def test_a_later_step_made_illegal_refuses_the_correction_with_its_rule(world: World) -> None:
    app = world.app
    cid = open_candidacy(world, upto=CEREMONY + 1)  # ceremony held 2023-06-22
    # A decision dated after the ceremony would put the ceremony before its receipt.
    error = assert_refused(
        app, cid, _correct(DECISION_AT, decided_on=date(2023, 6, 23)), "ceremony_overdue"
    )
    assert "before the decision was received" in error.detail
    # A decision before the grassroots resolution of 2023-05-19 fails the restated step
    # itself.
    assert_refused(app, cid, _correct(DECISION_AT, decided_on=date(2023, 5, 18)), "date_order")


def test_a_correction_that_makes_the_candidate_too_young_for_the_vote_is_refused(
    world: World,
) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE + 1)  # branch vote on 2023-05-09
    nomination = world.app.candidacy(cid).history[0]
    person = nomination.model_dump()["person"]
    younger = {**person, "date_of_birth": date(2005, 6, 9)}  # 17 years 11 months then
    assert_refused(world.app, cid, _correct(1, person=younger), "age_out_of_range")
    older_ok = {**person, "date_of_birth": date(2005, 5, 9)}  # exactly 18
    state = assert_accepted(world.app, cid, _correct(1, person=older_ok))
    assert state.person.date_of_birth == date(2005, 5, 9)
    assert state.history[0].model_dump()["person"]["date_of_birth"] == date(2000, 5, 1)


def test_a_correction_that_fails_the_branch_vote_refuses_the_later_grassroots_vote(
    world: World,
) -> None:
    cid = open_candidacy(world, upto=GRASSROOTS_VOTE + 1)
    branch_at = version_of(BRANCH_VOTE)
    assert_refused(world.app, cid, _correct(branch_at, in_favour=5), "wrong_stage")
    # Six of nine still passes: accepted, and the vote record follows.
    state = assert_accepted(world.app, cid, _correct(branch_at, in_favour=6))
    assert state.votes[0].in_favour == 6 and state.votes[0].passed
    assert state.stage == Stage.AWAITING_DECISION


@pytest.mark.parametrize(
    ("position", "changes"),
    [
        (DECISION_AT, {"decided_by": "nobody"}),  # no such field
        (DECISION_AT, {"rule_set": "29-QĐ/TW"}),  # envelope fields are never restated
        (DECISION_AT, {"timestamp": "2020-01-01T00:00:00Z"}),
        (DECISION_AT, {"decided_on": "not a date"}),  # the restated event must validate
        (99, {"decided_on": "2023-06-01"}),  # no such position
    ],
)
def test_invalid_corrections_are_refused(
    world: World, position: int, changes: dict[str, object]
) -> None:
    cid = open_candidacy(world, upto=CEREMONY)
    assert_refused(
        world.app,
        cid,
        c.CorrectRecord(position=position, changes=changes, reason="r"),
        "invalid_correction",
    )


def test_a_correction_cannot_be_corrected(world: World) -> None:
    cid = open_candidacy(world, upto=CEREMONY)
    state = assert_accepted(world.app, cid, _correct(DECISION_AT, decided_on=date(2023, 6, 1)))
    assert_refused(
        world.app,
        cid,
        c.CorrectRecord(position=len(state.history), changes={"position": 1}, reason="again"),
        "invalid_correction",
    )


def test_the_restated_date_cannot_lie_in_the_future(world: World) -> None:
    cid = open_candidacy(world, upto=CEREMONY)  # recorded on 2026-11-01
    assert_refused(
        world.app, cid, _correct(DECISION_AT, decided_on=date(2026, 11, 2)), "date_in_future"
    )
    state = assert_accepted(world.app, cid, _correct(DECISION_AT, decided_on=date(2026, 11, 1)))
    assert state.decided_on == date(2026, 11, 1)


def test_the_restated_date_cannot_precede_the_nomination(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)  # nominated 2023-01-10
    enrol_at = version_of(ENROL)
    assert_refused(world.app, cid, _correct(enrol_at, enrolled_on=date(2023, 1, 9)), "date_order")
    # Moving the nomination after a later step is refused by that step's date order.
    assert_refused(world.app, cid, _correct(1, nominated_on=date(2023, 2, 2)), "date_order")


def test_a_restated_date_before_2011_is_refused_as_a_domain_error(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE)
    before = (len(world.app.candidacy(cid).history), world.app.recorder.max_notification_id())
    with pytest.raises(DomainError) as caught:
        world.app.execute(cid, _correct(1, nominated_on=date(2010, 12, 31)), ADMIN)
    assert caught.value.rule == "no_rule_set"
    assert (
        len(world.app.candidacy(cid).history),
        world.app.recorder.max_notification_id(),
    ) == before


def test_the_restated_event_is_checked_under_the_rule_set_of_its_new_date(world: World) -> None:
    cid = open_candidacy(world, nominated_on=date(2025, 1, 10), start=date(2025, 1, 19), upto=1)
    state = world.app.candidacy(cid)
    assert state.history[-1].rule_set == "24-QĐ/TW"
    state = assert_accepted(world.app, cid, _correct(2, enrolled_on=date(2025, 1, 20)))
    restated = effective_events(state.history)[1]
    assert isinstance(restated, ClassEnrolled)
    assert (restated.enrolled_on, restated.rule_set) == (date(2025, 1, 20), "232-QĐ/TW")
    assert state.history[1].rule_set == "24-QĐ/TW"  # the original is untouched
    assert state.class_enrolled_on == date(2025, 1, 20)


# ---------------------------------------------------------------- state as of a day


def test_state_as_of_a_day_before_and_after_a_step(world: World) -> None:
    app = world.app
    cid = open_candidacy(world, upto=CEREMONY + 1)
    assert app.candidacy_as_of(cid, date(2023, 6, 7)).stage == Stage.AWAITING_DECISION
    on_the_day = app.candidacy_as_of(cid, DECIDED_ON)
    assert (on_the_day.stage, on_the_day.party_age_from) == (Stage.ADMITTED, DECIDED_ON)
    assert app.candidacy_as_of(cid, date(2023, 6, 21)).stage == Stage.ADMITTED
    assert app.candidacy_as_of(cid, date(2023, 6, 22)).stage == Stage.PROBATION
    assert app.candidacy_as_of(cid, date(2023, 1, 10)).stage == Stage.SOURCE_POOL
    assert state_as_of(app.candidacy(cid).history, date(2023, 1, 9)) is None
    with pytest.raises(DomainError) as caught:
        app.candidacy_as_of(cid, date(2023, 1, 9))
    assert caught.value.rule == "not_found"
    # Without a day: everything recorded.
    assert app.candidacy_as_of(cid).stage == Stage.PROBATION


def test_state_as_of_follows_corrections_known_at_the_time(world: World) -> None:
    app = world.app
    cid = open_candidacy(world, upto=CEREMONY)
    printed_at = world.clock.now
    world.clock.advance(days=3)
    assert_accepted(app, cid, _correct(DECISION_AT, decided_on=date(2023, 6, 1)))
    # What was true on 5 June 2023, as we know it now: admitted on 1 June.
    now = app.candidacy_as_of(cid, date(2023, 6, 5))
    assert (now.stage, now.decided_on) == (Stage.ADMITTED, date(2023, 6, 1))
    # ... and as the report printed before the correction said: still awaiting.
    then = app.candidacy_as_of(cid, date(2023, 6, 5), known_at=printed_at)
    assert then.stage == Stage.AWAITING_DECISION and then.decided_on is None
    assert app.candidacy_as_of(cid, DECIDED_ON, known_at=printed_at).decided_on == DECIDED_ON


def test_moving_the_certificate_so_that_it_expires_before_the_vote_is_refused(
    world: World,
) -> None:
    # Certificate 2019-03-03; the branch vote on 2024-03-03 is its last valid day.
    cid = open_candidacy(
        world, nominated_on=date(2019, 1, 10), start=date(2019, 2, 1), upto=BRANCH_VOTE
    )
    assert_accepted(world.app, cid, branch_vote(date(2024, 3, 3)))
    certificate_at = version_of(CERTIFICATE)
    assert_refused(
        world.app, cid, _correct(certificate_at, issued_on=date(2019, 3, 2)), "certificate_expired"
    )
    state = assert_accepted(world.app, cid, _correct(certificate_at, issued_on=date(2019, 3, 4)))
    assert state.certificate is not None and state.certificate.issued_on == date(2019, 3, 4)
    assert state.stage == Stage.BRANCH_APPROVED


def test_facts_looked_up_when_recorded_cannot_be_restated(world: World) -> None:
    cid = open_candidacy(world, upto=CEREMONY)
    error = assert_refused(
        world.app,
        cid,
        _correct(DECISION_AT, deciding_body_id=str(world.tree.province)),
        "invalid_correction",
    )
    assert "deciding_body_id" in error.detail
    assert_refused(
        world.app, cid, _correct(1, branch_id=str(world.tree.other_branch)), "invalid_correction"
    )
