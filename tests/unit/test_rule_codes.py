"""The ``rule`` codes the OpenAPI document lists for each command (``x-rules``, read from
the code by ``api.http.rule_codes``) are complete: every code a command actually raises,
driven through the workflows with dates and counts hypothesis picks, is in its list; every
code the code base raises is listed by some command (or is named here as raised elsewhere);
and the catalogue of Vietnamese words (``api.audit.refusals``) holds exactly the codes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.audit.dossier_text import RULE_LABELS
from api.audit.refusals import MESSAGES
from api.http.app import create_app
from api.http.openapi_doc import command_operations
from api.http.rule_codes import operation_rules
from api.settings import Settings
from domain.errors import DomainError
from tests.scenario import ADMIN
from tests.unit.helpers import World, make_world, open_candidacy, steps
from workflows import commands as c

ROOT = Path(__file__).resolve().parents[2]
# Raised outside any HTTP command: the token workflows (``ketnap tokens``, authentication).
# Raised by endpoints that take no command body (tokens; ending a reminder subscription is a
# DELETE): their codes are described on those operations, not listed by a command.
ELSEWHERE = ("workflows/tokens.py", "workflows/token_use.py", "workflows/reminders.py")
# Recorded with every vote, never a refusal (a failed vote is a fact).
NEVER_REFUSES = {"vote_threshold"}


@cache
def listed() -> dict[type, frozenset[str]]:
    """The codes the document lists, by the command's body type."""
    app = create_app(Settings(admin_token="t"))
    return {body: operation_rules(endpoint, body) for _, endpoint, body in command_operations(app)}


def raised_in(paths: list[Path]) -> set[str]:
    """Every code the sources raise or check, by the same patterns as test_refusals."""
    codes: set[str] = set()
    for source in paths:
        text = source.read_text()
        codes |= set(re.findall(r'rule="([a-z_0-9]+)"', text))
        codes |= set(re.findall(r'^\s+rule = "([a-z_0-9]+)"', text, re.MULTILINE))
        codes |= set(re.findall(r'check_result\(\s*"([a-z_0-9]+)"', text))
        codes |= set(re.findall(r'^\s+code = "([a-z_0-9]+)"', text, re.MULTILINE))
        codes |= set(re.findall(r'rule, passed = "([a-z_0-9]+)"', text))
    return codes - {"domain_error"}


def sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def test_every_command_operation_lists_its_codes() -> None:
    operations = listed()
    assert c.Nominate in operations and c.SetQuota in operations and c.RegisterMember in operations
    assert set(c.CANDIDACY_COMMANDS.values()) <= set(operations)
    assert "wrong_stage" in operations[c.HoldCeremony]
    assert "ceremony_overdue" in operations[c.HoldCeremony]
    assert "wrong_stage" not in operations[c.Nominate]
    assert "vote_threshold" not in operations[c.RecordBranchVote]  # a failed vote is recorded


def test_every_code_the_code_base_raises_is_listed_by_a_command() -> None:
    everywhere = raised_in(sources("domain", "workflows"))
    elsewhere = raised_in([ROOT / p for p in ELSEWHERE])
    by_commands = set().union(*listed().values())
    missing = sorted(everywhere - by_commands - elsewhere - NEVER_REFUSES)
    assert not missing, missing


def test_the_catalogue_holds_exactly_the_codes() -> None:
    catalogue = set(MESSAGES) | {
        code for code in RULE_LABELS if code in raised_in(sources("domain"))
    }
    raised = raised_in(sources("domain", "workflows", "api"))
    listed_codes = set().union(*listed().values())
    assert not sorted(listed_codes - set(MESSAGES) - set(RULE_LABELS))  # words for every code
    assert not sorted(set(MESSAGES) - raised - listed_codes)  # no words for a code never raised
    assert not sorted(raised_in(sources("domain", "workflows")) - catalogue - set(RULE_LABELS))


# --- commands driven through the workflows ------------------------------------------------


