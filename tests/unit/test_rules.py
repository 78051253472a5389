"""The guards of domain.md as rule objects, each on both sides of its boundary."""

from __future__ import annotations

from datetime import date

import pytest

from domain.rules import (
    AgeWithinRange,
    CeremonyInTime,
    CertificateStillValid,
    CheckResult,
    DecidingBodyCompetent,
    EducationSufficient,
    HelperMustBeOfficial,
    IntroducerCount,
    IntroducerInSameGrassroots,
    IntroducerKnewCandidateTwelveMonths,
    IntroducerMustBeOfficial,
    ReadmissionAllowed,
    add_months,
    first_failure,
    whole_months,
)
from domain.rulesets import RuleSet, rule_set_by_code
from domain.values import Education, VoteTally
from domain.vote_rules import BranchLargeEnough, VoteReachesTwoThirds
from tests.unit.helpers import CALENDAR

RS24 = rule_set_by_code("24-QĐ/TW")
RS232 = rule_set_by_code("232-QĐ/TW")
RS294 = rule_set_by_code("294-QĐ/TW")
VOTE_ON = date(2024, 6, 15)


# ---------------------------------------------------------------- calendar arithmetic


def test_whole_months_counts_completed_months_only() -> None:
    assert whole_months(date(2006, 6, 15), date(2024, 6, 15)) == 18 * 12
    assert whole_months(date(2006, 6, 16), date(2024, 6, 15)) == 18 * 12 - 1
    assert whole_months(date(2024, 6, 15), date(2024, 6, 14)) == 0
    assert whole_months(date(2024, 6, 15), date(2024, 5, 15)) == -1


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2020, 2, 29), 60) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 6, 22), 12) == date(2024, 6, 22)


# ---------------------------------------------------------------- votes and branch size


@pytest.mark.parametrize(
    ("in_favour", "eligible", "passed"),
    [
        (6, 9, True),
        (5, 9, False),
        (2, 3, True),
        (1, 3, False),
        (7, 10, True),
        (6, 10, False),
        (0, 0, False),
        (4, 4, True),
    ],
)
def test_two_thirds_of_all_eligible_members(in_favour: int, eligible: int, passed: bool) -> None:
    check = VoteReachesTwoThirds().check(RS24, VoteTally(eligible=eligible, in_favour=in_favour))
    assert check.rule == "vote_threshold"
    assert check.passed is passed
    assert check.params["in_favour"] == in_favour
    assert check.params["eligible"] == eligible
    assert check.rule_set == "24-QĐ/TW"


def test_a_tally_cannot_count_more_votes_than_voters() -> None:
    with pytest.raises(ValueError, match="cannot exceed"):
        VoteTally(eligible=3, in_favour=4)


@pytest.mark.parametrize(("members", "passed"), [(2, False), (3, True), (0, False), (30, True)])
def test_a_branch_needs_three_official_members(members: int, passed: bool) -> None:
    check = BranchLargeEnough().check(RS24, members)
    assert (check.rule, check.passed) == ("branch_too_small", passed)
    assert check.params == {"official_members": members, "minimum": 3}


# ---------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("born", "consent", "passed", "months"),
    [
        (date(2006, 7, 15), None, False, 17 * 12 + 11),  # 17 years 11 months
        (date(2006, 6, 16), None, False, 17 * 12 + 11),  # one day short of 18
        (date(2006, 6, 15), None, True, 18 * 12),  # exactly 18
        (date(1964, 6, 15), None, True, 60 * 12),  # exactly 60
        (date(1964, 5, 16), None, True, 60 * 12),  # 60 years 0 months 30 days
        (date(1964, 5, 15), None, False, 60 * 12 + 1),  # 60 years 1 month
        (date(1964, 5, 15), "123-CV/TU", True, 60 * 12 + 1),  # ... with provincial consent
        (date(2006, 7, 15), "123-CV/TU", False, 17 * 12 + 11),  # consent never helps the young
    ],
)
def test_age_in_whole_months_on_the_vote_date(
    born: date, consent: str | None, passed: bool, months: int
) -> None:
    check = AgeWithinRange().check(RS24, born, VOTE_ON, consent)
    assert check.rule == "age_out_of_range"
    assert check.passed is passed
    assert check.params["age_months"] == months
    if consent and months > 720:
        assert consent in check.detail


# ---------------------------------------------------------------- certificate


