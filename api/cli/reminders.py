"""``ketnap reminders subscribe|list|preview|run``: a unit's deadline digest and its
subscriptions on the command line (issue 14, ADR 0024). ``run`` is what cron calls: it
sends every digest due on the day (default today, in Vietnam) not sent yet, and exits 1
when one failed for good."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from api.bootstrap import build_app, build_projections
from api.cli.serve import cli_actor
from api.reminders import message
from api.reminders.runner import Deliverer, Outcome, run_due
from api.reports.digest import DEFAULT_DAYS_AHEAD, deadline_digest
from api.settings import DatabaseUrlError, current
from domain.errors import DomainError
from domain.events import VIETNAM_OFFSET
from domain.reminders import Channel, Frequency
from projections.register import NAME as REGISTER
from projections.runner import Projections
from workflows import commands as c
from workflows.application import Admissions

reminders = typer.Typer(
    help="Deadline reminders: subscriptions, the digest, sending what is due (nhắc hạn).",
    no_args_is_help=True,
)
console = Console()
OrganisationOpt = Annotated[UUID, typer.Option("--organisation", help="The unit's id.")]
OnOpt = Annotated[
    datetime | None,
    typer.Option("--on", formats=["%Y-%m-%d"], help="The day (default today in Vietnam)."),
]


@contextmanager
def _store() -> Iterator[Admissions]:
    try:
        app = build_app(current())
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        yield app
    except DomainError as exc:
        console.print(exc.detail, style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    finally:
        app.close()


def _views(app: Admissions) -> Projections:
    views = build_projections(app)
    views.catch_up(REGISTER)
    return views


def _day(app: Admissions, on: datetime | None) -> date:
    return on.date() if on is not None else app.today()


@reminders.command()
def subscribe(
    organisation: OrganisationOpt,
    channel: Annotated[Channel, typer.Option(help="email or webhook.")],
    address: Annotated[str, typer.Option(help="The e-mail address or the webhook's URL.")],
    secret: Annotated[
        str | None,
        typer.Option(envvar="KETNAP_WEBHOOK_SECRET", help="A webhook's signing key."),
    ] = None,
    frequency: Annotated[Frequency, typer.Option(help="daily or weekly (Mondays).")] = (
        Frequency.DAILY
    ),
    days_ahead: Annotated[int, typer.Option(help="Working days ahead.")] = DEFAULT_DAYS_AHEAD,
    hour: Annotated[int, typer.Option(help="Hour of delivery in Asia/Ho_Chi_Minh.")] = 7,
) -> None:
    """Subscribe an address to the unit's digest; prints the subscription's id last."""
    try:
        command = c.SubscribeReminders(
            channel=channel,
            address=address,
            secret=secret,
            frequency=frequency,
            days_ahead=days_ahead,
            hour=hour,
        )
    except ValidationError as exc:
        for error in exc.errors():
            console.print(error["msg"], style="red", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    with _store() as app:
        state = app.subscribe_reminders(organisation, command, cli_actor())
    console.print(str(state.id), highlight=False)


@reminders.command("list")
def list_(
    organisation: Annotated[
        UUID | None, typer.Option("--organisation", help="Only this unit's.")
    ] = None,
) -> None:
    """The subscriptions (active and ended); never their secrets."""
    with _store() as app:
        states = app.subscriptions(organisation)
    table = Table("id", "organisation", "channel", "address", "frequency", "days", "hour", "ended")
    for s in states:
        table.add_row(
            str(s.id),
            str(s.organisation_id),
            s.channel.value,
            s.address,
            s.frequency.value,
            str(s.days_ahead),
            f"{s.hour:02d}:00",
            s.ended_on.isoformat() if s.ended_on else "",
        )
    console.print(table)


@reminders.command()
def end(
    organisation: OrganisationOpt,
    subscription: Annotated[UUID, typer.Argument(help="The subscription's id.")],
) -> None:
    """End a subscription (no digest is sent after this)."""
    with _store() as app:
        app.end_subscription(organisation, subscription, cli_actor())
    console.print(f"ended {subscription}", highlight=False)


@reminders.command()
def preview(
    organisation: OrganisationOpt,
    on: OnOpt = None,
    days_ahead: Annotated[int, typer.Option(help="Working days ahead.")] = DEFAULT_DAYS_AHEAD,
) -> None:
    """Print the digest the unit's board would get on the day (the e-mail's words)."""
    with _store() as app:
        digest = deadline_digest(
            _views(app), app, organisation, _day(app, on), days_ahead=days_ahead
        )
    mail = message.email(digest)
    print(mail.subject)
    print()
    print(mail.text, end="")


@reminders.command()
def run(on: OnOpt = None) -> None:
    """Send every digest due on the day that has not been sent yet (for cron): a day off
    holds a digest to the next working day; every subscription's hour is honoured only
    for today (a past day sends all that were due)."""
    settings = current()

    def show(outcome: Outcome) -> None:
        detail = outcome.reason or ""
        console.print(
            f"{outcome.status}\t{outcome.subscription_id}\t{outcome.items}\t{detail}",
            highlight=False,
            markup=False,
        )

    with _store() as app:
        day = _day(app, on)
        local = app.clock() + VIETNAM_OFFSET
        hour = local.hour if day == local.date() else None
        outcomes = run_due(
            app,
            _views(app),
            day,
            Deliverer(settings),
            hour=hour,
            lease=timedelta(minutes=settings.reminder_lease_minutes),
            on_outcome=show,
        )
    sent = sum(o.status == "sent" for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    console.print(f"{day.isoformat()}: {sent} sent, {failed} failed", highlight=False)
    if failed:
        raise typer.Exit(1)