def _shifted(command: c.Command, days: int) -> c.Command:
    """``command`` with every date of its own moved by ``days``."""
    moved = {
        name: value + timedelta(days=days) for name, value in command if isinstance(value, date)
    }
    return command.model_copy(update=moved)


Probe = Callable[[World, UUID, int, int], c.Command]


def _path_step(index: int | None) -> Probe:
    """The happy path's command ``index`` (None: the one that comes next), altered."""

    def probe(w: World, cid: UUID, days: int, count: int) -> c.Command:
        at = len(w.app.candidacy(cid).history) - 1 if index is None else index
        path = steps(w.tree)
        command = _shifted(path[min(at, len(path) - 1)], days)
        if isinstance(command, c.RecordBranchVote | c.RecordRecognitionVote):
            return command.model_copy(
                update={"eligible_official_members": count, "in_favour": min(count, 9)}
            )
        if isinstance(command, c.RecordIntroducers):
            on = command.introduced_on or date(2023, 3, 20)
            refs = [
                c.IntroducerRef(member_id=m, known_since=on - timedelta(days=30 * count))
                for m in (w.tree.officials[0], _member(w, count))
            ]
            return command.model_copy(update={"introducers": refs[: 1 + count % 2]})
        return command

    return probe


def _member(w: World, count: int) -> UUID:
    """An official of the branch, or (now and then) an id of no member."""
    return uuid4() if count == 0 else w.tree.officials[count % len(w.tree.officials)]


def _unit(w: World, count: int) -> UUID:
    t = w.tree
    return [t.branch, t.other_branch, t.grassroots_branch, t.commune, t.grassroots][count % 5]


def _on(days: int) -> date:
    return date(2024, 6, 1) + timedelta(days=days)


PATH_LENGTH = len(steps(make_world().tree))  # the happy path's commands
PROBES: list[Probe] = [
    *(_path_step(i) for i in range(PATH_LENGTH)),
    *([_path_step(None)] * PATH_LENGTH),  # the next step, as often as all others
    lambda w, cid, d, n: c.TransferCandidacy(to_branch_id=_unit(w, n), effective_on=_on(d)),
    lambda w, cid, d, n: c.Withdraw(effective_on=_on(d), reason="chuyển công tác"),
    lambda w, cid, d, n: c.AssignHelper(member_id=_member(w, n), assigned_on=_on(d)),
    lambda w, cid, d, n: c.RecordDiscipline(decided_on=_on(d), kind="warning"),
    lambda w, cid, d, n: c.ExtendDeadline(granted_on=_on(d), working_days=1 + n * 5),
    lambda w, cid, d, n: c.RecordSubunitAppraisal(appraised_on=_on(d)),
    lambda w, cid, d, n: c.DecideAdmission(
        decided_on=_on(d), deciding_body_id=_unit(w, n), decision="admit"
    ),
    lambda w, cid, d, n: c.RecordBranchVote(
        held_on=_on(d),
        eligible_official_members=8,
        in_favour=8,
        excluded_members=[c.ExcludedMemberRef(member_id=_member(w, n), reason="ill")],
    ),
    lambda w, cid, d, n: c.CorrectRecord(
        position=1 + n, changes=_restated(w, cid, n, d), reason="ghi nhầm ngày"
    ),
]


def _restated(w: World, cid: UUID, position: int, days: int) -> dict[str, Any]:
    """The date of the step at ``position`` moved by ``days`` (or an unknown field)."""
    history = w.app.candidacy(cid).history
    if position >= len(history):
        return {"held_on": _on(days).isoformat()}
    event = history[position]
    return {event.date_field: (event.effective_on + timedelta(days=days)).isoformat()}


