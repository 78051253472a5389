"""structlog configuration: JSON lines, no personal data.

Personal fields (names, dates of birth, ethnicity, religion, national id) are dropped
by a processor as a second line of defence; the first is never passing them to a logger.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSONAL_KEYS = frozenset(
    {
        "full_name",
        "name",
        "date_of_birth",
        "ethnicity",
        "religion",
        "national_id",
        "person",
        "sex",
    }
)


def drop_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Remove personal fields from every log record."""
    for key in PERSONAL_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


class _StderrLogger:
    """Prints each line to the **current** ``sys.stderr``: a stream bound at configuration
    time may be closed later (a test runner's capture), and every later log call would fail.
    A sink that cannot be written (closed, a broken pipe) drops the line: a log line is never
    worth failing the request or command that wrote it."""

    def msg(self, message: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Configure structlog and the standard library root logger once, at start-up."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            drop_personal_data,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=True,
    )
