"""A store written by ketnap before ADR 0012 (commit c8001e3, ``tests/fixtures/``) still
opens, replays, verifies clean, and takes new steps whose chain continues from the old
events: no stored event is rewritten, and rules newer than a stored event (the order of
steps, votes against the roster) apply to new commands only.

The fixture holds the scenario tree with four official members and two candidacies of the
happy path, whose branch votes said 9 eligible members (not checked then): one official,
one in probation with the new-member class completed.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from api.audit.verification import verify_store
from domain.candidacy import events as ev
from domain.candidacy.state import Stage
from domain.errors import DomainError
from domain.member_ids import member_id_for
from projections.digest import GlobalDigest
from tests.scenario import ADMIN, FixedClock, make_app
from workflows import commands as c
from workflows.application import Admissions

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-c8001e3.db"


@pytest.fixture
def legacy(tmp_path: Path) -> Admissions:
    copy = tmp_path / "legacy.db"
    shutil.copy(FIXTURE, copy)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(copy)}
    return make_app(env, clock=FixedClock())


def _candidacies(app: Admissions) -> dict[Stage, UUID]:
    topic = ev.CandidateNominated.topic()
    ids = [
        UUID(str(n.originator_id))
        for n in app.recorder.select_notifications(1, 1000, topics=[topic])
    ]
    return {app.candidacy(cid).stage: cid for cid in ids}


def _clean(app: Admissions) -> int:
    result = verify_store(app, GlobalDigest(app))
    assert result.problems == ()
    return result.events_checked


def test_a_store_of_the_previous_version_opens_verifies_and_takes_new_steps(
    legacy: Admissions,
) -> None:
    app = legacy
    found = _candidacies(app)
    assert set(found) == {Stage.OFFICIAL, Stage.PROBATION}
    official = app.candidacy(found[Stage.OFFICIAL])
    assert official.member_id == member_id_for(official.id)  # derived for the old decision
    vote = next(e for e in official.history if isinstance(e, ev.BranchVoteHeld))
    assert vote.eligible == 9 and vote.roster_official_members is None  # not checked then
    assert "roster_official_members" not in vote.payload()
    before = _clean(app)

    # A client's retry after the upgrade, of a step it sent with an idempotency key before
    # (the command has a new name and new optional fields now): answered from the record.
    waiting = app.candidacy(found[Stage.PROBATION])
    stored_vote = next(e for e in waiting.history if isinstance(e, ev.BranchVoteHeld))
    retried = c.RecordBranchVote(  # as tests.scenario sent it at c8001e3 (then BranchVote)
        held_on=stored_vote.held_on, eligible_official_members=9, in_favour=8
    )
    last = app.recorder.max_notification_id()
    answered = app.execute(waiting.id, retried, ADMIN, idempotency_key="legacy-8")
    assert answered.version == 10 and app.recorder.max_notification_id() == last
    # A new recognition vote on the old probation: counted against today's roster (the
    # four officials and the member the first candidacy became).
    assert waiting.probation_ends_on is not None
    held_on = waiting.probation_ends_on
    members = len(app.roster.official_members(waiting.branch_id, held_on))
    assert members == 5
    with pytest.raises(DomainError, match="roster has 5"):
        too_many = c.RecordRecognitionVote(
            held_on=held_on, eligible_official_members=9, in_favour=9
        )
        app.execute(waiting.id, too_many, ADMIN)
    state = app.execute(
        waiting.id,
        c.RecordRecognitionVote(held_on=held_on, eligible_official_members=5, in_favour=5),
        ADMIN,
    )
    assert state.stage == Stage.RECOGNITION_REVIEW
    # An unrelated correction of the old official candidacy is not refused for its old
    # vote's unchecked count.
    fixed = app.execute(
        official.id,
        c.CorrectRecord(position=3, changes={"number": "CN-0001/2023"}, reason="số ghi thiếu"),
        ADMIN,
    )
    assert fixed.certificate is not None and fixed.certificate.number == "CN-0001/2023"
    assert _clean(app) == before + 2
    # Replayed by another process, the old and new events fold to the same states.
    again = make_app(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": _dbname(app)},
        clock=FixedClock(),
    )
    assert again.candidacy(waiting.id).stage == Stage.RECOGNITION_REVIEW
    assert again.candidacy(official.id).official_on == official.official_on
    assert official.official_on is not None and official.official_on < date(2025, 1, 1)


def _dbname(app: Admissions) -> str:
    name = app.env.get("SQLITE_DBNAME")
    assert name is not None
    return name
