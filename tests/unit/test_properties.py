"""Property-based tests.

(a) A state machine drives one candidacy in an in-memory application with random
commands: the next step of its stage (usually valid), any command at all (usually not),
and corrections of random events. After every step the candidacy must be coherent: legal
stage, no admission without a passing vote, official date = end of probation, contiguous
versions, an unbroken hash chain, nothing appended by a refusal, and the stored events
replaying to the same state.

(b) Small properties of the vote threshold and the month arithmetic behind the guards.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from dateutil.relativedelta import relativedelta
from hypothesis import event as statistic
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from pydantic import ValidationError

from domain.candidacy.events import (
    BranchVoteHeld,
    Corrected,
    GrassrootsVoteHeld,
    RecognitionVoteHeld,
    effective_events,
    replay,
)
from domain.candidacy.state import CandidacyState, Stage
from domain.errors import DomainError
from domain.events import GENESIS_HASH
from domain.rules import (
    AgeWithinRange,
    CertificateStillValid,
    IntroducerKnewCandidateTwelveMonths,
    add_months,
    first_failure,
    whole_months,
)
from domain.rulesets import rule_set_by_code, rule_set_on
from domain.values import VoteTally
from tests.scenario import ADMIN, nominate
from tests.unit.helpers import make_world, snapshot
from workflows import commands as c

RS = rule_set_by_code("24-QĐ/TW")
TODAY = date(2026, 11, 1)  # the recording day of the scenario's fixed clock, in Vietnam

ADMITTED_STAGES = frozenset(
    {Stage.ADMITTED, Stage.PROBATION, Stage.RECOGNITION_REVIEW, Stage.OFFICIAL, Stage.REMOVED}
)
SUBJECTS = ["candidate", "father", "mother", "spouse"]
BODIES = ["grassroots", "grassroots", "grassroots", "commune", "province", "other_branch"]
KINDS = [
    "enrol",
    "certificate",
    "application",
    "biography",
    "introducers",
    "verify_request",
    "verify_result",
    "certify",
    "branch_vote",
    "grassroots_vote",
    "appraisal",
    "extension",
    "decision",
    "ceremony",
    "helper",
    "new_member_class",
    "discipline",
    "recognition_vote",
    "recognition_decision",
    "transfer",
    "withdrawal",
]


class CandidacyMachine(RuleBasedStateMachine):
    """One candidacy under random commands."""

    def __init__(self) -> None:
        super().__init__()
        self.world = make_world()
        self.cid: UUID | None = None
        self.accepted = 0
        self.refused: list[str] = []

    # ------------------------------------------------------------ helpers

    @property
    def state(self) -> CandidacyState:
        assert self.cid is not None
        return self.world.app.candidacy(self.cid)

    def _body(self, name: str) -> UUID:
        tree = self.world.tree
        ids = {
            "grassroots": tree.grassroots,
            "commune": tree.commune,
            "province": tree.province,
            "other_branch": tree.other_branch,
        }
        return ids[name]

    def _latest_day(self, state: CandidacyState) -> date:
        return max(
            e.effective_on for e in effective_events(state.history) if not isinstance(e, Corrected)
        )

    def _run(self, command: c.Command) -> bool:
        """Execute ``command``; a refusal must leave the store exactly as it was."""
        assert self.cid is not None
        app = self.world.app
        before = snapshot(app, self.cid)
        try:
            app.execute(self.cid, command, ADMIN)
        except (DomainError, ValidationError) as exc:
            assert snapshot(app, self.cid) == before, f"refused {command!r} but appended"
            self.refused.append(getattr(exc, "rule", "validation"))
            return False
        length, last_id = snapshot(app, self.cid)
        assert length == before[0] + 1
        assert last_id is not None and last_id > (before[1] or 0)
        self.accepted += 1
        return True

    def _command(self, kind: str, day: date, draw: dict[str, Any]) -> c.Command:
        """A command of ``kind`` dated ``day``, its other values taken from ``draw``."""
        tree = self.world.tree
        eligible, in_favour = draw["eligible"], draw["in_favour"]
        flag = draw["flag"]
        if kind == "enrol":
            return c.EnrolInClass(enrolled_on=day)
        if kind == "certificate":
            return c.RecordCertificate(issued_on=day, number="CN-1", issuer="TTCT")
        if kind == "application":
            return c.SubmitApplication(submitted_on=day)
        if kind == "biography":
            return c.SubmitBiography(submitted_on=day)
        if kind == "introducers":
            # With ``flag``: the Youth Union route (its resolution and one member).
            known = day - relativedelta(months=draw["months_known"])
            members = tree.officials[:1] if flag else tree.officials[:2]
            return c.RecordIntroducers(
                introducers=[c.IntroducerRef(member_id=m, known_since=known) for m in members],
                introduced_on=day,
                youth_union_resolution=c.Resolution(number="1-NQ/ĐTN", dated=day) if flag else None,
            )
        if kind == "verify_request":
            return c.RecordVerification(
                subject=draw["subject"], requested_on=day, field_check_needed=flag
            )
        if kind == "verify_result":
            return c.RecordVerification(
                subject=draw["subject"], result="cleared" if flag else "concern", recorded_on=day
            )
        if kind == "certify":
            return c.CertifyBiography(certified_on=day)
        if kind == "branch_vote":
            return c.RecordBranchVote(
                held_on=day,
                eligible_official_members=eligible,
                in_favour=in_favour,
                age_consent_reference="C-1" if flag else None,
                education_exception_reference="E-1" if flag else None,
            )
        if kind == "grassroots_vote":
            return c.RecordGrassrootsVote(
                held_on=day, committee_members=eligible, in_favour=in_favour
            )
        if kind == "appraisal":
            return c.RecordSubunitAppraisal(appraised_on=day)
        if kind == "extension":
            return c.ExtendDeadline(granted_on=day, working_days=draw["working_days"])
        if kind == "decision":
            return c.DecideAdmission(
                decided_on=day,
                deciding_body_id=self._body(draw["body"]),
                decision=draw["decision"],
            )
        if kind == "ceremony":
            return c.HoldCeremony(held_on=day, approval_reference="A-1" if flag else None)
        if kind == "helper":
            return c.AssignHelper(member_id=tree.officials[2], assigned_on=day)
        if kind == "new_member_class":
            return c.CompleteNewMemberClass(completed_on=day, certificate_number="BD-1")
        if kind == "discipline":
            return c.RecordDiscipline(decided_on=day, kind="warning" if flag else "expulsion")
        if kind == "recognition_vote":
            return c.RecordRecognitionVote(
                held_on=day,
                eligible_official_members=eligible,
                in_favour=in_favour,
                proposal=draw["proposal"],
            )
        if kind == "recognition_decision":
            return c.DecideRecognition(
                decided_on=day,
                deciding_body_id=self._body(draw["body"]),
                decision=draw["proposal"],
            )
        if kind == "transfer":
            target = tree.other_branch if flag else tree.branch
            return c.TransferCandidacy(to_branch_id=target, effective_on=day)
        assert kind == "withdrawal"
        return c.Withdraw(effective_on=day, reason="withdrew")

    def _next_kind(self, state: CandidacyState) -> tuple[str, date]:
        """The step the candidacy's stage calls for, and the day it counts from."""
        base = self._latest_day(state)
        stage = state.stage
        if stage == Stage.SOURCE_POOL:
            return "enrol", base
        if stage == Stage.AWARENESS_CLASS:
            return "certificate", base
        if stage == Stage.CERTIFIED:
            return "application", base
        if stage == Stage.DOSSIER:
            if state.biography_on is None:
                return "biography", base
            if state.introduced_on is None:
                return "introducers", base
            return "verify_request", base
        if stage == Stage.VERIFICATION:
            if any(not v.resolved for v in state.verifications):
                return "verify_result", base
            if state.biography_certified_on is None:
                return "certify", base
            return ("grassroots_vote" if state.escalated_on else "branch_vote"), base
        if stage == Stage.BRANCH_APPROVED:
            return "grassroots_vote", base
        if stage == Stage.AWAITING_DECISION:
            return "decision", base
        if stage == Stage.ADMITTED:
            return "ceremony", base
        if stage == Stage.PROBATION:
            assert state.probation_ends_on is not None
            return "recognition_vote", max(base, state.probation_ends_on)
        if stage == Stage.RECOGNITION_REVIEW:
            return "recognition_decision", base
        return "withdrawal", base  # terminal: refused

    # ------------------------------------------------------------ rules

    @initialize(
        nominated_on=st.dates(date(2012, 1, 1), date(2023, 6, 30)),
        age=st.integers(16, 61),
        youth=st.booleans(),
        education=st.sampled_from(["university", "lower_secondary", "primary"]),
    )
    def open_candidacy(self, nominated_on: date, age: int, youth: bool, education: str) -> None:
        born = date(nominated_on.year - age, nominated_on.month, 1)
        self.cid = nominate(
            self.world.app,
            self.world.tree,
            on=nominated_on,
            date_of_birth=born.isoformat(),
            youth_union_member=youth,
            education=education,
        )
        assert self.state.stage == Stage.SOURCE_POOL

    draws = st.fixed_dictionaries(
        {
            "eligible": st.integers(0, 12),
            "in_favour": st.integers(0, 12),
            "flag": st.booleans(),
            "subject": st.sampled_from(SUBJECTS),
            "months_known": st.integers(6, 40),
            "working_days": st.integers(1, 40),
            "body": st.sampled_from(BODIES),
            "decision": st.sampled_from(["admit", "admit", "admit", "refuse"]),
            "proposal": st.sampled_from(["recognise", "recognise", "remove"]),
        }
    )

    @rule(
        steps=st.integers(1, 5),
        gap=st.integers(-3, 40),
        draw=draws,
        eligible=st.integers(3, 12),
        against=st.integers(0, 3),
        refuse=st.integers(0, 9),
    )
    def advance(
        self, steps: int, gap: int, draw: dict[str, Any], eligible: int, against: int, refuse: int
    ) -> None:
        """The next steps of the stage, usually valid: votes mostly pass, one decision in
        ten is a refusal."""
        draw = {
            **draw,
            "eligible": eligible,
            "in_favour": max(0, eligible - against),
            "decision": "refuse" if refuse == 0 else "admit",
            "body": "grassroots" if refuse > 1 else draw["body"],
        }
        for _ in range(steps):
            state = self.state
            kind, base = self._next_kind(state)
            if kind == "verify_result":
                pending = next(v for v in state.verifications if not v.resolved)
                draw = {**draw, "subject": pending.subject}
            elif kind == "verify_request":
                draw = {**draw, "subject": "candidate"}
            elif kind == "introducers":
                age = whole_months(state.person.date_of_birth, base + timedelta(days=gap)) // 12
                draw = {**draw, "flag": state.person.youth_union_member and age <= 30}
            self._run(self._command(kind, base + timedelta(days=gap), draw))
            self.coherent()

    @rule(
        kind=st.sampled_from(KINDS),
        gap=st.integers(-60, 120),
        draw=draws,
        withdraw=st.integers(0, 9),
    )
    def any_command(self, kind: str, gap: int, draw: dict[str, Any], withdraw: int) -> None:
        """Any command at all, dated around the latest step (often refused). A withdrawal
        ends the story, so nine in ten are dated in the future and refused."""
        day = self._latest_day(self.state) + timedelta(days=gap)
        if kind == "withdrawal" and withdraw:
            day = TODAY + timedelta(days=1 + withdraw)
        try:
            command = self._command(kind, day, draw)
        except ValidationError:  # input that cannot be true (more in favour than voters)
            self.refused.append("validation")
            return
        self._run(command)

    @rule(
        seed=st.integers(0, 10_000),
        shift=st.integers(-40, 40),
        in_favour=st.integers(0, 12),
        tally=st.booleans(),
    )
    def correct(self, seed: int, shift: int, in_favour: int, tally: bool) -> None:
        """Restate the date (or a vote's tally) of a random earlier event."""
        state = self.state
        position = 1 + seed % len(state.history)
        current = effective_events(state.history)[position - 1]
        changes: dict[str, Any]
        if tally and isinstance(current, BranchVoteHeld | GrassrootsVoteHeld | RecognitionVoteHeld):
            changes = {"in_favour": in_favour}
        else:
            changes = {
                current.date_field: (current.effective_on + timedelta(days=shift)).isoformat()
            }
        if isinstance(current, Corrected):
            changes = {"position": 1}  # always refused: corrections are not corrected
        self._run(c.CorrectRecord(position=position, changes=changes, reason="sửa sai sót"))

    # ------------------------------------------------------------ invariants

    @invariant()
    def coherent(self) -> None:
        if self.cid is None:
            return
        state = self.state
        history = state.history
        assert state.stage in set(Stage)

        # Versions 1..n with an unbroken hash chain.
        assert [e.originator_version for e in history] == list(range(1, len(history) + 1))
        assert state.version == len(history)
        previous = GENESIS_HASH
        for event in history:
            assert event.prev_hash == previous
            previous = event.content_hash()
        assert state.last_hash == previous

        # Every recorded original passed its blocking guards under the rule set of its date,
        # and no fact lies after the recording day or before the nomination.
        for event in history:
            assert first_failure(event.checks) is None, event.checks
            assert event.rule_set == rule_set_on(event.effective_on).code
            assert event.effective_on <= TODAY
        effective = [e for e in effective_events(history) if not isinstance(e, Corrected)]
        assert all(e.effective_on >= state.nominated_on for e in effective)

        # Stage and facts agree.
        if state.stage in (Stage.BRANCH_APPROVED, Stage.AWAITING_DECISION):
            assert state.branch_resolution_on is not None
        if state.stage in ADMITTED_STAGES:
            assert state.decided_on is not None and state.party_age_from is not None
        if state.party_age_from is not None:  # admitted (perhaps withdrawn since)
            assert state.stage in ADMITTED_STAGES | {Stage.WITHDRAWN}
            assert _admitted_by_a_passing_vote(state), state.votes
        if state.stage in (Stage.PROBATION, Stage.RECOGNITION_REVIEW, Stage.OFFICIAL):
            assert state.ceremony_on is not None and state.probation_ends_on is not None
            assert state.probation_ends_on == add_months(state.ceremony_on, 12)
        if state.stage == Stage.OFFICIAL:
            assert state.decided_on is not None and state.ceremony_on is not None
            ends = state.probation_ends_on
            assert ends is not None and state.official_on == ends
            assert state.recognition_decided_on is not None
            assert state.recognition_decided_on >= ends
            assert any(v.body == "recognition" and v.passed for v in state.votes)
        else:
            assert state.official_on is None
        if state.escalated_on is not None:
            assert state.failed_branch_votes >= 3

        # The stored events replay to the same state, both by the domain's fold and by the
        # application's repository (asking for a version bypasses its cache of states).
        assert replay(history) == state
        assert self.world.app.repository.get(state.id, version=state.version) == state

    def teardown(self) -> None:
        if self.cid is None:
            return
        # Shown by ``pytest --hypothesis-show-statistics``: how far the runs get.
        final = self.state
        statistic(f"final stage: {final.stage.value}")
        statistic(f"escalated: {final.escalated_on is not None}")
        corrections = sum(isinstance(e, Corrected) for e in final.history)
        statistic(f"corrections recorded: {min(corrections, 3)}{'+' if corrections >= 3 else ''}")
        # Every earlier version the store holds replays to the fold of that prefix.
        history = self.state.history
        for version in range(1, len(history) + 1):
            stored: CandidacyState = self.world.app.repository.get(self.cid, version=version)
            assert stored == replay(history[:version])


