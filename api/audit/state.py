"""A candidacy as it stood on a day, from what had been recorded by an instant, with its
deadlines on that day: the answer of ``GET /candidacies/{id}`` (and of every command, as
``CandidacyOut`` with its OpenAPI example in ``api.http.schemas``) and of ``ketnap audit
state``.

Personal data leaves only through ``person``, filled when the caller may see it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self, TypeVar, overload
from uuid import UUID

from pydantic import BaseModel, Field

from domain.candidacy.deadlines import Deadline, deadlines
from domain.candidacy.events import state_as_of
from domain.candidacy.state import (
    CandidacyState,
    Certificate,
    Introducer,
    Readmission,
    Stage,
    Verification,
    Vote,
)
from domain.errors import NotFound
from domain.values import NominatedBy, Person
from workflows.application import Admissions


class TransferOut(BaseModel):
    transferred_on: date
    from_branch_id: UUID
    to_branch_id: UUID


class CandidacyView(BaseModel):
    """A candidacy as it stood at the end of ``as_of`` from what was recorded by
    ``known_at`` (both default to now), with its deadlines on ``as_of``."""

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
    ) -> Self:
        data = state.model_dump(exclude={"history", "transfers", "person"})
        transfers = [
            TransferOut(transferred_on=on, from_branch_id=src, to_branch_id=dst)
            for on, src, dst in state.transfers
        ]
        return cls(
            **data,
            person=state.person if with_person else None,
            transfers=transfers,
            deadlines=deadlines,
            as_of=as_of,
            known_at=known_at,
        )


V = TypeVar("V", bound=CandidacyView)


@overload
def state_view(
    admissions: Admissions,
    current: CandidacyState,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    with_person: bool,
) -> CandidacyView: ...


@overload
def state_view(
    admissions: Admissions,
    current: CandidacyState,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    with_person: bool,
    model: type[V],
) -> V: ...


def state_view(
    admissions: Admissions,
    current: CandidacyState,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    with_person: bool,
    model: type[CandidacyView] = CandidacyView,
) -> CandidacyView:
    """The audit use case "state as of a day, as known at an instant": the candidacy
    ``current`` as it stood at the end of ``as_of`` from what had been recorded by
    ``known_at`` (both default to now), with its deadlines on that day. Raises
    ``NotFound`` when it did not exist yet then. HTTP (``GET /candidacies/{id}``, with
    ``model=CandidacyOut``) and ``ketnap audit state`` both answer with it."""
    then = current
    if as_of is not None or known_at is not None:
        found = state_as_of(current.history, as_of, known_at)
        if found is None:
            raise NotFound(f"candidacy {current.id} did not exist yet at that time")
        then = found
    day = as_of or admissions.today()
    return model.of(
        then,
        deadlines(then, admissions.calendar, day),
        with_person=with_person,
        as_of=day,
        known_at=known_at,
    )
