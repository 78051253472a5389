"""Response bodies of the HTTP API. Request bodies are the workflow commands themselves
(``workflows.commands``), so the API validates exactly what the application accepts.

Personal data (a candidate's name, birth date, ethnicity, religion, national id) leaves only
through ``Person`` fields, filled when the caller may see them (``sees_person``); the
roster answers with what a board needs to pick introducers and helpers, nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.dossier_text import explain_check
from api.http import examples as ex
from api.http.problems import PROBLEM_RESPONSES
from domain.candidacy.deadlines import Deadline
from domain.candidacy.events import CandidacyEvent, Corrected
from domain.candidacy.state import (
    CandidacyState,
    Certificate,
    Introducer,
    Readmission,
    Stage,
    Verification,
    Vote,
)
from domain.member import MemberState, MemberStatus
from domain.organisation import OrganisationKind, OrganisationState, ResidentialArea
from domain.rules import CheckResult
from domain.values import DocumentRef, NominatedBy, Person

Responses = dict[int | str, dict[str, Any]]


def errors(*statuses: int) -> Responses:
    """The problem+json responses of ``statuses``, for a route's OpenAPI."""
    return {status: PROBLEM_RESPONSES[status] for status in statuses}


def _examples(*values: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


# --- organisations -------------------------------------------------------------------------


class OrganisationOut(BaseModel):
    """A unit of the tree as it stood on ``as_of``: its name, parent, path and areas then."""

    model_config = _examples(ex.ORGANISATION_OUT)

    id: UUID
    code: str
    name: str = Field(description="The name in force on `as_of`")
    kind: OrganisationKind
    parent_id: UUID | None = Field(description="The parent in force on `as_of`")
    path: list[UUID] = Field(description="Unit ids from the root down to this unit on `as_of`")
    as_of: date
    founded_on: date
    ended_on: date | None = Field(description="Merged or dissolved on (exclusive)")
    merged_into: UUID | None
    in_force: bool = Field(description="Whether the unit existed on `as_of`")
    residential_areas: list[ResidentialArea] = Field(description="Areas covered on `as_of`")
    version: int

    @classmethod
    def of(cls, unit: OrganisationState, path: list[UUID], as_of: date) -> OrganisationOut:
        return cls(
            id=unit.id, code=unit.code, name=unit.name_on(as_of), kind=unit.kind,
            parent_id=unit.parent_on(as_of), path=path, as_of=as_of,
            founded_on=unit.founded_on, ended_on=unit.ended_on, merged_into=unit.merged_into,
            in_force=unit.exists_on(as_of),
            residential_areas=[a for a in unit.areas if a.since <= as_of],
            version=unit.version,
        )  # fmt: skip


# --- roster ------------------------------------------------------------------------------


class MemberCreated(BaseModel):
    """The roster entry's id (the personal data sent is not echoed back)."""

    model_config = _examples({"id": ex.MEMBER_ID})
    id: UUID


class MemberOut(BaseModel):
    """What a board needs to know of a member to name them introducer or helper."""

    model_config = _examples(ex.MEMBER_OUT)

    id: UUID
    full_name: str
    branch_id: UUID
    status: MemberStatus
    admitted_on: date
    official_on: date | None
    left_on: date | None
    candidacy_id: UUID | None = Field(
        default=None, description="The candidacy the member came from (null: imported roster)"
    )
    readmitted: bool = Field(
        default=False, description="Admitted again after leaving; re-admission is once only"
    )

    @classmethod
    def of(cls, member: MemberState) -> MemberOut:
        return cls(
            id=member.id, full_name=member.full_name, branch_id=member.branch_id,
            status=member.status, admitted_on=member.admitted_on,
            official_on=member.official_on, left_on=member.left_on,
            candidacy_id=member.candidacy_id, readmitted=member.readmitted,
        )  # fmt: skip


# --- candidacies -------------------------------------------------------------------------


class TransferOut(BaseModel):
    transferred_on: date
    from_branch_id: UUID
    to_branch_id: UUID


class CandidacyOut(BaseModel):
    """A candidacy as it stood at the end of ``as_of`` from what was recorded by
    ``known_at`` (both default to now), with its deadlines on ``as_of``."""

    model_config = _examples(ex.CANDIDACY_OUT)

    id: UUID
    version: int = Field(description="Also sent as the ETag")
    stage: Stage
    branch_id: UUID
    person: Person | None = Field(
        default=None,
        description="Personal data: only for admin, board and auditor of the subtree",
    )
    nominated_by: NominatedBy
    nominated_on: date
    helper_member_id: UUID | None = None
    readmission: Readmission | None = None
    class_enrolled_on: date | None = None
    certificate: Certificate | None = None
    application_on: date | None = None
    biography_on: date | None = None
    introducers: list[Introducer] = []
    introduced_on: date | None = None
    youth_union_resolution: str | None = None
    verifications: list[Verification] = []
    biography_certified_on: date | None = None
    votes: list[Vote] = []
    failed_branch_votes: int = 0
    escalated_on: date | None = None
    branch_resolution_on: date | None = None
    subunit_appraisal_on: date | None = None
    grassroots_resolution_on: date | None = None
    decision_extension_working_days: int = 0
    decided_on: date | None = None
    decision_received_on: date | None = None
    deciding_body_id: UUID | None = None
    party_age_from: date | None = Field(default=None, description="Set once admitted")
    member_id: UUID | None = Field(
        default=None,
        description="Set once admitted: the roster member the candidacy became (/members/{id})",
    )
    ceremony_on: date | None = None
    probation_ends_on: date | None = None
    new_member_class_on: date | None = None
    new_member_certificate: str | None = None
    disciplines: list[str] = []
    recognition_vote_on: date | None = None
    recognition_proposal: Literal["recognise", "remove"] | None = None
    grassroots_recognition_on: date | None = None
    recognition_extension_working_days: int = 0
    recognition_decided_on: date | None = None
    official_on: date | None = Field(
        default=None, description="Set once recognised: the day probation ended"
    )
    outcome_on: date | None = None
    outcome_reason: str | None = None
    transfers: list[TransferOut] = []
    created_on: datetime
    modified_on: datetime
    deadlines: list[Deadline]
    as_of: date = Field(description="The day the state and its deadlines are given for")
    known_at: datetime | None = Field(default=None, description="Recorded by this instant")

    @classmethod
    def of(
        cls,
        state: CandidacyState,
        deadlines: list[Deadline],
        *,
        with_person: bool,
        as_of: date,
        known_at: datetime | None = None,
    ) -> CandidacyOut:
        data = state.model_dump(exclude={"history", "transfers", "person"})
        transfers = [
            TransferOut(transferred_on=on, from_branch_id=src, to_branch_id=dst)
            for on, src, dst in state.transfers
        ]
        return cls(
            **data, person=state.person if with_person else None, transfers=transfers,
            deadlines=deadlines, as_of=as_of, known_at=known_at,
        )  # fmt: skip


class CandidacySummary(BaseModel):
    """One line of a candidacy list."""

    id: UUID
    stage: Stage
    branch_id: UUID
    version: int
    full_name: str | None = Field(description="Only for admin, board and auditor")
    nominated_on: date
    decided_on: date | None
    party_age_from: date | None
    official_on: date | None
    modified_on: datetime

    @classmethod
    def of(cls, state: CandidacyState, *, with_person: bool) -> CandidacySummary:
        return cls(
            id=state.id, stage=state.stage, branch_id=state.branch_id, version=state.version,
            full_name=state.person.full_name if with_person else None,
            nominated_on=state.nominated_on, decided_on=state.decided_on,
            party_age_from=state.party_age_from, official_on=state.official_on,
            modified_on=state.modified_on,
        )  # fmt: skip


class CandidacyPage(BaseModel):
    """A page of candidacies in a subtree, ordered by id."""

    items: list[CandidacySummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done")


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
        cls, event: CandidacyEvent, *, with_person: bool, restated_by: Sequence[int] = (),
        explain: bool = False,
    ) -> HistoryItem:  # fmt: skip
        data = event.model_dump(mode="json", include=set(event.data_fields()))
        if not with_person:
            data = _without_personal(data)
        return cls(
            position=event.originator_version, type=type(event).__name__,
            effective_on=event.effective_on, recorded_at=event.timestamp, actor=event.actor,
            role=event.role, unit_id=event.unit_id, request_id=event.request_id,
            rule_set=event.rule_set, document=event.document, note=event.note, data=data,
            checks=list(event.checks), hash=event.content_hash(), prev_hash=event.prev_hash,
            restates=event.position if isinstance(event, Corrected) else None,
            restated_by=list(restated_by),
            explanation=[explain_check(check) for check in event.checks] if explain else None,
        )  # fmt: skip


def _without_personal(data: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in data.items() if k not in PERSONAL_FIELDS}
    if isinstance(kept.get("changes"), dict):
        kept["changes"] = _without_personal(kept["changes"])
    return kept


class HistoryOut(BaseModel):
    """Every event of a candidacy in order, with the hash chain an auditor can re-check."""

    model_config = _examples(ex.HISTORY_OUT)

    candidacy_id: UUID
    version: int
    items: list[HistoryItem]
