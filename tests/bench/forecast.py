"""The quota forecast's back-test: replay past years, forecasting each as of mid-year, and
compare with the year's actual admitted figure. Not a pytest module.

Run with ``make bench`` or ``python -m tests.bench.forecast [--source demo|bench]``:

- ``bench``: the projections benchmark's history in PostgreSQL (``ketnap_bench_proj``,
  built by ``python -m tests.bench.projections``: 20,000 branches, ≥ 1M events), reused as
  it is; ``demo``: the demo province (``api.demo.loader.load_demo``) in a SQLite file under
  ``var/bench/``. The default is ``bench`` when that database exists, else ``demo``.
- For each year Y: ``read_inputs`` as of 30 June Y, ``known_at`` 30 June Y 23:59:59 in
  Vietnam (only what was recorded by then), then the forecast of every unit in force on
  that day and on 31 December Y (at most ``--max-units`` per level, by id), against
  ``quota_report(unit, Y)`` as known now.
- Per level (depth in the tree: 0 the province): the mean absolute error, the mean
  absolute percentage error (over actuals > 0), the share of actuals inside ``low``–
  ``high``, and the forecasts' own time. Results also go to ``var/bench/forecast.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from api.demo.loader import DemoClock, load_demo
from domain.values import Period
from projections.forecast_read import read_inputs
from projections.runner import Projections
from tests.bench.common import machine, with_database
from tests.bench.projections import DBNAME, bench_app, database_exists
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar

VIETNAM = timezone(timedelta(hours=7))
OUT = Path("var/bench")
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
console = Console(width=132)


def demo_app() -> Admissions:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(OUT / "demo.db")}
    app = Admissions(env, clock=DemoClock(), calendar=VietnamCalendar())
    load_demo(app)
    return app


def backtest(app: Admissions, years: list[int], max_units: int) -> dict[int, list[dict]]:  # type: ignore[type-arg]
    views = Projections(app)
    views.catch_up()
    reader, register = views.reader, views.register
    now_tree = reader.tree()
    by_level: dict[int, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for year in years:
        period, as_of = Period.parse(str(year)), date(year, 6, 30)
        known_at = datetime.combine(as_of, clock_time(23, 59, 59), VIETNAM)
        started = time.perf_counter()
        inputs = read_inputs(reader, register, as_of, known_at)
        read_s = time.perf_counter() - started
        levels: dict[int, list] = defaultdict(list)  # type: ignore[type-arg]
        for unit in sorted(inputs.tree.units(), key=lambda u: str(u.id)):
            if not (unit.exists_on(as_of) and now_tree.exists_on(unit.id, period.ends_on)):
                continue
            if unit.kind.is_branch and max_units == 0:
                continue
            levels[len(inputs.tree.path_on(unit.id, as_of)) - 1].append(unit.id)
        for level, units in levels.items():
            for unit_id in units[:max_units]:
                t0 = time.perf_counter()
                f = inputs.forecast(reader, app.calendar, unit_id, period)
                seconds = time.perf_counter() - t0
                actual = reader.quota_report(unit_id, period).admitted
                by_level[level].append(
                    {
                        "year": year,
                        "unit": unit_id,
                        "actual": actual,
                        "expected": f.expected,
                        "low": f.low,
                        "high": f.high,
                        "seconds": seconds,
                        "read_s": read_s,
                    }
                )
        console.print(f"{year}: read {read_s:.2f}s, {sum(len(u) for u in levels.values())} units")
    return by_level


def summary_rows(by_level: dict[int, list[dict]]) -> list[list[str]]:  # type: ignore[type-arg]
    rows = []
    for level in sorted(by_level):
        found = by_level[level]
        errors = [abs(r["expected"] - r["actual"]) for r in found]
        pct = [abs(r["expected"] - r["actual"]) / r["actual"] for r in found if r["actual"] > 0]
        inside = sum(1 for r in found if r["low"] <= r["actual"] <= r["high"])
        ms = [1000 * r["seconds"] for r in found]
        rows.append(
            [
                str(level),
                str(len(found)),
                f"{statistics.fmean(r['actual'] for r in found):.1f}",
                f"{statistics.fmean(errors):.2f}",
                f"{100 * statistics.fmean(pct):.1f}%" if pct else "n/a",
                f"{100 * inside / len(found):.0f}%",
                f"{statistics.median(ms):.1f}",
            ]
        )
    return rows


HEADERS = ["level", "forecasts", "mean actual", "MAE", "MAPE", "in 10–90 band", "ms/forecast"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("demo", "bench"), default=None)
    parser.add_argument("--years", default=None, help="first-last, e.g. 2023-2025")
    parser.add_argument("--max-units", type=int, default=200, help="per level and year")
    args = parser.parse_args()
    admin_url = os.environ.get("KETNAP_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    source = args.source or ("bench" if database_exists(admin_url) else "demo")
    if source == "bench":
        app = bench_app(with_database(admin_url, DBNAME))
        first, last = 2023, 2025
    else:
        app = demo_app()
        first, last = 2023, 2025  # the demo's tree is recorded from 2023-01-03 on
    if args.years:
        first, last = (int(y) for y in args.years.split("-"))
    started = time.perf_counter()
    by_level = backtest(app, list(range(first, last + 1)), args.max_units)
    rows = summary_rows(by_level)
    table = Table(title=f"Forecast back-test ({source}, {first}–{last}, as of 30 June)")
    for h in HEADERS:
        table.add_column(h, justify="right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    elapsed = time.perf_counter() - started
    info = machine(admin_url if source == "bench" else None, ("eventsourcing",))
    lines = [
        f"# Forecast back-test ({source}, {first}–{last})",
        "",
        f"`python -m tests.bench.forecast --source {source}` · {elapsed:.0f}s",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "forecast.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    console.print("\n".join(lines), markup=False, highlight=False)
    app.close()


if __name__ == "__main__":
    main()
