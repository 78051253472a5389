"""Turn a command into an event, or refuse it: the one path every candidacy command takes.

A refusal raises a named ``DomainError`` and produces nothing, so nothing is appended.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from domain.calendar import WorkingCalendar
from domain.candidacy.events import (
    CandidacyEvent,
    CandidateNominated,
    Corrected,
    effective_events,
    replay,
)
from domain.candidacy.order import latest_step_on, order_checks
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
        rule="date_in_future",
        passed=passed,
        rule_set=rs.code,
        detail=f"{event.date_field} {event.effective_on.isoformat()} is "
        f"{'not ' if passed else ''}after the recording day {today.isoformat()}",
        params={"day": event.effective_on.isoformat(), "recorded_on": today.isoformat()},
    )


def _finish(
    draft: CandidacyEvent, state: CandidacyState | None, calendar: WorkingCalendar
) -> CandidacyEvent:
    latest = latest_step_on(effective_events(state.history)) if state is not None else None
    checks = _all_checks(draft, state, calendar, latest)
    failed = first_failure(checks)
    if failed is not None:
        raise RuleViolation(failed)
    return draft.model_copy(update={"checks": tuple(checks)})


def _all_checks(
    event: CandidacyEvent,
    state: CandidacyState | None,
    calendar: WorkingCalendar,
    latest: date | None,
    *,
    order: bool = True,
) -> list[CheckResult]:
    """Every check a step runs, in the order they are reported: not in the future, the
    step's own guards, then its place in time (``order_checks``)."""
    checks = [_not_in_future(event, event.rules), *event.check(state, calendar)]
    if order:
        checks.extend(order_checks(event, state, latest))
    return checks


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
            f"'{state.stage.value}'",
            step=event_class.__name__,
            stage=state.stage.value,
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
    refreshed: dict[str, Any] | None = None,
) -> Corrected:
    """A correction restating the event at ``position``: only its own data fields (and
    document) may change; the restated step and every step after it must still satisfy
    the rules of their dates, else the correction is refused with that rule. ``refreshed``
    carries facts the workflow looked up again for a restated date (never the caller's)."""
    if not 1 <= position <= len(state.history):
        raise InvalidCorrection(f"position {position} does not exist (1..{len(state.history)})")
    target = state.history[position - 1]
    if isinstance(target, Corrected):
        raise InvalidCorrection("a correction cannot itself be corrected; restate the event")
    allowed = set(type(target).restatable_fields()) | {"document"}
    unknown = sorted(set(changes) - allowed)
    # Facts the workflow looked up again for the restated date (a vote's roster figure).
    changes = {**changes, **(refreshed or {})}
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
    except ValidationError as exc:
        raise InvalidCorrection(
            f"the restated {type(target).__name__} is invalid: {_fields_said(exc)}"
        ) from exc
    except ValueError as exc:
        raise InvalidCorrection(f"the restated {type(target).__name__} is invalid: {exc}") from exc
    exempt = out_of_order(effective_events(state.history))
    if target.date_field in changes:  # a step whose date is restated must come into order
        exempt -= {position}
    _recheck(proposed[:-1], position, calendar, exempt)
    # Keep the changes as the store will (JSON values), so the state answered now equals
    # the state replayed from the store later.
    restated = proposed[position - 1].model_dump(mode="json")
    draft = draft.model_copy(update={"changes": {key: restated[key] for key in changes}})
    replay((*state.history, draft))  # must fold without error
    result = _finish(draft, state, calendar)
    assert isinstance(result, Corrected)
    return result


def _fields_said(exc: ValidationError) -> str:
    """Each invalid field and why, without pydantic's links to its documentation."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )


def _recheck(
    events: list[CandidacyEvent],
    from_position: int,
    calendar: WorkingCalendar,
    exempt: frozenset[int] = frozenset(),
) -> None:
    """Re-run the guards of every step from ``from_position`` on the corrected history.
    Steps in ``exempt`` skip the order checks (they were out of order before this
    correction, recorded before ADR 0012: a correction does not answer for them)."""
    for position, state, latest, event in _walk(events):
        if position < from_position:
            continue
        if state is not None and state.stage not in type(event).allowed_stages:
            raise WrongStage(
                f"after the correction, step {position} "
                f"({type(event).__name__}) would not fit stage '{state.stage.value}'",
                step=type(event).__name__,
                stage=state.stage.value,
            )
        checks = _all_checks(event, state, calendar, latest, order=position not in exempt)
        failed = first_failure(checks)
        if failed is not None:
            raise RuleViolation(failed)


def _walk(
    events: list[CandidacyEvent],
) -> Iterator[tuple[int, CandidacyState | None, date | None, CandidacyEvent]]:
    """Each step of an effective history with the state and latest step date before it."""
    state: CandidacyState | None = None
    latest: date | None = None
    for event in events:
        if isinstance(event, Corrected):
            continue
        yield event.originator_version, state, latest, event
        state = event.evolve(state)
        latest = event.effective_on if latest is None else max(latest, event.effective_on)


def out_of_order(events: list[CandidacyEvent]) -> frozenset[int]:
    """Positions of the steps of an effective history that break the order of ADR 0012."""
    return frozenset(
        position
        for position, state, latest, event in _walk(events)
        if first_failure(order_checks(event, state, latest)) is not None
    )
