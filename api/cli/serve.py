"""Command-line verbs for the HTTP API: ``ketnap serve``, ``ketnap tokens create|list|revoke``
and the tokens ``ketnap demo`` prints. ``api.cli.main`` registers them on the ``ketnap`` command.
``serve`` is the one command that imports ``api.http``: it runs it.

A token's secret is printed once and stored only as its SHA-256 hash (``domain.access``).
"""

from __future__ import annotations

import calendar
import os
import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from functools import partial
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from api.bootstrap import build_app
from api.settings import DatabaseUrlError, Settings, current, persistence_env
from domain.access import Role
from domain.errors import DomainError
from domain.events import VIETNAM_OFFSET
from workflows.application import Admissions
from workflows.context import Actor
from workflows.keys import record_key_check
from workflows.tokens import Expiry

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
        f"Ứng dụng web (web app): [bold]{base}/ui/[/bold]\n"
        f"ketnap API at [bold]{base}[/bold] — OpenAPI docs at [bold]{base}/docs[/bold]"
        " (Ctrl+C stops it)",
        highlight=False,
    )
    # The API logs one JSON line per request itself; uvicorn's access log would repeat it.
    # log_config=None: uvicorn keeps the logging configure_logging set up (its own loggers
    # through the root logger's JSON formatter) instead of installing its text format.
    if workers == 1:
        uvicorn.run(factory, factory=True, host=host, port=port, access_log=False, log_config=None)
        return
    # Several processes import the factory by name and read their settings from the
    # environment, so the projections choice travels there.
    if not follow:
        os.environ["KETNAP_SERVE_PROJECTIONS"] = "false"
    if settings.session_key is None:  # one key for all workers: a sign-in holds in each
        os.environ["KETNAP_SESSION_KEY"] = secrets.token_urlsafe(32)
    uvicorn.run(
        "api.http.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        workers=workers,
    )


_LIFETIME = re.compile(r"^(\d{1,4})([dwmy])$")


def parse_expiry(text: str | None, today: date) -> Expiry:
    """``--expires``: a lifetime (``90d``, ``12w``, ``6m``, ``1y``), a last day
    (``2027-06-30`` or ``30/06/2027``), ``never`` (admin tokens only), or None: the
    default (a year for board, auditor and reporter tokens; never for admin)."""
    if text is None:
        return "default"
    text = text.strip().lower()
    if text == "never":
        return None
    try:
        if "-" in text:
            return date.fromisoformat(text)
        if "/" in text:
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError as exc:
        raise typer.BadParameter(f"'{text}' is not a day", param_hint="--expires") from exc
    match = _LIFETIME.match(text)
    if match is None:
        msg = f"'{text}' is not a lifetime (90d, 12w, 6m, 1y), a day (2027-06-30) or 'never'"
        raise typer.BadParameter(msg, param_hint="--expires")
    count, unit = int(match[1]), match[2]
    if unit in "dw":
        return today + timedelta(days=count * (7 if unit == "w" else 1))
    months = today.month - 1 + count * (12 if unit == "y" else 1)
    year, month = today.year + months // 12, months % 12 + 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


@tokens.command("create")
def create_token(
    role: Annotated[Role, typer.Option(help="admin, board, auditor or reporter.")],
    organisation: Annotated[
        UUID | None,
        typer.Option(help="The unit whose subtree the token reaches (optional for admin)."),
    ] = None,
    label: Annotated[str | None, typer.Option(help="Who or what the token is for.")] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            help="Lifetime (90d, 12w, 6m, 1y), last day (2027-06-30), or 'never' (admin "
            "only). Default: 1 year; admin tokens never expire."
        ),
    ] = None,
) -> None:
    """Issue a token; its secret is printed alone on the last line."""
    app = build_app(_settings())
    try:
        expiry = parse_expiry(expires, app.today())
        secret, token = app.issue_token(
            role, organisation, label or f"{role.value} token", cli_actor(), expiry
        )
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red] ({exc.rule})")
        raise typer.Exit(1) from exc
    finally:
        app.close()
    scope = str(token.organisation_id) if token.organisation_id else "every organisation"
    until = f"until {token.expires_on.isoformat()}" if token.expires_on else "without expiry"
    console.print(
        f"Token {token.id} for role [bold]{role.value}[/bold] over {scope}, "
        f"label '{token.label}', valid {until}. Keep it secret; it is not shown again:",
        highlight=False,
    )
    typer.echo(secret)


@tokens.command("list")
def list_tokens(
    all_: Annotated[
        bool, typer.Option("--all", help="Include revoked and expired tokens.")
    ] = False,
) -> None:
    """The tokens issued: label, role, unit, created, last used, expiry (never a secret)."""
    app = build_app(_settings())
    try:
        today = app.today()
        states = app.tokens()
        used = app.token_use.last_used()
        units = {s.organisation_id: _unit_name(app, s.organisation_id) for s in states}
    finally:
        app.close()
    table = Table(title="API tokens", title_justify="left")
    columns = ("id", "label", "role", "unit", "created (UTC+7)", "last used", "expires", "status")
    for column in columns:
        wraps = column in ("label", "unit")
        table.add_column(column, no_wrap=not wraps, min_width=10 if wraps else None)
    shown = 0
    for state in sorted(states, key=lambda s: s.created_on):
        refusal = state.refusal_on(today)
        if refusal is not None and not all_:
            continue
        shown += 1
        last = used.get(state.id)
        table.add_row(
            str(state.id),
            state.label,
            state.role.value,
            units[state.organisation_id],
            _vietnam(state.created_on),
            _vietnam(last) if last else "never",
            state.expires_on.isoformat() if state.expires_on else "never",
            {None: "live", "token_revoked": "revoked", "token_expired": "expired"}[refusal],
        )
    console.print(table)
    hidden = len(states) - shown
    if hidden:
        console.print(f"{hidden} revoked or expired token(s) not shown (--all shows them).")


def _vietnam(moment: datetime) -> str:
    return (moment + VIETNAM_OFFSET).strftime("%Y-%m-%d %H:%M")


def _unit_name(app: Admissions, organisation_id: UUID | None) -> str:
    if organisation_id is None:
        return "every organisation"
    try:
        return app.organisation(organisation_id).name
    except DomainError:
        return str(organisation_id)


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
        "\n[bold]Ứng dụng web (web app): http://127.0.0.1:8000/ui/[/bold] once `ketnap serve` "
        "runs (`make run` starts it): sign in there with the board token below.\n"
        "[bold]Tokens for the demo province[/bold] (the same token for the API: send "
        "`Authorization: Bearer <token>`; new ones on every run):",
        highlight=False,
    )
    actor = cli_actor("ketnap-demo")
    for role in Role:
        secret, _ = app.issue_token(role, organisation_id, f"demo {role.value}", actor)
        console.print(f"  {role.value:<9} {secret}", highlight=False, soft_wrap=True)
