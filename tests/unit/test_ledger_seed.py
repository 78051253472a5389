"""The seed figure (seed 004: "kết nạp được 189 đảng viên, đạt 108%"): a unit with a target
of 175 for 2013 and 189 admissions decided in 2013 reports 108.00%, from the persisted
ledger, and the naive recomputation agrees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from api.settings import persistence_env
from domain.values import Period
from projections.ledger import NAME as LEDGER
from projections.runner import Projections
from tests.naive_figures import NaiveFigures, TickingClock, Units, admit, decode_all, found
from tests.scenario import ADMIN, make_app
from workflows import commands as c
from workflows.application import Admissions

YEAR = Period.parse("2013")


@pytest.fixture
def app() -> Iterator[Admissions]:
    clock = TickingClock(now=datetime(2013, 1, 4, 2, 0, tzinfo=UTC))
    # An in-memory SQLite store (no fsync per command): 2,300 commands in a few seconds.
    memory = f"sqlite:///file:seed-{uuid4().hex}?mode=memory&cache=shared"
    application = make_app(persistence_env(memory), clock=clock)
    yield application
    application.close()


def test_189_admissions_against_a_target_of_175_is_108_percent(app: Admissions) -> None:
    clock = app.clock
    assert isinstance(clock, TickingClock)
    units = Units()
    found(app, units, "T01", "province", None)
    found(app, units, "X01", "commune", "T01")
    found(app, units, "DU01", "grassroots_committee", "X01")
    found(app, units, "CB01", "branch", "DU01")
    found(app, units, "CB02", "branch", "DU01")
    # The board sets the year's target on 2013-01-04 (set_on is the recording day).
    app.set_quota(units["DU01"], YEAR, c.SetQuota(target=175), ADMIN)
    clock.now = datetime(2014, 3, 1, 2, 0, tzinfo=UTC)
    # 189 admissions spread over 2013, from the first day to the last, in two branches.
    decided = [date(2013, 1, 1) + timedelta(days=(i * 364) // 188) for i in range(189)]
    assert decided[0] == date(2013, 1, 1) and decided[-1] == date(2013, 12, 31)
    for i, day in enumerate(decided):
        admit(
            app,
            units,
            "CB01" if i % 3 else "CB02",
            day,
            "DU01",
            sex="female" if i % 2 else "male",
            ethnicity="Tày" if i % 5 == 0 else "Kinh",
        )
    # Outside the year or not admissions: they must not count.
    admit(app, units, "CB01", date(2012, 12, 31), "DU01")
    admit(app, units, "CB01", date(2014, 1, 1), "DU01")

    projections = Projections(app, page_size=500)
    projections.catch_up(LEDGER)
    report = projections.reader.quota_report(units["DU01"], YEAR)
    assert (report.target, report.admitted) == (175, 189)
    assert report.fulfilment_percent == Decimal("108.00")
    assert str(report.fulfilment_percent) == "108.00"
    assert report.breakdown.women == 94  # the odd ones of 0..188
    assert report.breakdown.ethnic_minority == 38  # multiples of 5 in 0..188
    assert {(child, admitted) for child, _, admitted, _ in report.children} == {
        (units["CB01"], 126),
        (units["CB02"], 63),
    }
    # Rolled up: the commune and the province count the same admissions (no target there).
    for unit in ("X01", "T01"):
        above = projections.reader.quota_report(units[unit], YEAR)
        assert (above.admitted, above.target, above.fulfilment_percent) == (189, None, None)
    # As of mid-year: the admissions decided by then, against the target set in January.
    mid = projections.reader.quota_report(units["DU01"], YEAR, as_of=date(2013, 6, 30))
    by_mid = sum(1 for day in decided if day <= date(2013, 6, 30))
    assert (mid.target, mid.admitted) == (175, by_mid)
    # Before the target was set there was none; before it was recorded, nothing at all.
    assert projections.reader.target(units["DU01"], YEAR, as_of=date(2013, 1, 3)) is None
    early = projections.reader.quota_report(
        units["DU01"], YEAR, known_at=clock.now.replace(year=2013, month=1, day=5)
    )
    assert (early.target, early.admitted, early.fulfilment_percent) == (175, 0, Decimal("0.00"))

    naive = NaiveFigures(decode_all(app)).quota_report(units["DU01"], YEAR)
    assert (naive.target, naive.admitted, naive.fulfilment_percent) == (
        175,
        189,
        Decimal("108.00"),
    )
