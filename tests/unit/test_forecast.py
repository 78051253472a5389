"""The quota forecast's model (``projections.forecast``, ``projections.forecast_rates``) on
small hand-made histories: rates counted exactly, the band's order, determinism, the
working-day minimums, the fallback to the unit above, and ``known_at`` on a real register."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

import pytest

from domain.candidacy.state import Stage
from domain.values import Period
from projections.forecast import Candidate, Forecast, Minimums, band, forecast, latest_next_steps
from projections.forecast_rates import Entry, Evidence
from projections.forecast_read import read_inputs
from projections.runner import Projections
from tests.unit.helpers import CALENDAR, make_world, open_candidacy

NS = UUID("6f1b5a2e-0c7d-4e8f-9a1b-2c3d4e5f6a7b")
PROVINCE, COMMUNE, BRANCH = (uuid5(NS, n) for n in ("province", "commune", "branch"))
UNITS = frozenset({PROVINCE, COMMUNE, BRANCH})
CHAIN: list[UUID | None] = [COMMUNE, PROVINCE, None]
AS_OF = date(2024, 6, 30)
START, END = date(2024, 1, 1), date(2024, 12, 31)


def entry(n: int, stage: Stage, entered: date, admitted: int | None, left: int | None = None,
          units: frozenset[UUID] = UNITS) -> Entry:  # fmt: skip
    return Entry(uuid5(NS, f"past-{stage}-{n}"), stage, entered, units, admitted, left)


def past_awaiting(units: frozenset[UUID] = UNITS, count: int = 20) -> list[Entry]:
    """``count`` entries into awaiting_decision in 2022: 70 % admitted after 20 days, 20 %
    rejected after 10 days, 10 % still undecided."""
    found = []
    for n in range(count):
        share = n % 10
        admitted = 20 if share < 7 else None
        left = 10 if share in (7, 8) else None
        key = n if units == UNITS else 1000 + n  # distinct candidacies elsewhere
        found.append(entry(key, Stage.AWAITING_DECISION, date(2022, 3, 1), admitted, left, units))
    return found


def candidate(n: int, stage: Stage, since: date, **limits: date) -> Candidate:
    return Candidate(uuid5(NS, f"now-{n}"), stage, BRANCH, since, **limits)


def run(entries: list[Entry], candidates: list[Candidate], admitted: int = 3) -> Forecast:
    return forecast(
        Evidence(entries, AS_OF),
        candidates,
        CHAIN,
        starts_on=START,
        ends_on=END,
        admitted=admitted,
        target=10,
        calendar=CALENDAR,
    )


def test_the_rate_is_the_share_of_comparable_past_entries_admitted_in_the_window():
    fresh = candidate(1, Stage.AWAITING_DECISION, AS_OF - timedelta(days=5))
    result = run(past_awaiting(), [fresh])
    row = next(s for s in result.stages if s.stage is Stage.AWAITING_DECISION)
    # Month 0 in stage: every past entry is comparable; 14 of 20 were admitted.
    assert (row.rate.admitted, row.rate.comparable) == (14, 20)
    assert row.expected == 0.7 and result.expected == 3.7
    assert row.history.basis == COMMUNE and row.history.past_candidacies == 20
    assert dict(row.history.admitted_within)[1].value == 0.7
    assert row.history.median_days_to_admission == 20.0
    # 40 days in the stage (month 1): those decided before day 30 are no longer comparable.
    late = candidate(2, Stage.AWAITING_DECISION, AS_OF - timedelta(days=40))
    row = next(s for s in run(past_awaiting(), [late]).stages if s.stage is late.stage)
    assert (row.rate.admitted, row.rate.comparable) == (0, 2)
    # An entry whose window is not over by as_of is censored, not a failure.
    recent = [*past_awaiting(), entry(99, Stage.AWAITING_DECISION, date(2024, 6, 1), None)]
    row = next(s for s in run(recent, [fresh]).stages if s.stage is fresh.stage)
    assert row.rate.comparable == 20


def test_too_few_past_candidacies_fall_back_to_the_unit_above_and_say_so():
    elsewhere = frozenset({PROVINCE, uuid5(NS, "other-commune")})
    entries = past_awaiting(count=10) + past_awaiting(elsewhere, count=30)
    fresh = candidate(1, Stage.AWAITING_DECISION, AS_OF - timedelta(days=5))
    result = run(entries, [fresh])
    row = next(s for s in result.stages if s.stage is Stage.AWAITING_DECISION)
    assert row.history.basis == PROVINCE and row.history.past_candidacies == 40
    assert (Stage.AWAITING_DECISION, PROVINCE, 40) in result.fallbacks
    # Nothing anywhere: the whole store, with no past candidacy.
    assert (Stage.SOURCE_POOL, None, 0) in result.fallbacks


def test_a_candidate_who_cannot_finish_in_time_is_not_counted():
    entries = [entry(n, Stage.SOURCE_POOL, date(2021, 1, 4), 100) for n in range(30)]
    late_source = candidate(1, Stage.SOURCE_POOL, date(2024, 12, 1))
    as_of = date(2024, 12, 20)  # 7 steps of at least 20 working days cannot fit in 11 days
    result = forecast(
        Evidence(entries, as_of),
        [late_source],
        CHAIN,
        starts_on=START,
        ends_on=END,
        admitted=0,
        target=None,
        calendar=CALENDAR,
    )
    assert result.expected == 0 and result.deciding == ()
    assert result.stages[0].candidates == 1 and result.stages[0].deciding == 0
    # In time otherwise: counted, with the latest day its next step can happen.
    early = candidate(2, Stage.SOURCE_POOL, date(2024, 6, 1))
    kept = run(entries, [early])
    assert [d.candidacy_id for d in kept.deciding] == [early.candidacy_id]
    by = kept.deciding[0].next_step_by
    minimums = Minimums()
    assert by == latest_next_steps(early, END, AS_OF, CALENDAR, minimums)
    assert AS_OF < by < END
    # The certificate expires before the earliest branch vote: not counted either.
    dossier = candidate(3, Stage.DOSSIER, date(2024, 6, 1), certificate_expires_on=date(2024, 7, 3))
    assert latest_next_steps(dossier, END, AS_OF, CALENDAR, minimums) is None
    assert run(entries, [dossier]).deciding == ()


@pytest.mark.parametrize(
    ("ps", "expected"),
    [([], (0, 0)), ([0.5, 0.5], (0, 2)), ([1.0] * 4, (4, 4)), ([0.95], (1, 1)), ([0.05], (0, 0))],
)
def test_the_band_is_the_10th_and_90th_percentile_of_a_poisson_binomial(ps, expected):
    assert band(ps) == expected


def test_low_expected_high_are_ordered_and_the_answer_is_deterministic():
    entries = past_awaiting()
    # One candidate with p = 0.7: its count is 0 or 1, the band widens to hold 3.7.
    fresh = [candidate(1, Stage.AWAITING_DECISION, AS_OF - timedelta(days=5))]
    result = run(entries, fresh)
    assert result.low <= result.expected <= result.high
    many = [candidate(n, Stage.AWAITING_DECISION, AS_OF - timedelta(days=n)) for n in range(25)]
    first, second = run(entries, many), run(entries, list(reversed(many)))
    assert first == second
    assert first.low <= first.expected <= first.high and first.low < first.high


def test_known_at_excludes_what_was_recorded_later():
    world = make_world()
    first = open_candidacy(world, upto=2)
    seen_then = world.clock.now
    world.clock.advance(hours=1)
    second = open_candidacy(world, upto=2)
    views = Projections(world.app)
    views.catch_up()
    on = date(2023, 6, 30)
    now = read_inputs(views.reader, views.register, on)
    then = read_inputs(views.reader, views.register, on, seen_then)
    assert {c.candidacy_id for c, _ in now.candidates} == {first, second}
    assert {c.candidacy_id for c, _ in then.candidates} == {first}
    commune = world.tree.commune
    period = Period.parse("2023")
    answer = then.forecast(views.reader, CALENDAR, commune, period)
    assert sum(s.candidates for s in answer.stages) == 1
    assert answer == then.forecast(views.reader, CALENDAR, commune, period)


def test_the_inputs_are_read_once_until_the_views_apply_something_new(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import api.reports.forecast as use_case
    from tests.scenario import build_tree, make_app, nominate

    app = make_app()
    tree = build_tree(app)
    nominate(app, tree, full_name="Người Một")
    views = Projections(app)
    views.catch_up()
    reads: list[int] = []
    real = read_inputs

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(use_case, "read_inputs", counted)
    period, today = Period.parse("2023"), date(2023, 3, 1)

    def ask() -> Any:
        return use_case.quota_forecast(views, app.calendar, tree.commune, period, today)

    first, again = ask(), ask()
    assert first == again and len(reads) == 1
    nominate(app, tree, full_name="Người Hai", on=date(2023, 2, 1))
    views.catch_up()
    later = ask()
    assert len(reads) == 2
    assert sum(s.candidates for s in later.stages) == sum(s.candidates for s in first.stages) + 1
