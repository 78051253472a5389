"""The demo's candidacies as dated plans: who is nominated where and when, and every
command of their path, each dated so that it satisfies the rules of its day.

A plan is drawn from ``random.Random(2025)`` and is the same on every run. Most
candidacies follow their path until the demo's horizon (so late nominations are still in
early stages); a few end otherwise (withdrawn, refused, rejected by the committee, removed
during probation), some are transferred, some fail a branch vote, one is escalated after
three failed votes, one decision date is corrected, and a few are deliberately left in
each short stage so every stage shows up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from api.demo import data as d
from domain.calendar import WorkingCalendar
from domain.candidacy.state import Stage
from domain.organisation import OrganisationKind
from domain.rules import add_months, whole_months
from domain.values import DocumentRef, Education, Person
from workflows import commands as c

CANDIDACIES = 300
FIRST_NOMINATION = date(2023, 1, 5)
LAST_NOMINATION = date(2026, 9, 20)
# Named points of a path, in order: a withdrawal or a transfer happens just before one.
MILESTONES = (
    "class",
    "certificate",
    "application",
    "biography",
    "introducers",
    "verification",
    "branch_vote",
    "grassroots_vote",
    "decision",
    "ceremony",
    "recognition_vote",
    "recognition_decision",
)
TRANSFERABLE = MILESTONES[3:]
WITHDRAW_REASONS = (
    "chuyển nơi cư trú",
    "lý do gia đình",
    "đi học xa",
    "đi làm ăn xa",
    "tự nguyện xin rút hồ sơ",
)
STALLS = (
    (Stage.SOURCE_POOL, 2),
    (Stage.CERTIFIED, 2),
    (Stage.DOSSIER, 2),
    (Stage.VERIFICATION, 2),
    (Stage.BRANCH_APPROVED, 3),
    (Stage.AWAITING_DECISION, 3),
    (Stage.ADMITTED, 3),
    (Stage.RECOGNITION_REVIEW, 3),
)


@dataclass(frozen=True)
class CandidacySpec:
    """How one candidacy's story goes (drawn once, then turned into dated steps)."""

    index: int
    seed: int
    branch_key: str
    nominated_on: date
    fate: str = "official"  # official | withdrawn | committee_rejects | refused | removed
    stall_at: Stage | None = None
    failed_branch_votes: int = 0  # 3: escalated to the superior committee
    transfer_before: str | None = None
    transfer_to: str | None = None
    withdraw_before: str | None = None
    extension: bool = False
    discipline: bool = False
    education_exception: bool = False
    corrected_decision: bool = False


@dataclass(frozen=True)
class PlannedStep:
    day: date
    command: c.Command
    stage: Stage  # the stage after this step


@dataclass(frozen=True)
class CandidacyPlan:
    id: UUID
    spec: CandidacySpec
    steps: tuple[PlannedStep, ...]

    @property
    def final_stage(self) -> Stage:
        return self.steps[-1].stage


def _doc(form: str, number: str, dated: date) -> DocumentRef:
    return DocumentRef(form=form, number=number, dated=dated)


