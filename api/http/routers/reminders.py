"""Deadline reminders (issue 14): a unit's subscriptions to its deadline digest, and the
digest itself as it would be sent. Admins, and boards within their subtree; the secret of a
webhook is never answered back."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.http.deps import ActorDep, FiguresDep, IdempotencyKey
from api.http.figures import problem_responses
from api.http.security import WRITERS, AdmissionsDep, PrincipalDep, require, require_scope
from api.reports.digest import DEFAULT_DAYS_AHEAD, DeadlineDigest, deadline_digest
from domain.reminders import Channel, Frequency, SubscriptionState
from workflows import commands as c

router = APIRouter(tags=["reminders"])
_ERRORS = problem_responses(401, 403, 404, 422)
_WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422)
_UNIT = "3b0d9c52-7a1e-5f4b-8c2d-6e9f0a1b2c3d"


class Subscription(BaseModel):
    """A subscription as the API shows it (never with its secret)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0c9b8a7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d",
                "organisation_id": _UNIT,
                "channel": "webhook",
                "address": "https://tinh-uy.example.vn/hooks/ketnap",
                "signed": True,
                "frequency": "daily",
                "days_ahead": 5,
                "hour": 7,
                "subscribed_on": "2025-03-03",
                "ended_on": None,
                "version": 1,
            }
        }
    )

    id: UUID
    organisation_id: UUID
    channel: Channel
    address: str
    signed: bool = Field(description="Whether deliveries are signed (a webhook's secret is set).")
    frequency: Frequency
    days_ahead: int
    hour: int = Field(description="The hour of delivery in Asia/Ho_Chi_Minh.")
    subscribed_on: date
    ended_on: date | None
    version: int

    @classmethod
    def of(cls, state: SubscriptionState) -> Subscription:
        return cls(
            id=state.id,
            organisation_id=state.organisation_id,
            channel=state.channel,
            address=state.address,
            signed=state.secret is not None,
            frequency=state.frequency,
            days_ahead=state.days_ahead,
            hour=state.hour,
            subscribed_on=state.subscribed_on,
            ended_on=state.ended_on,
            version=state.version,
        )


class SubscriptionList(BaseModel):
    items: list[Subscription]


def _board_of(admissions: AdmissionsDep, principal: PrincipalDep, organisation_id: UUID) -> None:
    require(principal, *WRITERS)
    admissions.organisation(organisation_id)
    require_scope(admissions, principal, organisation_id)


@router.post(
    "/organisations/{organisation_id}/reminder-subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=Subscription,
    summary="Subscribe an e-mail address or a webhook to the unit's deadline digest",
    responses=_WRITE_ERRORS,
    operation_id="subscribe_reminders",
)
def subscribe(
    organisation_id: UUID,
    body: Annotated[
        c.SubscribeReminders,
        Body(
            openapi_examples={
                "email": {
                    "summary": "Thư hằng ngày lúc 7 giờ",
                    "value": {"channel": "email", "address": "bantochuc@xa-lat.vn"},
                },
                "webhook": {
                    "summary": "Webhook hằng tuần (thứ Hai)",
                    "value": {
                        "channel": "webhook",
                        "address": "https://tinh-uy.example.vn/hooks/ketnap",
                        "secret": "a-long-random-signing-key",
                        "frequency": "weekly",
                        "days_ahead": 10,
                        "hour": 8,
                    },
                },
            }
        ),
    ],
    response: Response,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> Subscription:
    """The digest lists the unit's subtree's deadlines due within `days_ahead` working
    days (default 5) and the overdue ones, `daily` or `weekly` (Mondays) at `hour`; a day
    off holds it to the next working day. A webhook needs a `secret` (16 characters or
    more): each delivery is signed with it (`X-Ketnap-Signature: sha256=<hex>`)."""
    _board_of(admissions, principal, organisation_id)
    state = admissions.subscribe_reminders(
        organisation_id, body, actor, idempotency_key=idempotency_key
    )
    response.headers["Location"] = (
        f"/organisations/{organisation_id}/reminder-subscriptions/{state.id}"
    )
    return Subscription.of(state)


@router.get(
    "/organisations/{organisation_id}/reminder-subscriptions",
    response_model=SubscriptionList,
    summary="The unit's reminder subscriptions",
    responses=_ERRORS,
    operation_id="list_reminder_subscriptions",
)
def list_subscriptions(
    organisation_id: UUID,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    include_ended: Annotated[bool, Query(description="Ended ones too.")] = False,
) -> SubscriptionList:
    _board_of(admissions, principal, organisation_id)
    states = admissions.subscriptions(organisation_id)
    return SubscriptionList(items=[Subscription.of(s) for s in states if include_ended or s.active])


@router.delete(
    "/organisations/{organisation_id}/reminder-subscriptions/{subscription_id}",
    response_model=Subscription,
    summary="End a reminder subscription",
    responses=_WRITE_ERRORS,
    operation_id="end_reminder_subscription",
)
def end_subscription(
    organisation_id: UUID,
    subscription_id: UUID,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
) -> Subscription:
    """No digest is sent after this; the subscription stays in the record (409
    `subscription_ended` when it had ended already)."""
    _board_of(admissions, principal, organisation_id)
    return Subscription.of(admissions.end_subscription(organisation_id, subscription_id, actor))


@router.get(
    "/organisations/{organisation_id}/reminder-digest",
    response_model=DeadlineDigest,
    summary="The deadline digest the unit's board would receive on a day",
    responses=_ERRORS,
    operation_id="preview_reminder_digest",
)
def preview_digest(
    organisation_id: UUID,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    on: Annotated[date | None, Query(description="The day (default today).")] = None,
    days_ahead: Annotated[int, Query(ge=0, le=60)] = DEFAULT_DAYS_AHEAD,
) -> DeadlineDigest:
    """Overdue deadlines, then those due within `days_ahead` working days of `on`, with
    each person's name, branch and working days left."""
    _board_of(admissions, principal, organisation_id)
    return deadline_digest(
        projections,
        admissions,
        organisation_id,
        on or admissions.today(),
        days_ahead=days_ahead,
    )
