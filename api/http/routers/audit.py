"""Audit: verify that no stored event was altered, removed or reordered after it was
recorded: the candidacies' hash chains over the raw stored JSON, and the audit digest over
the store's global order (``api.audit.verification``, ``projections.digest``, ADR 0011). The
report's shape is ``api.audit.verification_report``, shared with ``ketnap audit verify``."""

from __future__ import annotations

from uuid import UUID

import structlog
from fastapi import APIRouter

from api.audit.trail import audit_read
from api.audit.verification import Progress
from api.audit.verification import verify as verify_audit
from api.audit.verification_report import VerificationReport, verification_report
from api.http.deps import FiguresDep
from api.http.figures import OrganisationQuery, covered_unit, problem_responses
from api.http.security import READERS, AdmissionsDep, Principal, PrincipalDep, require
from projections.live import ReadSide
from workflows.application import Admissions

router = APIRouter(tags=["audit"])
log = structlog.get_logger("ketnap.audit")


@router.get(
    "/audit/verify",
    response_model=VerificationReport,
    summary="Detect stored events altered, removed or reordered",
    responses=problem_responses(401, 403, 404, 422),
)
def verify(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
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
    return run_verification(admissions, principal, projections, unit)


def run_verification(
    admissions: Admissions,
    principal: Principal,
    projections: ReadSide,
    unit: UUID | None,
    progress: Progress | None = None,
) -> VerificationReport:
    """The verification of ``unit``'s subtree (the whole store when None), recorded in the
    audit trail; ``GET /audit/verify`` and the web app's integrity check both run it."""
    result = verify_audit(admissions, projections, unit, progress=progress)
    audit_read(
        "verify",
        actor=principal.name,
        role=principal.role.value,
        at=admissions.clock(),
        via="http",
        organisation_id=unit,
    )
    log.info(
        "audit.verify",
        actor=principal.name,
        role=principal.role.value,
        organisation_id=str(unit) if unit else None,
        events=result.events_checked,
        problems=len(result.problems),
    )
    return verification_report(result)
