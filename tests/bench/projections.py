"""Projection rebuild speed on PostgreSQL over a million stored events, beside a raw scan.

Run with ``make bench`` (after ``tests.bench.run`` and ``tests.bench.http``) or
``python -m tests.bench.projections``. Not a pytest module.

In one run, on one stored history (``tests.bench.projections_data``: the demo's
candidacies cloned over a province of 20,000 branches, at least 1,000,000 events):

- **rebuild**: ``Projections(app).rebuild()`` (``projections.runner``): a fresh
  generation of the admissions ledger from event 1, swapped in. Rate = every stored event
  in the store ÷ wall time (the rebuild asks the store only for the topics it uses).
- **raw scan**: plain psycopg, ``SELECT notification_id, originator_id,
  originator_version, topic, state FROM ketnap_events WHERE notification_id > %s ORDER BY
  notification_id LIMIT 5000``, keyset-paged over every stored event, fetched to Python.
- **library decode** (for context): the library's default read path,
  ``recorder.select_notifications(start, 5000)`` and ``mapper.to_domain_event`` for every
  event (pydantic validation), over every stored event (``--decode-events`` fewer).

Rounds are interleaved (raw, rebuild, decode, raw, ...); figures are medians. The goal
(issue 4): rebuild ≥ 0.5 × raw scan.

Then **memory**: the same work as a rebuild (``catch_up`` of a fresh side generation from
event 1) up to the 250,000th, 500,000th and last event, each in a fresh subprocess: peak
RSS above the RSS before it started. And **quota report latency**:
``reader.quota_report(province, Period.parse("2025"))``, with ``known_at`` and for one
commune, repeated, p50/p99; and the web app's quota page of the province (in process).

The history is generated into the database ``ketnap_bench_proj`` (on the server named by
``KETNAP_BENCH_POSTGRES_URL``, an admin URL; default
``postgresql://postgres@127.0.0.1:5432/postgres``) and kept: a later run reuses it when its
parameters and row count match (``--regenerate`` forces a new one, ``--drop`` drops it at
the end). ``--profile N``: a cProfile of the rebuild's catch-up over the first N events,
instead of the measurement. Results also go to ``var/bench/projections.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from api.settings import persistence_env
from domain.values import Period
from projections.ledger import NAME as LEDGER
from projections.runner import Projections, ledger_topics
from tests.bench import projections_data as data
from tests.bench.common import drop_database, load_average, machine, with_database
from tests.scenario import make_app
from workflows.application import Admissions

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DBNAME = "ketnap_bench_proj"
TABLE = data.TABLE
META = "ketnap_bench_meta"
PAGE = 5000
GOAL = 0.5  # rebuild >= 0.5 x raw scan (issue 4)
NOISE = 1.5  # max/min round rate of one side above which the run is flagged as noisy
PROBE_GENERATION = 9000  # side generation the memory probes and the profile fill
QUOTA_YEAR = "2025"
KNOWN_AT = datetime(2025, 10, 1, tzinfo=UTC)
AS_OF = date(2025, 6, 30)
# The library closes a connection idle in a transaction for 5 s. A rebuild page does its
# Python work inside the page's transaction; on a busy machine a page of the register
# takes longer than that and the rebuild dies. The bench allows a minute (see
# docs/performance.md); --app-env overrides.
APP_ENV = {"POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60"}
APP_ENV_VAR = "KETNAP_BENCH_APP_ENV"

console = Console()


# --- the stored history -------------------------------------------------------------------


@dataclass
class History:
    events: int
    max_id: int
    topics: Counter[str]
    generated: bool
    seconds: float
    params: dict[str, Any]

    def mix(self) -> dict[str, int]:
        wanted = set(ledger_topics())
        groups: Counter[str] = Counter()
        for topic, n in self.topics.items():
            module = topic.split(":")[0].rsplit(".", 1)[-1]
            group = {"events": "candidacy"}.get(module, module)
            groups[group] += n
            if topic in wanted:
                groups["read by the ledger"] += n
        return dict(groups)


def nth_id(bench_url: str, n: int) -> int:
    """The notification id of the ``n``-th stored event (the last one's when fewer)."""
    with psycopg.connect(bench_url) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT notification_id FROM {} ORDER BY notification_id OFFSET %s LIMIT 1"
            ).format(sql.Identifier(TABLE)),
            (max(0, n - 1),),
        ).fetchone()
        if row is None:
            row = conn.execute(
                sql.SQL("SELECT max(notification_id) FROM {}").format(sql.Identifier(TABLE))
            ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def history_params(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "generator": data.GENERATOR_VERSION,
        "events": args.events,
        "branches": args.branches,
        "communes": args.communes,
        "districts": args.districts,
        "seed": args.seed,
    }


def database_exists(admin_url: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        row = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DBNAME,)).fetchone()
    return row is not None


