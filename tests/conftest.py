"""Shared test fixtures: the PostgreSQL server and the hypothesis profiles.

Integration tests need a real PostgreSQL. Locally a missing server skips them; in CI
(``KETNAP_TEST_REQUIRE_POSTGRES=1``, set by ``.ci/run``) it fails them, so a broken
database can never turn the suite green by skipping.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import structlog
from hypothesis import settings
from psycopg import sql

from api.logging import UVICORN_LOGGERS

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

# The suites send many wrong tokens from one address (the access matrix alone sends dozens):
# no failed-authentication limit unless a test sets one (tests/e2e/test_tokens.py does).
os.environ.setdefault("KETNAP_AUTH_FAILURES_PER_MINUTE", "0")

settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _with_database(url: str, dbname: str) -> str:
    """``url`` with its database name replaced by ``dbname``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture(autouse=True)
def _isolated_logging_configuration() -> Iterator[None]:
    """Each test starts from structlog's defaults and leaves them behind: a CLI test that
    configures logging (a level filter, JSON lines) must not hide another test's log lines
    from ``structlog.testing.capture_logs``. The standard library's side
    (``api.logging.configure_logging``: the root logger's handler and level, uvicorn's
    loggers, Python's warnings) is put back as the test found it."""
    structlog.reset_defaults()
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    loggers = [logging.getLogger(name) for name in UVICORN_LOGGERS]
    saved = [(list(lg.handlers), lg.propagate, lg.level) for lg in loggers]
    yield
    structlog.reset_defaults()
    root.handlers[:] = saved_root[0]
    root.setLevel(saved_root[1])  # setLevel, not the attribute: it clears the level cache
    for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture(autouse=True)
def _settings_read_per_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process's settings are read once (``api.settings.current``); a test process
    runs many "processes" with their own environment, so each test reads them afresh."""
    import api.settings

    monkeypatch.setattr(api.settings, "_current", None)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a reachable PostgreSQL database, from ``KETNAP_TEST_POSTGRES_URL``."""
    url = os.environ.get("KETNAP_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        message = f"PostgreSQL not reachable at {url}: {exc}"
        if os.environ.get("KETNAP_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def fresh_postgres_db(postgres_url: str) -> Iterator[str]:
    """URL of a new, empty database that is dropped after the test."""
    name = f"ketnap_t_{uuid.uuid4().hex[:8]}"
    admin_url = _with_database(postgres_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(postgres_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# The user property the fuzzing tests record their requests under (tests/e2e/fuzzing.py).
FUZZ_REQUESTS = "schemathesis_requests"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The requests schemathesis generated and sent, per test file, after a run that fuzzed
    (reports carry their user properties from xdist workers too)."""
    sent: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == FUZZ_REQUESTS and getattr(report, "when", "") == "teardown":
                    module = report.nodeid.split("::")[0]
                    sent[module] = sent.get(module, 0) + int(value)
    if not sent:
        return
    terminalreporter.section("schemathesis")
    for module, count in sorted(sent.items()):
        terminalreporter.write_line(f"{module}: {count:,} generated requests")
    terminalreporter.write_line(f"total: {sum(sent.values()):,} generated requests")
