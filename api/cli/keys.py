"""``ketnap keys new|rotate``: the cipher key that encrypts the store at rest.

A rotation, step by step (docs/operations.md, "Rotating the key"; ADR 0016):

1. ``ketnap keys new`` prints a fresh key.
2. Every server is restarted with ``KETNAP_CIPHER_KEY=<new>`` and
   ``KETNAP_PREVIOUS_CIPHER_KEY=<old>``: it writes with the new key and reads either.
3. ``ketnap keys rotate`` (same two variables): verifies the store (refused unless clean:
   the audit digest is refolded at the end, and a digest refolded over a changed store
   would vouch for the change), re-encrypts every event with the new key in pages
   committed with their progress (killed, it resumes where it stopped), rewrites the key
   check, then rebuilds the sealed views and refolds the audit digest.
4. ``KETNAP_PREVIOUS_CIPHER_KEY`` is removed and the servers restarted.
"""

from __future__ import annotations

from typing import Annotated

import structlog
import typer
from eventsourcing.cryptography import AESCipher

from api.audit.verification import verify
from api.bootstrap import build_app, build_projections
from api.cli.progress import bar, console
from api.settings import DatabaseUrlError, current
from projections.digest import NAME as DIGEST
from workflows.key_rotation import RotatingCipher, Rotation

keys = typer.Typer(help="The cipher key of the store at rest.", no_args_is_help=True)
log = structlog.get_logger("ketnap.keys")


@keys.command("new")
def new_key(
    size: Annotated[int, typer.Option(help="Key length in bytes: 16, 24 or 32.")] = 32,
) -> None:
    """Print a fresh random AES key (base64) for KETNAP_CIPHER_KEY."""
    if size not in AESCipher.KEY_SIZES:
        raise typer.BadParameter("16, 24 or 32", param_hint="--size")
    typer.echo(AESCipher.create_key(size))


@keys.command("rotate")
def rotate() -> None:
    """Re-encrypt the store with KETNAP_CIPHER_KEY, reading what is not yet with
    KETNAP_PREVIOUS_CIPHER_KEY; resumable; then rebuild the views and refold the digest."""
    settings = current()
    if settings.cipher_key is None or settings.previous_cipher_key is None:
        console.print(
            "[red]Set KETNAP_CIPHER_KEY to the new key and KETNAP_PREVIOUS_CIPHER_KEY to the "
            "key the store was written with (đặt khóa mới và khóa cũ).[/red]"
        )
        raise typer.Exit(2)
    if settings.cipher_key.get_secret_value() == settings.previous_cipher_key.get_secret_value():
        console.print("[red]The new key is the previous key: nothing to rotate.[/red]")
        raise typer.Exit(2)
    try:
        app = build_app(settings)
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        if not isinstance(app.mapper.cipher, RotatingCipher):  # the library read the env
            console.print("[red]KETNAP_CIPHER_TOPIC must not be set during a rotation.[/red]")
            raise typer.Exit(2)
        try:
            rotation = Rotation(app, settings.cipher_key.get_secret_value())
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        views = build_projections(app)
        state = rotation.state()
        if state is None:
            with bar("Cập nhật dấu niêm phong · digest catch-up") as progress:
                views.catch_up(DIGEST, progress=progress)
            with bar("Kiểm tra toàn vẹn · verifying") as progress:
                result = verify(app, views, progress=progress)
            if result.problems:
                console.print(
                    f"[red]The store does not verify ({len(result.problems)} problems; "
                    "`ketnap audit verify` lists them): the rotation refolds the audit "
                    "digest, so it is refused until they are explained.[/red]"
                )
                raise typer.Exit(1)
            state = rotation.begin()
            console.print(f"Verified {result.store_events_read:,} stored events: clean.")
        elif state.finished:
            console.print("This store was already rotated to this key; checking for stragglers.")
        else:
            console.print(
                f"Resuming the rotation at event {state.position:,} "
                f"({state.rewritten:,} re-encrypted so far)."
            )
        with bar("Mã hóa lại · re-encrypting") as progress:
            state = rotation.sweep(progress)
        log.info("keys.rotated", target=state.target, rewritten=state.rewritten)
        for name in views.names:  # the sealed views with the new key; the digest refolded
            with bar(f"Dựng lại · rebuilding {name}") as progress:
                views.rebuild(name, progress)
        rotation.finish()
    finally:
        app.close()
    console.print(
        f"Rotated: {state.rewritten:,} events re-encrypted with the new key "
        f"(fingerprint {state.target}); views rebuilt, audit digest refolded. Now remove "
        "KETNAP_PREVIOUS_CIPHER_KEY from every process and restart them.",
        highlight=False,
    )
