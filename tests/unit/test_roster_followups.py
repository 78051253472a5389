"""The roster follows the candidacy: admission registers a probationary member, recognition
makes them official, withdrawal after admission and removal take them off, and a correction
of the decision date restates the member's admission date."""

from __future__ import annotations

from datetime import date

from domain.candidacy.state import Stage
from domain.member_ids import member_id_for
from tests.scenario import ADMIN, build_tree, make_app, nominate, path_to_official
from workflows import commands as c

DECISION = 10  # commands before the admission decision in path_to_official


def test_withdrawal_after_admission_takes_the_member_off_the_roster() -> None:
    app = make_app()
    tree = build_tree(app)
    cid = nominate(app, tree)
    steps = list(path_to_official(tree))
    for cmd in steps[: DECISION + 2]:  # up to and including the ceremony
        app.execute(cid, cmd, ADMIN)
    assert app.member(member_id_for(cid)).status == "probationary"
    state = app.execute(
        cid, c.Withdraw(effective_on=date(2023, 9, 1), reason="xin ra khỏi Đảng"), ADMIN
    )
    member = app.member(member_id_for(cid))
    assert state.stage == Stage.WITHDRAWN
    assert (member.status, member.left_on, member.left_reason) == (
        "left",
        date(2023, 9, 1),
        "withdrew",
    )


def test_withdrawal_before_admission_touches_no_roster() -> None:
    app = make_app()
    tree = build_tree(app)
    cid = nominate(app, tree)
    before = app.recorder.max_notification_id()
    app.execute(cid, c.Withdraw(effective_on=date(2023, 1, 20), reason="chuyển công tác"), ADMIN)
    assert app.recorder.max_notification_id() == (before or 0) + 1


def test_correcting_the_decision_date_restates_the_roster() -> None:
    app = make_app()
    tree = build_tree(app)
    cid = nominate(app, tree)
    steps = list(path_to_official(tree))
    for cmd in steps[: DECISION + 1]:
        app.execute(cid, cmd, ADMIN)
    state = app.candidacy(cid)
    assert state.decided_on is not None
    position = state.version
    new_day = state.decided_on.replace(day=state.decided_on.day - 1)
    after = app.execute(
        cid,
        c.CorrectRecord(
            position=position,
            changes={"decided_on": new_day.isoformat()},
            reason="ngày ký ghi nhầm",
        ),
        ADMIN,
    )
    member = app.member(member_id_for(cid))
    assert after.party_age_from == new_day
    assert member.admitted_on == new_day
    assert member.version == 2