def _admitted_by_a_passing_vote(state: CandidacyState) -> bool:
    """A passing branch vote, or escalation followed by a passing grassroots vote, and in
    both cases a passing grassroots resolution before the decision."""
    assert state.decided_on is not None
    branch = any(v.body == "branch" and v.passed for v in state.votes)
    escalated = state.escalated_on is not None
    grassroots = any(
        v.body == "grassroots" and v.passed and v.held_on <= state.decided_on for v in state.votes
    )
    return (branch or escalated) and grassroots


CandidacyMachine.TestCase.settings = settings(
    max_examples=min(settings().max_examples, 50),
    stateful_step_count=30,
    deadline=None,
)
TestCandidacyMachine = CandidacyMachine.TestCase


# ---------------------------------------------------------------- simple properties


@given(eligible=st.integers(0, 10_000), in_favour=st.integers(0, 10_000))
def test_two_thirds_is_exact_integer_arithmetic(eligible: int, in_favour: int) -> None:
    if in_favour > eligible:
        try:
            VoteTally(eligible=eligible, in_favour=in_favour)
        except ValidationError:
            return
        raise AssertionError("a tally with more votes than voters was accepted")
    tally = VoteTally(eligible=eligible, in_favour=in_favour)
    assert tally.reaches(2, 3) == (3 * in_favour >= 2 * eligible and eligible > 0)