ISSUED = date(2019, 3, 15)


@pytest.mark.parametrize(
    ("on", "passed"),
    [
        (date(2024, 2, 15), True),  # 59 months
        (date(2024, 3, 14), True),  # 59 months 28 days
        (date(2024, 3, 15), True),  # exactly 60 months: the last valid day (ADR)
        (date(2024, 3, 16), False),  # the day after
        (date(2024, 4, 15), False),  # 61 months
        (ISSUED, True),  # the day of issue
        (date(2019, 3, 14), False),  # before issue
    ],
)
def test_certificate_valid_through_sixty_months(on: date, passed: bool) -> None:
    check = CertificateStillValid().check(RS24, ISSUED, on)
    assert (check.rule, check.passed) == ("certificate_expired", passed)
    assert check.params["expires_on"] == "2024-03-15"


def test_certificate_issued_on_29_february_expires_at_the_end_of_february() -> None:
    rule = CertificateStillValid()
    assert rule.check(RS24, date(2020, 2, 29), date(2025, 2, 28)).passed
    assert not rule.check(RS24, date(2020, 2, 29), date(2025, 3, 1)).passed


def test_no_certificate_fails() -> None:
    check = CertificateStillValid().check(RS24, None, VOTE_ON)
    assert (check.rule, check.passed) == ("certificate_expired", False)


# ---------------------------------------------------------------- education


@pytest.mark.parametrize(
    ("education", "reference", "passed"),
    [
        (Education.PRIMARY, None, False),
        (Education.NONE, None, False),
        (Education.PRIMARY, "45-QĐ/TU", True),
        (Education.LOWER_SECONDARY, None, True),
        (Education.VOCATIONAL, None, True),
        (Education.UNIVERSITY, None, True),
    ],
)
def test_lower_secondary_education_or_an_exception(
    education: Education, reference: str | None, passed: bool
) -> None:
    check = EducationSufficient().check(RS232, education, reference)
    assert (check.rule, check.passed) == ("education_insufficient", passed)


# ---------------------------------------------------------------- introducers and helpers


@pytest.mark.parametrize(
    ("official_on", "passed"),
    [
        (None, False),
        (date(2024, 6, 16), False),
        (date(2024, 6, 15), True),
        (date(2001, 1, 1), True),
    ],
)
def test_introducer_must_be_official_on_the_day(official_on: date | None, passed: bool) -> None:
    check = IntroducerMustBeOfficial().check(RS24, "m1", official_on, VOTE_ON)
    assert (check.rule, check.passed) == ("introducer_not_official", passed)
    helper = HelperMustBeOfficial().check(RS24, "m1", official_on, VOTE_ON)
    assert (helper.rule, helper.passed) == ("helper_not_official", passed)


@pytest.mark.parametrize(
    ("known_since", "passed", "months"),
    [
        (date(2023, 7, 15), False, 11),  # 11 months
        (date(2023, 6, 16), False, 11),  # a day short of 12 months
        (date(2023, 6, 15), True, 12),  # exactly 12 months
        (date(2020, 1, 1), True, 53),
    ],
)
def test_introducer_knew_the_candidate_twelve_months(
    known_since: date, passed: bool, months: int
) -> None:
    check = IntroducerKnewCandidateTwelveMonths().check(RS24, "m1", known_since, VOTE_ON)
    assert (check.rule, check.passed) == ("introducer_acquaintance_too_short", passed)
    assert check.params["months"] == months


def test_same_grassroots_is_required_only_from_294() -> None:
    rule = IntroducerInSameGrassroots()
    assert rule.check(RS232, "m1", same_grassroots=False).passed
    refused = rule.check(RS294, "m1", same_grassroots=False)
    assert (refused.rule, refused.passed) == ("introducer_not_in_same_unit", False)
    assert rule.check(RS294, "m1", same_grassroots=True).passed


@pytest.mark.parametrize(
    ("count", "resolution", "youth", "passed"),
    [
        (2, False, False, True),
        (1, False, False, False),
        (2, True, False, False),  # a resolution introduces only Union members of youth age
        (1, True, True, True),  # youth: the Union's resolution plus one member
        (2, False, True, False),  # youth without the resolution
        (1, False, True, False),
        (2, True, True, False),
    ],
)
def test_introducer_count(count: int, resolution: bool, youth: bool, passed: bool) -> None:
    check = IntroducerCount().check(RS24, count, resolution, youth)
    assert (check.rule, check.passed) == ("introducers_incomplete", passed)


