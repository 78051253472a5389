"""Command-line verbs for the HTTP API: ``ketnap serve`` and ``ketnap tokens create``, and
the tokens ``ketnap demo`` prints. ``api.cli.main`` registers them on the ``ketnap`` command.
``serve`` is the one command that imports ``api.http``: it runs it.

A token's secret is printed once and stored only as its SHA-256 hash (``domain.access``).
"""

from __future__ import annotations

import os
import uuid
from functools import partial
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from api.bootstrap import build_app
from api.settings import DatabaseUrlError, Settings, current, persistence_env
from domain.access import Role
from domain.errors import DomainError
from workflows.application import Admissions
from workflows.context import Actor
from workflows.keys import record_key_check

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=132)  # piped: keep each line whole
tokens = typer.Typer(
    help="API tokens (stored hashed; each secret is shown once).", no_args_is_help=True
)


def cli_actor(name: str = "ketnap-cli") -> Actor:
    """Who records what the command line does (tokens are recorded like any fact)."""
    return Actor(actor=name, role=Role.ADMIN.value, request_id=f"cli-{uuid.uuid4()}")


def _settings() -> Settings:
    """The settings from the environment, with the store URL checked before anything runs."""
    settings = current()
    try:
        persistence_env(settings.database_url)
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    return settings


def _check_key(settings: Settings) -> None:
    """Refuse to start on a store the configured cipher key does not fit (and record the
    store's key check when it has none yet)."""
    app = build_app(settings)
    try:
        status = record_key_check(app)
    finally:
        app.close()
    if status == "missing":
        console.print(
            "[red]The store is encrypted, but KETNAP_CIPHER_KEY is not set "
            "(kho dữ liệu đã mã hóa, chưa đặt khóa). Set the key it was written with.[/red]"
        )
        raise typer.Exit(2)
    if status == "wrong":
        console.print(
            "[red]KETNAP_CIPHER_KEY does not decrypt this store (khóa mã hóa không đúng). "
            "Set the key it was written with (or, for a store written without a key, "
            "unset it).[/red]"
        )
        raise typer.Exit(2)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_projections: Annotated[
        bool,
        typer.Option(
            "--no-projections",
            help="Do not follow the store in this server: a separate `ketnap projections "
            "run` does, and reports answer from the views as far as it has got.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Server processes (each follows the store unless --no-projections)."
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (settings from KETNAP_* environment variables)."""
    import uvicorn

    from api.http.app import create_app

    settings = _settings()
    _check_key(settings)
    follow = settings.serve_projections and not no_projections  # either one turns it off
    factory = partial(create_app, settings, keep_projections_caught_up=follow)
    base = f"http://{host}:{port}"
    console.print(
        f"ketnap API at [bold]{base}[/bold] — OpenAPI docs at [bold]{base}/docs[/bold]"
        " (Ctrl+C stops it)",
        highlight=False,
    )
    # The API logs one JSON line per request itself; uvicorn's access log would repeat it.
    if workers == 1:
        uvicorn.run(factory, factory=True, host=host, port=port, access_log=False)
        return
    # Several processes import the factory by name and read their settings from the
    # environment, so the projections choice travels there.
    if not follow:
        os.environ["KETNAP_SERVE_PROJECTIONS"] = "false"
    uvicorn.run(
        "api.http.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        workers=workers,
    )


@tokens.command("create")
def create_token(
    role: Annotated[Role, typer.Option(help="admin, board, auditor or reporter.")],
    organisation: Annotated[
        UUID | None,
        typer.Option(help="The unit whose subtree the token reaches (optional for admin)."),
    ] = None,
    label: Annotated[str | None, typer.Option(help="Who or what the token is for.")] = None,
) -> None:
    """Issue a token; its secret is printed alone on the last line."""
    app = build_app(_settings())
    try:
        secret, token = app.issue_token(
            role, organisation, label or f"{role.value} token", cli_actor()
        )
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red] ({exc.rule})")
        raise typer.Exit(1) from exc
    finally:
        app.close()
    scope = str(token.organisation_id) if token.organisation_id else "every organisation"
    console.print(
        f"Token {token.id} for role [bold]{role.value}[/bold] over {scope}, "
        f"label '{token.label}'. Keep it secret; it is not shown again:",
        highlight=False,
    )
    typer.echo(secret)


@tokens.command("revoke")
def revoke_token(
    token_id: Annotated[UUID, typer.Argument(help="The token's id, printed when it was issued.")],
) -> None:
    """Revoke a token: requests with it answer 401 from now on."""
    app = build_app(_settings())
    try:
        state = app.revoke_token(token_id, cli_actor())
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red] ({exc.rule})")
        raise typer.Exit(1) from exc
    finally:
        app.close()
    console.print(f"Token {state.id} revoked on {state.revoked_on}.", highlight=False)


def print_demo_tokens(app: Admissions, organisation_id: UUID) -> None:
    """Issue and print one token per role over ``organisation_id``. Secrets are stored only
    hashed, so every run issues fresh tokens (the earlier ones stay valid)."""
    console.print(
        "\n[bold]Tokens for the demo province[/bold] (send `Authorization: Bearer <token>`; "
        "new ones on every run):",
        highlight=False,
    )
    actor = cli_actor("ketnap-demo")
    for role in Role:
        secret, _ = app.issue_token(role, organisation_id, f"demo {role.value}", actor)
        console.print(f"  {role.value:<9} {secret}", highlight=False, soft_wrap=True)
