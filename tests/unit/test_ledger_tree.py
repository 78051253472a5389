"""Tree changes across a period: moves, merges and dissolutions attribute every admission
to the unit path in force on its decision date (domain.md, "The organisation tree"), also
when the change is recorded after the admissions it re-attributes: the figures as of now
move, the figures known at a moment before the change was recorded do not.

Tree (founded 2011): T01 → H1 → X1 → DU1 → CB1, T01 → H2 → X2 → DU2 → CB2,
T01 → H1 → X3 → DU3 → CB3. Decisions are taken by the province.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from api.settings import persistence_env
from domain.values import Period
from projections.ledger import NAME as LEDGER
from projections.runner import Projections
from tests.naive_figures import NaiveFigures, TickingClock, Units, admit, decode_all, found
from tests.scenario import ADMIN, make_app
from workflows import commands as c
from workflows.application import Admissions

Y2024, Y2025 = Period.parse("2024"), Period.parse("2025")
REFORM = date(2025, 7, 1)  # Quy định 294: no district level from this day


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Admissions]:
    clock = TickingClock(now=datetime(2026, 11, 1, 1, 0, tzinfo=UTC))
    application = make_app(persistence_env(f"sqlite:///{tmp_path}/tree.db"), clock=clock)
    yield application
    application.close()


@pytest.fixture
def units(app: Admissions) -> Units:
    units = Units()
    for code, kind, parent in [
        ("T01", "province", None),
        ("H1", "district", "T01"),
        ("H2", "district", "T01"),
        ("X1", "commune", "H1"),
        ("X2", "commune", "H2"),
        ("X3", "commune", "H1"),
        ("DU1", "grassroots_committee", "X1"),
        ("DU2", "grassroots_committee", "X2"),
        ("DU3", "grassroots_committee", "X3"),
        ("CB1", "branch", "DU1"),
        ("CB2", "branch", "DU2"),
        ("CB3", "branch", "DU3"),
    ]:
        found(app, units, code, kind, parent)
    return units


def move(app: Admissions, units: Units, code: str, parent: str, on: date) -> None:
    command = c.MoveOrganisation(new_parent_id=units[parent], effective_on=on)
    app.move_organisation(units[code], command, ADMIN)


def admitted(
    projections: Projections,
    units: Units,
    period: Period,
    *codes: str,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> dict[str, int]:
    return {
        code: projections.reader.quota_report(
            units[code], period, as_of=as_of, known_at=known_at
        ).admitted
        for code in codes
    }


def children(
    projections: Projections, units: Units, code: str, period: Period, as_of: date | None = None
) -> dict[str, int]:
    names = {v: k for k, v in units.ids.items()}
    report = projections.reader.quota_report(units[code], period, as_of=as_of)
    return {names[child]: count for child, _, count, _ in report.children}


def caught_up(app: Admissions) -> Projections:
    projections = Projections(app, page_size=5)
    projections.catch_up(LEDGER)
    return projections


def assert_naive_agrees(
    app: Admissions, projections: Projections, units: Units, known_at: datetime | None = None
) -> None:
    """Every unit's quota report for 2024 and 2025 (as of several days) equals the naive
    recomputation's."""
    naive = NaiveFigures(decode_all(app), known_at)
    for unit in units.ids.values():
        for period in (Y2024, Y2025):
            for as_of in (None, date(2024, 6, 30), date(2025, 6, 30), REFORM):
                got = projections.reader.quota_report(unit, period, as_of=as_of, known_at=known_at)
                want = naive.quota_report(unit, period, as_of)
                assert (got.admitted, got.target, got.fulfilment_percent) == (
                    want.admitted,
                    want.target,
                    want.fulfilment_percent,
                ), (unit, period, as_of)
                assert {u: n for u, _, n, _ in got.children} == {
                    u: n for u, (_, n, _) in want.children.items()
                }, (unit, period, as_of)


def test_a_branch_moved_on_1_july_counts_for_its_old_parent_before_and_its_new_after(
    app: Admissions, units: Units
) -> None:
    move(app, units, "CB1", "DU2", REFORM)
    for day in (date(2025, 3, 10), date(2025, 6, 30), REFORM, date(2025, 9, 15)):
        admit(app, units, "CB1", day, "T01")
    projections = caught_up(app)

    assert admitted(
        projections, units, Y2025, "DU1", "X1", "H1", "DU2", "X2", "H2", "T01", "CB1"
    ) == {
        "DU1": 2,
        "X1": 2,
        "H1": 2,
        "DU2": 2,
        "X2": 2,
        "H2": 2,
        "T01": 4,
        "CB1": 4,
    }
    as_of_june = admitted(projections, units, Y2025, "DU1", "DU2", as_of=date(2025, 6, 30))
    assert as_of_june == {"DU1": 2, "DU2": 0}
    # The branch was under each committee on some day of the year: a child of both, with
    # its own admissions for the year.
    assert children(projections, units, "DU1", Y2025) == {"CB1": 4}
    assert children(projections, units, "DU2", Y2025) == {"CB1": 4, "CB2": 0}
    assert children(projections, units, "DU2", Y2025, as_of=date(2025, 6, 30)) == {"CB2": 0}
    # Grouped by the child on each admission's own path: H1 before, H2 after.
    _, groups = projections.reader.grouped(
        units["T01"], "child", start=Y2025.starts_on, end=Y2025.ends_on
    )
    assert {g: f.counts.admitted for g, f in groups.items()} == {units["H1"]: 2, units["H2"]: 2}
    assert_naive_agrees(app, projections, units)