# ---------------------------------------------------------------- ceremony


# Decision received Mon 3 Mar 2025; 30 working days later is Tue 15 Apr 2025 (Mon 7 Apr,
# Hùng Kings, is off: Mar 4–7 (4), 10–14 (9), 17–21 (14), 24–28 (19), Mar 31–Apr 4 (24),
# Apr 8–11 (28), Apr 14 (29), Apr 15 (30)).
RECEIVED = date(2025, 3, 3)
CEREMONY_DUE = date(2025, 4, 15)


@pytest.mark.parametrize(
    ("held_on", "approval", "passed"),
    [
        (RECEIVED, None, True),
        (CEREMONY_DUE, None, True),
        (date(2025, 4, 16), None, False),
        (date(2025, 4, 16), "77-CV/HU", True),
        (date(2025, 3, 2), None, False),  # before the decision was received
        (date(2025, 3, 2), "77-CV/HU", False),  # approval cannot fix that
    ],
)
def test_ceremony_within_thirty_working_days(
    held_on: date, approval: str | None, passed: bool
) -> None:
    check = CeremonyInTime().check(RS232, CALENDAR, RECEIVED, held_on, approval)
    assert (check.rule, check.passed) == ("ceremony_overdue", passed)
    assert check.params["due_on"] == CEREMONY_DUE.isoformat()


# ---------------------------------------------------------------- competence


@pytest.mark.parametrize(
    ("rs", "kind", "above", "passed"),
    [
        (RS24, "grassroots_committee", True, True),
        (RS24, "grassroots_committee", False, False),  # another grassroots committee
        (RS24, "district", True, True),
        (RS294, "district", True, False),  # no district level from 2025-07-01
        (RS294, "commune", True, True),
        (RS232, "commune", True, False),
        (RS24, "branch", True, False),
        (RS24, None, True, False),
    ],
)
def test_deciding_body_competence(rs: RuleSet, kind: str | None, above: bool, passed: bool) -> None:
    check = DecidingBodyCompetent().check(rs, "body", kind, above, VOTE_ON)
    assert (check.rule, check.passed) == ("not_competent", passed)


# ---------------------------------------------------------------- re-admission


LEFT = date(2019, 6, 1)


@pytest.mark.parametrize(
    ("on", "reason", "consent", "cleared", "again", "passed"),
    [
        (date(2022, 5, 31), "moved_abroad", "C1", None, False, False),  # 35 months
        (date(2022, 6, 1), "moved_abroad", "C1", None, False, True),  # 36 months
        (date(2022, 6, 1), "resigned", "C1", None, False, False),
        (date(2022, 6, 1), "dropped_out", "C1", None, False, False),
        (date(2022, 6, 1), "corruption", "C1", None, False, False),
        (date(2022, 6, 1), "serious_crime", "C1", None, False, False),
        (date(2022, 6, 1), "moved_abroad", None, None, False, False),  # no consent
        (date(2022, 6, 1), "moved_abroad", "C1", None, True, False),  # once only
        # 60 months after a less-serious record is cleared (2020-01-01)
        (date(2024, 12, 31), "criminal_record", "C1", date(2020, 1, 1), False, False),
        (date(2025, 1, 1), "criminal_record", "C1", date(2020, 1, 1), False, True),
    ],
)
def test_readmission(
    on: date, reason: str, consent: str | None, cleared: date | None, again: bool, passed: bool
) -> None:
    check = ReadmissionAllowed().check(RS24, LEFT, reason, on, consent, cleared, again)
    assert (check.rule, check.passed) == ("readmission_not_allowed", passed)


# ---------------------------------------------------------------- first failure


def test_first_failure_skips_non_blocking_checks() -> None:
    failed_vote = CheckResult(
        rule="vote_threshold", passed=False, rule_set="24-QĐ/TW", detail="", blocking=False
    )
    ok = CheckResult(rule="a", passed=True, rule_set="24-QĐ/TW", detail="")
    bad = CheckResult(rule="b", passed=False, rule_set="24-QĐ/TW", detail="")
    assert first_failure([failed_vote, ok]) is None
    assert first_failure([failed_vote, ok, bad, bad.model_copy(update={"rule": "c"})]) == bad
