"""The candidacy workflow on real stores: every test runs on SQLite and on PostgreSQL.

What is checked here is what an in-memory run cannot show: that the events survive the
round trip through the store's bytes (a re-opened application, even in another process,
folds exactly the same state, hash chain included), that a refused command leaves no row
behind, and that idempotency and ``If-Match`` hold against stored records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.candidacy.state import CandidacyState, Stage
from domain.errors import DomainError, NotFound, RuleViolation, WrongStage
from domain.events import GENESIS_HASH, hash_payload
from domain.member_ids import member_id_for
from tests.integration.support import OpenApp, counts
from tests.scenario import ADMIN, Tree, build_tree, drive, nominate, path_to_official
from workflows import commands as c
from workflows.application import Admissions, IdempotencyKeyReused, VersionMismatch

ROOT = Path(__file__).resolve().parents[2]

# Positions in path_to_official().
APPLICATION, BIOGRAPHY, BRANCH_VOTE, GRASSROOTS_VOTE = 2, 3, 8, 9


def started(app: Admissions, upto: int) -> tuple[Tree, UUID, list[c.Command]]:
    """A tree and a candidacy driven through the first ``upto`` steps of the path."""
    tree = build_tree(app)
    cid = nominate(app, tree)
    commands = list(path_to_official(tree))
    drive(app, cid, commands, upto=upto)
    return tree, cid, commands


def verify_chain(app: Admissions, candidacy_id: UUID) -> str:
    """Check the hash chain of a stream from the raw stored JSON; return its head."""
    previous = GENESIS_HASH
    stored = app.recorder.select_events(candidacy_id)
    assert stored, "the stream has rows"
    for row in stored:
        payload = app.mapper.decode_state(row)  # type: ignore[attr-defined]
        assert payload["prev_hash"] == previous, f"chain broken at v{row.originator_version}"
        previous = hash_payload(row.topic, payload)
    return previous


def test_nomination_to_official(open_app: OpenApp) -> None:
    app = open_app()
    tree, cid, commands = started(app, upto=0)
    drive(app, cid, commands)

    state = app.candidacy(cid)
    assert state.stage == Stage.OFFICIAL
    assert state.probation_ends_on is not None
    assert state.official_on == state.probation_ends_on
    assert state.version == len(commands) + 1 == len(state.history)
    member = app.member(member_id_for(cid))
    assert member.status == "official"
    assert member.official_on == state.probation_ends_on
    assert member.candidacy_id == cid
    assert member.branch_id == tree.branch
    assert verify_chain(app, cid) == state.last_hash


@pytest.mark.parametrize(
    ("position", "command", "error", "rule"),
    [
        pytest.param(
            APPLICATION,
            c.HoldCeremony(held_on=date(2023, 3, 20)),
            WrongStage,
            "wrong_stage",
            id="stage-9-command-at-stage-4",
        ),
        pytest.param(
            BIOGRAPHY,
            c.SubmitBiography(submitted_on=date(2023, 3, 1)),
            RuleViolation,
            "application_before_biography",
            id="biography-before-application",
        ),
        pytest.param(  # the fixed clock says 2026-11-01
            APPLICATION,
            c.SubmitApplication(submitted_on=date(2027, 1, 4)),
            RuleViolation,
            "date_in_future",
            id="dated-after-recording-day",
        ),
    ],
)
def test_refused_command_appends_nothing(
    open_app: OpenApp, position: int, command: c.Command, error: type[DomainError], rule: str
) -> None:
    app = open_app()
    _, cid, _ = started(app, upto=position)
    before = counts(app, cid)
    last_hash = app.candidacy(cid).last_hash

    with pytest.raises(error) as raised:
        app.execute(cid, command, ADMIN)

    assert raised.value.rule == rule
    assert counts(app, cid) == before
    assert app.candidacy(cid).last_hash == last_hash


def test_refused_on_unknown_reference_appends_nothing(open_app: OpenApp) -> None:
    app = open_app()
    _, cid, _ = started(app, upto=GRASSROOTS_VOTE + 1)
    before = counts(app, cid)
    unknown_body = c.DecideAdmission(
        decided_on=date(2023, 6, 1), deciding_body_id=UUID(int=7), decision="admit"
    )
    with pytest.raises(NotFound):
        app.execute(cid, unknown_body, ADMIN)
    assert counts(app, cid) == before


def test_failed_votes_are_attempts_and_three_escalate(open_app: OpenApp) -> None:
    app = open_app()
    _, cid, commands = started(app, upto=BRANCH_VOTE)
    vote = commands[BRANCH_VOTE]
    assert isinstance(vote, c.RecordBranchVote)

    for attempt in (1, 2, 3):
        before = counts(app, cid)
        failed = c.RecordBranchVote(
            held_on=vote.held_on + timedelta(days=attempt),
            eligible_official_members=9,
            in_favour=5,
        )
        state = app.execute(cid, failed, ADMIN)
        # Recorded, not refused: one more event, one more row, one more notification.
        assert counts(app, cid) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1)
        assert state.stage == Stage.VERIFICATION
        assert state.failed_branch_votes == attempt
        assert state.votes[-1].passed is False
        assert state.votes[-1].attempt == attempt
        assert (state.escalated_on is not None) == (attempt == 3)

    # Escalated: the branch votes no more; the grassroots committee takes it up.
    before = counts(app, cid)
    with pytest.raises(RuleViolation) as raised:
        app.execute(cid, vote, ADMIN)
    assert raised.value.rule == "vote_escalated"
    assert counts(app, cid) == before
    state = app.execute(cid, commands[GRASSROOTS_VOTE], ADMIN)
    assert state.stage == Stage.AWAITING_DECISION


def test_idempotent_retry_records_nothing(open_app: OpenApp) -> None:
    app = open_app()
    _, cid, commands = started(app, upto=APPLICATION)

    first = app.execute(cid, commands[APPLICATION], ADMIN, idempotency_key="k-1")
    after_first = counts(app, cid)
    again = app.execute(cid, commands[APPLICATION], ADMIN, idempotency_key="k-1")
    assert again == first
    assert counts(app, cid) == after_first

    # Later commands do not change the first response, nor does another instance.
    app.execute(cid, commands[BIOGRAPHY], ADMIN)
    moved = counts(app, cid)
    late = open_app().execute(cid, commands[APPLICATION], ADMIN, idempotency_key="k-1")
    assert late == first
    assert counts(app, cid) == moved

    other_body = c.SubmitApplication(submitted_on=date(2023, 3, 11))
    with pytest.raises(IdempotencyKeyReused):
        app.execute(cid, other_body, ADMIN, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):  # same body, other candidacy
        app.execute(UUID(int=1), commands[APPLICATION], ADMIN, idempotency_key="k-1")
    assert counts(app, cid) == moved


def test_idempotent_nomination_opens_one_candidacy(open_app: OpenApp) -> None:
    app = open_app()
    tree = build_tree(app)
    command = c.Nominate(
        person={
            "full_name": "Lò Văn Páo",
            "sex": "male",
            "date_of_birth": "1999-02-03",
            "ethnicity": "Thái",
            "education": "upper_secondary",
            "occupation": "nông dân",
        },
        branch_id=tree.branch,
        nominated_by="youth_union",
        nominated_on=date(2023, 1, 10),
    )
    first = app.nominate(command, ADMIN, idempotency_key="n-1")
    notifications = app.recorder.max_notification_id()
    again = app.nominate(command, ADMIN, idempotency_key="n-1")
    assert again == first
    assert app.recorder.max_notification_id() == notifications


def test_stale_expected_version_is_refused(open_app: OpenApp) -> None:
    app = open_app()
    _, cid, commands = started(app, upto=APPLICATION)
    version = app.candidacy(cid).version
    before = counts(app, cid)

    with pytest.raises(VersionMismatch):
        app.execute(cid, commands[APPLICATION], ADMIN, expected_version=version - 1)
    with pytest.raises(VersionMismatch):
        app.execute(cid, commands[APPLICATION], ADMIN, expected_version=version + 1)
    assert counts(app, cid) == before

    state = app.execute(cid, commands[APPLICATION], ADMIN, expected_version=version)
    assert state.version == version + 1
    # The If-Match a client got before that write is now stale.
    with pytest.raises(VersionMismatch):
        app.execute(cid, commands[BIOGRAPHY], ADMIN, expected_version=version)


# --- replay determinism ------------------------------------------------------------------

_DUMP_SCRIPT = """
import json, sys
from uuid import UUID
from tests.scenario import make_app
env, ids = json.loads(sys.argv[1]), json.loads(sys.argv[2])
app = make_app(env)
try:
    candidacy = app.candidacy(UUID(ids["candidacy"]))
    out = {
        "candidacy": candidacy.model_dump(mode="json"),
        "last_hash": candidacy.last_hash,
        "member": app.member(UUID(ids["member"])).model_dump(mode="json"),
        "max_notification_id": app.recorder.max_notification_id(),
    }
