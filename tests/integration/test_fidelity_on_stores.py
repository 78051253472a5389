"""Issue 9 on SQLite and PostgreSQL: steps in their order in time, votes counted against
the roster (including a member registered by another process a moment before), the
member a candidacy became, and stored histories that replay and verify unchanged."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from domain.candidacy.state import Stage
from domain.errors import DomainError
from domain.events import hash_payload
from domain.member_ids import member_id_for
from tests.integration.support import OpenApp, counts
from tests.scenario import ADMIN, build_tree, drive, nominate, path_to_official
from workflows import commands as c
from workflows.persistence import PydanticMapper

BRANCH_VOTE, CERTIFY = 8, 7  # indexes into path_to_official


def test_a_step_before_the_step_it_follows_is_refused_and_nothing_is_stored(
    open_app: OpenApp,
) -> None:
    app = open_app()
    tree = build_tree(app)
    cid = nominate(app, tree)
    path = list(path_to_official(tree))
    drive(app, cid, path, upto=BRANCH_VOTE)
    vote = path[BRANCH_VOTE]
    assert isinstance(vote, c.RecordBranchVote)
    certified = path[CERTIFY]
    assert isinstance(certified, c.CertifyBiography)
    early = vote.model_copy(update={"held_on": certified.certified_on - timedelta(days=1)})
    before = counts(app, cid)
    with pytest.raises(DomainError) as refused:
        app.execute(cid, early, ADMIN)
    assert refused.value.rule == "date_order"
    assert certified.certified_on.isoformat() in refused.value.detail
    assert counts(app, cid) == before
    # Read back by another instance: the same, nothing was written.
    assert counts(open_app(), cid) == before


def test_the_roster_seen_by_a_vote_includes_a_member_another_process_registered(
    open_app: OpenApp,
) -> None:
    writer, other = open_app(), open_app()
    tree = build_tree(writer)
    cid = nominate(writer, tree)
    path = list(path_to_official(tree))
    drive(writer, cid, path, upto=BRANCH_VOTE)
    vote = path[BRANCH_VOTE]
    assert isinstance(vote, c.RecordBranchVote)
    assert len(writer.roster.official_members(tree.branch, vote.held_on)) == 9
    # Another process registers a tenth official member of the branch.
    other.register_member(
        c.RegisterMember(
            full_name="Đảng viên mới chuyển đến",
            branch_id=tree.branch,
            status="official",
            admitted_on=date(2010, 1, 1),
            official_on=date(2011, 1, 1),
            sex="female",
            date_of_birth=date(1985, 1, 1),
            ethnicity="Kinh",
        ),
        ADMIN,
    )
    before = counts(writer, cid)
    with pytest.raises(DomainError) as refused:
        writer.execute(cid, vote, ADMIN)  # still counts 9
    assert refused.value.rule == "eligible_count_mismatch"
    assert "roster has 10" in refused.value.detail
    assert counts(writer, cid) == before
    state = writer.execute(
        cid, vote.model_copy(update={"eligible_official_members": 10, "in_favour": 9}), ADMIN
    )
    assert state.stage == Stage.BRANCH_APPROVED


def test_the_member_the_candidacy_became_and_an_unchanged_chain(open_app: OpenApp) -> None:
    app = open_app()
    tree = build_tree(app)
    cid = nominate(app, tree)
    drive(app, cid, path_to_official(tree))
    reopened = open_app()
    state = reopened.candidacy(cid)
    assert state.stage == Stage.OFFICIAL and state.member_id == member_id_for(cid)
    member = reopened.member(member_id_for(cid))
    assert member.candidacy_id == cid and member.status == "official"
    # Every stored event hashes (from its stored JSON) to what the next one chains to.
    stored = reopened.recorder.select_events(cid)
    mapper = reopened.mapper
    assert isinstance(mapper, PydanticMapper)
    raw = [mapper.decode_state(s) for s in stored]
    for (before, after), (topic, _) in zip(
        pairwise(raw), pairwise(s.topic for s in stored), strict=True
    ):
        assert after["prev_hash"] == hash_payload(topic, before)
    decision = next(r for r, s in zip(raw, stored, strict=True) if s.topic.endswith("Decided"))
    assert decision["member_id"] == str(member_id_for(cid))
