"""Fixtures of the end-to-end suite: the real application served by uvicorn on a loopback
port, over each real store, talked to with httpx over real HTTP.

``live`` is parametrized over ``sqlite`` (a file in the test's temporary directory) and
``postgres`` (``fresh_postgres_db``: skipped when no server answers, failed under
``KETNAP_TEST_REQUIRE_POSTGRES=1``). The application gets a ``FixedClock`` (2026-11-01,
after every date of the scenarios) and keeps its projections caught up in the
background, as ``ketnap serve`` does. Nothing here is autouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.http.app import create_app
from api.settings import Settings, persistence_env
from tests.e2e.support import ADMIN_TOKEN, Api, Live, serve
from tests.scenario import FixedClock, make_app

# Small pools: a test server needs few connections, and PostgreSQL's limit is shared.
POOL_SIZE = 5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The persistence environment of an empty store of each kind."""
    if request.param == "sqlite":
        return persistence_env(f"sqlite:///{tmp_path}/e2e.db")
    url: str = request.getfixturevalue("fresh_postgres_db")
    return persistence_env(url, pool_size=POOL_SIZE)


@pytest.fixture
def live(store_env: dict[str, str]) -> Iterator[Live]:
    """The API served over HTTP on an empty store of each kind."""
    store = "sqlite" if store_env["PERSISTENCE_MODULE"].endswith("sqlite") else "postgres"
    clock = FixedClock()
    admissions = make_app(dict(store_env), clock)
    app = create_app(settings=Settings(admin_token=ADMIN_TOKEN), admissions=admissions)
    try:
        with serve(app) as base_url:
            yield Live(store, base_url, admissions, clock)
    finally:
        admissions.close()


@pytest.fixture
def api(live: Live) -> Iterator[Api]:
    """An admin client (``KETNAP_ADMIN_TOKEN``) of the live server."""
    client = live.client()
    yield client
    client.close()
