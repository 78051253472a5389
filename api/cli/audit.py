"""``ketnap audit ...``: the auditor's commands on the command line.

The ``audit`` group is put together here from the commands beside it, which are plain
functions that know nothing of the group: ``api.cli.audit_dossier`` (history, state,
explain, export and the deadline compliance report) and ``api.cli.audit_verify`` (tamper
evidence). So the imports run one way only.
"""

from __future__ import annotations

import typer

from api.cli import audit_dossier, audit_verify

audit = typer.Typer(
    name="audit",
    help="Replay, explain, export and verify stored histories (read-only).",
    no_args_is_help=True,
)

# In this order in ``ketnap audit --help``.
audit.command("history")(audit_dossier.history)
audit.command("state")(audit_dossier.state)
audit.command("explain")(audit_dossier.explain)
audit.command("export")(audit_dossier.export)
audit.command("compliance")(audit_dossier.compliance)
audit.command("verify")(audit_verify.verify)