finally:
    app.close()
print(json.dumps(out))
"""


def snapshot(app: Admissions, cid: UUID) -> dict[str, Any]:
    """The JSON form of what a reader sees (the chain head is a derived property)."""
    candidacy = app.candidacy(cid)
    return {
        "candidacy": candidacy.model_dump(mode="json"),
        "last_hash": candidacy.last_hash,
        "member": app.member(member_id_for(cid)).model_dump(mode="json"),
        "max_notification_id": app.recorder.max_notification_id(),
    }


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ (for a readable assertion message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_reopened_application_folds_the_same_state(
    open_app: OpenApp, store_env: dict[str, str]
) -> None:
    app = open_app()
    tree, cid, commands = started(app, upto=0)
    drive(app, cid, commands[:GRASSROOTS_VOTE])
    app.execute(
        cid, c.CorrectRecord(position=3, changes={"issuer": "TTCT quận"}, reason="typo"), ADMIN
    )
    drive(app, cid, commands[GRASSROOTS_VOTE:])
    written: CandidacyState = app.candidacy(cid)
    assert written.stage == Stage.OFFICIAL
    assert written.certificate is not None and written.certificate.issuer == "TTCT quận"
    expected = snapshot(app, cid)
    organisations = {u: app.organisation(u) for u in (tree.province, tree.branch)}
    app.close()

    # Another instance in this process: its own recorder and pool, no shared cache.
    reopened = open_app()
    assert reopened.candidacy(cid) == written
    assert reopened.candidacy(cid).last_hash == written.last_hash
    assert not differences(expected, snapshot(reopened, cid))
    assert {u: reopened.organisation(u) for u in organisations} == organisations
    assert verify_chain(reopened, cid) == written.last_hash

    # Another process.
    ids = {"candidacy": str(cid), "member": str(member_id_for(cid))}
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETNAP_")}
    done = subprocess.run(
        [sys.executable, "-c", _DUMP_SCRIPT, json.dumps(store_env), json.dumps(ids)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not differences(expected, json.loads(done.stdout))
