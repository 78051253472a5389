"""``ketnap demo``: a realistic demo province (Tỉnh ủy Lâm Đồng) recorded through the
application's own commands, so every rule of its day checks every step.

The demo records its organisation tree (with the district level abolished and two communes
merged on 2025-07-01), a roster of official members, quotas for 2024 and 2025 and about
300 candidacies spread over every stage and outcome, from 2023 to late 2026. Steps are
recorded in date order with the application's clock set to each step's day (08:30 in
Vietnam, a few seconds apart), so ``recorded_at`` reads like a board's daily work.

Loading is deterministic (``random.Random(2025)``, uuid5 ids) and happens once: when the
province already exists nothing is recorded.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from time import perf_counter
from typing import Any
from uuid import UUID

from api.demo import data as d
from api.demo.cast import build_plans
from api.demo.plan import CandidacyPlan
from domain.errors import NotFound
from domain.quota import SubTargets
from domain.values import Period
from workflows import commands as c
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar
from workflows.context import Actor

SEED = 2025
PROVINCE_ID = d.BY_KEY["TU-LD"].id
BOARD = "bantochuc@lamdong.dcs.vn"
Progress = Callable[[int, int], None]
Run = Callable[[Admissions, Actor], Any]
Timed = tuple[date, int, str, Run]  # day, phase within the day, role, what to run


class DemoClock:
    """A settable clock: the demo moves it to each step's day; released, it is the real
    clock again."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now if self.now is not None else datetime.now(UTC)

    def move_to(self, day: date) -> None:
        """08:30 in Vietnam on ``day``, or a few seconds after the last step that day."""
        opening = datetime.combine(day, time(1, 30), tzinfo=UTC)
        if self.now is None or opening > self.now:
            self.now = opening
        else:
            self.now += timedelta(seconds=17)

    def release(self) -> None:
        self.now = None


@dataclass(frozen=True)
class Action:
    """One recorded command of the demo, on its day."""

    day: date
    phase: int  # within a day: the tree and quotas first, then candidacies
    seq: int
    role: str
    run: Run


@dataclass(frozen=True)
class DemoSummary:
    already_loaded: bool
    province_id: UUID
    organisations: int
    members: int
    candidacies: int
    commands: int
    events_recorded: int
    seconds: float
    stages: dict[str, int] = field(default_factory=dict)
    candidacy_ids: tuple[UUID, ...] = ()
    small_branches: tuple[str, ...] = ()


def demo_loaded(app: Admissions) -> bool:
    """Whether the demo province is already in the store."""
    try:
        app.organisation(PROVINCE_ID)
    except NotFound:
        return False
    return True


class DemoIncomplete(RuntimeError):
    """The store holds part of the demo only (an earlier load was interrupted)."""


def _check_complete(app: Admissions, plans: list[CandidacyPlan]) -> None:
    """Raise ``DemoIncomplete`` unless the last recorded step of the demo is in the store."""
    last = max(plans, key=lambda p: (p.steps[-1].day, p.spec.index))
    try:
        complete = app.candidacy(last.id).version >= len(last.steps)
    except NotFound:
        complete = False
    if not complete:
        raise DemoIncomplete(
            "the store holds an incomplete demo (an earlier load was interrupted); "
            "load it into an empty database"
        )


