"""Write throughput of the workflows layer against plain psycopg, on PostgreSQL.

Run with ``make bench`` (``python -m tests.bench.run``). Not a pytest module.

Both sides do the same job per command, committing each command:

- **workflows**: ``Admissions.execute(cid, RecordVerification(...), actor)`` on a candidacy
  at the verification stage: load the candidacy (select its rows, decode and validate
  every event, fold), check the rules, build the event (hash chain), save it (the
  library's insert: ``LOCK TABLE ... IN EXCLUSIVE MODE``, ``NOTIFY``, ``INSERT``), and
  return the new state (folded in memory).
- **plain**: in one transaction, ``SELECT`` the stream's rows from the same table
  (``ketnap_events``, by ``originator_id``, ordered by version) and ``INSERT`` one row at
  the next version with a payload of the same topic and size, then ``COMMIT``. Its streams
  are byte-for-byte copies of the workflow candidacies' streams under other ids, so both
  sides read as many rows of the same size in every round.
- **plain+lock** (for the analysis): ``plain`` plus the two statements the library adds
  to every insert transaction (``LOCK TABLE ... IN EXCLUSIVE MODE`` and ``NOTIFY``).
- **workflows, library insert** (for the analysis): ``workflows`` on an application with
  the library's default PostgreSQL recorder (pipelined ``SET LOCAL``, ``LOCK TABLE``,
  ``NOTIFY``, ``INSERT``) instead of ketnap's one-round-trip ordered insert
  (``workflows/postgres.py``), on its own candidacies.

Rounds are interleaved (workflows, plain, plain+lock, workflows with the library insert,
workflows, ...) so drift of the machine hits all sides alike; the figures are medians
over rounds. A last pass times each phase of the workflows command separately.

The database ``ketnap_bench`` is created and dropped by this script on the server named
by ``KETNAP_BENCH_POSTGRES_URL`` (an admin URL; default
``postgresql://postgres@127.0.0.1:5432/postgres``). Results also go to
``var/bench/results.md`` (``--markdown``). ``--profile`` adds a cProfile of one more
workflows round; ``--app-env KEY=VALUE`` tries a library setting on the workflows sides.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from api.settings import persistence_env
from tests.bench.common import (
    drop_database,
    load_average,
    machine,
    recreate_database,
    verification_request,
    with_database,
)
from tests.scenario import ADMIN, build_tree, drive, make_app, nominate, path_to_official
from workflows.application import Admissions, fold
from workflows.handlers import HANDLERS

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DBNAME = "ketnap_bench"
TABLE = "ketnap_events"  # the Admissions application (name "Ketnap") stores here
VERIFICATION = 6  # steps of path_to_official() that reach the verification stage
GOAL = 0.5  # workflows >= 0.5 x plain (the target)
NOISE = 1.5  # max/min round rate of one side above which the run is flagged as noisy

LEGEND = (
    "workflows = Admissions.execute(RecordVerification); plain = psycopg SELECT stream + "
    "INSERT next version, one transaction; plain+lock = plain + the library's LOCK TABLE "
    "and NOTIFY; library insert = workflows on the library's default PostgreSQL recorder."
)

console = Console()


# --- the server and the machine ------------------------------------------------------


# --- the sides -------------------------------------------------------------------


@dataclass
class Workflows:
    app: Admissions
    candidacies: list[UUID]

    def command(self, k: int) -> None:
        cid = self.candidacies[k % len(self.candidacies)]
        self.app.execute(cid, verification_request(k), ADMIN)


@dataclass
class Plain:
    conn: psycopg.Connection[Any]
    streams: list[UUID]
    topic: str
    payload: bytes
    lock: bool = False
    select: sql.Composed = field(init=False)
    insert: sql.Composed = field(init=False)
    locks: list[sql.Composed] = field(init=False)

    def __post_init__(self) -> None:
        table = sql.Identifier(TABLE)
        self.select = sql.SQL(
            "SELECT originator_id, originator_version, topic, state FROM {} "
            "WHERE originator_id = %s ORDER BY originator_version"
        ).format(table)
        self.insert = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        ).format(table)
        self.locks = [
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table),
            sql.SQL("NOTIFY {}").format(table),
        ]

    def command(self, k: int) -> None:
        stream = self.streams[k % len(self.streams)]
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(self.select, (stream,), prepare=True)
            rows = cur.fetchall()
            if self.lock:
                for statement in self.locks:
                    cur.execute(statement)
            cur.execute(
                self.insert, (stream, rows[-1][1] + 1, self.topic, self.payload), prepare=True
            )


@dataclass
class Sides:
    workflows: Workflows
    workflows_dbf: Workflows
    plain: Plain
    plain_lock: Plain

    def close(self) -> None:
        self.workflows.app.close()
        self.workflows_dbf.app.close()
        self.plain.conn.close()


def candidacies_at_verification(app: Admissions, count: int) -> list[UUID]:
    tree = build_tree(app)
    cids = []
    for i in range(count):
        cid = nominate(app, tree, full_name=f"Ứng viên {i}")
        drive(app, cid, path_to_official(tree), upto=VERIFICATION)
        cids.append(cid)
    return cids


def setup(bench_url: str, candidacies: int, app_env: dict[str, str]) -> Sides:
    """Candidacies at the verification stage for each workflows side, and plain streams
    copied byte for byte from the first side's candidacies."""
    env = {**persistence_env(bench_url, pool_size=2), **app_env}
    app = make_app(env)
    # The library's default insert (pipelined statements), against ketnap's ordered one.
    app_dbf = make_app(
        {**env, "APPLICATION_RECORDER_TOPIC": "eventsourcing.postgres:PostgresApplicationRecorder"}
    )
    cids = candidacies_at_verification(app, candidacies)
    cids_dbf = candidacies_at_verification(app_dbf, candidacies)
    # One more command to learn the size of the row the workflows side appends; the
    # other sides get one too, so every side starts from streams of the same length.
    app.execute(cids[0], verification_request(0), ADMIN)
    app_dbf.execute(cids_dbf[0], verification_request(0), ADMIN)
    sample = app.recorder.select_events(cids[0])[-1]

    conn = psycopg.connect(bench_url, autocommit=True)
    copy = sql.SQL(
        "INSERT INTO {0} (originator_id, originator_version, topic, state) "
        "SELECT %s, originator_version, topic, state FROM {0} WHERE originator_id = %s"
    ).format(sql.Identifier(TABLE))
    plain_streams = [uuid4() for _ in cids]
    lock_streams = [uuid4() for _ in cids]
    with conn.transaction(), conn.cursor() as cur:
        for streams in (plain_streams, lock_streams):
            for stream, cid in zip(streams, cids, strict=True):
                cur.execute(copy, (stream, cid))
    conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(TABLE)))
    return Sides(
        workflows=Workflows(app, cids),
        workflows_dbf=Workflows(app_dbf, cids_dbf),
        plain=Plain(conn, plain_streams, sample.topic, sample.state),
        plain_lock=Plain(conn, lock_streams, sample.topic, sample.state, lock=True),
    )


