"""Working-day deadlines derived from a candidacy's facts, across Tết 2025 and Tết 2026.

Expected dates are counted by hand from the holiday list (see ``workflows.calendar``):
Tết 2025 takes Mon 27 Jan–Sat 1 Feb 2025 off (so nothing is worked from Sat 25 Jan to
Sun 2 Feb), Hùng Kings Mon 7 Apr 2025, Sat 26 Apr 2025 is worked in exchange for Fri 2 May,
and 30 Apr–2 May 2025 are off. Tết 2026 takes Mon 16–Fri 20 Feb 2026 off (nothing worked
from Sat 14 to Sun 22 Feb), Hùng Kings is observed on Mon 27 Apr 2026, 30 Apr and 1 May
2026 are off. A period of N working days starts counting on the day after its basis.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.candidacy.deadlines import Deadline, deadlines
from domain.candidacy.state import CandidacyState
from tests.scenario import ADMIN
from tests.unit.helpers import (
    BRANCH_VOTE,
    CALENDAR,
    RECOGNITION_DECISION,
    RECOGNITION_VOTE,
    World,
    assert_accepted,
    assert_refused,
    branch_vote,
    make_world,
    open_candidacy,
)
from workflows import commands as c

TODAY = date(2026, 11, 1)


def _deadline(state: CandidacyState, kind: str, today: date = TODAY) -> Deadline:
    found = [d for d in deadlines(state, CALENDAR, today) if d.kind == kind]
    assert len(found) == 1, f"expected one {kind}, got {found}"
    return found[0]


def _kinds(state: CandidacyState, today: date = TODAY) -> set[str]:
    return {d.kind for d in deadlines(state, CALENDAR, today)}


@pytest.fixture
def world() -> World:
    return make_world()


def _before_branch_vote(world: World, year: int) -> UUID:
    """A candidacy ready for its branch vote: nominated 1 Sep, biography certified 6 Dec
    of ``year`` (the happy path from 10 Sep)."""
    return open_candidacy(
        world, nominated_on=date(year, 9, 1), start=date(year, 9, 10), upto=BRANCH_VOTE
    )


def _grassroots(on: date) -> c.RecordGrassrootsVote:
    return c.RecordGrassrootsVote(held_on=on, committee_members=7, in_favour=6)


# ---------------------------------------------------------------- decision due (60 wd)


# Branch resolution Mon 20 Jan 2025, a week before Tết. 60 working days: Jan 21–24 (4),
# [Jan 25–Feb 2 off], Feb 3–7 (9), 10–14 (14), 17–21 (19), 24–28 (24), Mar 3–7 (29),
# 10–14 (34), 17–21 (39), 24–28 (44), Mar 31–Apr 4 (49), [Mon 7 Apr], Apr 8–11 (53),
# 14–18 (58), Mon 21 (59), Tue 22 Apr (60). Without Tết it would be Tue 15 Apr.
DECISION_DUE_2025 = date(2025, 4, 22)


def test_decision_due_skips_tet_2025(world: World) -> None:
    cid = _before_branch_vote(world, 2024)
    state = assert_accepted(world.app, cid, branch_vote(date(2025, 1, 20)))
    due = _deadline(state, "decision_due", today=date(2025, 2, 1))
    assert due.due_on == DECISION_DUE_2025
    assert due.basis_on == date(2025, 1, 20)
    assert due.working_days == 60
    assert due.rule_set == "232-QĐ/TW"  # the rule set of the basis date
    assert (due.status, due.met_on, due.days_late) == ("due", None, None)
    assert _deadline(state, "decision_due", today=DECISION_DUE_2025).status == "due"
    assert _deadline(state, "decision_due", today=date(2025, 4, 23)).status == "overdue"
    # The certificate (issued 2024-10-10) was valid on the vote: its limit was met.
    cert = _deadline(state, "certificate_expiry")
    assert (cert.due_on, cert.status, cert.met_on) == (
        date(2029, 10, 10),
        "met",
        date(2025, 1, 20),
    )


# Branch resolution Tue 10 Feb 2026, just before Tết Bính Ngọ. 60 working days:
# Feb 11–13 (3), [Feb 14–22 off], Feb 23–27 (8), Mar 2–6 (13), 9–13 (18), 16–20 (23),
# 23–27 (28), Mar 30–Apr 3 (33), Apr 6–10 (38), 13–17 (43), 20–24 (48), [Mon 27 Apr],
# Apr 28–29 (50), [Apr 30, May 1], May 4–8 (55), May 11–15 (60) -> Fri 15 May 2026.
DECISION_DUE_2026 = date(2026, 5, 15)


def test_decision_due_skips_tet_2026(world: World) -> None:
    cid = _before_branch_vote(world, 2025)
    state = assert_accepted(world.app, cid, branch_vote(date(2026, 2, 10)))
    due = _deadline(state, "decision_due")
    assert (due.due_on, due.rule_set, due.status) == (DECISION_DUE_2026, "294-QĐ/TW", "overdue")
    assert _deadline(state, "decision_due", today=date(2026, 5, 15)).status == "due"
    # The decision on the last day meets it.
    assert_accepted(world.app, cid, _grassroots(date(2026, 2, 12)))
    state = assert_accepted(
        world.app,
        cid,
        c.DecideAdmission(
            decided_on=DECISION_DUE_2026, deciding_body_id=world.tree.grassroots, decision="admit"
        ),
    )
    due = _deadline(state, "decision_due")
    assert (due.status, due.met_on) == ("met", DECISION_DUE_2026)


def test_a_decision_after_the_due_day_is_missed_by_working_days(world: World) -> None:
    cid = _before_branch_vote(world, 2024)
    assert_accepted(world.app, cid, branch_vote(date(2025, 1, 20)))
    assert_accepted(world.app, cid, _grassroots(date(2025, 1, 21)))
    # Mon 28 Apr 2025: Wed 23, Thu 24, Fri 25, Sat 26 (worked), Mon 28 -> 5 working days late.
    state = assert_accepted(
        world.app,
        cid,
        c.DecideAdmission(
            decided_on=date(2025, 4, 28), deciding_body_id=world.tree.grassroots, decision="admit"
        ),
    )
    due = _deadline(state, "decision_due")
    assert (due.status, due.met_on, due.days_late) == ("missed", date(2025, 4, 28), 5)


# ---------------------------------------------------------------- extension (+30, once)


def test_the_decision_period_is_extended_once_by_at_most_30_working_days(world: World) -> None:
    app = world.app
    cid = _before_branch_vote(world, 2024)
    assert_accepted(app, cid, branch_vote(date(2025, 1, 20)))
    # Not before the grassroots resolution: the candidacy must be awaiting its decision.
    extension = c.ExtendDeadline(granted_on=date(2025, 4, 1), working_days=30)
    assert_refused(app, cid, extension, "wrong_stage")
    assert_accepted(app, cid, _grassroots(date(2025, 1, 21)))
    assert_refused(
        app, cid, extension.model_copy(update={"working_days": 31}), "extension_not_allowed"
    )
    state = assert_accepted(app, cid, extension)
    assert state.decision_extension_working_days == 30
    # From Tue 22 Apr 2025, 30 more working days: Apr 23–25 (3), Sat 26 worked (4),
    # Apr 28–29 (6), [Apr 30–May 2], May 5–9 (11), 12–16 (16), 19–23 (21), 26–30 (26),
    # Jun 2–5 (30) -> Thu 5 Jun 2025.
    due = _deadline(state, "decision_due", today=date(2025, 6, 5))
    assert (due.due_on, due.working_days, due.status) == (date(2025, 6, 5), 90, "due")
    assert _deadline(state, "decision_due", today=date(2025, 6, 6)).status == "overdue"
    error = assert_refused(
        app,
        cid,
        c.ExtendDeadline(granted_on=date(2025, 5, 1), working_days=5),
        "extension_not_allowed",
    )
    assert "already extended" in error.detail


# ---------------------------------------------------------------- ceremony due (30 wd)


def _admitted(world: World, year: int, vote: date, grassroots: date, decided: date) -> UUID:
    cid = _before_branch_vote(world, year)
    assert_accepted(world.app, cid, branch_vote(vote))
    assert_accepted(world.app, cid, _grassroots(grassroots))
    assert_accepted(
        world.app,
        cid,
        c.DecideAdmission(
            decided_on=decided, deciding_body_id=world.tree.grassroots, decision="admit"
        ),
    )
    return cid


# Decision received Wed 22 Jan 2025: Jan 23–24 (2), [Jan 25–Feb 2], Feb 3–7 (7),
# 10–14 (12), 17–21 (17), 24–28 (22), Mar 3–7 (27), Mar 10–12 (30) -> Wed 12 Mar 2025.
CEREMONY_DUE_2025 = date(2025, 3, 12)


@pytest.mark.parametrize(
    ("held_on", "approval", "status", "late"),
    [
        (CEREMONY_DUE_2025, None, "met", None),
        # Mon 17 Mar: Thu 13, Fri 14, Mon 17 -> 3 working days late, with approval.
        (date(2025, 3, 17), "09-CV/TU", "missed", 3),
    ],
)
def test_ceremony_due_thirty_working_days_after_receipt_across_tet_2025(
    world: World, held_on: date, approval: str | None, status: str, late: int | None
) -> None:
    cid = _admitted(world, 2024, date(2025, 1, 20), date(2025, 1, 21), date(2025, 1, 22))
    state = world.app.candidacy(cid)
    due = _deadline(state, "ceremony_due", today=date(2025, 2, 3))
    assert (due.due_on, due.basis_on, due.working_days, due.status) == (
        CEREMONY_DUE_2025,
        date(2025, 1, 22),
        30,
        "due",
    )
    assert _deadline(state, "ceremony_due", today=date(2025, 3, 13)).status == "overdue"
    assert _deadline(state, "decision_due").status == "met"
    # Without the approval, a ceremony after the due day is refused.
    assert_refused(world.app, cid, c.HoldCeremony(held_on=date(2025, 3, 13)), "ceremony_overdue")
    state = assert_accepted(
        world.app, cid, c.HoldCeremony(held_on=held_on, approval_reference=approval)
    )
    due = _deadline(state, "ceremony_due")
    assert (due.status, due.met_on, due.days_late) == (status, held_on, late)


# Decision received Mon 9 Feb 2026: Feb 10–13 (4), [Feb 14–22], Feb 23–27 (9), Mar 2–6 (14),
# 9–13 (19), 16–20 (24), 23–27 (29), Mon 30 Mar (30) -> Mon 30 Mar 2026.
CEREMONY_DUE_2026 = date(2026, 3, 30)


def test_ceremony_due_across_tet_2026(world: World) -> None:
    cid = _admitted(world, 2025, date(2026, 1, 20), date(2026, 2, 2), date(2026, 2, 9))
    state = world.app.candidacy(cid)
    due = _deadline(state, "ceremony_due", today=date(2026, 3, 30))
    assert (due.due_on, due.status, due.rule_set) == (CEREMONY_DUE_2026, "due", "294-QĐ/TW")
    assert _deadline(state, "ceremony_due").status == "overdue"  # today 2026-11-01
    # The last day is still in time; the next day needs an approval.
    assert_refused(world.app, cid, c.HoldCeremony(held_on=date(2026, 3, 31)), "ceremony_overdue")
    state = assert_accepted(world.app, cid, c.HoldCeremony(held_on=CEREMONY_DUE_2026))
    assert _deadline(state, "ceremony_due").status == "met"
    assert state.probation_ends_on == date(2027, 3, 30)
    probation = _deadline(state, "probation_end")
    assert (probation.due_on, probation.status) == (date(2027, 3, 30), "due")


# ---------------------------------------------------------------- probation and recognition


def test_recognition_deadlines_of_the_happy_path(world: World) -> None:
    cid = open_candidacy(world, upto=RECOGNITION_VOTE)
    state = world.app.candidacy(cid)  # ceremony 2023-06-22, probation ends Sat 2024-06-22
    assert _deadline(state, "probation_end", today=date(2024, 6, 21)).status == "due"
    ended = _deadline(state, "probation_end", today=date(2024, 6, 22))
    assert (ended.status, ended.met_on) == ("met", date(2024, 6, 22))
    # 30 working days after Sat 22 Jun 2024: Jun 24–28 (5), Jul 1–5 (10), 8–12 (15),
    # 15–19 (20), 22–26 (25), Jul 29–Aug 2 (30) -> Fri 2 Aug 2024.
    vote_due = _deadline(state, "recognition_vote_due", today=date(2024, 8, 2))
    assert (vote_due.due_on, vote_due.status) == (date(2024, 8, 2), "due")
    assert _deadline(state, "recognition_vote_due", today=date(2024, 8, 5)).status == "overdue"
    assert "recognition_decision_due" not in _kinds(state)

    world.app.execute(
        cid,
        c.RecordRecognitionVote(
            held_on=date(2024, 6, 25), eligible_official_members=9, in_favour=9
        ),
        ADMIN,
    )
    state = world.app.candidacy(cid)
    assert _deadline(state, "recognition_vote_due").status == "met"
    # 30 working days after Tue 25 Jun 2024: Jun 26–28 (3), Jul 1–5 (8), 8–12 (13),
    # 15–19 (18), 22–26 (23), Jul 29–Aug 2 (28), Aug 5–6 (30) -> Tue 6 Aug 2024.
    decision_due = _deadline(state, "recognition_decision_due")
    assert (decision_due.due_on, decision_due.status) == (date(2024, 8, 6), "overdue")
    # It can be extended once as well, by 30 working days from Tue 6 Aug 2024: Aug 7–9 (3),
    # 12–16 (8), 19–23 (13), 26–30 (18), [Mon 2, Tue 3 Sep off], Sep 4–6 (21), 9–13 (26),
    # 16–19 (30) -> Thu 19 Sep 2024.
    state = assert_accepted(
        world.app, cid, c.ExtendDeadline(granted_on=date(2024, 8, 1), working_days=30)
    )
    extended = _deadline(state, "recognition_decision_due", today=date(2024, 9, 19))
    assert (extended.due_on, extended.working_days, extended.status) == (
        date(2024, 9, 19),
        60,
        "due",
    )
    assert_refused(
        world.app,
        cid,
        c.ExtendDeadline(granted_on=date(2024, 8, 2), working_days=1),
        "extension_not_allowed",
    )


def test_an_official_candidacy_has_every_deadline_settled(world: World) -> None:
    cid = open_candidacy(world, upto=RECOGNITION_DECISION + 1)
    found = deadlines(world.app.candidacy(cid), CALENDAR, TODAY)
    assert {d.kind for d in found} == {
        "certificate_expiry",
        "verification_sla",
        "decision_due",
        "ceremony_due",
        "probation_end",
        "recognition_vote_due",
        "recognition_decision_due",
    }
    assert all(d.status == "met" for d in found), found


def test_open_deadlines_of_a_closed_candidacy_are_dropped(world: World) -> None:
    cid = _before_branch_vote(world, 2024)
    assert_accepted(world.app, cid, branch_vote(date(2025, 1, 20)))
    state = assert_accepted(
        world.app, cid, c.Withdraw(effective_on=date(2025, 2, 10), reason="withdrew")
    )
    kinds = _kinds(state)
    assert "decision_due" not in kinds
    assert {"certificate_expiry", "verification_sla"} <= kinds  # those were met
