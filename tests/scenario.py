"""Shared test scenario: a small organisation tree, a roster, and a candidacy driven
step by step. Used by unit tests (in memory), integration tests (SQLite, PostgreSQL) and
benchmarks, so every store runs the same workflow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.rules import add_months
from workflows import commands as c
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar
from workflows.context import Actor

ADMIN = Actor(actor="admin@test", role="admin", request_id="req-test")


@dataclass
class FixedClock:
    """A clock the test moves by hand."""

    now: datetime = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def make_app(env: dict[str, str] | None = None, clock: FixedClock | None = None) -> Admissions:
    """An application on ``env`` (default: in memory) with a fixed clock."""
    return Admissions(
        env or {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=clock or FixedClock(),
        calendar=VietnamCalendar(),
    )


@dataclass
class Tree:
    """Province → commune → grassroots committee → branch (+ a grassroots branch)."""

    province: UUID
    commune: UUID
    grassroots: UUID
    branch: UUID
    other_branch: UUID
    grassroots_branch: UUID
    officials: list[UUID] = field(default_factory=list)


def build_tree(app: Admissions, founded_on: date = date(2011, 1, 1), officials: int = 9) -> Tree:
    """Found a small tree and register ``officials`` official members in its branch."""

    def found(code: str, kind: str, parent: UUID | None) -> UUID:
        cmd = c.FoundOrganisation(
            code=code, name=f"Đơn vị {code}", kind=kind, parent_id=parent, effective_on=founded_on
        )
        return app.found_organisation(cmd, ADMIN).id

    province = found("T01", "province", None)
    commune = found("X01", "commune", province)
    grassroots = found("DU01", "grassroots_committee", commune)
    branch = found("CB01", "branch", grassroots)
    other = found("CB02", "branch", grassroots)
    gbranch = found("CBCS01", "grassroots_branch", commune)
    tree = Tree(province, commune, grassroots, branch, other, gbranch)
    for i in range(officials):
        member = app.register_member(
            c.RegisterMember(
                full_name=f"Đảng viên {i}",
                branch_id=branch,
                status="official",
                admitted_on=date(2000, 1, 1),
                official_on=date(2001, 1, 1),
                sex="male",
                date_of_birth=date(1970, 1, 1),
                ethnicity="Kinh",
            ),
            ADMIN,
        )
        tree.officials.append(member.id)
    return tree


def person(**overrides: Any) -> dict[str, Any]:
    """A candidate's personal data (JSON-ready)."""
    base: dict[str, Any] = {
        "full_name": "Nguyễn Thị Lan",
        "sex": "female",
        "date_of_birth": "2000-05-01",
        "ethnicity": "Tày",
        "religion": None,
        "youth_union_member": False,
        "education": "university",
        "occupation": "giáo viên",
    }
    base.update(overrides)
    return base


def nominate(
    app: Admissions, tree: Tree, on: date = date(2023, 1, 10), **person_overrides: Any
) -> UUID:
    """Open a candidacy in the tree's branch."""
    cmd = c.Nominate(
        person=person(**person_overrides),
        branch_id=tree.branch,
        nominated_by="womens_union",
        nominated_on=on,
        helper_member_id=tree.officials[0],
    )
    return app.nominate(cmd, ADMIN).id


def path_to_official(tree: Tree, start: date = date(2023, 2, 1)) -> Iterator[c.Command]:
    """The commands from the source pool to official membership, dated from ``start``."""
    d = start

    def after(days: int) -> date:
        nonlocal d
        d = d + timedelta(days=days)
        return d

    yield c.EnrolInClass(enrolled_on=d)
    yield c.RecordCertificate(issued_on=after(30), number="CN-0001", issuer="TTCT huyện")
    yield c.SubmitApplication(submitted_on=after(7))
    yield c.SubmitBiography(submitted_on=after(5))
    intro_on = after(5)
    yield c.RecordIntroducers(
        introducers=[
            c.IntroducerRef(
                member_id=tree.officials[0], known_since=intro_on - timedelta(days=800)
            ),
            c.IntroducerRef(
                member_id=tree.officials[1], known_since=intro_on - timedelta(days=800)
            ),
        ],
        introduced_on=intro_on,
    )
    yield c.RecordVerification(subject="candidate", requested_on=after(5))
    yield c.RecordVerification(subject="candidate", result="cleared", recorded_on=after(30))
    yield c.CertifyBiography(certified_on=after(5))
    members = len(tree.officials)  # the roster's official members of the branch
    yield c.RecordBranchVote(
        held_on=after(10), eligible_official_members=members, in_favour=max(members - 1, 0)
    )
    yield c.RecordGrassrootsVote(held_on=after(10), committee_members=7, in_favour=6)
    yield c.DecideAdmission(
        decided_on=after(20), deciding_body_id=tree.grassroots, decision="admit"
    )
    ceremony = after(14)
    yield c.HoldCeremony(held_on=ceremony)
    yield c.CompleteNewMemberClass(completed_on=after(60), certificate_number="BD-0001")
    probation_end = add_months(ceremony, 12)
    yield c.RecordRecognitionVote(
        held_on=probation_end + timedelta(days=3),
        eligible_official_members=members,
        in_favour=members,
    )
    yield c.DecideRecognition(
        decided_on=probation_end + timedelta(days=20),
        deciding_body_id=tree.grassroots,
        decision="recognise",
    )


def drive(
    app: Admissions,
    candidacy_id: UUID,
    commands: Iterator[c.Command] | list[c.Command],
    upto: int | None = None,
) -> None:
    """Run ``commands`` (the first ``upto`` of them) against a candidacy."""
    for i, cmd in enumerate(commands):
        if upto is not None and i >= upto:
            break
        app.execute(candidacy_id, cmd, ADMIN)


def roster_tally(
    app: Admissions, branch_id: UUID, on: date, in_favour: int | None = None
) -> dict[str, int]:
    """A branch vote's count as the roster gives it on ``on`` (all in favour unless told)."""
    members = len(app.roster.official_members(branch_id, on))
    return {
        "eligible_official_members": members,
        "in_favour": members if in_favour is None else in_favour,
    }


def new_id() -> UUID:
    return uuid4()
