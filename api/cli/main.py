"""The ``ketnap`` command line (typer): one sub-command per operation.

``ketnap demo`` loads the demo province into the configured store and prints its figures
and a token per role (``api.cli.demo``); ``ketnap serve`` runs the HTTP API and ``ketnap
tokens create`` issues a token (both in ``api.cli.serve``); ``ketnap version`` prints the
version; ``ketnap export`` writes a report or the roster as a spreadsheet
(``api.cli.export``). The groups ``projections`` (``api.cli.projections``), ``audit``
(``api.cli.audit``) and ``quotas`` (``ketnap quotas forecast``, ``api.cli.quotas``) register
on ``cli`` the same way.

Logs are JSON lines on stderr (``api.logging``) and never carry personal data; what a
person asked for (tables, progress) goes to stdout through rich.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Annotated

import typer
from rich.console import Console

from api.cli.audit import audit
from api.cli.demo import demo
from api.cli.export import export
from api.cli.imports import imports
from api.cli.keys import keys
from api.cli.projections import projections_cli
from api.cli.quotas import quotas
from api.cli.reminders import reminders
from api.cli.serve import serve, tokens
from api.logging import configure_logging
from api.settings import read

cli = typer.Typer(
    name="ketnap",
    help="Event-sourced record of party admissions (kết nạp đảng viên).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=132)  # piped to a file: keep table rows on one line


def main() -> None:
    """Console-script entry point (``ketnap``)."""
    cli()


@cli.callback()
def _configure(
    log_level: Annotated[
        str | None, typer.Option(help="Log level (default: KETNAP_LOG_LEVEL or INFO).")
    ] = None,
) -> None:
    """Read the settings and configure logging once, before any sub-command runs (the
    sub-commands take the same settings: ``api.settings.current``)."""
    settings = read()
    configure_logging(log_level or settings.log_level, json=settings.log_json)


def version() -> None:
    """Print the installed version."""
    try:
        installed = package_version("ketnap")
    except PackageNotFoundError:  # running from a source tree that is not installed
        installed = "unknown"
    console.print(f"ketnap {installed}")


# In this order in ``ketnap --help``: the verbs, then the groups.
cli.command()(serve)
cli.command()(version)
cli.command()(demo)
cli.command()(export)
cli.add_typer(tokens, name="tokens")
cli.add_typer(audit, name="audit")
cli.add_typer(projections_cli, name="projections")
cli.add_typer(keys, name="keys")
cli.add_typer(imports, name="import")
cli.add_typer(quotas, name="quotas")
cli.add_typer(reminders, name="reminders")
