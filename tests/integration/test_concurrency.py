"""Concurrent writers on one store, each with its own ``Admissions`` instance (its own
recorder and connection pool, as separate server processes would have).

The races are real: every writer loads the candidacy, and builds its event, before a
barrier releases them all to save. Optimistic concurrency (the primary key on
``(originator_id, originator_version)``) must let exactly one through and turn the others
into ``ConcurrentWrite``: nothing merged, nothing lost, nothing duplicated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

import pytest

from domain.candidacy.events import VerificationRequested
from domain.candidacy.state import CandidacyState, Stage
from tests.integration.support import OpenApp, notifications_after
from tests.scenario import ADMIN, build_tree, drive, nominate, path_to_official, person
from workflows import commands as c
from workflows.application import Admissions, ConcurrentWrite, VersionMismatch
from workflows.handlers import HANDLERS

pytestmark = pytest.mark.timeout(120)

ROUNDS = 20
WAIT = 30.0  # seconds a barrier waits before the test fails instead of hanging
VERIFICATION = 6  # steps of path_to_official() that reach the verification stage


@dataclass(frozen=True)
class Outcome:
    loaded_version: int
    saved: bool
    error: Exception | None = None


def at_verification(app: Admissions) -> UUID:
    """A candidacy at the verification stage, where verification requests (for any
    subject, any number of times) are valid commands that each append one event."""
    tree = build_tree(app)
    cid = nominate(app, tree)
    drive(app, cid, path_to_official(tree), upto=VERIFICATION)
    assert app.candidacy(cid).stage == Stage.VERIFICATION
    return cid


def request(subject: str, day: int) -> c.RecordVerification:
    return c.RecordVerification(subject=subject, requested_on=date(2023, 5, 1 + day % 28))


def stream_state(app: Admissions, cid: UUID) -> tuple[CandidacyState, list[int], int]:
    """The folded state, the raw versions of the stream, and the last notification id."""
    versions = [e.originator_version for e in app.recorder.select_events(cid)]
    return app.candidacy(cid), versions, app.recorder.max_notification_id() or 0


def run_together(tasks: list[Callable[[], Outcome]]) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [f.result(timeout=WAIT * 2) for f in futures]


def save_after_barrier(
    app: Admissions, cid: UUID, command: c.Command, barrier: threading.Barrier
) -> Outcome:
    """Load the candidacy and decide the command, wait for the other writers, then save."""
    state = app.candidacy(cid)
    events = HANDLERS[type(command)](app, state, command, app._envelope(ADMIN, command))
    barrier.wait(WAIT)
    try:
        app._save(*events)
    except ConcurrentWrite as exc:
        return Outcome(state.version, saved=False, error=exc)
    return Outcome(state.version, saved=True)


def test_two_writers_one_wins(open_app: OpenApp) -> None:
    first, second = open_app(), open_app()
    cid = at_verification(first)
    state, versions, notification = stream_state(first, cid)
    subjects = ("father", "mother")

    for round_ in range(ROUNDS):
        barrier = threading.Barrier(2)
        commands = [request(subject, round_) for subject in subjects]
        outcomes = run_together(
            [
                partial(save_after_barrier, app, cid, cmd, barrier)
                for app, cmd in zip((first, second), commands, strict=True)
            ]
        )

        # Both decided on the same version; exactly one saved, the other was told.
        assert [o.loaded_version for o in outcomes] == [state.version, state.version]
        assert sorted(o.saved for o in outcomes) == [False, True], outcomes
        winner = next(i for i, o in enumerate(outcomes) if o.saved)

        # Exactly one new event, at the next version, and it is the winner's.
        after, after_versions, after_notification = stream_state(second, cid)
        assert after.version == state.version + 1
        assert len(after.history) == len(state.history) + 1
        assert after_versions == [*versions, state.version + 1]
        [new] = notifications_after(second, notification)
        assert (new.originator_id, new.originator_version) == (cid, state.version + 1)
        newest = after.history[-1]
        assert isinstance(newest, VerificationRequested)
        assert newest.subject == subjects[winner]
        assert newest.prev_hash == state.last_hash
        assert first.candidacy(cid) == after  # both instances see the same stream
        state, versions, notification = after, after_versions, after_notification

    assert state.version == VERIFICATION + 1 + ROUNDS


def if_match_client(
    app: Admissions, cid: UUID, command: c.Command, barrier: threading.Barrier
) -> Outcome:
    """Read the version (the ETag), wait for the other client, send with If-Match."""
    version = app.candidacy(cid).version
    barrier.wait(WAIT)
    try:
        app.execute(cid, command, ADMIN, expected_version=version)
    except (ConcurrentWrite, VersionMismatch) as exc:
        return Outcome(version, saved=False, error=exc)
    return Outcome(version, saved=True)


def test_if_match_race_through_execute(open_app: OpenApp) -> None:
    """The HTTP path: both clients read version v and send If-Match: v at once. One is
    recorded; the other is refused (409 if it had loaded v too, 412 if it loaded later)."""
    first, second = open_app(), open_app()
    cid = at_verification(first)

    for round_ in range(ROUNDS // 2):
        start = first.candidacy(cid).version
        barrier = threading.Barrier(2)
        outcomes = run_together(
            [
                partial(if_match_client, first, cid, request("spouse", round_), barrier),
                partial(if_match_client, second, cid, request("child", round_), barrier),
            ]
        )
        assert sorted(o.saved for o in outcomes) == [False, True], outcomes
        assert first.candidacy(cid).version == start + 1
        assert len(first.recorder.select_events(cid)) == start + 1


class LookupGate:
    """Wraps an application's idempotency lookup: the first lookup, having found nothing,
    waits at ``barrier``, so every retry passes the "seen before?" check before any of
    them saves. Counts the lookups (a writer that lost the race looks up a second time)."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, app: Admissions, barrier: threading.Barrier
    ) -> None:
        self.calls = 0
        self._original = app._replayed
        self._barrier = barrier
        monkeypatch.setattr(app, "_replayed", self)

    def __call__(self, *args: Any) -> CandidacyState | None:
        found: CandidacyState | None = self._original(*args)
        self.calls += 1
        if self.calls == 1:
            assert found is None, "nothing was recorded before the barrier"
            self._barrier.wait(WAIT)
        return found


