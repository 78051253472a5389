"""Response bodies of the HTTP API. Request bodies are the workflow commands themselves
(``workflows.commands``), so the API validates exactly what the application accepts. The
bodies the CLI gives too (a candidacy's state, its history) are the audit use cases' own
models (``api.audit.state``, ``api.audit.history``), with their OpenAPI examples added here.

Personal data (a candidate's name, birth date, ethnicity, religion, national id) leaves only
through ``Person`` fields, filled when the caller may see them (``sees_person``); the
roster answers with what a board needs to pick introducers and helpers, nothing more.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.audit.history import HistoryItem
from api.audit.state import CandidacyView
from api.http import examples as ex
from api.http import response_examples as rex
from api.http.problems import PROBLEM_RESPONSES
from domain.candidacy.state import CandidacyState, Stage
from domain.member import MemberState, MemberStatus
from domain.organisation import OrganisationKind, OrganisationState, ResidentialArea

Responses = dict[int | str, dict[str, Any]]


def errors(*statuses: int) -> Responses:
    """The problem+json responses of ``statuses``, for a route's OpenAPI."""
    return {status: PROBLEM_RESPONSES[status] for status in statuses}


def _examples(*values: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


# --- organisations -------------------------------------------------------------------------


class OrganisationOut(BaseModel):
    """A unit of the tree as it stood on ``as_of``: its name, parent, path and areas then."""

    model_config = _examples(rex.ORGANISATION_OUT)

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
            id=unit.id,
            code=unit.code,
            name=unit.name_on(as_of),
            kind=unit.kind,
            parent_id=unit.parent_on(as_of),
            path=path,
            as_of=as_of,
            founded_on=unit.founded_on,
            ended_on=unit.ended_on,
            merged_into=unit.merged_into,
            in_force=unit.exists_on(as_of),
            residential_areas=[a for a in unit.areas if a.since <= as_of],
            version=unit.version,
        )


# --- roster ------------------------------------------------------------------------------


class MemberCreated(BaseModel):
    """The roster entry's id (the personal data sent is not echoed back)."""

    model_config = _examples({"id": ex.MEMBER_ID})
    id: UUID


class MemberOut(BaseModel):
    """What a board needs to know of a member to name them introducer or helper."""

    model_config = _examples(rex.MEMBER_OUT)

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
    readmitted_as: UUID | None = Field(
        default=None, description="The member this one was re-admitted as (once only)"
    )

    @classmethod
    def of(cls, member: MemberState) -> MemberOut:
        return cls(
            id=member.id,
            full_name=member.full_name,
            branch_id=member.branch_id,
            status=member.status,
            admitted_on=member.admitted_on,
            official_on=member.official_on,
            left_on=member.left_on,
            candidacy_id=member.candidacy_id,
            readmitted=member.readmitted,
            readmitted_as=member.readmitted_as,
        )


# --- candidacies -------------------------------------------------------------------------


class CandidacyOut(CandidacyView):
    """A candidacy as it stood at the end of ``as_of`` from what was recorded by
    ``known_at`` (both default to now), with its deadlines on ``as_of``."""

    model_config = _examples(rex.CANDIDACY_OUT)


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
            id=state.id,
            stage=state.stage,
            branch_id=state.branch_id,
            version=state.version,
            full_name=state.person.full_name if with_person else None,
            nominated_on=state.nominated_on,
            decided_on=state.decided_on,
            party_age_from=state.party_age_from,
            official_on=state.official_on,
            modified_on=state.modified_on,
        )


class OrganisationPage(BaseModel):
    """A page of units as the tree stood on a day, ordered by code."""

    items: list[OrganisationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done")


class CandidacyPage(BaseModel):
    """A page of candidacies in a subtree, ordered by id."""

    items: list[CandidacySummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done")


class HistoryOut(BaseModel):
    """Every event of a candidacy in order, with the hash chain an auditor can re-check."""

    model_config = _examples(rex.HISTORY_OUT)

    candidacy_id: UUID
    version: int
    items: list[HistoryItem]
