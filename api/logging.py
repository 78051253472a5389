"""structlog configuration: JSON lines, no personal data.

Personal fields (names, dates of birth, ethnicity, religion, national id) are dropped
by a processor as a second line of defence; the first is never passing them to a logger.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSONAL_KEYS = frozenset(
    {
        "full_name", "name", "date_of_birth", "ethnicity", "religion", "national_id",
        "person", "sex",
    }
)  # fmt: skip


def drop_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Remove personal fields from every log record."""
    for key in PERSONAL_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
