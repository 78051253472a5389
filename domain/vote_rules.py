"""The vote rules of domain.md as rule objects: a branch large enough to vote, the eligible
count against the roster of the vote's day (or an audited override), and 2/3 of all
eligible members (``domain.rules`` holds the other guards and the shared helpers).
"""

from __future__ import annotations

from datetime import date

from domain.rules import CheckResult, check_result
from domain.rulesets import RuleSet
from domain.values import DocumentRef, VoteTally


class BranchLargeEnough:
    """A branch needs at least 3 official members to vote an admission."""

    code = "branch_too_small"

    def check(self, rs: RuleSet, official_members: int) -> CheckResult:
        passed = official_members >= rs.min_branch_official_members
        detail = (
            f"the branch has {official_members} official members, at least "
            f"{rs.min_branch_official_members} needed ({rs.code})"
        )
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            official_members=official_members,
            minimum=rs.min_branch_official_members,
        )


class EligibleMatchesRoster:
    """A branch vote counts all the branch's official members on its day, from the
    roster, less those the regulations leave out (temporarily transferred away; exempt
    from activities and absent)."""

    code = "eligible_count_mismatch"

    def check(
        self, rs: RuleSet, eligible: int, roster: int, excluded: int, on: date
    ) -> CheckResult:
        expected = roster - excluded
        passed = eligible == expected
        hint = (
            "; the branch's roster is not loaded: register its members, or give a "
            "roster_override with the reason and the document the count comes from"
            if roster == 0 and not passed
            else ""
        )
        detail = (
            f"the vote counts {eligible} eligible official members; the roster has {roster} "
            f"official members in the branch on {on.isoformat()}, {excluded} excluded, so "
            f"{expected} {'as counted' if passed else 'expected'}{hint} ({rs.code})"
        )
        return check_result(
            self.code, rs, passed, detail, eligible=eligible, roster=roster, excluded=excluded
        )


class RosterOverridden:
    """A vote counted without the roster, by an explicit override with its reason and
    document: passes, and is listed as a departure for the inspector."""

    code = "roster_override"

    def check(
        self,
        rs: RuleSet,
        reason: str,
        document: DocumentRef,
        eligible: int,
        roster: int | None,
        today: date,
    ) -> CheckResult:
        dated_ok = document.dated is None or document.dated <= today
        said = f"the roster has {roster}" if roster is not None else "the roster was not read"
        detail = (
            f"{eligible} eligible official members taken from {document.form} "
            f"{document.number}, not from the roster ({said}): {reason}"
            + ("" if dated_ok else f"; the document is dated after today, {today.isoformat()}")
            + f" ({rs.code})"
        )
        return check_result(
            self.code, rs, dated_ok, detail, eligible=eligible, roster=roster, override=True
        )


class VoteReachesTwoThirds:
    """In favour >= 2/3 of all eligible members (not of those present).

    A vote that fails is not refused: callers record it as a failed attempt.
    """

    code = "vote_threshold"

    def check(self, rs: RuleSet, tally: VoteTally) -> CheckResult:
        passed = rs.vote_passes(tally.eligible, tally.in_favour)
        detail = (
            f"{tally.in_favour} of {tally.eligible} in favour, needed "
            f"{rs.vote_numerator}/{rs.vote_denominator} of all eligible ({rs.code})"
        )
        return check_result(
            self.code,
            rs,
            passed,
            detail,
            in_favour=tally.in_favour,
            eligible=tally.eligible,
            threshold=f"{rs.vote_numerator}/{rs.vote_denominator}",
        )