class _Path:
    """Builds one candidacy's steps, moving its own day forward (to working days)."""

    def __init__(self, spec: CandidacySpec, calendar: WorkingCalendar) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.calendar = calendar
        self.day = spec.nominated_on
        self.branch = spec.branch_key
        self.steps: list[PlannedStep] = []
        self.stage = Stage.SOURCE_POOL

    def later(self, low: int, high: int) -> date:
        day = self.day + timedelta(days=self.rng.randint(low, high))
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        self.day = day
        return day

    def at(self, day: date) -> date:
        self.day = max(self.day, day)
        return self.later(0, 0)

    def add(self, command: c.Command, stage: Stage | None = None) -> None:
        self.stage = stage or self.stage
        self.steps.append(PlannedStep(self.day, command, self.stage))

    def reached(self, milestone: str) -> bool:
        """Withdraw or transfer before ``milestone``; False when the path ends here."""
        if self.spec.withdraw_before == milestone:
            self.later(5, 40)
            reason = self.rng.choice(WITHDRAW_REASONS)
            self.add(c.Withdraw(effective_on=self.day, reason=reason), Stage.WITHDRAWN)
            return False
        if self.spec.transfer_before == milestone and self.spec.transfer_to:
            self.later(3, 20)
            self.add(
                c.TransferCandidacy(
                    to_branch_id=d.BY_KEY[self.spec.transfer_to].id, effective_on=self.day
                )
            )
            self.branch = self.spec.transfer_to
        return True

    @property
    def officials(self) -> list[UUID]:
        return [d.member_id(self.branch, n) for n in range(d.BY_KEY[self.branch].officials)]

    def tally(self, eligible: int, passed: bool) -> int:
        needed = -(-2 * eligible // 3)  # ceil(2/3 of all eligible)
        if passed:
            return self.rng.randint(needed, eligible)
        return max(0, needed - self.rng.randint(1, 2))

    def number(self, suffix: str) -> str:
        return f"{self.rng.randint(1, 180)}-{suffix}"


def _introducers(path: _Path, person: Person) -> c.RecordIntroducers:
    on = path.day
    youth = person.youth_union_member and whole_months(person.date_of_birth, on) // 12 <= 30
    count = 1 if youth else 2
    chosen = path.rng.sample(path.officials, min(count, len(path.officials)))
    if len(chosen) < count:  # a small branch: a member of a neighbouring branch introduces
        neighbours = [
            k for k in d.siblings(path.branch, on) if d.BY_KEY[k].kind == OrganisationKind.BRANCH
        ]
        chosen += [d.member_id(k, 0) for k in neighbours][: count - len(chosen)]
    refs = [
        c.IntroducerRef(member_id=m, known_since=on - timedelta(days=path.rng.randint(400, 2500)))
        for m in chosen
    ]
    resolution = c.Resolution(number=path.number("NQ/ĐTN"), dated=on) if youth else None
    form = "4-KNĐ" if youth else "3-KNĐ"
    return c.RecordIntroducers(
        introducers=refs,
        youth_union_resolution=resolution,
        introduced_on=on,
        document=_doc(form, path.number("GT"), on),
    )


def plan_path(spec: CandidacySpec, calendar: WorkingCalendar) -> list[PlannedStep]:
    """Every step of the candidacy's story, dated (not yet cut at the horizon)."""
    p = _Path(spec, calendar)
    unit = d.BY_KEY[spec.branch_key]
    person = d.candidate(p.rng, unit.profile, spec.nominated_on)
    if spec.education_exception:
        person = person.model_copy(update={"education": Education.PRIMARY})
    helper = p.officials[0] if p.officials else None
    p.add(
        c.Nominate(
            id=d.candidacy_id(spec.index),
            person=person,
            branch_id=unit.id,
            nominated_by=d.nominator(p.rng, person, unit.profile),
            nominated_on=spec.nominated_on,
            helper_member_id=helper,
        ),
        Stage.SOURCE_POOL,
    )
    if not p.reached("class"):
        return p.steps
    p.later(7, 40)
    p.add(c.EnrolInClass(enrolled_on=p.day), Stage.AWARENESS_CLASS)
    if not p.reached("certificate"):
        return p.steps
    p.later(20, 35)
    issuer = (
        "Trường Chính trị tỉnh Lâm Đồng"
        if p.day >= d.REFORM_ON
        else "Trung tâm Chính trị thành phố Đà Lạt"
        if "TP-DL" in d.path_on(p.branch, p.day)
        else "Trung tâm Chính trị huyện Lạc Dương"
    )
    p.add(
        c.RecordCertificate(issued_on=p.day, number=p.number("CN/NTVĐ"), issuer=issuer),
        Stage.CERTIFIED,
    )
    if not p.reached("application"):
        return p.steps
    p.later(5, 30)
    p.add(
        c.SubmitApplication(submitted_on=p.day, document=_doc("1-KNĐ", "ĐXN", p.day)), Stage.DOSSIER
    )
    if not p.reached("biography"):
        return p.steps
    p.later(3, 14)
    p.add(c.SubmitBiography(submitted_on=p.day, document=_doc("2-KNĐ", "LL", p.day)))
    if not p.reached("introducers"):
        return p.steps
    p.later(3, 14)
    p.add(_introducers(p, person))
    if not p.reached("verification"):
        return p.steps
    p.later(2, 7)
    subjects = ["candidate", "father", "mother"]
    if whole_months(person.date_of_birth, p.day) > 26 * 12 and p.rng.random() < 0.6:
        subjects.append("spouse")
    checked = []
    for subject in subjects:
        member_relative = subject != "candidate" and p.rng.random() < 0.2
        p.add(
            c.RecordVerification(
                subject=subject,
                requested_on=p.day,
                field_check_needed=not member_relative,
                document=_doc("20-KNĐ", p.number("CV/CB"), p.day),
            ),
            Stage.VERIFICATION,
        )
        if not member_relative:
            checked.append(subject)
    for subject in checked:
        p.later(8, 25)
        concern = subject == "father" and p.rng.random() < 0.04
        p.add(
            c.RecordVerification(
                subject=subject, result="concern" if concern else "cleared", recorded_on=p.day
            )
        )
    p.later(3, 10)
    p.add(c.CertifyBiography(certified_on=p.day))
    if not p.reached("branch_vote"):
        return p.steps
    grassroots_branch = d.BY_KEY[p.branch].kind == OrganisationKind.GRASSROOTS_BRANCH
    eligible = len(p.officials)
    if eligible < 3:  # the branch cannot vote: the candidacy waits (domain.md, a branch needs 3)
        return p.steps
    exception = "45-CV/BTCTU" if spec.education_exception else None
    for attempt in range(spec.failed_branch_votes):
        p.later(*((7, 20) if attempt == 0 else (30, 50)))
        p.add(
            c.RecordBranchVote(
                held_on=p.day,
                eligible_official_members=eligible,
                in_favour=p.tally(eligible, passed=False),
                education_exception_reference=exception,
            )
        )
    escalated = spec.failed_branch_votes >= 3
    if escalated:  # the superior committee takes it up
        p.later(15, 30)
        p.add(
            c.RecordGrassrootsVote(
                held_on=p.day,
                committee_members=13,
                in_favour=p.tally(13, True),
                document=_doc("8-KNĐ", p.number("NQ/ĐU"), p.day),
            ),
            Stage.AWAITING_DECISION,
        )
    else:
        p.later(*((7, 20) if spec.failed_branch_votes == 0 else (30, 50)))
        p.add(
            c.RecordBranchVote(
                held_on=p.day,
                eligible_official_members=eligible,
                in_favour=p.tally(eligible, passed=True),
                education_exception_reference=exception,
                document=_doc("6-KNĐ", p.number("NQ/CB"), p.day),
            ),
            Stage.AWAITING_DECISION if grassroots_branch else Stage.BRANCH_APPROVED,
        )
    if not grassroots_branch and not escalated:
        if not p.reached("grassroots_vote"):
            return p.steps
        p.later(7, 20)
        members = 7 if d.path_on(p.branch, p.day)[-2] in ("P1-CHO", "VQG") else 13
        rejects = spec.fate == "committee_rejects"
        p.add(
            c.RecordGrassrootsVote(
                held_on=p.day,
                committee_members=members,
                in_favour=p.tally(members, passed=not rejects),
                document=_doc("8-KNĐ", p.number("NQ/ĐU"), p.day),
            ),
            Stage.REJECTED if rejects else Stage.AWAITING_DECISION,
        )
        if rejects:
            return p.steps
    if spec.extension:
        p.later(40, 55)
        p.add(c.ExtendDeadline(granted_on=p.day, working_days=20))
    if not p.reached("decision"):
        return p.steps
    p.later(10, 35)
    if spec.corrected_decision:  # signed in December, typed with January's date
        p.at(date(2025, 1, 6))
    body = d.competent_body(p.branch, p.day)
    suffix = "QĐ/HU" if d.BY_KEY[body].kind == OrganisationKind.DISTRICT else "QĐ/ĐU"
    refused = spec.fate == "refused"
    received = p.day + timedelta(days=p.rng.randint(1, 4)) if p.rng.random() < 0.4 else None
    decided = p.day
    if received is not None:  # recorded once the decision has reached the branch
        p.at(received)
    p.add(
        c.DecideAdmission(
            decided_on=decided,
            deciding_body_id=d.BY_KEY[body].id,
            decision="refuse" if refused else "admit",
            received_on=received,
            document=_doc("9-KNĐ", p.number(suffix), decided),
        ),
        Stage.REJECTED if refused else Stage.ADMITTED,
    )
    if refused:
        return p.steps
    if spec.corrected_decision:
        position = len(p.steps)  # the decision is the last step so far: its version
        p.at(date(2025, 1, 13))
        p.add(
            c.CorrectRecord(
                position=position,
                changes={"decided_on": "2024-12-30"},
                reason="Ngày ký quyết định ghi nhầm: quyết định ký ngày 30/12/2024",
                corrected_on=p.day,
            )
        )
    if not p.reached("ceremony"):
        return p.steps
    p.at(received or p.day)
    ceremony = p.later(5, 25)
    p.add(c.HoldCeremony(held_on=ceremony), Stage.PROBATION)
    if p.officials:
        p.later(0, 7)
        p.add(c.AssignHelper(member_id=p.rng.choice(p.officials), assigned_on=p.day))
    p.later(30, 150)
    p.add(c.CompleteNewMemberClass(completed_on=p.day, certificate_number=p.number("CN/ĐVM")))
    if spec.discipline:
        p.later(20, 60)
        p.add(c.RecordDiscipline(decided_on=p.day, kind="reprimand"))
    eligible = len(p.officials)
    if spec.fate == "removed":
        p.later(30, 120)
        p.add(
            c.RecordRecognitionVote(
                held_on=p.day,
                eligible_official_members=eligible,
                in_favour=p.tally(eligible, True),
                proposal="remove",
            ),
            Stage.RECOGNITION_REVIEW,
        )
        p.later(7, 25)
        body = d.competent_body(p.branch, p.day)
        p.add(
            c.DecideRecognition(
                decided_on=p.day, deciding_body_id=d.BY_KEY[body].id, decision="remove"
            ),
            Stage.REMOVED,
        )
        return p.steps
    if not p.reached("recognition_vote"):
        return p.steps
    p.at(add_months(ceremony, 12))
    p.later(0, 15)
    p.add(
        c.RecordRecognitionVote(
            held_on=p.day,
            eligible_official_members=eligible,
            in_favour=p.tally(eligible, True),
            document=_doc("13-KNĐ", p.number("NQ/CB"), p.day),
        ),
        Stage.RECOGNITION_REVIEW,
    )
    if not p.reached("recognition_decision"):
        return p.steps
    p.later(5, 25)
    body = d.competent_body(p.branch, p.day)
    p.add(
        c.DecideRecognition(
            decided_on=p.day,
            deciding_body_id=d.BY_KEY[body].id,
            decision="recognise",
            document=_doc("16-KNĐ", p.number("QĐ/ĐU"), p.day),
        ),
        Stage.OFFICIAL,
    )
    return p.steps


def plan_candidacy(spec: CandidacySpec, calendar: WorkingCalendar) -> CandidacyPlan:
    """The steps up to the horizon (and up to ``stall_at``, when set)."""
    steps = plan_path(spec, calendar)
    if spec.stall_at is not None:
        cut = next((i for i, s in enumerate(steps) if s.stage == spec.stall_at), None)
        steps = steps if cut is None else steps[: cut + 1]
    kept = tuple(s for s in steps if s.day <= d.HORIZON)
    return CandidacyPlan(id=d.candidacy_id(spec.index), spec=spec, steps=kept)
