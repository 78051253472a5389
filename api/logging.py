"""structlog configuration: JSON lines, no personal data.

Our own lines (structlog) and the standard library's (uvicorn, eventsourcing, psycopg:
through the root logger and structlog's ``ProcessorFormatter``) pass the same processors
and come out in the same shape: ``timestamp``, ``level``, ``logger``, ``event`` and the
fields of the line.

Personal fields (names, dates of birth, ethnicity, religion, national id) are dropped
by a processor as a second line of defence; the first is never passing them to a logger.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
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


# uvicorn's loggers. uvicorn gives them handlers of its own (its ``log_config``); ours hand
# their records to the root logger instead (``ketnap serve`` passes ``log_config=None``).
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


# One lock for both sinks below: a structlog line and a standard library line written at
# the same moment by two threads would otherwise share a line of stderr.
_STDERR_LOCK = threading.RLock()


class _StderrLogger:
    """Prints each line to the **current** ``sys.stderr``: a stream bound at configuration
    time may be closed later (a test runner's capture), and every later log call would fail.
    A sink that cannot be written (closed, a broken pipe) drops the line: a log line is never
    worth failing the request or command that wrote it. ``name`` is the name the logger was
    asked for (``structlog.get_logger("ketnap.api")``), logged as ``logger``."""

    def __init__(self, name: str = "ketnap") -> None:
        self.name = name

    def msg(self, message: str) -> None:
        with _STDERR_LOCK, contextlib.suppress(OSError, ValueError):
            sys.stderr.write(message + "\n")
            sys.stderr.flush()

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_logger(*args: Any) -> _StderrLogger:
    return _StderrLogger(*args[:1])


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The standard library's side of ``_StderrLogger`` (as ``logging.lastResort`` does it):
    writes to the current ``sys.stderr`` and drops a line it cannot write, without printing
    a traceback there."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)  # not StreamHandler's: it would bind a stream

    def createLock(self) -> None:
        self.lock = _STDERR_LOCK

    @property
    def stream(self) -> Any:
        return sys.stderr

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Configure structlog and the standard library root logger once, at start-up.

    The root logger gets one handler rendering through the same processors as structlog
    (replacing the one an earlier call added, and leaving any other alone: a test runner's
    capture); uvicorn's loggers lose their own handlers and hand their records to it.
    Python's warnings are logged too (logger ``py.warnings``), so stderr holds log lines only.
    """
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    numeric_level = logging.getLevelName(level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_personal_data,
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=True,
    )
    # A standard library record carries its message, level, logger name and exception
    # only: its ``extra`` fields (uvicorn's ``color_message``) are not rendered.
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    logging.captureWarnings(True)
