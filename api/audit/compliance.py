"""The deadline compliance report of a unit's subtree over a period (``GET
/reports/deadline-compliance``, ``ketnap audit compliance``): every candidacy in the store
handed to ``domain.compliance``, each step attributed to its branch's path on the step's day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

from domain.candidacy.events import CandidateNominated
from domain.compliance import ComplianceReport, deadline_compliance
from domain.values import Period
from projections.paging import pages
from workflows.application import Admissions


def candidacy_ids(admissions: Admissions, page_size: int = 1000) -> Iterator[UUID]:
    """Every candidacy in the store, from the nominations in the store's order."""
    topic = CandidateNominated.topic()
    for page in pages(admissions.recorder, topics=[topic], page_size=page_size):
        for notification in page:
            yield UUID(str(notification.originator_id))


def compliance_for(
    admissions: Admissions, organisation_id: UUID, period: Period, today: date | None = None
) -> ComplianceReport:
    """The deadline compliance report of a unit's subtree (``domain.compliance``), over
    every candidacy in the store; each step is attributed to its branch's path on the step's
    day. ``NotFound`` for an unknown unit."""
    admissions.organisation(organisation_id)
    paths: dict[tuple[UUID, date], bool] = {}

    def in_unit(branch_id: UUID, day: date) -> bool:
        key = (branch_id, day)
        if key not in paths:
            paths[key] = organisation_id in {u.id for u in admissions.path_on(branch_id, day)}
        return paths[key]

    states = (admissions.candidacy(cid) for cid in candidacy_ids(admissions))
    return deadline_compliance(
        states,
        organisation_id=organisation_id,
        period=period,
        today=today or admissions.today(),
        calendar=admissions.calendar,
        in_unit=in_unit,
    )
