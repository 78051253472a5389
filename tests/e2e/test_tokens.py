"""Tokens over HTTP (issue 11 §8): an expired or revoked token answers 401 saying why; a
client address that fails authentication too often is answered 429 with Retry-After,
whatever token it sends next, until a minute has passed; other addresses are untouched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.problems import PROBLEM_JSON
from api.settings import Settings
from domain.access import Role
from tests.scenario import ADMIN, FixedClock, Tree, build_tree, make_app
from workflows.application import Admissions


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world() -> Iterator[tuple[Admissions, Tree, FixedClock, FastAPI, Ticks]]:
    clock = FixedClock()
    app = make_app(clock=clock)
    tree = build_tree(app)
    api = create_app(Settings(auth_failures_per_minute=3), admissions=app)
    ticks = Ticks()
    api.state.auth_limit.clock = ticks
    yield app, tree, clock, api, ticks


def test_expired_and_revoked_tokens_answer_401_saying_why(world) -> None:
    app, tree, clock, api, _ = world
    path = f"/organisations/{tree.commune}"
    secret, _ = app.issue_token(Role.BOARD, tree.commune, "b", ADMIN, app.today())
    revoked_secret, revoked = app.issue_token(Role.BOARD, tree.commune, "r", ADMIN)
    app.revoke_token(revoked.id, ADMIN)
    with TestClient(api) as client:
        assert client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        clock.advance(days=1)
        for token, says in ((secret, "expired on"), (revoked_secret, "revoked on")):
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, response.text
            assert response.headers["content-type"] == PROBLEM_JSON
            assert response.headers["www-authenticate"] == "Bearer"
            assert says in response.json()["detail"]
        # A body-carrying request is refused by the body gate the same way.
        posted = client.post(
            "/organisations", json={}, headers={"Authorization": f"Bearer {secret}"}
        )
        assert posted.status_code == 401 and "expired on" in posted.json()["detail"]


def test_failed_authentications_are_limited_per_address(world) -> None:
    app, tree, _, api, ticks = world
    path = f"/organisations/{tree.commune}"
    good, _ = app.issue_token(Role.BOARD, tree.commune, "b", ADMIN)
    auth = {"Authorization": f"Bearer {good}"}
    with (
        TestClient(api, client=("10.0.0.7", 5000)) as guesser,
        TestClient(api, client=("10.0.0.8", 5000)) as neighbour,
    ):
        for n in range(3):  # at 0 s, 10 s and 20 s
            response = guesser.get(path, headers={"Authorization": f"Bearer ktn_guess{n}"})
            assert response.status_code == 401
            ticks.now += 10
        for limited in (
            guesser.get(path, headers=auth),  # even the right token now waits
            guesser.post("/organisations", json={}, headers=auth),
        ):
            assert limited.status_code == 429, limited.text
            assert limited.headers["content-type"] == PROBLEM_JSON
            assert limited.json()["rule"] == "too_many_failed_authentications"
            assert limited.headers["retry-after"] == "30"  # at 30 s; the first at 0 s
        assert neighbour.get(path, headers=auth).status_code == 200
        ticks.now += 30  # the first failure is a minute old: one more guess allowed
        assert guesser.get(path, headers=auth).status_code == 200
        assert guesser.get(path, headers={"Authorization": "Bearer ktn_x"}).status_code == 401
        limited = guesser.get(path, headers=auth)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "10"


def test_a_request_without_any_token_does_not_count(world) -> None:
    _, tree, _, api, _ = world
    with TestClient(api) as client:
        for _ in range(10):
            assert client.get(f"/organisations/{tree.commune}").status_code == 401
