"""The guards of domain.md as named, separately testable rule objects.

Each rule takes plain facts and the rule set in force, and returns a ``CheckResult``
saying whether it passed, with the parameters it used ("certificate 58 months old,
limit 60"). Events keep their check results so an auditor can see what ran.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.calendar import WorkingCalendar
from domain.rulesets import RuleSet
from domain.values import Education

Param = str | int | bool | None


class CheckResult(BaseModel):
    """The outcome of one rule evaluated on one step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    passed: bool
    rule_set: str
    detail: str
    params: dict[str, Param] = {}
    # A failed vote is a fact, not a refusal: its check is recorded with blocking=False.
    blocking: bool = True


def whole_months(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative if end precedes start);
    the same as ``relativedelta(end, start)`` in months, in plain arithmetic."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    elif months < 0 and add_months(start, months) < end:
        months += 1
    return months


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (as
    ``day + relativedelta(months=months)``)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(year=year, month=month + 1, day=min(day.day, monthrange(year, month + 1)[1]))


def check_result(rule: str, rs: RuleSet, passed: bool, detail: str, **params: Param) -> CheckResult:
    return CheckResult(rule=rule, passed=passed, rule_set=rs.code, detail=detail, params=params)


class AgeWithinRange:
    """Age 18–60 in whole months on the vote date; over 60 only with provincial consent."""

    code = "age_out_of_range"

    def check(
        self, rs: RuleSet, date_of_birth: date, on: date, consent_reference: str | None
    ) -> CheckResult:
        months = whole_months(date_of_birth, on)
        too_young = months < rs.min_age_months
        too_old = months > rs.max_age_months and not consent_reference
        passed = not (too_young or too_old)
        years, rest = divmod(months, 12)
        detail = (
            f"age {years} years {rest} months on {on.isoformat()}, "
            f"allowed {rs.min_age_months // 12}–{rs.max_age_months // 12} years ({rs.code})"
        )
        if months > rs.max_age_months and consent_reference:
            detail += f"; over the limit with provincial consent {consent_reference}"
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            age_months=months,
            min_months=rs.min_age_months,
            max_months=rs.max_age_months,
            consent_reference=consent_reference,
        )


class CertificateStillValid:
    """The awareness-class certificate is at most 60 months old on the vote date.

    Boundary (ADR 0003): valid through the day that is exactly 60 months after issue.
    """

    code = "certificate_expired"

    def check(self, rs: RuleSet, issued_on: date | None, on: date) -> CheckResult:
        if issued_on is None:
            return check_result(self.code, rs, False, "no awareness-class certificate is recorded")
        expires_on = add_months(issued_on, rs.certificate_validity_months)
        passed = issued_on <= on <= expires_on
        months = whole_months(issued_on, on)
        detail = (
            f"certificate {months} months old on {on.isoformat()}, limit "
            f"{rs.certificate_validity_months} (valid through {expires_on.isoformat()}, {rs.code})"
        )
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            age_months=months,
            limit_months=rs.certificate_validity_months,
            expires_on=expires_on.isoformat(),
        )


class EducationSufficient:
    """Lower-secondary education, or an exception reference."""

    code = "education_insufficient"

    def check(
        self, rs: RuleSet, education: Education, exception_reference: str | None
    ) -> CheckResult:
        passed = education.meets_lower_secondary or bool(exception_reference)
        detail = f"education {education.value}, required lower_secondary ({rs.code})"
        if exception_reference and not education.meets_lower_secondary:
            detail += f"; exception {exception_reference}"
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            education=education.value,
            exception_reference=exception_reference,
        )


class IntroducerMustBeOfficial:
    """An introducer (or helper) must be an official member on the day."""

    code = "introducer_not_official"

    def check(self, rs: RuleSet, member_id: str, official_on: date | None, on: date) -> CheckResult:
        passed = official_on is not None and official_on <= on
        status = f"official since {official_on.isoformat()}" if official_on else "not official"
        detail = f"member {member_id} is {status} on {on.isoformat()} ({rs.code})"
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            member_id=member_id,
            official_on=official_on.isoformat() if official_on else None,
        )


class HelperMustBeOfficial(IntroducerMustBeOfficial):
    """A helper member (đảng viên giúp đỡ) must be an official member."""

    code = "helper_not_official"


class IntroducerKnewCandidateTwelveMonths:
    """Introducers worked/studied/lived with the candidate >= 12 months in the same unit."""

    code = "introducer_acquaintance_too_short"

    def check(self, rs: RuleSet, member_id: str, known_since: date, on: date) -> CheckResult:
        months = whole_months(known_since, on)
        passed = months >= rs.introducer_acquaintance_months
        detail = (
            f"member {member_id} has known the candidate {months} months on {on.isoformat()}, "
            f"at least {rs.introducer_acquaintance_months} needed ({rs.code})"
        )
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            member_id=member_id,
            months=months,
            minimum=rs.introducer_acquaintance_months,
        )