def cached_history(bench_url: str, params: dict[str, Any]) -> History | None:
    """The stored history when it was generated with ``params`` and is complete."""
    with psycopg.connect(bench_url, autocommit=True, connect_timeout=5) as conn:
        found = conn.execute("SELECT to_regclass(%s)", (META,)).fetchone()
        if found is None or found[0] is None:
            return None
        row = conn.execute(sql.SQL("SELECT value FROM {}").format(sql.Identifier(META))).fetchone()
        if row is None:
            return None
        meta = json.loads(row[0])
        if meta["params"] != params:
            return None
        count = conn.execute(
            sql.SQL("SELECT count(*), max(notification_id) FROM {}").format(sql.Identifier(TABLE))
        ).fetchone()
    if count is None or count[0] != meta["events"]:
        return None
    return History(int(count[0]), int(count[1]), Counter(meta["topics"]), False, 0.0, params)


def generate_history(admin_url: str, bench_url: str, args: argparse.Namespace) -> History:
    started = time.perf_counter()
    params = history_params(args)
    drop_database(admin_url, DBNAME)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DBNAME)))
    app = make_app(persistence_env(bench_url, pool_size=1))  # creates the events table
    app.close()

    console.print(f"generating: the tree ({args.branches:,} branches) through the application")
    per_year = args.events // 100  # about what the cloned demo admits per year
    tree = data.build_tree(args.districts, args.communes, args.branches, per_year)
    console.print(f"  {len(tree.rows):,} tree and quota events in {_since(started)}")
    templates = data.demo_templates()
    clones = data.clones_for(args.events, templates, tree)
    total = clones * templates.count + len(tree.rows)
    console.print(
        f"  the demo: {templates.count:,} candidacy and roster events, cloned {clones} times "
        f"({total:,} events in all) in {_since(started)}"
    )
    history = data.BenchHistory()
    rows = data.history_rows(templates, tree, clones, args.seed, history)

    def progress(done: int, total: int) -> None:
        if done % 200_000 == 0 or done == total:
            console.print(f"  COPY {done:,}/{total:,} rows, {_since(started)}")

    with psycopg.connect(bench_url, autocommit=True) as conn:
        written = data.write_history(conn, rows, total, progress)
        console.print(f"  VACUUM ANALYZE, {_since(started)}")
        conn.execute(sql.SQL("VACUUM (FREEZE, ANALYZE) {}").format(sql.Identifier(TABLE)))
        conn.execute("CHECKPOINT")
        conn.execute(sql.SQL("CREATE TABLE {} (value TEXT NOT NULL)").format(sql.Identifier(META)))
        meta = {"params": params, "events": written, "topics": dict(history.topics)}
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s)").format(sql.Identifier(META)), (json.dumps(meta),)
        )
        row = conn.execute(
            sql.SQL("SELECT max(notification_id) FROM {}").format(sql.Identifier(TABLE))
        ).fetchone()
    max_id = int(row[0]) if row else 0
    seconds = time.perf_counter() - started
    console.print(f"generated {written:,} events in {seconds:.0f}s")
    return History(written, max_id, history.topics, True, seconds, params)


