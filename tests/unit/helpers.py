"""Small helpers shared by the unit tests of the rules, the candidacy and the tree, and by
the integration and end-to-end tests that build the same in-memory worlds.

They build on ``tests.scenario`` (the shared tree, roster and happy path) and add the
two assertions almost every guard test needs: a command is refused with a named rule and
nothing at all is appended, or a command is accepted and appends exactly one event; and
the histories the audit, compliance and tree-history tests read both in memory (unit) and
over HTTP (e2e).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from typing import Any
from uuid import UUID

import pytest

from domain.candidacy.events import CandidacyEvent
from domain.candidacy.state import CandidacyState
from domain.errors import DomainError
from tests.scenario import ADMIN, FixedClock, Tree, build_tree, make_app, nominate, path_to_official
from workflows import commands as c
from workflows.application import Admissions, fold
from workflows.calendar import VietnamCalendar

CALENDAR = VietnamCalendar()

# Positions of the commands ``path_to_official`` yields (index into its list).
ENROL, CERTIFICATE, APPLICATION, BIOGRAPHY, INTRODUCERS = 0, 1, 2, 3, 4
VERIFY_REQUEST, VERIFY_RESULT, CERTIFY, BRANCH_VOTE, GRASSROOTS_VOTE = 5, 6, 7, 8, 9
DECISION, CEREMONY, NEW_MEMBER_CLASS, RECOGNITION_VOTE, RECOGNITION_DECISION = 10, 11, 12, 13, 14

# History positions (event versions) of the happy path: the nomination is version 1 and the
# command at index ``i`` of ``path_to_official`` records version ``i + 2``.
DEFAULT_NOMINATION = date(2023, 1, 10)
DEFAULT_START = date(2023, 2, 1)


def version_of(step: int) -> int:
    """The event version the happy-path command at index ``step`` records."""
    return step + 2


@dataclass
class World:
    """An in-memory application with the scenario tree and a clock the test controls."""

    app: Admissions
    clock: FixedClock
    tree: Tree
    extra: dict[str, UUID] = field(default_factory=dict)


def make_world(officials: int = 9, clock: FixedClock | None = None) -> World:
    clock = clock or FixedClock()
    app = make_app(clock=clock)
    return World(app=app, clock=clock, tree=build_tree(app, officials=officials))


def steps(tree: Tree, start: date = DEFAULT_START) -> list[c.Command]:
    """The happy path as a list (so a test can replace one command)."""
    return list(path_to_official(tree, start))


def open_candidacy(
    world: World,
    *,
    upto: int = 0,
    nominated_on: date = DEFAULT_NOMINATION,
    start: date = DEFAULT_START,
    **person: Any,
) -> UUID:
    """Nominate a candidate and run the first ``upto`` commands of the happy path."""
    cid = nominate(world.app, world.tree, on=nominated_on, **person)
    # Lazily: path_to_official cannot compute a recognition date for a ceremony on 29 Feb.
    for command in islice(path_to_official(world.tree, start), upto):
        world.app.execute(cid, command, ADMIN)
    return cid


def snapshot(app: Admissions, candidacy_id: UUID) -> tuple[int, int | None]:
    """The history length of a candidacy and the store's last notification id."""
    return len(app.candidacy(candidacy_id).history), app.recorder.max_notification_id()


def assert_refused(
    app: Admissions, candidacy_id: UUID, command: c.Command, rule: str
) -> DomainError:
    """``command`` is refused with ``rule`` and nothing is appended anywhere."""
    before = snapshot(app, candidacy_id)
    with pytest.raises(DomainError) as caught:
        app.execute(candidacy_id, command, ADMIN)
    assert caught.value.rule == rule, caught.value.detail
    assert snapshot(app, candidacy_id) == before
    return caught.value


def assert_accepted(app: Admissions, candidacy_id: UUID, command: c.Command) -> CandidacyState:
    """``command`` is recorded as exactly one new candidacy event."""
    length = len(app.candidacy(candidacy_id).history)
    state = app.execute(candidacy_id, command, ADMIN)
    assert len(state.history) == length + 1
    assert state.history[-1].originator_version == length + 1
    return state


def assert_nomination_refused(app: Admissions, command: c.Nominate, rule: str) -> DomainError:
    """A nomination is refused with ``rule`` and the store is untouched."""
    before = app.recorder.max_notification_id()
    with pytest.raises(DomainError) as caught:
        app.nominate(command, ADMIN)
    assert caught.value.rule == rule, caught.value.detail
    assert app.recorder.max_notification_id() == before
    return caught.value