def _tree_actions() -> list[Timed]:
    start = d.RECORDING_STARTS
    out: list[Timed] = []
    for unit in d.UNITS:
        parent = d.BY_KEY[unit.parent].id if unit.parent else None
        found = c.FoundOrganisation(
            id=unit.id,
            code=unit.key,
            name=unit.name,
            kind=unit.kind,
            parent_id=parent,
            effective_on=unit.founded_on,
        )
        on = start if unit.founded_on < start else unit.founded_on
        out.append((on, 0, "admin", partial(_found, found)))
        areas = [(name, kind) for name, kind in unit.areas]
        areas += [(name, kind) for key, name, kind in d.EXTRA_AREAS if key == unit.key]
        for n, (name, kind) in enumerate(areas):
            area = c.AssignResidentialArea(
                code=f"{unit.key}-KV{n + 1}", name=name, kind=kind, effective_on=unit.founded_on
            )
            out.append((start, 0, "admin", partial(_assign, unit.id, area)))
    reform = d.REFORM_ON
    for key, name in d.REFORM_RENAMES.items():
        rename = c.RenameOrganisation(name=name, effective_on=reform)
        out.append((reform, 0, "admin", partial(_rename, d.BY_KEY[key].id, rename)))
    for key, new_parent in d.REFORM_MOVES.items():
        move = c.MoveOrganisation(new_parent_id=d.BY_KEY[new_parent].id, effective_on=reform)
        out.append((reform, 0, "admin", partial(_move, d.BY_KEY[key].id, move)))
    for key, into in d.REFORM_MERGES.items():
        merge = c.MergeOrganisation(into_id=d.BY_KEY[into].id, effective_on=reform)
        out.append((reform, 0, "admin", partial(_merge, d.BY_KEY[key].id, merge)))
    for key in d.REFORM_DISSOLVED:
        dissolve = c.DissolveOrganisation(effective_on=reform)
        out.append((reform, 0, "admin", partial(_dissolve, d.BY_KEY[key].id, dissolve)))
    return out


def _quota_actions() -> list[Timed]:
    out: list[Timed] = []
    for period, targets in d.QUOTAS.items():
        for key, target in targets.items():
            founded = d.BY_KEY[key].founded_on
            on = max(d.QUOTA_SET_ON[period], founded)
            subs = SubTargets(
                women=round(target * 0.4),
                ethnic_minority=round(target * 0.3),
                youth_union=round(target * 0.5),
            )
            quota = c.SetQuota(target=target, sub_targets=subs)
            run = partial(_set_quota, d.BY_KEY[key].id, Period.parse(period), quota)
            out.append((on, 1, "board", run))
    return out


def _roster_actions(rng: random.Random) -> list[Timed]:
    out: list[Timed] = []
    for m in d.roster(rng):
        register = c.RegisterMember(
            id=m.id,
            full_name=m.full_name,
            branch_id=d.BY_KEY[m.branch_key].id,
            status="official",
            admitted_on=m.admitted_on,
            official_on=m.official_on,
            sex=m.sex,
            date_of_birth=m.date_of_birth,
            ethnicity=m.ethnicity,
            religion=m.religion,
        )
        out.append((d.RECORDING_STARTS, 1, "board", partial(_register, register)))
    return out


def _candidacy_actions(plans: list[CandidacyPlan]) -> list[Timed]:
    out: list[Timed] = []
    for plan in plans:
        for step in plan.steps:
            if isinstance(step.command, c.Nominate):
                out.append((step.day, 2, "board", partial(_nominate, step.command)))
            else:
                out.append((step.day, 2, "board", partial(_execute, plan.id, step.command)))
    return out


def demo_actions(plans: list[CandidacyPlan], rng: random.Random) -> list[Action]:
    """Every command of the demo, in the order it is recorded."""
    raw = [*_tree_actions(), *_roster_actions(rng), *_quota_actions(), *_candidacy_actions(plans)]
    actions = [
        Action(day, phase, seq, role, run) for seq, (day, phase, role, run) in enumerate(raw)
    ]
    return sorted(actions, key=lambda a: (a.day, a.phase, a.seq))


def build_demo() -> tuple[list[CandidacyPlan], list[Action]]:
    """The demo's plans and actions, the same on every call."""
    rng = random.Random(SEED)
    plans = build_plans(rng, VietnamCalendar())
    return plans, demo_actions(plans, rng)