def test_a_district_merged_into_another_with_its_communes_moved_first(
    app: Admissions, units: Units
) -> None:
    merged_on = date(2024, 7, 1)
    move(app, units, "X1", "H2", merged_on)
    move(app, units, "X3", "H2", merged_on)
    app.merge_organisation(
        units["H1"], c.MergeOrganisation(into_id=units["H2"], effective_on=merged_on), ADMIN
    )
    admit(app, units, "CB3", date(2024, 3, 1), "T01")
    admit(app, units, "CB3", date(2024, 6, 30), "T01")
    admit(app, units, "CB3", date(2024, 7, 1), "T01")
    admit(app, units, "CB1", date(2024, 10, 1), "T01")
    projections = caught_up(app)

    counts = admitted(projections, units, Y2024, "H1", "H2", "T01", "X3", "X1")
    assert counts == {"H1": 2, "H2": 2, "T01": 4, "X3": 3, "X1": 1}
    assert children(projections, units, "T01", Y2024) == {"H1": 2, "H2": 2}
    assert children(projections, units, "H2", Y2024) == {"X1": 1, "X2": 0, "X3": 3}
    assert children(projections, units, "H1", Y2024) == {"X1": 1, "X3": 3}
    # H1 ended with the merge: nothing counts for it in 2025.
    assert children(projections, units, "T01", Y2025) == {"H2": 0}
    assert_naive_agrees(app, projections, units)


def test_the_2025_reform_districts_dissolved_after_their_communes_moved_up(
    app: Admissions, units: Units
) -> None:
    for commune in ("X1", "X2", "X3"):
        move(app, units, commune, "T01", REFORM)
    for district in ("H1", "H2"):
        command = c.DissolveOrganisation(effective_on=REFORM)
        app.dissolve_organisation(units[district], command, ADMIN)
    for day in (date(2025, 2, 3), date(2025, 6, 30), REFORM, date(2025, 11, 20)):
        admit(app, units, "CB1", day, "T01")
    admit(app, units, "CB2", date(2025, 8, 8), "T01")
    projections = caught_up(app)

    counts = admitted(projections, units, Y2025, "H1", "H2", "X1", "X2", "T01")
    assert counts == {"H1": 2, "H2": 0, "X1": 4, "X2": 1, "T01": 5}
    assert children(projections, units, "T01", Y2025) == {
        "H1": 2,
        "H2": 0,
        "X1": 4,
        "X2": 1,
        "X3": 0,
    }
    # Before the reform the communes were not directly under the province.
    assert children(projections, units, "T01", Y2025, as_of=date(2025, 6, 30)) == {
        "H1": 2,
        "H2": 0,
    }
    _, groups = projections.reader.grouped(
        units["T01"], "child", start=Y2025.starts_on, end=Y2025.ends_on
    )
    assert {g: f.counts.admitted for g, f in groups.items()} == {
        units["H1"]: 2,
        units["X1"]: 2,
        units["X2"]: 1,
    }
    assert_naive_agrees(app, projections, units)


