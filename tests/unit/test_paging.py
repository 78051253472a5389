"""Pages sized by time: a view that is slow per event still commits its progress every
fraction of a second, so a runner that lives only a second advances (issue 11 §7)."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from projections.paging import MIN_PAGE, PageSizer, pages
from projections.register import RegisterEngine
from projections.runner import Projections
from tests.unit.helpers import make_world, open_candidacy


def test_the_sizer_aims_at_its_seconds_within_bounds():
    sizer = PageSizer(largest=5000, seconds=0.5)
    assert sizer() == 100  # a first page small enough for any view
    sizer.took(100, 0.1)  # 1,000 events/s: half a second is 500, at most 4x the last page
    assert sizer() == 400
    sizer.took(400, 0.4)
    assert sizer() == 500
    sizer.took(500, 50.0)  # very slow: never below the floor
    assert sizer() == MIN_PAGE
    for _ in range(10):
        sizer.took(sizer(), 0.0001)  # very fast: never above the largest page
    assert sizer() == 5000
    assert PageSizer(largest=7)() == 7  # a small largest page is kept


def test_pages_ask_the_sizer_before_each_page():
    world = make_world()
    open_candidacy(world, upto=8)
    sizes = itertools.chain([1, 2, 3], itertools.repeat(1000))
    got = [len(p) for p in pages(world.app.recorder, page_size=lambda: next(sizes))]
    assert got[:3] == [1, 2, 3] and sum(got) == world.app.recorder.max_notification_id()


def test_a_slow_view_commits_every_fraction_of_a_second(monkeypatch: pytest.MonkeyPatch):
    world = make_world()
    for _ in range(16):
        open_candidacy(world, upto=12)
    per_event = 0.005  # 200 events/s: the whole history in one page would be over a second
    committed: list[int] = []
    work: list[float] = []  # the simulated work of each committed page, in seconds
    process = RegisterEngine.process

    def slow(self: RegisterEngine, events: Any, tracking: Any) -> Any:
        time.sleep(per_event * len(events))
        answer = process(self, events, tracking)
        committed.append(tracking.notification_id)
        work.append(per_event * len(events))
        return answer

    monkeypatch.setattr(RegisterEngine, "process", slow)
    projections = Projections(world.app, page_size=5000, page_seconds=0.05)
    projections.catch_up("candidacies")
    newest = world.app.recorder.max_notification_id()
    assert committed[-1] == newest and len(committed) >= 3
    assert sum(work) > 1.0  # one page for everything would hold more than a second of work
    # Progress committed at least every second of work, however loaded the machine: the
    # pages are sized from the time they took, a loaded machine only makes them smaller.
    assert max(work) < 1.0