@given(
    eligible=st.integers(1, 1000),
    data=st.data(),
    numerator=st.integers(1, 5),
    denominator=st.integers(1, 5),
)
def test_reaches_is_monotonic_in_votes(
    eligible: int, data: st.DataObject, numerator: int, denominator: int
) -> None:
    in_favour = data.draw(st.integers(0, eligible - 1))
    fewer = VoteTally(eligible=eligible, in_favour=in_favour)
    more = VoteTally(eligible=eligible, in_favour=in_favour + 1)
    assert not fewer.reaches(numerator, denominator) or more.reaches(numerator, denominator)
    assert fewer.reaches(numerator, denominator) == (
        in_favour * denominator >= eligible * numerator
    )


@given(day=st.dates(date(2000, 1, 1), date(2090, 12, 31)), months=st.integers(0, 800))
def test_whole_months_inverts_add_months(day: date, months: int) -> None:
    assert whole_months(day, add_months(day, months)) == months


@given(issued=st.dates(date(2011, 1, 1), date(2030, 12, 31)))
def test_a_certificate_is_valid_exactly_through_sixty_months(issued: date) -> None:
    last = add_months(issued, 60)
    rule = CertificateStillValid()
    assert rule.check(RS, issued, last).passed
    assert not rule.check(RS, issued, last + timedelta(days=1)).passed
    assert rule.check(RS, issued, issued).passed


