"""The audit trail of audit reads: the one log line every audit read leaves, over HTTP or
the CLI (who, what, when; ids and days only, never personal data).
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any, Literal

import structlog

AuditRead = Literal["history", "state", "explain", "export", "compliance", "verify"]


def cli_actor() -> str:
    """Who runs a CLI audit command: the operating-system account (not a candidate's data)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in a bare container
        return "cli:unknown"


def audit_read(
    what: AuditRead,
    *,
    actor: str,
    role: str,
    at: datetime,
    via: Literal["http", "cli"],
    **target: Any,
) -> None:
    """Log one audit read: who (actor, role), what (``what`` and the ids in ``target``:
    candidacy_id, organisation_id, as_of, known_at, format) and when (``at``, from the
    injected clock). Ids and days only, never personal data."""
    fields = {k: str(v) for k, v in target.items() if v is not None}
    # A fresh logger per call: tests capture logs with structlog.testing.capture_logs.
    structlog.get_logger("ketnap.audit").info(
        "audit.read", what=what, actor=actor, role=role, at=at.isoformat(), via=via, **fields
    )