def found_unit(
    app: Admissions, code: str, kind: str, parent: UUID | None, on: date = date(2011, 1, 1)
) -> UUID:
    command = c.FoundOrganisation(
        code=code, name=f"Đơn vị {code}", kind=kind, parent_id=parent, effective_on=on
    )
    return app.found_organisation(command, ADMIN).id


def register_member(
    app: Admissions,
    branch: UUID,
    *,
    status: str = "official",
    admitted_on: date = date(2000, 1, 1),
    official_on: date | None = date(2001, 1, 1),
) -> UUID:
    command = c.RegisterMember(
        full_name="Đảng viên",
        branch_id=branch,
        status=status,
        admitted_on=admitted_on,
        official_on=official_on,
        sex="male",
        date_of_birth=date(1970, 1, 1),
        ethnicity="Kinh",
    )
    return app.register_member(command, ADMIN).id


def introducers(
    *refs: tuple[UUID, date], on: date, resolution: c.Resolution | None = None
) -> c.RecordIntroducers:
    return c.RecordIntroducers(
        introducers=[c.IntroducerRef(member_id=m, known_since=k) for m, k in refs],
        introduced_on=on,
        youth_union_resolution=resolution,
    )


def branch_vote(
    held_on: date, eligible: int = 9, in_favour: int = 8, **refs: Any
) -> c.RecordBranchVote:
    return c.RecordBranchVote(
        held_on=held_on, eligible_official_members=eligible, in_favour=in_favour, **refs
    )


# --- histories read both in memory (unit) and over HTTP (e2e) -------------------------------


def drive_to_official(world: World, *, hours_between: float = 1) -> UUID:
    """Nominate and drive the happy path to official, one recording hour apart per step."""
    cid = nominate(world.app, world.tree)
    for command in path_to_official(world.tree):
        world.clock.advance(hours=hours_between)
        world.app.execute(cid, command, ADMIN)
    return cid


def replay(history: tuple[CandidacyEvent, ...], keep: Callable[..., bool]) -> CandidacyState | None:
    """The independent answer: fold, event by event, only the events ``keep(event)`` accepts."""
    state: CandidacyState | None = fold(None, [e for e in history if keep(e)])
    return state


def boundary_days(history: tuple[CandidacyEvent, ...]) -> list[date]:
    """Each effective day, the day before and the day after it."""
    days = {e.effective_on + timedelta(days=d) for e in history for d in (-1, 0, 1)}
    return sorted(days)


# ``path_to_official`` takes 127 days from its start to the admission decision.
TO_DECISION = timedelta(days=127)
TO_CEREMONY = TO_DECISION + timedelta(days=14)
# Decision received Tue 18 March 2025 (rule set 232-QĐ/TW): 30 working days end on Tue
# 29 April, counted by hand: Hùng Kings' day (Mon 7 April) is off, Sat 26 April is a
# make-up working day. The ceremony on Tue 6 May comes after Wed 30 April, Thu 1 and Fri
# 2 May (holidays) and a weekend: 7 calendar days late, 2 working days (5 and 6 May).
LATE_DECISION = date(2025, 3, 18)
LATE_DUE = date(2025, 4, 29)
LATE_CEREMONY = date(2025, 5, 6)


def admit(world: World, decided_on: date, ceremony: date | None, **extra: str) -> UUID:
    """A candidacy decided on ``decided_on`` and, if given, its ceremony on ``ceremony``
    followed by the rest of the happy path (dated from the ceremony)."""
    cid = nominate(world.app, world.tree, on=date(2023, 1, 10))
    path = steps(world.tree, decided_on - TO_DECISION)
    decision = path[DECISION]
    assert isinstance(decision, c.DecideAdmission) and decision.decided_on == decided_on
    if ceremony is None:
        path = path[: DECISION + 1]
    else:
        after = steps(world.tree, ceremony - TO_CEREMONY)[CEREMONY + 1 :]
        path = [*path[:CEREMONY], c.HoldCeremony(held_on=ceremony, **extra), *after]
    for command in path:
        world.app.execute(cid, command, ADMIN)
    return cid


def tree_of_1976(app: Admissions) -> tuple[UUID, UUID]:
    """A province, a commune and a grassroots branch founded on 1976-01-01:
    ``(province, branch)``."""
    province = found_unit(app, "T76", "province", None, on=date(1976, 1, 1))
    commune = found_unit(app, "X76", "commune", province, on=date(1976, 1, 1))
    branch = found_unit(app, "CB76", "grassroots_branch", commune, on=date(1976, 1, 1))
    return province, branch