@given(vote=st.dates(date(2011, 1, 1), date(2030, 12, 31)))
def test_age_boundaries_hold_on_every_day(vote: date) -> None:
    rule = AgeWithinRange()
    eighteen = add_months(vote, -18 * 12)
    assert rule.check(RS, eighteen, vote, None).passed
    next_born = eighteen + timedelta(days=1)
    if add_months(next_born, 18 * 12) <= vote:
        # Born on 29 February: the birthday falls on 28 February in a common year (Civil
        # Code art. 148), so the next day's birth is 18 too on that vote date.
        assert (next_born.month, next_born.day) == (2, 29)
        assert rule.check(RS, next_born, vote, None).passed
    else:
        assert not rule.check(RS, next_born, vote, None).passed
    sixty = vote - relativedelta(years=60)
    assert rule.check(RS, sixty, vote, None).passed
    sixty_one_month = vote - relativedelta(years=60, months=1)
    assert not rule.check(RS, sixty_one_month, vote, None).passed
    assert rule.check(RS, sixty_one_month, vote, "consent").passed


@given(on=st.dates(date(2011, 1, 1), date(2030, 12, 31)))
def test_introducer_acquaintance_boundary_on_every_day(on: date) -> None:
    rule = IntroducerKnewCandidateTwelveMonths()
    twelve = add_months(on, -12)
    assert rule.check(RS, "m", twelve, on).passed
    later = twelve + timedelta(days=1)
    # Month ends clamp: from 2024-02-29 to 2025-02-28 is also a whole year (relativedelta).
    delta = relativedelta(on, later)
    assert rule.check(RS, "m", later, on).passed == (delta.years * 12 + delta.months >= 12)


@given(
    start=st.dates(date(1940, 1, 1), date(2060, 12, 31)),
    end=st.dates(date(1940, 1, 1), date(2060, 12, 31)),
    months=st.integers(-900, 900),
)
def test_month_arithmetic_equals_relativedelta(start: date, end: date, months: int) -> None:
    """The rules' plain month arithmetic is dateutil's, leap days and month ends included."""
    delta = relativedelta(end, start)
    assert whole_months(start, end) == delta.years * 12 + delta.months
    assert add_months(start, months) == start + relativedelta(months=months)
