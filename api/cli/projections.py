"""``ketnap projections list|status|rebuild NAME|run``: the persisted projections.

``run`` is the projection runner process for deployments that keep catching up out of
the API (``KETNAP_SERVE_PROJECTIONS=false`` on ``ketnap serve``); ``rebuild`` fills a fresh
generation beside the live one with a progress bar and swaps it in atomically.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Annotated

import structlog
import typer
from eventsourcing.postgres import PostgresDatastore
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from api.bootstrap import build_app, store_environment
from api.digest import digest_for
from api.projection_runner import Projections
from api.settings import DatabaseUrlError, Settings
from workflows.application import Admissions

projections_cli = typer.Typer(
    name="projections",
    help="List, inspect, rebuild and run the persisted projections.",
    no_args_is_help=True,
)
console = Console()
log = structlog.get_logger("ketnap.cli.projections")


def _open() -> tuple[Admissions, Projections]:
    try:
        app = build_app(Settings())
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    return app, Projections(app)


@projections_cli.command("list")
def list_() -> None:
    """Each projection with its live generation, position and lag."""
    app, projections = _open()
    try:
        table = Table("projection", "generation", "position", "lag (events)")
        for s in projections.status():
            table.add_row(s.name, str(s.generation), f"{s.position:,}", f"{s.lag:,}")
        digest = digest_for(app)
        table.add_row(digest.name, "—", f"{digest.position():,}", f"{digest.lag():,}")
        console.print(table)
    finally:
        app.close()


@projections_cli.command()
def status() -> None:
    """Details: the store's newest event, each projection's position and lag, and any
    rebuild under way."""
    app, projections = _open()
    try:
        newest = projections.max_notification_id()
        console.print(f"store: {app.recorder.__class__.__name__}, newest event id {newest:,}")
        table = Table("projection", "generation", "position", "lag", "rebuilding into")
        for s in projections.status():
            building = str(s.building) if s.building else "—"
            table.add_row(s.name, str(s.generation), f"{s.position:,}", f"{s.lag:,}", building)
        digest = digest_for(app)
        table.add_row(digest.name, "—", f"{digest.position():,}", f"{digest.lag():,}", "—")
        console.print(table)
        console.print(
            f"{digest.name} is the tamper-evidence digest (ADR 0011): `ketnap audit verify` "
            "checks the store against it; it is not rebuilt from here."
        )
    finally:
        app.close()


@projections_cli.command()
def rebuild(
    name: Annotated[str, typer.Argument(help="The projection to rebuild (see `list`).")],
    page_size: Annotated[int, typer.Option(min=100, max=100_000)] = 5000,
) -> None:
    """Build NAME afresh from the first event beside the live copy, then swap it in.

    Readers keep reading the live copy until the new one has caught up; the swap is one
    transaction. The copy before the live one is dropped.
    """
    app, projections = _open()
    try:
        if name not in projections.names:
            console.print(
                f"[red]unknown projection '{name}': choose one of "
                f"{', '.join(projections.names)}[/red]"
            )
            raise typer.Exit(2)
        projections.page_size = page_size
        columns = (
            TextColumn(f"[bold]rebuild {name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} events/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        started = time.perf_counter()
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("rebuild", total=None, rate="—")

            def advance(done: int, total: int) -> None:
                elapsed = max(time.perf_counter() - started, 1e-9)
                bar.update(task, completed=done, total=total, rate=f"{done / elapsed:,.0f}")

            generation = projections.rebuild(name, advance)
        seconds = time.perf_counter() - started
        position = next(s.position for s in projections.status() if s.name == name)
        console.print(
            f"{name}: generation {generation} is live, at event {position:,} "
            f"({position / max(seconds, 1e-9):,.0f} events/s, {seconds:.1f} s)"
        )
    finally:
        app.close()


@projections_cli.command()
def run(
    poll: Annotated[float, typer.Option(help="Seconds between polls when idle (SQLite).")] = 0.5,
    once: Annotated[bool, typer.Option(help="Catch up once and exit.")] = False,
    polling: Annotated[
        bool, typer.Option("--polling", help="Poll even on PostgreSQL (no LISTEN/NOTIFY).")
    ] = False,
) -> None:
    """Keep the projections caught up with the store until stopped (SIGTERM, Ctrl+C).

    Catches up in large pages first; then, on PostgreSQL, follows with the eventsourcing
    library's ProjectionRunner (LISTEN/NOTIFY), on SQLite by polling. Safe beside other
    runners and the API's own catch-up: each event is applied once, in one transaction
    with its tracking record.
    """
    app, projections = _open()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        log.info(
            "projections.run_started", positions={s.name: s.position for s in projections.status()}
        )
        digest = digest_for(app)
        if once:
            applied = projections.catch_up()
            digest.catch_up()
            console.print(f"caught up {applied:,} events; lag {projections.lag():,}")
            return

        def on_page(applied: int) -> None:
            digest.catch_up()
            log.info("projections.caught_up", events=applied)

        if isinstance(projections.datastore, PostgresDatastore) and not polling:
            from api.projection_follow import follow

            follow(projections, store_environment(Settings()), should_stop=lambda: stopping)
        else:
            projections.run(poll_seconds=poll, should_stop=lambda: stopping, on_page=on_page)
        log.info("projections.run_stopped")
    finally:
        app.close()