@pytest.mark.parametrize("gated", [True, False], ids=["all-past-the-check", "free-running"])
def test_concurrent_retries_with_one_key_record_once(
    open_app: OpenApp, monkeypatch: pytest.MonkeyPatch, gated: bool
) -> None:
    writers = 10
    apps = [open_app() for _ in range(writers)]
    for app in apps:  # each pool connected before the race (not its first connect under load)
        app.recorder.max_notification_id()
    cid = at_verification(apps[0])
    before, versions, notification = stream_state(apps[0], cid)
    command = request("spouse", 3)
    barrier = threading.Barrier(writers)
    gates = [LookupGate(monkeypatch, app, barrier) for app in apps] if gated else []

    def retry(app: Admissions) -> CandidacyState:
        if not gated:
            barrier.wait(WAIT)
        return app.execute(cid, command, ADMIN, idempotency_key="retry-key-1")

    with ThreadPoolExecutor(max_workers=writers) as pool:
        results = list(pool.map(retry, apps, timeout=WAIT * 2))

    # Every caller got the state the one recording produced.
    assert {r.version for r in results} == {before.version + 1}
    assert {r.last_hash for r in results} == {results[0].last_hash}
    after, after_versions, _ = stream_state(apps[-1], cid)
    assert after_versions == [*versions, before.version + 1]
    assert len(after.history) == len(before.history) + 1
    # The candidacy's event and the idempotency record, nothing more.
    new = notifications_after(apps[-1], notification)
    assert sorted(n.originator_version for n in new) == [1, before.version + 1]
    assert {n.originator_id for n in new if n.originator_version > 1} == {cid}
    if gated:  # one writer saved; the nine others collided and answered from the record
        assert sorted(g.calls for g in gates) == [1] + [2] * (writers - 1)
    # A later retry still answers from the record.
    assert apps[0].execute(cid, command, ADMIN, idempotency_key="retry-key-1") == results[0]


def test_concurrent_nomination_retries_open_one_candidacy(
    open_app: OpenApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    writers = 4
    apps = [open_app() for _ in range(writers)]
    tree = build_tree(apps[0])
    command = c.Nominate(
        person=person(full_name="Hà Thị Mai"),
        branch_id=tree.branch,
        nominated_by="womens_union",
        nominated_on=date(2023, 1, 10),
    )
    barrier = threading.Barrier(writers)
    for app in apps:
        LookupGate(monkeypatch, app, barrier)
    before = apps[0].recorder.max_notification_id() or 0

    def retry(app: Admissions) -> CandidacyState:
        return app.nominate(command, ADMIN, idempotency_key="nominate-key-1")

    with ThreadPoolExecutor(max_workers=writers) as pool:
        results = list(pool.map(retry, apps, timeout=WAIT * 2))

    assert len({r.id for r in results}) == 1
    new = notifications_after(apps[0], before)
    assert len(new) == 2  # the candidacy's first event and the idempotency record


def test_a_losing_retry_answers_with_the_first_response(
    open_app: OpenApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_app, retry_app = open_app(), open_app()
    cid = at_verification(first_app)
    command = request("father", 1)
    passed, go = threading.Event(), threading.Event()
    original = retry_app._replayed
    calls = 0

    def gated(*args: Any) -> CandidacyState | None:
        """The retry passes the "seen before?" check, then waits."""
        nonlocal calls
        found: CandidacyState | None = original(*args)
        calls += 1
        if calls == 1:
            passed.set()
            go.wait(WAIT)
        return found

    monkeypatch.setattr(retry_app, "_replayed", gated)
    with ThreadPoolExecutor(max_workers=1) as pool:
        late = pool.submit(retry_app.execute, cid, command, ADMIN, idempotency_key="k-1")
        assert passed.wait(WAIT)
        first = first_app.execute(cid, command, ADMIN, idempotency_key="k-1")
        first_app.execute(cid, request("mother", 2), ADMIN)  # a later command
        go.set()
        answer = late.result(timeout=WAIT)

    assert first_app.execute(cid, command, ADMIN, idempotency_key="k-1") == first
    assert answer == first


def test_a_list_of_candidacies_sees_another_writers_step(open_app: OpenApp) -> None:
    """``Admissions.candidacies`` answers from the state cache only at the stored version:
    a step recorded by another process (another application on the store) is seen."""
    reader, writer = open_app(), open_app()
    tree = build_tree(reader)
    ids = [nominate(reader, tree, full_name=f"Người {n}") for n in range(3)]
    cached = reader.candidacies(ids)
    assert [s.id for s in cached] == ids and {s.version for s in cached} == {1}
    writer.execute(ids[1], c.EnrolInClass(enrolled_on=date(2023, 2, 1)), ADMIN)
    seen = reader.candidacies(ids)
    assert [s.version for s in seen] == [1, 2, 1]
    assert seen[0] is cached[0] and seen[2] is cached[2]  # unchanged ones from the cache
    assert reader.candidacies([]) == []
