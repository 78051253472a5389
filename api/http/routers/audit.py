"""Audit: verify that no stored event was altered, removed or reordered after it was
recorded: the candidacies' hash chains over the raw stored JSON, and the audit digest over
the store's global order (``api.verification``, ``api.digest``, ADR 0011)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import structlog
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.digest import digest_for
from api.dossier import audit_read
from api.http.deps import ProjectionsDep
from api.http.figures import OrganisationQuery, covered_unit, problem_responses
from api.http.security import READERS, AdmissionsDep, PrincipalDep, require
from api.verification import Verification, verify_store
from projections.register import candidacies_in_subtree

router = APIRouter(tags=["audit"])
log = structlog.get_logger("ketnap.audit")


class ChainProblem(BaseModel):
    candidacy_id: UUID | None = Field(
        description="The candidacy the problem is in; null for other records (see "
        "`aggregate`, `stream_id`) and for the store's global order."
    )
    position: int | None = Field(
        description="The event's position (version) in its stream; null when only the "
        "stream or a range of the global order can be named."
    )
    kind: Literal["altered", "removed", "reordered"]
    detail: str
    aggregate: str = Field(
        default="candidacy",
        description="candidacy, organisation, member, quota, token, idempotency_record, or "
        "store (the global order itself).",
    )
    stream_id: UUID | None = Field(default=None, description="The stream (aggregate) id.")
    notification_ids: tuple[int, int] | None = Field(
        default=None, description="First and last notification id of the range concerned."
    )


class DigestOut(BaseModel):
    store_wide: bool = Field(
        description="Whether the global order was checked (checkpoints, tip, every "
        "stream). Scoped to an organisation, only that subtree's candidacy rows are compared."
    )
    position: int = Field(description="The last notification id the digest recorded.")
    events: int = Field(description="Events the digest recorded up to there.")
    checkpoints: int
    tip: str | None = Field(description="The newest checkpoint's digest: anchor it elsewhere.")


class VerificationReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "events_checked": 4821,
                "streams_checked": 312,
                "problems": [
                    {
                        "candidacy_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                        "position": 7,
                        "kind": "altered",
                        "detail": "position 7 does not hash to the value position 8 "
                        "recorded for it",
                        "aggregate": "candidacy",
                        "stream_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                        "notification_ids": None,
                    }
                ],
                "store_events_read": 5901,
                "global_digest": {
                    "store_wide": True,
                    "position": 5901,
                    "events": 5901,
                    "checkpoints": 6,
                    "tip": "cde8b09033c2e7349a13f6650dab3c77aea41a808c2a4679cfeb14f59a881cf1",
                },
            }
        }
    )

    events_checked: int = Field(description="Candidacy events whose hash chains were checked.")
    streams_checked: int = Field(description="Candidacies checked.")
    problems: list[ChainProblem]
    store_events_read: int = Field(description="Stored events read (every kind).")
    global_digest: DigestOut


def report(result: Verification) -> VerificationReport:
    """The HTTP answer for a verification."""
    summary = result.digest
    assert summary is not None, "the API always verifies with the digest"
    return VerificationReport(
        events_checked=result.events_checked,
        streams_checked=result.streams_checked,
        problems=[
            ChainProblem(
                candidacy_id=p.candidacy_id,
                position=p.position,
                kind=p.kind,
                detail=p.detail,
                aggregate=p.aggregate,
                stream_id=p.stream_id,
                notification_ids=p.notification_ids,
            )
            for p in result.problems
        ],
        store_events_read=result.store_events_read,
        global_digest=DigestOut(
            store_wide=summary.store_wide,
            position=summary.position,
            events=summary.events,
            checkpoints=summary.checkpoints,
            tip=summary.tip,
        ),
    )


@router.get(
    "/audit/verify",
    response_model=VerificationReport,
    summary="Detect stored events altered, removed or reordered",
    responses=problem_responses(401, 403, 404, 422),
)
def verify(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: ProjectionsDep,
    organisation_id: OrganisationQuery = None,
) -> VerificationReport:
    """Recompute every stored candidacy event's hash from its stored JSON and check each
    candidacy's chain, then compare the store with the audit digest recorded as events
    arrived. For an admin without `organisation_id`, the whole store: every candidacy, the
    global order (a deleted candidacy or deleted newest events are caught) and every other
    record. Otherwise only the candidacies whose branch lies in the subtree today, with
    their digest rows; `global_digest.store_wide` is then false. Admins and auditors;
    boards within their subtree. Reads the whole store (seconds for a province)."""
    require(principal, *READERS)
    unit = covered_unit(admissions, principal, organisation_id)
    digest = digest_for(admissions)
    digest.catch_up()
    if unit is None:
        result = verify_store(admissions, digest)
    else:
        ledger = projections.ledger_reader()
        ids = candidacies_in_subtree(projections.ledger.register, ledger.tree(), unit,
                                     admissions.today())  # fmt: skip
        result = verify_store(admissions, digest, candidacy_ids=ids)
    audit_read("verify", actor=principal.name, role=principal.role.value,
               at=admissions.clock(), via="http", organisation_id=unit)  # fmt: skip
    log.info("audit.verify", actor=principal.name, role=principal.role.value,
             organisation_id=str(unit) if unit else None, events=result.events_checked,
             problems=len(result.problems))  # fmt: skip
    return report(result)
