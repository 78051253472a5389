"""Turn a command into an event, or refuse it: the one path every candidacy command takes.

A refusal raises a named ``DomainError`` and produces nothing, so nothing is appended.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.candidacy.events import (
    CandidacyEvent,
    CandidateNominated,
    Corrected,
    effective_events,
    replay,
)
from domain.candidacy.state import CandidacyState
from domain.errors import DomainError, InvalidCorrection, RuleViolation, WrongStage
from domain.events import GENESIS_HASH, Envelope, recorded_day
from domain.rules import CheckResult, first_failure
from domain.rulesets import NoRuleSet, RuleSet, rule_set_on


def _rules_for(day: date) -> RuleSet:
    try:
        return rule_set_on(day)
    except NoRuleSet as exc:
        raise DomainError(str(exc), rule="no_rule_set") from exc


def _not_in_future(event: CandidacyEvent, rs: RuleSet) -> CheckResult:
    today = recorded_day(event.timestamp)
    passed = event.effective_on <= today
    return CheckResult(
        rule="date_in_future", passed=passed, rule_set=rs.code,
        detail=f"{event.date_field} {event.effective_on.isoformat()} is "
        f"{'not ' if passed else ''}after the recording day {today.isoformat()}",
    )  # fmt: skip


def _not_before_nomination(
    event: CandidacyEvent, state: CandidacyState, rs: RuleSet
) -> CheckResult:
    passed = event.effective_on >= state.nominated_on
    return CheckResult(
        rule="date_order", passed=passed, rule_set=rs.code,
        detail=f"{event.date_field} {event.effective_on.isoformat()} is "
        f"{'not ' if passed else ''}before the nomination on {state.nominated_on.isoformat()}",
    )  # fmt: skip


def _finish(
    draft: CandidacyEvent, state: CandidacyState | None, calendar: WorkingCalendar
) -> CandidacyEvent:
    checks = [_not_in_future(draft, draft.rules)]
    if state is not None and not isinstance(draft, Corrected):
        checks.append(_not_before_nomination(draft, state, draft.rules))
    checks.extend(draft.check(state, calendar))
    failed = first_failure(checks)
    if failed is not None:
        raise RuleViolation(failed)
    return draft.model_copy(update={"checks": tuple(checks)})


def nominate(
    candidacy_id: UUID, envelope: Envelope, calendar: WorkingCalendar, **data: Any
) -> CandidateNominated:
    """The first event of a candidacy, checked."""
    rs = _rules_for(data["nominated_on"])
    draft = CandidateNominated(
        originator_id=candidacy_id,
        originator_version=1,
        prev_hash=GENESIS_HASH,
        rule_set=rs.code,
        **CandidateNominated.envelope_fields(envelope),
        **data,
    )
    result = _finish(draft, None, calendar)
    assert isinstance(result, CandidateNominated)
    return result


def decide(
    state: CandidacyState,
    event_class: type[CandidacyEvent],
    envelope: Envelope,
    calendar: WorkingCalendar,
    **data: Any,
) -> CandidacyEvent:
    """Build the next event of ``state`` from a command's data, or refuse it."""
    if state.stage not in event_class.allowed_stages:
        raise WrongStage(
            f"{event_class.__name__} cannot be recorded while the candidacy is in stage "
            f"'{state.stage.value}'"
        )
    day = data.get(event_class.date_field)
    if not isinstance(day, date):
        raise DomainError(f"{event_class.date_field} is required", rule="missing_date")
    rs = _rules_for(day)
    draft = event_class.model_validate(
        {
            "originator_id": state.id,
            "originator_version": state.version + 1,
            "prev_hash": state.last_hash,
            "rule_set": rs.code,
            **event_class.envelope_fields(envelope),
            **data,
        }
    )
    return _finish(draft, state, calendar)


def correct(
    state: CandidacyState,
    envelope: Envelope,
    calendar: WorkingCalendar,
    *,
    corrected_on: date,
    position: int,
    changes: dict[str, Any],
    reason: str,
) -> Corrected:
    """A correction restating the event at ``position``: only its own data fields (and
    document) may change; the restated step and every step after it must still satisfy
    the rules of their dates, else the correction is refused with that rule."""
    if not 1 <= position <= len(state.history):
        raise InvalidCorrection(f"position {position} does not exist (1..{len(state.history)})")
    target = state.history[position - 1]
    if isinstance(target, Corrected):
        raise InvalidCorrection("a correction cannot itself be corrected; restate the event")
    allowed = set(type(target).restatable_fields()) | {"document"}
    unknown = sorted(set(changes) - allowed)
    if not changes or unknown:
        looked_up = sorted(set(unknown) & type(target).looked_up)
        hint = (
            f"; {', '.join(looked_up)} came from the roster or the tree: record a new step instead"
            if looked_up
            else ""
        )
        raise InvalidCorrection(
            f"changes must name fields of {type(target).__name__}: "
            f"{', '.join(sorted(allowed))}; got {', '.join(unknown) or 'nothing'}{hint}"
        )
    rs = _rules_for(corrected_on)
    draft = Corrected(
        originator_id=state.id,
        originator_version=state.version + 1,
        prev_hash=state.last_hash,
        rule_set=rs.code,
        corrected_on=corrected_on,
        position=position,
        changes=changes,
        reason=reason,
        **Corrected.envelope_fields(envelope),
    )
    try:
        proposed = effective_events((*state.history, draft))
    except NoRuleSet as exc:  # the restated date precedes every rule set
        raise DomainError(str(exc), rule="no_rule_set") from exc
    except ValueError as exc:  # pydantic ValidationError subclasses ValueError
        raise InvalidCorrection(f"the restated {type(target).__name__} is invalid: {exc}") from exc
    _recheck(proposed[:-1], position, calendar)
    # Keep the changes as the store will (JSON values), so the state answered now equals
    # the state replayed from the store later.
    restated = proposed[position - 1].model_dump(mode="json")
    draft = draft.model_copy(update={"changes": {key: restated[key] for key in changes}})
    replay((*state.history, draft))  # must fold without error
    result = _finish(draft, state, calendar)
    assert isinstance(result, Corrected)
    return result


def _recheck(events: list[CandidacyEvent], from_position: int, calendar: WorkingCalendar) -> None:
    """Re-run the guards of every step from ``from_position`` on the corrected history."""
    state: CandidacyState | None = None
    for event in events:
        if isinstance(event, Corrected):
            continue
        if event.originator_version >= from_position:
            if state is not None and state.stage not in type(event).allowed_stages:
                raise WrongStage(
                    f"after the correction, step {event.originator_version} "
                    f"({type(event).__name__}) would not fit stage '{state.stage.value}'"
                )
            checks = [_not_in_future(event, event.rules)]
            if state is not None:
                checks.append(_not_before_nomination(event, state, event.rules))
            failed = first_failure([*checks, *event.check(state, calendar)])
            if failed is not None:
                raise RuleViolation(failed)
        state = event.evolve(state)
