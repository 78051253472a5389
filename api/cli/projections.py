"""``ketnap projections list|status|rebuild NAME|run``: the read side's views (the ledger,
the register, the audit digest), through the one runner ``api.bootstrap`` builds.

``run`` is the runner process for deployments that keep catching up out of the API
(``KETNAP_SERVE_PROJECTIONS=false`` on ``ketnap serve``); ``rebuild`` fills a fresh
generation beside the live one with a progress bar and swaps it in atomically (the audit
digest is refolded in place, and only with ``--certify-current-contents``: it then vouches
for the store as it is now, tampered or not).
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

from api.bootstrap import FollowedAdmissions, build_app, build_projections, store_environment
from api.settings import DatabaseUrlError, current
from projections.digest import NAME as DIGEST
from projections.runner import Projections
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
        app = build_app(current())
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    return app, build_projections(app)


@projections_cli.command("list")
def list_() -> None:
    """Each projection with its live generation, position and lag."""
    app, projections = _open()
    try:
        table = Table("projection", "generation", "position", "lag (events)")
        for s in projections.status():
            generation = "—" if s.name == DIGEST else str(s.generation)
            table.add_row(s.name, generation, f"{s.position:,}", f"{s.lag:,}")
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
            generation = "—" if s.name == DIGEST else str(s.generation)
            table.add_row(s.name, generation, f"{s.position:,}", f"{s.lag:,}", building)
        console.print(table)
        console.print(
            f"{DIGEST} is the tamper-evidence digest (ADR 0011): `ketnap audit verify` "
            "checks the store against it."
        )
    finally:
        app.close()


@projections_cli.command()
def rebuild(
    name: Annotated[str, typer.Argument(help="The projection to rebuild (see `list`).")],
    page_size: Annotated[int, typer.Option(min=100, max=100_000)] = 5000,
    certify: Annotated[
        bool,
        typer.Option(
            "--certify-current-contents",
            help=f"Required to refold {DIGEST}: it then vouches for the store as it is now. "
            "Run `ketnap audit verify` first and explain its findings (docs/operations.md).",
        ),
    ] = False,
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
        if name == DIGEST and not certify:
            console.print(
                f"[red]{DIGEST} certifies the store's contents: refolding it hides any change "
                "made so far. Run `ketnap audit verify`, then add --certify-current-contents."
                "[/red]"
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
        if once:
            applied = projections.catch_up()
            console.print(f"caught up {applied:,} events; lag {projections.lag():,}")
            return

        def on_page(applied: int) -> None:
            log.info("projections.caught_up", events=applied)

        if isinstance(projections.datastore, PostgresDatastore) and not polling:
            from projections.follow import follow

            env = store_environment(current())
            follow(projections, FollowedAdmissions, env, should_stop=lambda: stopping)
        else:
            projections.run(poll_seconds=poll, should_stop=lambda: stopping, on_page=on_page)
        log.info("projections.run_stopped")
    finally:
        app.close()