def load_demo(app: Admissions, progress: Progress | None = None) -> DemoSummary:
    """Record the demo province into ``app``'s store, unless it is already there.

    The application's clock is moved to each step's day; when ``app.clock`` is not a
    ``DemoClock`` one is put in its place for the duration and the original restored.
    """
    started = perf_counter()
    plans, actions = build_demo()
    summary = partial(
        DemoSummary,
        province_id=PROVINCE_ID,
        organisations=len(d.UNITS),
        members=sum(u.officials for u in d.branches()),
        candidacies=len(plans),
        commands=len(actions),
        stages=dict(Counter(p.final_stage.value for p in plans)),
        candidacy_ids=tuple(p.id for p in plans),
        small_branches=tuple(u.name for u in d.branches() if u.officials < 3),
    )
    if demo_loaded(app):
        _check_complete(app, plans)
        return summary(already_loaded=True, events_recorded=0, seconds=perf_counter() - started)
    before = app.recorder.max_notification_id() or 0
    original = app.clock
    clock = original if isinstance(original, DemoClock) else DemoClock()
    app.clock = clock
    try:
        for done, action in enumerate(actions, start=1):
            clock.move_to(action.day)
            actor = Actor(
                actor=BOARD,
                role=action.role,
                unit_id=PROVINCE_ID,
                request_id=f"demo-{action.seq:05d}",
            )
            action.run(app, actor)
            if progress is not None:
                progress(done, len(actions))
    finally:
        if clock is original:
            clock.release()
        app.clock = original
    after = app.recorder.max_notification_id() or 0
    return summary(
        already_loaded=False, events_recorded=after - before, seconds=perf_counter() - started
    )


# --- the commands, as plain functions (partial() binds their data) ----------------------


def _found(command: c.FoundOrganisation, app: Admissions, actor: Actor) -> object:
    return app.found_organisation(command, actor)


def _assign(
    unit_id: UUID, command: c.AssignResidentialArea, app: Admissions, actor: Actor
) -> object:
    return app.assign_area(unit_id, command, actor)


def _rename(unit_id: UUID, command: c.RenameOrganisation, app: Admissions, actor: Actor) -> object:
    return app.rename_organisation(unit_id, command, actor)


def _move(unit_id: UUID, command: c.MoveOrganisation, app: Admissions, actor: Actor) -> object:
    return app.move_organisation(unit_id, command, actor)


def _merge(unit_id: UUID, command: c.MergeOrganisation, app: Admissions, actor: Actor) -> object:
    return app.merge_organisation(unit_id, command, actor)


def _dissolve(
    unit_id: UUID, command: c.DissolveOrganisation, app: Admissions, actor: Actor
) -> object:
    return app.dissolve_organisation(unit_id, command, actor)


def _register(command: c.RegisterMember, app: Admissions, actor: Actor) -> object:
    return app.register_member(command, actor)


def _set_quota(
    unit_id: UUID, period: Period, command: c.SetQuota, app: Admissions, actor: Actor
) -> object:
    return app.set_quota(unit_id, period, command, actor)


def _nominate(command: c.Nominate, app: Admissions, actor: Actor) -> object:
    return app.nominate(command, actor)


def _execute(candidacy_id: UUID, command: c.Command, app: Admissions, actor: Actor) -> object:
    if isinstance(command, c.RecordBranchVote | c.RecordRecognitionVote):
        command = _counted_on_roster(app, candidacy_id, command)
    return app.execute(candidacy_id, command, actor)


def _counted_on_roster(
    app: Admissions, candidacy_id: UUID, vote: c.RecordBranchVote | c.RecordRecognitionVote
) -> c.RecordBranchVote | c.RecordRecognitionVote:
    """The planned vote counted as the roster stands on its day (members recognised since
    the plan was drawn count too), passing or failing as planned."""
    branch = app.candidacy(candidacy_id).branch_id
    members = len(app.roster.official_members(branch, vote.held_on))
    needed = -(-2 * members // 3)  # ceil(2/3 of all eligible)
    passed = vote.in_favour * 3 >= vote.eligible_official_members * 2
    in_favour = max(needed, min(members, vote.in_favour)) if passed else max(0, needed - 1)
    return vote.model_copy(update={"eligible_official_members": members, "in_favour": in_favour})