class IntroducerInSameGrassroots:
    """From Quy định 294: introducers sit under the candidate's grassroots organisation."""

    code = "introducer_not_in_same_unit"

    def check(self, rs: RuleSet, member_id: str, same_grassroots: bool) -> CheckResult:
        passed = same_grassroots or not rs.introducers_same_grassroots
        detail = (
            f"member {member_id} is {'' if same_grassroots else 'not '}under the candidate's "
            f"grassroots organisation; required: {rs.introducers_same_grassroots} ({rs.code})"
        )
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            member_id=member_id,
            same_grassroots=same_grassroots,
            required=rs.introducers_same_grassroots,
        )


class IntroducerCount:
    """Two official introducers; a Youth Union member of youth age: the Union's resolution
    plus one official member."""

    code = "introducers_incomplete"

    def check(
        self, rs: RuleSet, count: int, youth_union_resolution: bool, youth_of_age: bool
    ) -> CheckResult:
        if youth_of_age:
            needed = rs.introducers_with_youth_union_resolution
            passed = youth_union_resolution and count == needed
            detail = (
                f"Youth Union member of youth age: Union resolution "
                f"{'given' if youth_union_resolution else 'missing'} and {count} introducer(s), "
                f"needed the resolution and {needed} ({rs.code})"
            )
        else:
            needed = rs.introducers_required
            passed = count == needed and not youth_union_resolution
            detail = f"{count} introducer(s), needed {needed} official members ({rs.code})"
            if youth_union_resolution:
                detail += "; a Youth Union resolution introduces only Union members of youth age"
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            introducers=count,
            needed=needed,
            youth_union_resolution=youth_union_resolution,
            youth_of_age=youth_of_age,
        )


class CeremonyInTime:
    """Ceremony within 30 working days of receiving the decision, later only with a
    superior's approval reference."""

    code = "ceremony_overdue"

    def check(
        self,
        rs: RuleSet,
        calendar: WorkingCalendar,
        received_on: date,
        held_on: date,
        approval_reference: str | None,
    ) -> CheckResult:
        due = calendar.add_working_days(received_on, rs.ceremony_working_days)
        late = held_on > due
        passed = (not late or bool(approval_reference)) and held_on >= received_on
        detail = (
            f"ceremony on {held_on.isoformat()}, due by {due.isoformat()} "
            f"({rs.ceremony_working_days} working days after {received_on.isoformat()}, {rs.code})"
        )
        if held_on < received_on:
            detail += "; before the decision was received"
        elif late and approval_reference:
            detail += f"; late with approval {approval_reference}"
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            due_on=due.isoformat(),
            limit_working_days=rs.ceremony_working_days,
            approval_reference=approval_reference,
        )


class DecidingBodyCompetent:
    """The deciding body is a committee above the branch, of a competent kind, on the day."""

    code = "not_competent"

    def check(
        self, rs: RuleSet, body_id: str, body_kind: str | None, above_branch: bool, on: date
    ) -> CheckResult:
        passed = above_branch and body_kind in rs.competent_kinds
        detail = (
            f"deciding body {body_id} ({body_kind or 'unknown'}) is "
            f"{'' if above_branch else 'not '}above the branch on {on.isoformat()}; competent "
            f"kinds: {', '.join(sorted(rs.competent_kinds))} ({rs.code})"
        )
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            body_id=body_id,
            body_kind=body_kind,
            above_branch=above_branch,
        )


class ReadmissionAllowed:
    """Re-admission: >= 36 months after leaving (60 after a cleared criminal record),
    provincial consent, once only, and not for barred reasons."""

    code = "readmission_not_allowed"

    def check(
        self,
        rs: RuleSet,
        left_on: date,
        left_reason: str,
        on: date,
        consent_reference: str | None,
        record_cleared_on: date | None,
        previously_readmitted: bool,
    ) -> CheckResult:
        if record_cleared_on is not None:
            waited = whole_months(record_cleared_on, on)
            needed = rs.readmission_wait_after_record_months
        else:
            waited = whole_months(left_on, on)
            needed = rs.readmission_wait_months
        problems: list[str] = []
        if left_reason in rs.readmission_barred_reasons:
            problems.append(f"left for '{left_reason}', which bars re-admission")
        if waited < needed:
            problems.append(f"waited {waited} months, at least {needed} needed")
        if not consent_reference:
            problems.append("no provincial consent reference")
        if previously_readmitted:
            problems.append("already re-admitted once")
        detail = "; ".join(problems) if problems else f"waited {waited} months of {needed}"
        return check_result(
            self.code,
            rs,
            not problems,
            f"{detail} ({rs.code})",
            waited_months=waited,
            needed_months=needed,
            left_reason=left_reason,
            consent_reference=consent_reference,
        )


def first_failure(checks: Sequence[CheckResult]) -> CheckResult | None:
    """The first failed blocking check, if any."""
    return next((c for c in checks if c.blocking and not c.passed), None)
