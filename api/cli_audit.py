"""``ketnap audit ...``: the auditor's commands on the command line.

The ``audit`` group is defined here; its commands live beside it (``api.cli_audit_verify``
for tamper evidence, ``api.cli_audit_dossier`` for history, state, explain, export and the
deadline compliance report) and register on this group when imported below.
"""

from __future__ import annotations

import typer

audit = typer.Typer(
    name="audit",
    help="Replay, explain, export and verify stored histories (read-only).",
    no_args_is_help=True,
)

import api.cli_audit_dossier  # noqa: E402, F401  (registers history, state, explain, export, compliance)
from api import cli_audit_verify  # noqa: E402, F401  (registers verify)
