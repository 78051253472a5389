"""The auditor's integrity check in the web app: a job, not a page.

A verification reads the whole store (every candidacy's chain, the audit digest): tenths of
a second for the demo province, minutes for a country. So ``POST /ui/audit`` starts it in a
thread of this process and answers at once with the job's page, which follows the job's
progress (htmx polls a fragment every half second; without scripts, the page's own reload
link) and shows the report when it is done. The job runs the API's own use case
(``routers.audit.run_verification``, recorded in the audit trail like ``GET /audit/verify``).

A job is seen only by the token that started it, and lives in the process that runs it:
the last ``KEPT`` jobs are kept, none survives a restart (the audit trail keeps that the
check ran). ADR 0021.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from uuid import UUID

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.audit.verification_report import VerificationReport
from api.http.figures import covered_unit
from api.http.routers.audit import run_verification
from api.http.security import READERS, Principal, require
from api.http.web.base import Board, admissions_of, check_csrf, figures_of, page
from domain.errors import NotFound

router = APIRouter(prefix="/ui", include_in_schema=False)
log = structlog.get_logger("ketnap.web")
KEPT = 20


@dataclass
class Job:
    """One verification run: who started it, how far it has read, and its report."""

    id: UUID
    owner: str
    unit: UUID | None
    started_at: datetime
    read: int = 0
    expected: int = 0
    seconds: float = 0.0
    report: VerificationReport | None = None
    failed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def done(self) -> bool:
        return self.report is not None or self.failed

    @property
    def percent(self) -> int:
        if self.done:
            return 100
        return min(99, round(100 * self.read / self.expected)) if self.expected else 0

    def advanced(self, read: int, expected: int) -> None:
        with self.lock:
            self.read, self.expected = read, expected


class Jobs:
    """The integrity checks of this process, newest last."""

    def __init__(self) -> None:
        self._jobs: dict[UUID, Job] = {}
        self._lock = threading.Lock()

    def start(self, request: Request, principal: Principal, unit: UUID | None) -> Job:
        admissions, figures = admissions_of(request), figures_of(request)
        job = Job(uuid.uuid4(), principal.name, unit, admissions.clock())

        def run() -> None:
            began = time.perf_counter()
            try:
                report = run_verification(admissions, principal, figures, unit, job.advanced)
            except Exception:
                log.exception("web.audit_failed", job=str(job.id))
                job.failed = True
            else:
                job.report = report
            job.seconds = time.perf_counter() - began

        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-KEPT]:
                del self._jobs[old]
        threading.Thread(target=run, name=f"ketnap-audit-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: UUID, principal: Principal) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.owner != principal.name:
            raise NotFound(f"no integrity check {job_id} here")
        return job

    def latest(self, principal: Principal) -> Job | None:
        mine = [j for j in self._jobs.values() if j.owner == principal.name]
        return mine[-1] if mine else None


def jobs_of(request: Request) -> Jobs:
    jobs: Jobs | None = getattr(request.app.state, "web_audit_jobs", None)
    if jobs is None:
        jobs = request.app.state.web_audit_jobs = Jobs()
    return jobs


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, principal: Board) -> Response:
    require(principal, *READERS)
    return page(request, "audit.html", job=jobs_of(request).latest(principal), start=True)


@router.post("/audit")
def start_audit(
    request: Request, principal: Board, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(request, csrf)
    require(principal, *READERS)
    unit = covered_unit(admissions_of(request), principal, None)
    job = jobs_of(request).start(request, principal, unit)
    return RedirectResponse(f"/ui/audit/{job.id}", status_code=303)


@router.get("/audit/{job_id}", response_class=HTMLResponse)
def audit_job(request: Request, job_id: UUID, principal: Board) -> Response:
    job = jobs_of(request).get(job_id, principal)
    if request.headers.get("HX-Request"):
        return page(request, "audit_job.html", job=job)
    return page(request, "audit.html", job=job, start=job.done)