def breakdown(side: Workflows, commands: int, offset: int) -> dict[str, float]:
    """Median milliseconds of each phase of ``Admissions.execute``, run step by step with
    the parts it uses: the library's select, our mapper, ``fold``, the command's handler,
    ``fold`` of the new event (the state ``execute`` returns) and ``_save``."""
    app = side.app
    names = ("select rows", "decode events", "fold", "decide", "fold new event", "save")
    phases: dict[str, list[float]] = {name: [] for name in (*names, "total")}
    for k in range(offset, offset + commands):
        cid = side.candidacies[k % len(side.candidacies)]
        command = verification_request(k)
        t0 = time.perf_counter()
        rows = app.recorder.select_events(cid)
        t1 = time.perf_counter()
        events = [app.mapper.to_domain_event(row) for row in rows]
        t2 = time.perf_counter()
        state = fold(None, events)
        t3 = time.perf_counter()
        new = HANDLERS[type(command)](app, state, command, app._envelope(ADMIN, command))
        t4 = time.perf_counter()
        fold(state, [e for e in new if e.originator_id == cid])
        t5 = time.perf_counter()
        app._save(*new)
        t6 = time.perf_counter()
        marks = (t0, t1, t2, t3, t4, t5, t6)
        durations = [end - start for start, end in itertools.pairwise(marks)]
        for values, duration in zip(phases.values(), [*durations, t6 - t0], strict=True):
            values.append(duration)
    return {name: 1000 * statistics.median(values) for name, values in phases.items()}


# --- measuring -----------------------------------------------------------------------


@dataclass
class Series:
    name: str
    run: Callable[[int], None]
    rates: list[float] = field(default_factory=list)  # commands per second, per round
    latencies: list[float] = field(default_factory=list)  # seconds, per command

    def round(self, commands: int, offset: int) -> None:
        latencies = []
        start = time.perf_counter()
        for k in range(offset, offset + commands):
            t = time.perf_counter()
            self.run(k)
            latencies.append(time.perf_counter() - t)
        self.rates.append(commands / (time.perf_counter() - start))
        self.latencies.extend(latencies)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    def latency_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def profiled(top: int) -> Iterator[None]:
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(top)
        console.print(out.getvalue())


def results_table(series: list[Series], plain: Series, title: str) -> Table:
    table = Table(title=title, caption=LEGEND)
    for column in ("side", "median cmd/s", "min–max cmd/s", "p50 ms", "p95 ms", "× plain"):
        table.add_column(column, justify="left" if column == "side" else "right")
    for row in rows(series, plain):
        table.add_row(*row)
    return table


def rows(series: list[Series], plain: Series) -> list[list[str]]:
    return [
        [
            s.name,
            f"{s.median:,.0f}",
            f"{min(s.rates):,.0f}–{max(s.rates):,.0f}",
            f"{s.latency_ms(0.5):.2f}",
            f"{s.latency_ms(0.95):.2f}",
            f"{s.median / plain.median:.2f}",
        ]
        for s in series
    ]


