"""Named errors the domain raises. Each carries a stable ``rule`` code the API exposes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.rules import CheckResult


class DomainError(Exception):
    """A command the domain refuses. Nothing is appended when this is raised."""

    rule: str = "domain_error"

    def __init__(self, detail: str, *, rule: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if rule is not None:
            self.rule = rule


class RuleViolation(DomainError):
    """A guard of the regulations refused the command; ``check`` says which and why."""

    def __init__(self, check: CheckResult) -> None:
        super().__init__(check.detail, rule=check.rule)
        self.check = check


class WrongStage(DomainError):
    """The command does not fit the candidacy's current stage: ``step`` (the event type
    that would be recorded) and ``stage`` (the stage's value) say which, for the words of
    the refusal (``api.audit.refusals``)."""

    rule = "wrong_stage"

    def __init__(self, detail: str, *, step: str = "", stage: str = "") -> None:
        super().__init__(detail)
        self.step, self.stage = step, stage


class InvalidCorrection(DomainError):
    """A correction names an unknown position or field."""

    rule = "invalid_correction"


class NotFound(DomainError):
    """An aggregate the command refers to does not exist."""

    rule = "not_found"
