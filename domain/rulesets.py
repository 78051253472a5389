"""The regulations in force on a given day, as data.

Every number the guards use (ages, certificate validity, thresholds, working-day limits)
belongs to a rule set, never to the code. A step is checked against the rule set in force
on the step's own effective date, and the event records which one (ADR 0002).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.values import VoteTally


class RuleSet(BaseModel):
    """One generation of the implementing regulations of the 2011 Party Charter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    title: str
    effective_from: date
    guidance: str
    # Age on the branch vote date, in whole months (18 years .. 60 years inclusive).
    min_age_months: int = 18 * 12
    max_age_months: int = 60 * 12
    # Youngest age at nomination, in whole months. A policy parameter, not a number of the
    # regulations: the branch vote needs 18 years, and the class, the dossier and the
    # verification take months, so a nomination before 16 cannot lead anywhere; below it
    # a date of birth is taken for a typing error (422, issue 9 §6).
    min_age_at_nomination_months: int = 16 * 12
    # Awareness-class certificate (CN-NTVĐ) is valid this many months on the vote date.
    certificate_validity_months: int = 60
    # Introducers must have known the candidate this long, in the same unit.
    introducer_acquaintance_months: int = 12
    introducers_required: int = 2
    introducers_with_youth_union_resolution: int = 1
    # A Youth Union member up to this age is introduced by the Union's resolution.
    youth_age_max_years: int = 30
    # Under Quy định 294 introducers must sit under the candidate's grassroots organisation.
    introducers_same_grassroots: bool = False
    # Votes: in favour >= numerator/denominator of all eligible members.
    vote_numerator: int = 2
    vote_denominator: int = 3
    min_branch_official_members: int = 3
    failed_branch_votes_before_escalation: int = 3
    # Working-day limits.
    decision_working_days: int = 60
    decision_extension_working_days: int = 30
    decision_extensions_allowed: int = 1
    ceremony_working_days: int = 30
    probation_months: int = 12
    recognition_vote_working_days: int = 30
    recognition_decision_working_days: int = 30
    recognition_decision_extension_working_days: int = 30
    # Policy SLA for verification: no national limit exists (domain.md), this is ours.
    verification_sla_working_days: int = 60
    # Re-admission.
    readmission_wait_months: int = 36
    readmission_wait_after_record_months: int = 60
    readmission_barred_reasons: frozenset[str] = frozenset(
        {"dropped_out", "resigned", "corruption", "serious_crime"}
    )
    # Which kinds of committee may decide an admission or a recognition.
    competent_kinds: frozenset[str] = frozenset({"grassroots_committee", "district", "province"})
    has_district_level: bool = True

    def vote_passes(self, eligible: int, in_favour: int) -> bool:
        """The vote rule: in favour >= numerator/denominator of **all** eligible members
        (not of those present), in exact integers; nobody eligible never passes."""
        tally = VoteTally(eligible=eligible, in_favour=in_favour)
        return tally.reaches(self.vote_numerator, self.vote_denominator)


_BEFORE_2025 = frozenset({"grassroots_committee", "district", "province"})
_FROM_2025_07 = frozenset({"grassroots_committee", "commune", "province"})

RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        code="45-QĐ/TW",
        title="Quy định 45-QĐ/TW (2011) thi hành Điều lệ Đảng",
        effective_from=date(2011, 1, 1),
        guidance="Hướng dẫn 01-HD/TW (2011)",
        competent_kinds=_BEFORE_2025,
    ),
    RuleSet(
        code="29-QĐ/TW",
        title="Quy định 29-QĐ/TW (2016) thi hành Điều lệ Đảng",
        effective_from=date(2016, 7, 25),
        guidance="Hướng dẫn 01-HD/TW (2016)",
        competent_kinds=_BEFORE_2025,
    ),
    RuleSet(
        code="24-QĐ/TW",
        title="Quy định 24-QĐ/TW (2021) thi hành Điều lệ Đảng",
        effective_from=date(2021, 7, 30),
        guidance="Hướng dẫn 01-HD/TW (2021)",
        competent_kinds=_BEFORE_2025,
    ),
    RuleSet(
        code="232-QĐ/TW",
        title="Quy định 232-QĐ/TW (2025) thi hành Điều lệ Đảng",
        effective_from=date(2025, 1, 20),
        guidance="Hướng dẫn 01-HD/TW (2021)",
        competent_kinds=_BEFORE_2025,
    ),
    RuleSet(
        code="294-QĐ/TW",
        title="Quy định 294-QĐ/TW (2025) thi hành Điều lệ Đảng",
        effective_from=date(2025, 7, 1),
        guidance="Hướng dẫn 06-HD/TW (2025)",
        introducers_same_grassroots=True,
        competent_kinds=_FROM_2025_07,
        has_district_level=False,
    ),
)

_STARTS = [rs.effective_from for rs in RULE_SETS]
_BY_CODE = {rs.code: rs for rs in RULE_SETS}

EARLIEST_DATE = RULE_SETS[0].effective_from


class NoRuleSet(LookupError):
    """No rule set covers the date (before the 2011 Charter's implementing rules)."""


def rule_set_on(day: date) -> RuleSet:
    """The rule set in force on ``day``."""
    index = bisect_right(_STARTS, day) - 1
    if index < 0:
        raise NoRuleSet(
            f"no rule set is in force on {day.isoformat()}; the earliest starts "
            f"on {EARLIEST_DATE.isoformat()}"
        )
    return RULE_SETS[index]


def youngest_nomination_age_months() -> int:
    """The youngest age at nomination any rule set allows, in whole months: input checks
    use it before knowing which rule set the nomination's day falls under."""
    return min(rs.min_age_at_nomination_months for rs in RULE_SETS)


def rule_set_by_code(code: str) -> RuleSet:
    """Look a rule set up by its code, e.g. ``"294-QĐ/TW"``."""
    return _BY_CODE[code]