def noisy(series: list[Series]) -> str:
    """A warning when rounds of one side differ a lot: the machine was busy (other
    processes, I/O), and the figures should be taken again."""
    spread = max(max(s.rates) / min(s.rates) for s in series)
    if spread <= NOISE:
        return ""
    return (
        f"Noisy run: the fastest round of a side was {spread:.1f}× its slowest; "
        "the machine was busy, take the figures again."
    )


def breakdown_table(phases: dict[str, float], plain: Series) -> Table:
    table = Table(title="Where a workflows command spends its time (median ms per phase)")
    table.add_column("phase")
    table.add_column("ms", justify="right")
    table.add_column("share", justify="right")
    for name, ms in phases.items():
        table.add_row(name, f"{ms:.3f}", f"{ms / phases['total']:.0%}")
    table.add_row("plain command (for scale)", f"{plain.latency_ms(0.5):.3f}", "")
    return table


def markdown(
    info: dict[str, str],
    title: str,
    series: list[Series],
    plain: Series,
    phases: dict[str, float],
) -> str:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} with `make bench`: {title}.",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "| side | median cmd/s | min–max cmd/s | p50 ms | p95 ms | × plain |",
        "|---|---:|---:|---:|---:|---:|",
        *["| " + " | ".join(row) + " |" for row in rows(series, plain)],
        "",
        f"Ratio workflows / plain: **{series[0].median / plain.median:.2f}** (goal ≥ {GOAL}).",
        *([f"\n**{noisy(series)}**"] if noisy(series) else []),
        "",
        LEGEND,
        "",
        "| phase of one workflows command | median ms | share |",
        "|---|---:|---:|",
        *[f"| {name} | {ms:.3f} | {ms / phases['total']:.0%} |" for name, ms in phases.items()],
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--candidacies", type=int, default=300, help="per workflows side")
    parser.add_argument("--commands", type=int, default=600, help="commands per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--profile", action="store_true", help="then profile a workflows round (cProfile)"
    )
    parser.add_argument("--markdown", type=Path, default=Path("var/bench/results.md"))
    parser.add_argument("--keep", action="store_true", help="keep the ketnap_bench database")
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra eventsourcing setting for the workflows sides, to try a configuration "
        "(e.g. AGGREGATE_CACHE_MAXSIZE=1000); repeatable",
    )
    args = parser.parse_args(argv)
    app_env = dict(item.split("=", 1) for item in args.app_env)

    admin_url = os.environ.get("KETNAP_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    bench_url = with_database(admin_url, DBNAME)
    info = machine(admin_url, ("eventsourcing", "pydantic", "psycopg"))
    if app_env:
        info["Application settings tried"] = ", ".join(f"{k}={v}" for k, v in app_env.items())
    for key, value in info.items():
        console.print(f"[bold]{key}[/]: {value}")

    recreate_database(admin_url, DBNAME)
    sides: Sides | None = None
    try:
        t = time.perf_counter()
        sides = setup(bench_url, args.candidacies, app_env)
        console.print(
            f"setup: 2 × {args.candidacies} candidacies at the verification stage in "
            f"{time.perf_counter() - t:.1f}s; appended row: {len(sides.plain.payload)} bytes"
        )
        series = [
            Series("workflows", sides.workflows.command),
            Series("plain", sides.plain.command),
            Series("plain+lock", sides.plain_lock.command),
            Series("workflows, library insert", sides.workflows_dbf.command),
        ]
        plain = series[1]
        warm = min(50, args.commands)
        for s in series:  # warm up: prepared statements, imports, caches
            s.round(warm, 0)
            s.rates.clear()
            s.latencies.clear()
        for r in range(args.rounds):
            for s in series:
                s.round(args.commands, warm + r * args.commands)
            done = ", ".join(f"{s.name} {s.rates[-1]:,.0f}/s" for s in series)
            console.print(f"round {r + 1}: {done}", soft_wrap=True)
        offset = warm + args.rounds * args.commands
        phases = breakdown(sides.workflows, args.commands, offset)

        title = (
            f"{args.rounds} interleaved rounds of {args.commands} commands on "
            f"{args.candidacies} streams per side, one commit per command"
        )
        console.print(results_table(series, plain, title))
        ratio = series[0].median / plain.median
        verdict = "[green]meets[/]" if ratio >= GOAL else "[red]misses[/]"
        console.print(f"workflows / plain = [bold]{ratio:.2f}[/]: {verdict} the goal ≥ {GOAL}")
        console.print(breakdown_table(phases, plain))
        if noisy(series):
            console.print(f"[yellow]{noisy(series)}[/]")

        info["Load average at end"] = load_average()
        text = markdown(info, title, series, plain, phases)
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
        console.print(f"\nMarkdown snippet ({args.markdown}):\n")
        print(text)
        if args.profile:
            offset += args.commands
            with profiled(40):
                for k in range(offset, offset + args.commands):
                    sides.workflows.command(k)
    finally:
        if sides is not None:
            sides.close()
        if not args.keep:
            drop_database(admin_url, DBNAME)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
