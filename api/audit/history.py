"""A candidacy's history as recorded: every event with its envelope, checks, hashes and the
corrections that restate it (``GET /candidacies/{id}/history``, ``ketnap audit history``
and ``explain``, and the dossier's timeline).

Personal data inside event data (a nomination, or a correction of it) is left out for
callers who may not see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.audit.dossier_text import explain_check
from domain.candidacy.events import CandidacyEvent, Corrected
from domain.rules import CheckResult
from domain.values import DocumentRef

# Fields that carry personal data inside event data (a nomination, or a correction of it).
PERSONAL_FIELDS = frozenset({"person"})


class HistoryItem(BaseModel):
    """One recorded event, as stored: originals are never edited, corrections restate."""

    position: int = Field(description="The event's version in the candidacy's stream")
    type: str = Field(description="Event type, e.g. `BranchVoteHeld`")
    effective_on: date
    recorded_at: datetime
    actor: str
    role: str
    unit_id: UUID | None
    request_id: str
    rule_set: str | None
    document: DocumentRef | None
    note: str | None
    data: dict[str, Any] = Field(description="What happened (the event's own fields)")
    checks: list[CheckResult]
    hash: str = Field(description="SHA-256 content hash of the event (its chain link)")
    prev_hash: str
    restates: int | None = Field(
        default=None, description="For a correction: the position it restates"
    )
    restated_by: list[int] = Field(
        default=[], description="The positions of the corrections that restate this event"
    )
    explanation: list[str] | None = Field(
        default=None,
        description="With `explain=true`: one readable line per check, in Vietnamese from "
        "its parameters, then the rule set and the recorded English detail",
    )

    @classmethod
    def of(
        cls,
        event: CandidacyEvent,
        *,
        with_person: bool,
        restated_by: Sequence[int] = (),
        explain: bool = False,
    ) -> HistoryItem:
        data = event.model_dump(mode="json", include=set(event.data_fields()))
        if not with_person:
            data = _without_personal(data)
        return cls(
            position=event.originator_version,
            type=type(event).__name__,
            effective_on=event.effective_on,
            recorded_at=event.timestamp,
            actor=event.actor,
            role=event.role,
            unit_id=event.unit_id,
            request_id=event.request_id,
            rule_set=event.rule_set,
            document=event.document,
            note=event.note,
            data=data,
            checks=list(event.checks),
            hash=event.content_hash(),
            prev_hash=event.prev_hash,
            restates=event.position if isinstance(event, Corrected) else None,
            restated_by=list(restated_by),
            explanation=[explain_check(check) for check in event.checks] if explain else None,
        )


def _without_personal(data: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in data.items() if k not in PERSONAL_FIELDS}
    if isinstance(kept.get("changes"), dict):
        kept["changes"] = _without_personal(kept["changes"])
    return kept


def restated_by(history: tuple[CandidacyEvent, ...]) -> dict[int, list[int]]:
    """For each restated position, the positions of the corrections that restate it."""
    found: dict[int, list[int]] = {}
    for event in history:
        if isinstance(event, Corrected):
            found.setdefault(event.position, []).append(event.originator_version)
    return found


def history_items(
    history: tuple[CandidacyEvent, ...], *, with_person: bool, explain: bool
) -> list[HistoryItem]:
    """The history as recorded, each event with the corrections that restate it."""
    corrections = restated_by(history)
    return [
        HistoryItem.of(
            event,
            with_person=with_person,
            explain=explain,
            restated_by=corrections.get(event.originator_version, ()),
        )
        for event in history
    ]
