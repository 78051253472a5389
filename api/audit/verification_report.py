"""The report of a verification of the stored record, as ``GET /audit/verify`` answers it
and ``ketnap audit verify --json`` prints it: the problems found in the candidacies' hash
chains and in the audit digest over the store's global order (ADR 0011).
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.audit.verification import Verification


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


def verification_report(result: Verification) -> VerificationReport:
    """The answer for a verification made with the digest (HTTP and ``--json``)."""
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
