"""Fixtures of the integration suite: the same workflow tests run on every real store.

``store_env`` is the eventsourcing environment of an empty store, once per backend:
an SQLite file in the test's temporary directory, and a fresh PostgreSQL database
(``fresh_postgres_db``, which skips, or fails under ``KETNAP_TEST_REQUIRE_POSTGRES=1``,
when the server is unreachable). ``open_app`` opens ``Admissions`` instances on it and
closes them (their connection pools) when the test ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import persistence_env
from tests.integration.support import OpenApp
from tests.scenario import FixedClock, make_app
from workflows.application import Admissions

# Small pools: the concurrency tests open up to a dozen applications on one server,
# and each pool keeps ``pool_size`` connections open.
POOL_SIZE = 2


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The persistence environment of an empty store of each kind."""
    if request.param == "sqlite":
        return persistence_env(f"sqlite:///{tmp_path}/k.db")
    url: str = request.getfixturevalue("fresh_postgres_db")
    return persistence_env(url, pool_size=POOL_SIZE)


@pytest.fixture
def open_app(store_env: dict[str, str]) -> Iterator[OpenApp]:
    """A factory of applications on ``store_env``; every one is closed at teardown.

    Each call builds a new ``Admissions`` instance: its own recorder, connection pool and
    (absent) cache, as another process would have.
    """
    opened: list[Admissions] = []

    def factory(clock: FixedClock | None = None) -> Admissions:
        app = make_app(dict(store_env), clock=clock)
        opened.append(app)
        return app

    yield factory
    for app in opened:
        app.close()