def ensure_history(admin_url: str, bench_url: str, args: argparse.Namespace) -> History:
    if not args.regenerate and database_exists(admin_url):
        found = cached_history(bench_url, history_params(args))
        if found is not None:
            console.print(f"reusing the stored history in {DBNAME}: {found.events:,} events")
            return found
        console.print(f"{DBNAME} holds another history: generating it again")
    return generate_history(admin_url, bench_url, args)


def bench_app(bench_url: str) -> Admissions:
    """The application on the benchmark database, with the bench's settings."""
    extra = json.loads(os.environ.get(APP_ENV_VAR, "null")) or APP_ENV
    return make_app({**persistence_env(bench_url, pool_size=2), **extra})


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f}s"


# --- the sides ------------------------------------------------------------------------------


@dataclass
class Side:
    name: str
    run: Callable[[], dict[str, Any]]  # one round: {"seconds": ..., and what else it saw}
    per_round: int  # events the rate is counted over
    rates: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def round(self) -> None:
        done = self.run()
        self.add(done["seconds"], done)

    def add(self, seconds: float, details: dict[str, Any] | None = None) -> None:
        self.seconds.append(seconds)
        self.rates.append(self.per_round / seconds)
        if details is not None:
            self.details.append(details)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def timed(work: Callable[[], object]) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        gc.collect()
        started = time.perf_counter()
        work()
        return {"seconds": time.perf_counter() - started}

    return run


def raw_scan(bench_url: str) -> Callable[[], int]:
    statement = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
        "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(sql.Identifier(TABLE))

    def run() -> int:
        seen = 0
        last = 0
        with psycopg.connect(bench_url) as conn, conn.cursor() as cur:
            while True:
                cur.execute(statement, (last, PAGE), prepare=True)
                rows = cur.fetchall()
                if not rows:
                    return seen
                seen += len(rows)
                last = rows[-1][0]

    return run


def library_decode(app: Admissions, limit: int) -> Callable[[], int]:
    recorder, mapper = app.recorder, app.mapper

    def run() -> int:
        seen = 0
        start = 1
        while seen < limit:
            page = recorder.select_notifications(start, min(PAGE, limit - seen))
            if not page:
                break
            for notification in page:
                mapper.to_domain_event(notification)
            seen += len(page)
            start = page[-1].id + 1
        return seen

    return run


def in_child(admin_url: str, *command: str) -> dict[str, Any]:
    """Run ``--child COMMAND`` in a fresh Python process; its last JSON line."""
    argv = [sys.executable, "-m", "tests.bench.projections", "--child", *command]
    env = {**os.environ, "KETNAP_BENCH_POSTGRES_URL": admin_url}
    env.setdefault(APP_ENV_VAR, json.dumps(APP_ENV))
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit {done.returncode})")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def rebuild_in_child(admin_url: str, name: str) -> Callable[[], dict[str, Any]]:
    return lambda: in_child(admin_url, "rebuild", name)


# --- in the child process -------------------------------------------------------------------


