"""Fixtures of the end-to-end suite: the real application served by uvicorn on a loopback
port, over each real store, talked to with httpx over real HTTP.

``live`` is parametrized over ``sqlite`` (a file in the test's temporary directory) and
``postgres`` (``fresh_postgres_db``: skipped when no server answers, failed under
``KETNAP_TEST_REQUIRE_POSTGRES=1``). The application gets a ``FixedClock`` (2026-11-01,
after every date of the scenarios) and keeps its projections caught up in the
background, as ``ketnap serve`` does.

``in_process`` is the same application in process (FastAPI's ``TestClient``, no socket) on
``world``, the in-memory application with the scenario tree of ``tests.unit.helpers``: for
the HTTP tests of one feature (audit reads, compliance, validation, tree history) that
need no real store. ``tokens`` are a token per principal on that tree. Nothing here is
autouse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings, persistence_env
from domain.access import Role
from tests.e2e.fuzzing import REQUESTS_PROPERTY, RequestCount
from tests.e2e.support import ADMIN_TOKEN, Api, Live, serve
from tests.scenario import ADMIN, FixedClock, make_app
from tests.unit.helpers import World, make_world

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


# --- in process, in memory ----------------------------------------------------------------


@pytest.fixture
def world() -> World:
    """An in-memory application with the scenario tree (9 official members in its branch)."""
    return make_world()


@pytest.fixture
def in_process(world: World) -> Iterator[TestClient]:
    """The API on ``world``'s application, in process, sending ``ADMIN_TOKEN`` unless a
    request names another token. Reads catch the projections up themselves."""
    app = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        yield client


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    """A token per principal on ``world``'s tree: ``admin`` (``KETNAP_ADMIN_TOKEN``), an
    ``auditor`` of the grassroots committee, an ``outsider`` (an auditor of the grassroots
    branch beside it) and a ``reporter`` of the province."""
    tree = world.tree

    def issue(role: Role, unit: UUID, label: str) -> str:
        return world.app.issue_token(role, unit, label, ADMIN)[0]

    return {
        "admin": ADMIN_TOKEN,
        "auditor": issue(Role.AUDITOR, tree.grassroots, "aud"),
        "outsider": issue(Role.AUDITOR, tree.grassroots_branch, "out"),
        "reporter": issue(Role.REPORTER, tree.province, "rep"),
    }


# --- fuzzing ------------------------------------------------------------------------------


@pytest.fixture
def request_count(record_property: Callable[[str, object], None]) -> Iterator[RequestCount]:
    """Count a fuzzing test's requests with ``request_count.sent += 1``: the total lands on
    the test's report, and tests/conftest.py prints the run's sum at its end."""
    count = RequestCount()
    yield count
    record_property(REQUESTS_PROPERTY, count.sent)