OBSERVED: dict[type, set[str]] = {}


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    upto=st.integers(min_value=0, max_value=PATH_LENGTH),
    probe=st.sampled_from(PROBES),
    days=st.sampled_from([0, 0, 0, -4000, -800, -400, -60, -10, -1, 1, 10, 60, 400, 1500]),
    count=st.integers(min_value=0, max_value=12),
)
def test_every_code_a_candidacy_command_raises_is_listed(
    upto: int, probe: Probe, days: int, count: int
) -> None:
    w = make_world()  # fresh: an admission or a transfer changes the roster the path counts
    cid = open_candidacy(w, upto=upto)
    try:
        command = probe(w, cid, days, count)
    except ValueError:  # a body the API refuses with 422 before any rule runs
        return
    try:
        w.app.execute(cid, command, ADMIN)
    except DomainError as refused:
        OBSERVED.setdefault(type(command), set()).add(refused.rule)
        assert refused.rule in listed()[type(command)], (type(command).__name__, refused.detail)


def test_the_driven_commands_met_many_refusals() -> None:
    """The property above is no vacuous truth: it met refusals of many kinds."""
    seen = set().union(*OBSERVED.values()) if OBSERVED else set()
    if len(OBSERVED) < 5:  # run alone: drive it here
        test_every_code_a_candidacy_command_raises_is_listed()
        seen = set().union(*OBSERVED.values())
    assert len(seen) >= 14, sorted(seen)


def _nomination(w: World, **changes: Any) -> c.Nominate:
    base: dict[str, Any] = {
        "person": {
            "full_name": "Lò Thị Hoa",
            "sex": "female",
            "date_of_birth": "1985-05-01",
            "ethnicity": "Thái",
            "youth_union_member": True,
            "education": "university",
        },
        "branch_id": w.tree.branch,
        "nominated_by": "womens_union",
        "nominated_on": "2023-01-10",
    }
    return c.Nominate.model_validate({**base, **changes})


def test_every_code_the_other_commands_raise_is_listed() -> None:
    w = make_world()
    t, app = w.tree, w.app
    official = t.officials[0]
    attempts: list[tuple[type, Callable[[], object]]] = [
        (c.Nominate, lambda: app.nominate(_nomination(w, branch_id=t.commune), ADMIN)),
        (c.Nominate, lambda: app.nominate(_nomination(w, branch_id=uuid4()), ADMIN)),
        (c.Nominate, lambda: app.nominate(_nomination(w, helper_member_id=uuid4()), ADMIN)),
        (c.Nominate, lambda: app.nominate(_nomination(w, nominated_on="2026-12-01"), ADMIN)),
        (c.Nominate, lambda: app.nominate(_nomination(w, nominated_on="2010-06-01"), ADMIN)),
        (
            c.FoundOrganisation,
            lambda: app.found_organisation(
                c.FoundOrganisation(
                    code="X1",
                    name="X",
                    kind="branch",
                    parent_id=t.branch,
                    effective_on=date(2020, 1, 1),
                ),
                ADMIN,
            ),
        ),
        (
            c.FoundOrganisation,
            lambda: app.found_organisation(
                c.FoundOrganisation(
                    code="X2",
                    name="X",
                    kind="district",
                    parent_id=t.province,
                    effective_on=date(2025, 8, 1),
                ),
                ADMIN,
            ),
        ),
        (
            c.TransferMember,
            lambda: app.transfer_member(
                official,
                c.TransferMember(to_branch_id=t.branch, effective_on=date(2024, 1, 1)),
                ADMIN,
            ),
        ),
        (
            c.TransferMember,
            lambda: app.transfer_member(
                official,
                c.TransferMember(to_branch_id=t.commune, effective_on=date(2024, 1, 1)),
                ADMIN,
            ),
        ),
    ]
    seen: set[str] = set()
    for body, attempt in attempts:
        try:
            attempt()
        except DomainError as refused:
            seen.add(refused.rule)
            assert refused.rule in listed()[body], (body.__name__, refused.detail)
    expected = {"invalid_branch", "not_found", "invalid_parent", "same_branch"}
    assert expected | {"date_in_future", "no_district_level"} <= seen, seen
