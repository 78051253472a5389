"""The demo province loads once, covers every stage and outcome, and the persisted ledger
(read as the HTTP API reads it) agrees with a naive count straight from the candidacy
states; quota fulfilment follows the tree of each admission's own date and rounds half-up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from rich.console import Console
from typer.testing import CliRunner

from api.cli.main import cli
from api.demo import data as demo_data
from api.demo.loader import PROVINCE_ID, DemoClock, DemoSummary, load_demo
from domain.candidacy.events import (
    AdmissionDecided,
    CandidacyEvent,
    CandidateNominated,
    Corrected,
    Transferred,
)
from domain.candidacy.state import CandidacyState, Stage
from domain.organisation import OrganisationFounded, OrganisationKind, OrganisationMoved
from domain.quota import QuotaSet, quota_id
from domain.rulesets import rule_set_on
from domain.values import Period, Person
from projections.figures import AdmissionCounts, fulfilment_percent
from projections.ledger_reader import LedgerReader
from projections.runner import Projections
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar

# --- the demo -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[Admissions, DemoSummary]:
    app = Admissions(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=DemoClock(), calendar=VietnamCalendar()
    )
    return app, load_demo(app)


@pytest.fixture(scope="module")
def states(demo: tuple[Admissions, DemoSummary]) -> list[CandidacyState]:
    app, summary = demo
    return [app.candidacy(cid) for cid in summary.candidacy_ids]


@pytest.fixture(scope="module")
def projection(demo: tuple[Admissions, DemoSummary]) -> LedgerReader:
    projections = Projections(demo[0], page_size=500)
    projections.catch_up()
    return projections.reader


def persisted(events: list[Any]) -> tuple[Admissions, Projections]:
    """The events stored as written (no commands), and the views caught up on them."""
    app = Admissions(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=DemoClock(), calendar=VietnamCalendar()
    )
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in events])
    projections = Projections(app)
    projections.catch_up()
    return app, projections


def branch_counts(reader: LedgerReader, **span: Any) -> dict[UUID, AdmissionCounts]:
    return {b: f.counts for b, f in reader.grouped(None, "branch", **span)[1].items() if b}


def test_demo_loads_and_covers_every_stage_and_outcome(demo, states):
    app, summary = demo
    assert not summary.already_loaded
    assert 250 <= len(states) <= 400
    stages = Counter(s.stage for s in states)
    assert set(stages) == set(Stage), f"missing: {set(Stage) - set(stages)}"
    assert dict(Counter(s.stage.value for s in states)) == summary.stages
    assert any(s.transfers for s in states)
    assert any(s.transfers and s.stage == Stage.OFFICIAL for s in states)
    assert sum(1 for s in states if s.escalated_on is not None) == 1
    assert any(v.body == "branch" and not v.passed for s in states for v in s.votes)
    corrected = [s for s in states if any(isinstance(e, Corrected) for e in s.history)]
    assert len(corrected) == 1 and corrected[0].decided_on == date(2024, 12, 30)
    assert summary.small_branches  # branches with fewer than 3 official members
    assert app.organisation(PROVINCE_ID).name == "Tỉnh ủy Lâm Đồng"
    # The district level is gone from 2025-07-01: communes sit under the province.
    lat_branch = demo_data.BY_KEY["LAT-T-1"].id
    kinds_before = [u.kind for u in app.path_on(lat_branch, date(2025, 6, 30))]
    kinds_after = [u.kind for u in app.path_on(lat_branch, date(2025, 7, 1))]
    assert OrganisationKind.DISTRICT in kinds_before
    assert OrganisationKind.DISTRICT not in kinds_after


def test_loading_twice_records_nothing(demo):
    app, _ = demo
    before = app.recorder.max_notification_id()
    again = load_demo(app)
    assert again.already_loaded and again.events_recorded == 0
    assert app.recorder.max_notification_id() == before


def _branch_on(state: CandidacyState, day: date) -> UUID:
    branch = state.transfers[0][1] if state.transfers else state.branch_id
    for moved_on, _, to in state.transfers:
        if moved_on <= day:
            branch = to
    return branch


def _naive_counts(states: list[CandidacyState]) -> dict[UUID, Counter[str]]:
    """Counts straight from the states, by the date each fact took effect."""
    counts: dict[UUID, Counter[str]] = {}

    def add(state: CandidacyState, kind: str, day: date | None) -> None:
        assert day is not None
        counts.setdefault(_branch_on(state, day), Counter())[kind] += 1

    for s in states:
        if s.party_age_from is not None:
            add(s, "admitted", s.decided_on)
        if s.ceremony_on is not None:
            add(s, "ceremonies", s.ceremony_on)
        if s.stage == Stage.OFFICIAL:
            add(s, "recognised", s.recognition_decided_on)
        if s.stage == Stage.REMOVED:
            add(s, "removed", s.recognition_decided_on)
        if s.stage == Stage.REJECTED:
            add(s, "rejected", s.outcome_on)
        if s.stage == Stage.WITHDRAWN:
            add(s, "withdrawn", s.outcome_on)
    return counts


def _as_counter(counts: AdmissionCounts) -> Counter[str]:
    names = ("admitted", "rejected", "ceremonies", "recognised", "removed", "withdrawn")
    return Counter({name: getattr(counts, name) for name in names if getattr(counts, name)})


def test_projection_counts_equal_naive_counts(states, projection):
    naive = _naive_counts(states)
    counted = {b: _as_counter(c) for b, c in branch_counts(projection).items()}
    assert counted == {b: c for b, c in naive.items() if c}
    assert sum(c["admitted"] for c in naive.values()) > 150


@pytest.mark.parametrize("year", [2024, 2025])
def test_quota_admitted_equals_naive_count_per_unit(demo, states, projection, year):
    app, _ = demo
    naive: Counter[UUID] = Counter()
    for s in states:
        if s.party_age_from is not None and s.decided_on and s.decided_on.year == year:
            for unit in app.path_on(_branch_on(s, s.decided_on), s.decided_on):
                naive[unit.id] += 1
    for key in demo_data.QUOTAS[str(year)]:
        unit_id = demo_data.BY_KEY[key].id
        report = projection.quota_report(unit_id, Period.parse(str(year)))
        assert report.admitted == naive[unit_id], key
        assert report.target == demo_data.QUOTAS[str(year)][key]
        assert report.fulfilment_percent == fulfilment_percent(report.admitted, report.target)
    province = projection.quota_report(PROVINCE_ID, Period.parse(str(year)))
    assert province.admitted > 40
    assert 0 < province.breakdown.women < province.admitted
    assert 0 < province.breakdown.ethnic_minority < province.admitted


def test_the_corrected_decision_counts_on_its_corrected_date(states, projection):
    (corrected,) = [s for s in states if any(isinstance(e, Corrected) for e in s.history)]
    (decided,) = [e for e in corrected.history if isinstance(e, AdmissionDecided)]
    (correction,) = [e for e in corrected.history if isinstance(e, Corrected)]
    first, fixed = decided.decided_on, date(2024, 12, 30)
    assert first != fixed and corrected.decided_on == fixed
    branch = _branch_on(corrected, fixed)

    def admitted_on(day: date, **known: Any) -> int:
        counts = branch_counts(projection, start=day, end=day, kinds=["admitted"], **known)
        return counts.get(branch, AdmissionCounts()).admitted

    before = correction.timestamp - timedelta(microseconds=1)
    # As known now the admission is on the corrected date; as known before, on the first.
    assert admitted_on(fixed) - admitted_on(fixed, known_at=before) == 1
    assert admitted_on(first, known_at=before) - admitted_on(first) == 1


def test_cli_version_and_demo_on_memory(monkeypatch):
    monkeypatch.setenv("KETNAP_DATABASE_URL", "memory://")
    monkeypatch.setattr("api.cli.demo.console", Console(width=200))  # no wrapped names
    runner = CliRunner()
    assert "ketnap" in runner.invoke(cli, ["version"]).output
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Tỉnh ủy Lâm Đồng" in result.output and "2025" in result.output


# --- synthetic events -------------------------------------------------------------------

_T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
_seq = iter(range(1, 1_000_000))


def _envelope() -> dict[str, Any]:
    n = next(_seq)
    return {
        "timestamp": _T0 + timedelta(seconds=n),
        "actor": "t",
        "role": "admin",
        "request_id": f"r{n}",
    }


def _unit(kind: str, parent: UUID | None, code: str) -> tuple[UUID, OrganisationFounded]:
    uid = uuid4()
    event = OrganisationFounded(
        originator_id=uid,
        originator_version=1,
        code=code,
        name=code,
        kind=kind,
        parent_id=parent,
        founded_on=date(2011, 1, 1),
        **_envelope(),
    )
    return uid, event


def _quota(unit: UUID, period: str, target: int) -> QuotaSet:
    return QuotaSet(
        originator_id=quota_id(unit, period),
        originator_version=1,
        organisation_id=unit,
        period=period,
        target=target,
        set_on=date(int(period[:4]), 1, 5),
        **_envelope(),
    )


def _admission(branch: UUID, decided_on: date, body: UUID, **person: Any) -> list[CandidacyEvent]:
    cid = uuid4()
    nominated_on = decided_on - timedelta(days=200)
    who = Person.model_validate(
        {
            "full_name": "Nguyễn Thị Lan",
            "sex": "female",
            "date_of_birth": date(1998, 5, 1),
            "ethnicity": "Kinh",
            "education": "university",
            **person,
        }
    )
    return [
        CandidateNominated(
            originator_id=cid,
            originator_version=1,
            person=who,
            branch_id=branch,
            nominated_by="branch",
            nominated_on=nominated_on,
            rule_set=rule_set_on(nominated_on).code,
            **_envelope(),
        ),
        AdmissionDecided(
            originator_id=cid,
            originator_version=2,
            decided_on=decided_on,
            deciding_body_id=body,
            decision="admit",
            rule_set=rule_set_on(decided_on).code,
            **_envelope(),
        ),
    ]


def test_seed_figure_189_admitted_against_175_is_108_percent():
    """Seed 004: "Năm 2013 ... Kết nạp được 189 đảng viên, đạt 108%" (Đà Lạt)."""
    city, city_event = _unit("district", None, "TP-DL")
    branch, branch_event = _unit("branch", city, "CB")
    events: list[Any] = [city_event, branch_event, _quota(city, "2013", 175)]
    for n in range(189):
        events += _admission(branch, date(2013, 1, 2) + timedelta(days=n), city)
    events += _admission(branch, date(2014, 1, 2), city)  # another year: not counted
    report = persisted(events)[1].reader.quota_report(city, Period.parse("2013"))
    assert (report.target, report.admitted) == (175, 189)
    assert report.fulfilment_percent == Decimal("108.00")
    assert str(report.fulfilment_percent) == "108.00"
    assert rule_set_on(date(2013, 6, 1)).code == "45-QĐ/TW"


def test_branch_moved_mid_year_counts_for_the_parent_of_each_decision_date():
    province, e1 = _unit("province", None, "T")
    old, e2 = _unit("commune", province, "OLD")
    new, e3 = _unit("commune", province, "NEW")
    branch, e4 = _unit("branch", old, "CB")
    moved = OrganisationMoved(
        originator_id=branch,
        originator_version=2,
        new_parent_id=new,
        moved_on=date(2024, 7, 1),
        **_envelope(),
    )
    events: list[Any] = [e1, e2, e3, e4, moved, _quota(old, "2024", 4), _quota(new, "2024", 3)]
    events += _admission(branch, date(2024, 3, 10), province)
    events += _admission(branch, date(2024, 6, 30), province)
    events += _admission(branch, date(2024, 7, 1), province)  # the move's own day: new parent
    events += _admission(branch, date(2024, 9, 10), province, sex="male", ethnicity="Cơ Ho")
    reader = persisted(events)[1].reader
    year = Period.parse("2024")
    old_report = reader.quota_report(old, year)
    new_report = reader.quota_report(new, year)
    assert (old_report.admitted, old_report.fulfilment_percent) == (2, Decimal("50.00"))
    assert (new_report.admitted, new_report.fulfilment_percent) == (2, Decimal("66.67"))
    assert new_report.breakdown.women == 1 and new_report.breakdown.ethnic_minority == 1
    top = reader.quota_report(province, year)
    assert top.admitted == 4 and top.target is None and top.fulfilment_percent is None
    assert {c.organisation_id: c.admitted for c in top.children} == {old: 2, new: 2}
    assert reader.tree().path_on(branch, date(2024, 6, 30)) == [province, old, branch]
    assert reader.tree().path_on(branch, date(2024, 7, 1)) == [province, new, branch]


def test_transfer_and_correction_move_an_admission():
    province, e1 = _unit("province", None, "T")
    first, e2 = _unit("branch", province, "A")
    second, e3 = _unit("branch", province, "B")
    nominated, decided = _admission(first, date(2025, 1, 6), province)
    cid = nominated.originator_id
    transfer = Transferred(
        originator_id=cid,
        originator_version=2,
        transferred_on=date(2024, 11, 1),
        from_branch_id=first,
        to_branch_id=second,
        rule_set="24-QĐ/TW",
        **_envelope(),
    )
    decided = decided.model_copy(update={"originator_version": 3})
    correction = Corrected(
        originator_id=cid,
        originator_version=4,
        corrected_on=date(2025, 1, 13),
        position=3,
        changes={"decided_on": "2024-12-30"},
        reason="typo",
        rule_set="24-QĐ/TW",
        **_envelope(),
    )
    app, projections = persisted([e1, e2, e3, nominated, transfer, decided])
    reader = projections.reader
    y2024, y2025 = Period.parse("2024"), Period.parse("2025")
    assert branch_counts(reader) == {second: AdmissionCounts(admitted=1)}
    assert reader.quota_report(province, y2025).admitted == 1
    app.recorder.insert_events([app.mapper.to_stored_event(correction)])
    assert projections.catch_up("admissions") == 1
    assert projections.catch_up("admissions") == 0  # nothing is taken twice
    assert reader.quota_report(province, y2025).admitted == 0
    assert reader.quota_report(province, y2024).admitted == 1
    assert branch_counts(reader, start=date(2024, 1, 1), end=date(2024, 12, 31)) == {
        second: AdmissionCounts(admitted=1)
    }


@pytest.mark.parametrize(
    ("admitted", "target", "expected"),
    [
        (2, 3, "66.67"),
        (1, 8, "12.50"),
        (1, 16, "6.25"),
        (1, 800, "0.13"),
        (9, 800, "1.13"),
        (189, 175, "108.00"),
        (0, 10, "0.00"),
        (1, 1600, "0.06"),
        (7, 7, "100.00"),
    ],
)
def test_fulfilment_rounds_half_up(admitted, target, expected):
    assert fulfilment_percent(admitted, target) == Decimal(expected)
    assert str(fulfilment_percent(admitted, target)) == expected


def test_no_target_means_no_percentage():
    assert fulfilment_percent(5, None) is None
    assert fulfilment_percent(5, 0) is None
