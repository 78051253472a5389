"""What the CLI's reading commands (``export``, ``quotas forecast``) share: the
``--known-at`` instant checked, and the store opened with its figures caught up under a
progress bar (the store closed afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from api.bootstrap import build_app, build_projections
from api.cli.progress import bar
from api.settings import DatabaseUrlError, current
from projections.ledger import NAME as LEDGER
from projections.register import NAME as REGISTER
from projections.runner import Projections
from workflows.application import Admissions

AsOfOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="As things stood at the end of this day."),
]
KnownAtOption = Annotated[
    str | None,
    typer.Option(help="Only what was recorded by this ISO 8601 instant (with offset)."),
]


def known_at_instant(text: str | None) -> datetime | None:
    """``--known-at`` as an instant; an ISO 8601 text without an offset is refused (exit 2)."""
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--known-at'") from exc
    if instant.tzinfo is None:
        raise typer.BadParameter("give the offset, e.g. +07:00", param_hint="'--known-at'")
    return instant


@contextmanager
def figures_caught_up(console: Console) -> Iterator[tuple[Admissions, Projections]]:
    """The configured store and its views, the ledger and the register caught up."""
    try:
        app = build_app(current())
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        views = build_projections(app)
        with bar("Cập nhật số liệu · catching up") as progress:
            views.catch_up(LEDGER, progress=progress)
            views.catch_up(REGISTER, progress=progress)
        yield app, views
    finally:
        app.close()
