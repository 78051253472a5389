"""Every log line has one shape, whoever wrote it: structlog's, the standard library's
(uvicorn, eventsourcing, psycopg through the root logger) and Python's warnings, rendered by
``api.logging.configure_logging`` through the same processors (``drop_personal_data``
included). The served process is checked end to end in ``tests/e2e/test_logging.py``."""

from __future__ import annotations

import json
import logging
import sys
import threading
import warnings
from typing import Any

import pytest
import structlog

from api.logging import configure_logging

KEYS = {"timestamp", "level", "logger", "event"}


def _lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` as a JSON object (a line that is not one fails the test)."""
    records = [json.loads(line) for line in text.splitlines() if line]
    for record in records:
        assert isinstance(record, dict) and record.keys() >= KEYS, record
        assert record["timestamp"].endswith("Z")
    return records


def test_standard_library_lines_share_the_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    configure_logging("INFO", json=True)  # a second call replaces the handler, not doubles it
    capsys.readouterr()

    structlog.get_logger("ketnap.test").info("ours", full_name="Nguyễn Thị Lan", unit="u1")
    # eventsourcing.postgres, once imported, lets psycopg log errors only.
    library = logging.getLogger("psycopg.pool")
    library.error("pool %s is broken", "p1", extra={"full_name": "Trần Văn Hùng"})
    logging.getLogger("eventsourcing").debug("below the level")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("eventsourcing").exception("failed")
    # uvicorn's access line, when its access log is on (``ketnap serve`` turns it off).
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/health", "1.1", 200)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("an old call", UserWarning, stacklevel=1)

    captured = capsys.readouterr()
    assert captured.out == ""
    records = _lines(captured.err)
    assert [(r["logger"], r["level"]) for r in records] == [
        ("ketnap.test", "info"),
        ("psycopg.pool", "error"),
        ("eventsourcing", "error"),
        ("uvicorn.access", "info"),
        ("py.warnings", "warning"),
    ]
    ours, pool, failed, line, warned = records
    assert ours["full_name"] == "[redacted]" and ours["unit"] == "u1"
    assert pool["event"] == "pool p1 is broken"
    assert "Trần Văn Hùng" not in captured.err, "a record's extra fields are not rendered"
    assert failed["event"] == "failed" and "RuntimeError: boom" in failed["exception"]
    assert line["event"] == '127.0.0.1:5000 - "GET /health HTTP/1.1" 200'
    assert "an old call" in warned["event"]


def test_the_level_applies_to_the_standard_library(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", json=True)
    capsys.readouterr()
    logging.getLogger("uvicorn.error").info("Started server process [1]")
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
    records = _lines(capsys.readouterr().err)
    assert [r["event"] for r in records] == ["Invalid HTTP request received."]


def test_lines_from_both_sides_never_share_a_line(capfd: pytest.CaptureFixture[str]) -> None:
    """structlog's sink and the root logger's handler hold one lock while they write: two
    threads logging at once (a request's line, a library's) never share a line of stderr."""
    configure_logging("INFO", json=True)
    capfd.readouterr()
    # Switch threads as often as possible, so that a write split in two gets interleaved.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def ours() -> None:
        for index in range(300):
            structlog.get_logger("ketnap.test").info("ours", index=index)

    def library() -> None:
        for index in range(300):
            logging.getLogger("uvicorn.error").info("library %d", index)

    threads = [threading.Thread(target=ours), threading.Thread(target=library)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    records = _lines(capfd.readouterr().err)
    assert len(records) == 600