MB = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Sampler:
    """A progress callback: RSS after each page, and a line on stderr every quarter."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()
        self.samples: list[tuple[int, int]] = []  # (ids scanned, RSS bytes)
        self.marks = [0.25, 0.5, 0.75]
        self.err = Console(stderr=True)

    def __call__(self, scanned: int, total: int) -> None:
        self.samples.append((scanned, rss_bytes()))
        if self.marks and scanned >= self.marks[0] * total:
            self.marks.pop(0)
            rate = scanned / (time.perf_counter() - self.started)
            self.err.print(
                f"    {self.label} {scanned:,}/{total:,} ids, {rate:,.0f}/s, "
                f"RSS {self.samples[-1][1] / MB:,.0f} MB"
            )

    def at(self, share: float) -> float:
        """RSS (MB) when ``share`` of the ids had been scanned."""
        if not self.samples:
            return 0.0
        total = self.samples[-1][0]
        for scanned, rss in self.samples:
            if scanned >= share * total:
                return rss / MB
        return self.samples[-1][1] / MB


def child_rebuild(bench_url: str, name: str) -> dict[str, Any]:
    """``Projections(app).rebuild(name)``, timed, with its memory."""
    app = bench_app(bench_url)
    gc.collect()
    base = rss_bytes()
    sampler = Sampler(f"rebuild {name}")
    started = time.perf_counter()
    Projections(app, page_size=PAGE).rebuild(name, sampler)
    seconds = time.perf_counter() - started
    app.close()
    return {
        "seconds": seconds,
        "base_mb": base / MB,
        "peak_mb": peak_rss_bytes() / MB,
        "increase_mb": (peak_rss_bytes() - base) / MB,
        "rss_quarter_mb": sampler.at(0.25),
        "rss_half_mb": sampler.at(0.5),
        "rss_end_mb": sampler.at(1.0),
    }


def side_generation(app: Admissions, name: str) -> Projections:
    """Projections whose generation ``PROBE_GENERATION`` of ``name`` is empty."""
    Projections(app, page_size=PAGE).view(name, PROBE_GENERATION).drop()
    projections = Projections(app, page_size=PAGE)
    projections.engine(name, PROBE_GENERATION)  # its (empty) tables
    return projections


def child_probe(bench_url: str, name: str, events: int) -> dict[str, Any]:
    """What a rebuild does (catch-up of a fresh generation from event 1), up to the
    ``events``-th stored event only, into a side generation; its memory."""
    app = bench_app(bench_url)
    stop = nth_id(bench_url, events)
    projections = side_generation(app, name)
    gc.collect()
    base = rss_bytes()
    sampler = Sampler(f"{name} up to event {events:,}")
    started = time.perf_counter()
    projections.catch_up(name, PROBE_GENERATION, sampler, stop=stop)
    seconds = time.perf_counter() - started
    peak = peak_rss_bytes()
    Projections(app, page_size=PAGE).view(name, PROBE_GENERATION).drop()
    app.close()
    return {
        "events": events,
        "seconds": seconds,
        "base_mb": base / MB,
        "peak_mb": peak / MB,
        "increase_mb": (peak - base) / MB,
        "rss_end_mb": sampler.at(1.0),
    }


# --- quota report -----------------------------------------------------------------------------


@dataclass
class Latency:
    name: str
    call: Callable[[], Any]
    samples: list[float] = field(default_factory=list)
    answer: str = ""

    def measure(self, calls: int, budget: float) -> None:
        result = self.call()  # warm: the tree, prepared statements
        self.answer = result if isinstance(result, str) else describe(result)
        deadline = time.perf_counter() + budget
        while len(self.samples) < calls and (
            len(self.samples) < 20 or time.perf_counter() < deadline
        ):
            t = time.perf_counter()
            self.call()
            self.samples.append(time.perf_counter() - t)

    def ms(self, q: float) -> float:
        ordered = sorted(self.samples)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def describe(figures: Any) -> str:
    return (
        f"admitted {figures.admitted:,}, target {figures.target}, "
        f"{figures.fulfilment_percent}%, {len(figures.children)} children"
    )


def quota_latencies(app: Admissions, calls: int, budget: float) -> list[Latency]:
    reader = Projections(app, page_size=PAGE).reader
    province = data.unit_id("TU-BENCH")
    commune = data.unit_id("X001")
    period = Period.parse(QUOTA_YEAR)
    cases = [
        Latency(f"province {QUOTA_YEAR}", lambda: reader.quota_report(province, period)),
        Latency(
            f"province {QUOTA_YEAR}, as_of {AS_OF}",
            lambda: reader.quota_report(province, period, as_of=AS_OF),
        ),
        Latency(
            f"province {QUOTA_YEAR}, known_at {KNOWN_AT:%Y-%m-%d}",
            lambda: reader.quota_report(province, period, known_at=KNOWN_AT),
        ),
        Latency(f"commune {QUOTA_YEAR}", lambda: reader.quota_report(commune, period)),
        Latency(
            f"the web app's quota page, province {QUOTA_YEAR}",
            quota_page(app, f"/ui/units/{province}/quota?period={QUOTA_YEAR}"),
        ),
    ]
    for case in cases:
        case.measure(calls, budget)
        console.print(
            f"  {case.name}: p50 {case.ms(0.5):.1f} ms, p99 {case.ms(0.99):.1f} ms over "
            f"{len(case.samples)} calls ({case.answer})"
        )
    return cases


def quota_page(app: Admissions, path: str) -> Callable[[], str]:
    """GET the web app's quota page in process (routing, the use case, the SVG bars, the
    template), signed in as an admin; the views are read as they stand (no follower)."""
    import re

    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.settings import Settings

    token = "bench-quota-admin-token-0123456789"
    settings = Settings(admin_token=token, serve_projections=False, log_level="WARNING")
    web = TestClient(create_app(settings, admissions=app), follow_redirects=False)
    web.__enter__()
    form = re.search(r'name="csrf" value="([^"]+)"', web.get("/ui/login").text)
    assert form, "the sign-in form"
    web.post("/ui/login", data={"token": token, "csrf": form.group(1), "next": "/ui/"})

    def call() -> str:
        answer = web.get(path)
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        return f"HTTP 200, {len(answer.content):,} bytes"

    return call


# --- profile ----------------------------------------------------------------------------------


def profile_catch_up(bench_url: str, name: str, events: int, out: Path) -> None:
    """cProfile of what a rebuild of ``name`` does over the first ``events`` events."""
    app = bench_app(bench_url)
    stop = nth_id(bench_url, events)
    projections = side_generation(app, name)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    projections.catch_up(name, PROBE_GENERATION, stop=stop)
    profile.disable()
    seconds = time.perf_counter() - started
    Projections(app, page_size=PAGE).view(name, PROBE_GENERATION).drop()
    app.close()
    text = io.StringIO()
    text.write(
        f"catch-up of a fresh generation of {name} over {events:,} events (ids 1..{stop})"
        f": {seconds:.1f}s under cProfile, {events / seconds:,.0f} events/s\n"
    )
    for key in ("tottime", "cumulative"):
        stats = pstats.Stats(profile, stream=text).sort_stats(key)
        stats.print_stats(40)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text.getvalue())
    console.print(text.getvalue(), soft_wrap=True, markup=False, highlight=False)
    console.print(f"profile written to {out}")


# --- reporting --------------------------------------------------------------------------------


def noisy(sides: list[Side]) -> str:
    spread = max(max(s.rates) / min(s.rates) for s in sides)
    if spread <= NOISE:
        return ""
    return (
        f"Noisy run: the fastest round of a side was {spread:.1f}× its slowest; "
        "the machine was busy, take the figures again."
    )


SIDE_COLUMNS = ("side", "events", "median events/s", "min–max events/s", "median s", "× raw")
MEMORY_COLUMNS = (
    "projection",
    "events",
    "events/s",
    "RSS before MB",
    "peak RSS MB",
    "increase MB",
    "RSS at end MB",
)
QUOTA_COLUMNS = ("quota report", "calls", "p50 ms", "p99 ms", "answer")


def side_rows(sides: list[Side], raw: Side) -> list[list[str]]:
    return [
        [
            s.name,
            f"{s.per_round:,}",
            f"{s.median:,.0f}",
            f"{min(s.rates):,.0f}–{max(s.rates):,.0f}",
            f"{statistics.median(s.seconds):.1f}",
            f"{s.median / raw.median:.2f}",
        ]
        for s in sides
    ]


def memory_rows(probes: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            p["name"],
            f"{int(p['events']):,}",
            f"{p['events'] / p['seconds']:,.0f}",
            f"{p['base_mb']:.0f}",
            f"{p['peak_mb']:.0f}",
            f"{p['increase_mb']:.0f}",
            f"{p['rss_end_mb']:.0f}",
        ]
        for p in probes
    ]


def quota_rows(cases: list[Latency]) -> list[list[str]]:
    return [
        [c.name, str(len(c.samples)), f"{c.ms(0.5):.1f}", f"{c.ms(0.99):.1f}", c.answer]
        for c in cases
    ]


def table(title: str, columns: tuple[str, ...], rows: list[list[str]]) -> Table:
    result = Table(title=title)
    for i, column in enumerate(columns):
        result.add_column(column, justify="left" if i == 0 or i == 4 else "right")
    for row in rows:
        result.add_row(*row)
    return result


def md_table(columns: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(columns) + " |",
        "|---" + "|---:" * (len(columns) - 1) + "|",
        *["| " + " | ".join(row) + " |" for row in rows],
    ]


@dataclass
class Results:
    info: dict[str, str]
    history: History
    rounds: int
    sides: list[Side]
    probes: list[dict[str, Any]]
    cases: list[Latency]

    def verdicts(self) -> list[str]:
        raw = self.sides[0]
        return [
            f"{s.name} / raw scan = {s.median / raw.median:.2f}: "
            f"{'meets' if s.median / raw.median >= GOAL else 'misses'} the goal ≥ {GOAL}"
            for s in self.sides
            if s.name.startswith("rebuild")
        ]

    def markdown(self) -> str:
        mix = self.history.mix()
        lines = [
            f"Run {time.strftime('%Y-%m-%d %H:%M %Z')}: `python -m tests.bench.projections`, "
            f"{self.rounds} interleaved rounds.",
            "",
            *[f"- {k}: {v}" for k, v in self.info.items()],
            f"- History: {self.history.events:,} stored events: "
            + ", ".join(f"{k} {v:,}" for k, v in mix.items()),
            "",
            *md_table(SIDE_COLUMNS, side_rows(self.sides, self.sides[0])),
            "",
            *[f"- {v}" for v in self.verdicts()],
            *([f"\n**{noisy(self.sides)}**"] if noisy(self.sides) else []),
            "",
            *md_table(MEMORY_COLUMNS, memory_rows(self.probes)),
            "",
            *md_table(QUOTA_COLUMNS, quota_rows(self.cases)),
        ]
        return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------------


def measure(
    admin_url: str, bench_url: str, args: argparse.Namespace, info: dict[str, str], history: History
) -> Results:
    app = bench_app(bench_url)
    try:
        decode_events = min(args.decode_events or history.events, history.events)
        raw = Side("raw scan (psycopg, keyset pages)", timed(raw_scan(bench_url)), history.events)
        rebuilds = [
            Side(f"rebuild {name}", rebuild_in_child(admin_url, name), history.events)
            for name in args.names
        ]
        decode = Side(
            "library decode (select_notifications + to_domain_event)",
            timed(library_decode(app, decode_events)),
            decode_events,
        )
        console.print("warming up: one raw scan (the table into the OS cache)")
        raw_scan(bench_url)()
        for r in range(args.rounds):
            for side in (raw, *rebuilds, decode):
                console.print(f"round {r + 1}: {side.name} ...")
                side.round()
                console.print(
                    f"  {side.rates[-1]:,.0f} events/s ({side.seconds[-1]:.1f}s), "
                    f"load {load_average()}"
                )
        sides = [raw, *rebuilds]
        if len(rebuilds) > 1:
            every = Side("rebuild, every projection", lambda: {}, history.events)
            for r in range(args.rounds):
                every.add(sum(side.seconds[r] for side in rebuilds))
            sides.append(every)
        sides.append(decode)

        probes: list[dict[str, Any]] = []
        sizes = sorted({int(t) for t in args.memory.split(",") if t.strip()} - {0})
        for name in args.names:
            for n in (size for size in sizes if size < history.events):
                console.print(f"memory: {name}, a side generation up to event {n:,} ...")
                probes.append({"name": name, **in_child(admin_url, "probe", name, str(n))})
            side = next(s for s in rebuilds if s.name == f"rebuild {name}")
            best = min(side.details, key=lambda d: d["seconds"])  # the least disturbed round
            probes.append({"name": f"{name} (rebuild)", "events": history.events, **best})

        console.print("quota report latency ...")
        cases = quota_latencies(app, args.quota_calls, args.quota_seconds)
    finally:
        app.close()
    info["Load average at end"] = load_average()
    return Results(info, history, args.rounds, sides, probes, cases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.projections",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="at least this many")
    parser.add_argument("--branches", type=int, default=20_000)
    parser.add_argument("--communes", type=int, default=200)
    parser.add_argument("--districts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--names",
        type=lambda t: t.split(","),
        default=[LEDGER],
        help=f"projections to rebuild, of {','.join(Projections.names)} (default: {LEDGER}; "
        "the register takes several minutes per rebuild)",
    )
    parser.add_argument(
        "--decode-events",
        type=int,
        default=250_000,
        help="events the library decode side reads per round (0: all)",
    )
    parser.add_argument(
        "--memory",
        default="250000,500000",
        help="event counts of the memory probes besides the full rebuild (empty: none)",
    )
    parser.add_argument("--quota-calls", type=int, default=200)
    parser.add_argument("--quota-seconds", type=float, default=15.0, help="budget per case")
    parser.add_argument("--regenerate", action="store_true", help="generate the history again")
    parser.add_argument("--drop", action="store_true", help=f"drop {DBNAME} at the end")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="only profile the catch-up over the first N events",
    )
    parser.add_argument("--profile-name", default=Projections.names[0])
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="eventsourcing setting for the application (default: "
        + ", ".join(f"{k}={v}" for k, v in APP_ENV.items())
        + "); repeatable",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--markdown", type=Path, default=Path("var/bench/projections.md"))
    args = parser.parse_args(argv)

    admin_url = os.environ.get("KETNAP_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    bench_url = with_database(admin_url, DBNAME)
    if args.app_env:
        os.environ[APP_ENV_VAR] = json.dumps(dict(i.split("=", 1) for i in args.app_env))
    if args.child:
        command, name, *rest = args.child
        if command == "rebuild":
            print(json.dumps(child_rebuild(bench_url, name)))
        else:
            print(json.dumps(child_probe(bench_url, name, int(rest[0]))))
        return 0

    info = machine(admin_url, ("eventsourcing", "pydantic", "psycopg"))
    settings = json.loads(os.environ.get(APP_ENV_VAR, "null")) or APP_ENV
    info["Application settings"] = ", ".join(f"{k}={v}" for k, v in settings.items())
    for key, value in info.items():
        console.print(f"[bold]{key}[/]: {value}")
    history = ensure_history(admin_url, bench_url, args)
    try:
        if args.profile:
            out = Path(f"var/bench/projections-profile-{args.profile_name}.txt")
            profile_catch_up(bench_url, args.profile_name, args.profile, out)
            return 0
        mix = history.mix()
        console.print(
            f"history: {history.events:,} events ("
            + ", ".join(f"{k} {v:,}" for k, v in mix.items())
            + ")"
        )
        results = measure(admin_url, bench_url, args, info, history)
    finally:
        if args.drop:
            drop_database(admin_url, DBNAME)
    title = f"{args.rounds} interleaved rounds over {history.events:,} events"
    console.print(table(title, SIDE_COLUMNS, side_rows(results.sides, results.sides[0])))
    for verdict in results.verdicts():
        console.print(verdict)
    if noisy(results.sides):
        console.print(f"[yellow]{noisy(results.sides)}[/]")
    console.print(
        table(
            "Memory of a rebuild (a fresh process each)",
            MEMORY_COLUMNS,
            memory_rows(results.probes),
        )
    )
    console.print(table("Quota report latency", QUOTA_COLUMNS, quota_rows(results.cases)))
    text = results.markdown()
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(text)
    console.print(f"\nMarkdown snippet ({args.markdown}):\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
