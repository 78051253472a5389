"""``ketnap audit verify [--organisation ID]``: prove that nobody altered the stored record.

Builds the application as ``ketnap`` does (``build_app(current())``), folds the newest
events into the audit digest (``--no-catch-up`` to skip), then verifies in one pass: the
candidacies' hash chains and the digest over the store's global order (``api.audit.verification``,
ADR 0011). A progress bar shows events per second and the time left; a table lists every
problem. The last line prints an anchor (notification id and digest) to keep outside the
database; ``--anchor`` checks the store still hashes to one kept earlier.

Exit codes: 0 the store verifies, 1 problems were found, 2 a usage error (a malformed
option, an unknown organisation, a bad ``KETNAP_DATABASE_URL``).
"""

from __future__ import annotations

import os
import re
from typing import Annotated
from uuid import UUID

import structlog
import typer
from rich.console import Console
from rich.table import Table

from api.audit.trail import audit_read, cli_actor
from api.audit.verification import Verification
from api.audit.verification import verify as verify_audit
from api.audit.verification_report import verification_report
from api.bootstrap import build_app, build_projections
from api.cli.progress import bar
from api.settings import DatabaseUrlError, current
from domain.errors import NotFound
from projections.digest import NAME as DIGEST
from projections.ledger import NAME as LEDGER
from projections.register import NAME as REGISTER
from workflows.application import Admissions

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=160)  # piped to a file: keep table rows on one line
log = structlog.get_logger("ketnap.audit")
_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _anchors(values: list[str]) -> dict[int, str]:
    anchors: dict[int, str] = {}
    for value in values:
        match = _ANCHOR.match(value.strip().lower())
        if match is None:
            raise typer.BadParameter(
                f"{value!r} is not NOTIFICATION_ID:DIGEST (64 hex digits)", param_hint="--anchor"
            )
        anchors[int(match[1])] = match[2]
    return anchors


def _known(app: Admissions, organisation: UUID) -> None:
    """Exit 2 when the unit is unknown."""
    try:
        app.organisation(organisation)
    except NotFound as exc:
        raise typer.BadParameter(
            f"no organisation {organisation}", param_hint="--organisation"
        ) from exc


def verify(
    organisation: Annotated[
        UUID | None,
        typer.Option(
            "--organisation",
            "-o",
            metavar="ID",
            help="Check only the candidacies whose branch lies in this unit's subtree today "
            "(their chains and digest rows; the store-wide digest is then not checked).",
        ),
    ] = None,
    catch_up: Annotated[
        bool,
        typer.Option(
            "--catch-up/--no-catch-up",
            help="Fold the newest events into the audit digest before verifying.",
        ),
    ] = True,
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ID:DIGEST",
            help="An anchor printed by an earlier run and kept outside the database: the store "
            "must still hash to it (repeatable; store-wide runs only).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (GET /audit/verify's shape).")
    ] = False,
) -> None:
    """Verify that no stored event was altered, removed or reordered (exit 1 if any was)."""
    anchors = _anchors(anchor or [])
    if anchors and organisation is not None:
        raise typer.BadParameter(
            "anchors check the whole store: drop --organisation", param_hint="--anchor"
        )
    try:
        app = build_app(current())
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        if organisation is not None:
            _known(app, organisation)
        audit_read(
            "verify",
            actor=cli_actor(),
            role="operator",
            at=app.clock(),
            via="cli",
            organisation_id=organisation,
        )
        views = build_projections(app)
        if catch_up:  # this command is the views' runner for a moment
            with bar("Cập nhật dấu niêm phong · digest catch-up") as progress:
                views.catch_up(DIGEST, progress=progress)
        if organisation is not None:  # the scope is read from the register and the tree
            views.catch_up(LEDGER)
            views.catch_up(REGISTER)
        with bar("Kiểm tra toàn vẹn · verifying") as progress:
            result = verify_audit(app, views, organisation, progress=progress, anchors=anchors)
    finally:
        app.close()
    log.info(
        "audit.verified",
        organisation_id=str(organisation) if organisation else None,
        events=result.events_checked,
        problems=len(result.problems),
    )
    if as_json:
        console.print_json(verification_report(result).model_dump_json())
    else:
        _print(result)
    raise typer.Exit(1 if result.problems else 0)


def _print(result: Verification) -> None:
    summary = result.digest
    scope = (
        "the whole store" if summary and summary.store_wide else "the organisation's candidacies"
    )
    console.print(
        f"Checked {result.events_checked:,} candidacy events in {result.streams_checked:,} "
        f"candidacies and {result.store_events_read:,} stored events against the audit "
        f"digest ({scope}).",
        highlight=False,
    )
    if result.problems:
        table = Table(
            title=f"{len(result.problems)} problems: the stored record was changed "
            "after it was recorded"
        )
        for header in ("Kind", "Record", "Id", "Position", "Detail"):
            table.add_column(header, overflow="fold", no_wrap=header in ("Id", "Kind"))
        for p in result.problems:
            where = "—" if p.stream_id is None else str(p.stream_id)
            if p.notification_ids is not None:
                where = f"ids {p.notification_ids[0]}–{p.notification_ids[1]}"
            table.add_row(
                f"[red]{p.kind}[/red]",
                p.aggregate,
                where,
                "—" if p.position is None else str(p.position),
                p.detail,
            )
        console.print(table)
    else:
        console.print("[green]No problem: every stored event is as it was recorded.[/green]")
    if not result.problems and summary is not None and summary.store_wide and summary.tip:
        console.print(
            f"Anchor (keep it outside the database; check it later with --anchor): "
            f"{summary.position}:{summary.tip}",
            highlight=False,
            soft_wrap=True,
        )