def test_a_move_recorded_after_the_admissions_moves_them_as_of_now_not_as_known_before(
    app: Admissions, units: Units
) -> None:
    quota = c.SetQuota(target=4)
    app.set_quota(units["DU2"], Y2025, quota, ADMIN)
    first = admit(app, units, "CB1", date(2025, 6, 30), "T01", sex="female")
    admit(app, units, "CB1", date(2025, 8, 1), "T01", sex="female", ethnicity="Tày")
    admit(app, units, "CB1", date(2025, 9, 1), "T01", religion="Phật giáo")
    live = caught_up(app)  # the live view has the admissions before the move is recorded
    clock = app.clock
    assert isinstance(clock, TickingClock)
    clock.advance(days=3)
    before_the_move = clock.now
    clock.advance(days=1)
    move(app, units, "CB1", "DU2", REFORM)  # recorded now, effective last July
    assert app.candidacy(first).branch_id == units["CB1"]
    live.catch_up(LEDGER)

    now = admitted(live, units, Y2025, "DU1", "DU2", "H1", "H2", "T01")
    assert now == {"DU1": 1, "DU2": 2, "H1": 1, "H2": 2, "T01": 3}
    then = admitted(live, units, Y2025, "DU1", "DU2", "H1", "H2", "T01", known_at=before_the_move)
    assert then == {"DU1": 3, "DU2": 0, "H1": 3, "H2": 0, "T01": 3}
    report = live.reader.quota_report(units["DU2"], Y2025)
    assert (report.target, report.admitted, str(report.fulfilment_percent)) == (4, 2, "50.00")
    assert (report.breakdown.women, report.breakdown.ethnic_minority) == (1, 1)
    assert report.breakdown.religious == 1
    earlier = live.reader.quota_report(units["DU2"], Y2025, known_at=before_the_move)
    assert (earlier.admitted, str(earlier.fulfilment_percent)) == (0, "0.00")
    # Grouped by branch: the branch is the same; by child of the province: H1, then H2.
    total, groups = live.reader.grouped(units["H2"], "branch")
    assert (total.counts.admitted, list(groups)) == (2, [units["CB1"]])
    total, _ = live.reader.grouped(units["H2"], "branch", known_at=before_the_move)
    assert total.counts.admitted == 0
    # A rebuild from scratch answers the same, at both moments.
    fresh = Projections(app, page_size=1000)
    fresh.rebuild(LEDGER)
    assert admitted(fresh, units, Y2025, "DU1", "DU2", "H1", "H2", "T01") == now
    assert (
        admitted(fresh, units, Y2025, "DU1", "DU2", "H1", "H2", "T01", known_at=before_the_move)
        == then
    )
    assert_naive_agrees(app, fresh, units)
    assert_naive_agrees(app, fresh, units, known_at=before_the_move)


def test_a_correction_moving_a_decision_across_the_move_date_follows_the_tree(
    app: Admissions, units: Units
) -> None:
    move(app, units, "CB1", "DU2", REFORM)
    cid = admit(app, units, "CB1", date(2025, 6, 20), "T01")
    projections = caught_up(app)
    assert admitted(projections, units, Y2025, "DU1", "DU2") == {"DU1": 1, "DU2": 0}
    clock = app.clock
    assert isinstance(clock, TickingClock)
    clock.advance(days=1)
    before = clock.now
    clock.advance(days=1)
    correction = c.CorrectRecord(position=12, changes={"decided_on": "2025-07-02"}, reason="nhầm")
    app.execute(cid, correction, ADMIN)
    projections.catch_up(LEDGER)
    assert admitted(projections, units, Y2025, "DU1", "DU2") == {"DU1": 0, "DU2": 1}
    assert admitted(projections, units, Y2025, "DU1", "DU2", known_at=before) == {
        "DU1": 1,
        "DU2": 0,
    }
    assert_naive_agrees(app, projections, units)


# --- findings: the tree edge cases the generated histories avoid ---------------------------


def test_units_under_a_merged_away_unit_are_children_of_the_unit_it_merged_into(
    app: Admissions, units: Units
) -> None:
    """H1 merges into H2 on 2024-07-01 and its communes stay where they are (their parent
    is still H1, which stands for H2 from then on): X1's later admission counts for H2,
    so X1 must be among H2's children, as ``grouped(H2, "child")`` already says."""
    app.merge_organisation(
        units["H1"], c.MergeOrganisation(into_id=units["H2"], effective_on=date(2024, 7, 1)), ADMIN
    )
    admit(app, units, "CB1", date(2024, 10, 1), "T01")
    projections = caught_up(app)
    assert admitted(projections, units, Y2024, "H1", "H2", "X1") == {"H1": 0, "H2": 1, "X1": 1}
    _, groups = projections.reader.grouped(units["H2"], "child")
    assert {g: f.counts.admitted for g, f in groups.items()} == {units["X1"]: 1}
    assert children(projections, units, "H2", Y2024) == {"X1": 1, "X2": 0, "X3": 0}


def test_one_units_moves_recorded_out_of_date_order(app: Admissions, units: Units) -> None:
    """CB1 moves under DU2 on 2025-07-01 (recorded first); then a move under DU3 effective
    2024-01-01 is recorded. In force: DU1, then DU3 from 2024, then DU2 from 2025-07-01.
    An admission of 2025-08-01 counts for DU2, and the children lists agree with it."""
    move(app, units, "CB1", "DU2", REFORM)
    move(app, units, "CB1", "DU3", date(2024, 1, 1))
    admit(app, units, "CB1", date(2025, 8, 1), "T01")
    projections = caught_up(app)
    assert admitted(projections, units, Y2025, "DU2", "DU3") == {"DU2": 1, "DU3": 0}
    assert children(projections, units, "DU2", Y2025) == {"CB1": 1, "CB2": 0}
