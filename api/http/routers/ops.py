"""Operations: liveness, readiness (store reachable, projection lag) and Prometheus metrics.

``/health`` and ``/ready`` need no token (load balancers and orchestrators call them);
``/metrics`` needs one of any role, like every other endpoint (api.md, "Access").
"""

from __future__ import annotations

from typing import Any, Literal

import anyio
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.http.deps import ProjectionsDep
from api.http.problems import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    RETRY_AFTER_SECONDS,
    Problem,
    problem,
)
from api.http.security import AdmissionsDep, PrincipalDep
from api.metrics import Metrics
from projections.live import ReadSide
from workflows.application import Admissions
from workflows.keys import key_status

router = APIRouter(tags=["operations"])
# /ready answers within this, whatever the store does (a load balancer's probe times out).
READY_SECONDS = 0.75
log = structlog.get_logger("ketnap.api")


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"status": "ok"}})

    status: Literal["ok"]


class ProjectionState(BaseModel):
    name: str
    generation: int
    position: int = Field(description="The last stored event id applied.")
    lag: int = Field(description="Stored events not applied yet.")


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "status": "ready",
                "store": "ok",
                "projection_lag": 0,
                "projection_position": 18342,
                "undecodable_events": 0,
                "projections": [
                    {"name": "admissions", "generation": 2, "position": 18342, "lag": 0},
                    {"name": "candidacies", "generation": 1, "position": 18342, "lag": 0},
                ],
            }
        }
    )

    status: Literal["ready"]
    store: Literal["ok"]
    projection_lag: int = Field(description="The largest lag of any read model, in events.")
    projection_position: int
    undecodable_events: int
    projections: list[ProjectionState] = Field(
        default_factory=list, description="Each persisted projection (`ketnap projections list`)."
    )
    cipher_key: str = Field(
        "ok", description="`ok` when the configured cipher key (or none) fits the store."
    )


KEY_PROBLEMS = {
    "missing": (
        "cipher_key_missing",
        "the store is encrypted and no KETNAP_CIPHER_KEY is set "
        "(kho dữ liệu đã mã hóa, chưa đặt khóa)",
    ),
    "wrong": (
        "cipher_key_wrong",
        "KETNAP_CIPHER_KEY does not decrypt this store (khóa mã hóa không đúng với kho dữ liệu)",
    ),
}


@router.get("/health", response_model=Health, summary="The process is alive")
def health() -> Health:
    """Answers while the process runs; touches nothing else."""
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    summary="The store answers; how far the projections lag",
    responses={
        503: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": "The store does not answer, or the cipher key does not fit it",
        }
    },
)
async def ready(admissions: AdmissionsDep, projections: ProjectionsDep) -> Any:
    """200 when the store answers, with the number of stored events the views have not
    applied yet; 503 (problem+json, with Retry-After) when it does not, within
    `READY_SECONDS` whatever the store does, or when the configured cipher key does not
    fit it (`cipher_key_missing`, `cipher_key_wrong`)."""
    gate = getattr(admissions.recorder, "gate", None)
    if gate is not None and gate.is_down:  # it failed a moment ago: do not wait on it again
        return _unavailable("the event store does not answer")
    try:
        with anyio.fail_after(READY_SECONDS):
            key, views = await run_in_threadpool(_probe, admissions, projections)
    except TimeoutError:
        log.warning("ready.store_slow", seconds=READY_SECONDS)
        return _unavailable(f"the event store did not answer within {READY_SECONDS} s")
    except Exception as exc:  # any failure of the store means "not ready"
        log.warning("ready.store_unreachable", error=type(exc).__name__)
        return _unavailable("the event store does not answer")
    if key != "ok":
        rule, detail = KEY_PROBLEMS[key]
        log.error("ready.cipher_key_mismatch", rule=rule)
        return problem(503, "Service unavailable", detail, rule)
    return Readiness(
        status="ready",
        store="ok",
        projection_lag=max(p.lag for p in views),
        projection_position=min(p.position for p in views),
        undecodable_events=len(projections.undecodable),
        projections=[
            ProjectionState(name=p.name, generation=p.generation, position=p.position, lag=p.lag)
            for p in views
        ],
    )


def _probe(admissions: Admissions, projections: ReadSide) -> tuple[str, list[Any]]:
    admissions.recorder.max_notification_id()
    return key_status(admissions), list(projections.status())


def _unavailable(detail: str) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return problem(503, "Service unavailable", detail, "store_unavailable", headers)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        401: PROBLEM_RESPONSES[401],
    },
)
def metrics(request: Request, _: PrincipalDep, projections: ProjectionsDep) -> Response:
    """Request counts and latencies, commands by outcome, and the projection lag (set at
    each scrape as well as by the background poller). Any role may read it."""
    registry: Metrics = request.app.state.metrics
    try:
        registry.observe_lag(projections.status())
    except Exception as exc:  # the scrape still answers: the gauge keeps its last value
        log.warning("metrics.lag_unavailable", error=type(exc).__name__)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
