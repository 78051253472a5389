"""Commands per second through the HTTP API against the same commands in process.

Run with ``make bench`` (after ``tests.bench.run``) or ``python -m tests.bench.http``. Not a
pytest module.

Both sides run the same command, ``RecordVerification`` (a request for a background check
of one subject, valid any number of times at the verification stage), on candidacies at the
verification stage, from the same number of concurrent workers, on the same store:

- **HTTP**: worker threads, each with its own keep-alive ``httpx.Client``, send
  ``POST /candidacies/{id}/verifications`` to ``ketnap serve`` started by this script in a
  subprocess on ``127.0.0.1`` (a free port) with an admin token (``KETNAP_ADMIN_TOKEN``;
  ``--board``: a board token over the candidacies' commune, so each request also reads
  the token and walks the tree for the subtree check):
  uvicorn, one worker, FastAPI's thread pool, the store's connection pool
  (``KETNAP_POSTGRES_POOL_SIZE``), one JSON log line per request. ``--no-projections`` by
  default, so the server does the same work as the other side (``--projections`` keeps the
  read models caught up in the server, as a lone ``ketnap serve`` does).
- **in process**: the same number of threads call ``Admissions.execute`` on one
  application built like the server's (``api.bootstrap.build_app``, same pool size).

Each side has its own candidacies (so their streams grow alike) and each worker its own
share of them (so no two workers write one candidacy at once). Rounds are interleaved
(HTTP and in process at 8 clients, then at 32, then again) so drift of the machine hits
both sides alike; figures are medians over rounds, latencies are percentiles over every
command of a series. CPU seconds per command are read from ``/proc`` for the server and
from ``os.times`` for this process (the HTTP clients, or the in-process workers).

The stores: PostgreSQL, in the database ``ketnap_bench_http`` created and dropped on the
server named by ``KETNAP_BENCH_POSTGRES_URL`` (an admin URL; default
``postgresql://postgres@127.0.0.1:5432/postgres``), then an SQLite file in a temporary
directory (``--no-postgres``, ``--no-sqlite`` skip one). Results also go to
``var/bench/http.md`` (``--markdown``), the server's log to ``var/bench/http-server.log``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx
from rich.console import Console
from rich.table import Table

from api.bootstrap import build_app
from api.settings import Settings
from domain.access import Role
from tests.bench.common import (
    REQUESTED_ON,
    SUBJECTS,
    drop_database,
    load_average,
    machine,
    recreate_database,
    verification_request,
    with_database,
)
from tests.scenario import ADMIN, Tree, build_tree, drive, nominate, path_to_official
from workflows.application import Admissions

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DBNAME = "ketnap_bench_http"
VERIFICATION = 6  # steps of path_to_official() that reach the verification stage
GOAL = 0.5  # HTTP >= 0.5 x in process at 8 clients (the issue's target)
GOAL_CLIENTS = 8
POOL_SIZE = 10  # KETNAP_POSTGRES_POOL_SIZE for both sides (the setting's default)
STARTUP_SECONDS = 60.0

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=160)  # piped (make bench | tee): keep table rows on one line


# --- the machine and the stores ---------------------------------------------------------


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid``, its threads and its
    live child processes (the workers of ``ketnap serve --workers N``)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # itself, or a child
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    token: str
    log: Path


@contextmanager
def served(
    database_url: str, projections: bool, log_dir: Path, workers: int = 1
) -> Iterator[Server]:
    """``ketnap serve`` on 127.0.0.1 in a subprocess, stopped (SIGTERM, then SIGKILL) on exit."""
    port = free_port()
    token = "bench-" + secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "KETNAP_DATABASE_URL": database_url,
        "KETNAP_ADMIN_TOKEN": token,
        "KETNAP_POSTGRES_POOL_SIZE": str(POOL_SIZE),
    }
    command = [
        sys.executable,
        "-c",
        "from api.cli.main import main; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if not projections:
        command.append("--no-projections")
    if workers > 1:
        command += ["--workers", str(workers)]
    log = log_dir / "http-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", token, log)
    try:
        wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=server.base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                break
            try:
                if client.get("/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the server did not become ready; its log ends with:\n{tail}")


# --- the two sides ---------------------------------------------------------------------


def body(k: int) -> dict[str, str]:
    return {"subject": SUBJECTS[k % len(SUBJECTS)], "requested_on": REQUESTED_ON.isoformat()}


Worker = Callable[[int, UUID], None]  # (k, candidacy) -> None; raises on failure


def in_process_worker(app: Admissions) -> Worker:
    def run(k: int, candidacy: UUID) -> None:
        app.execute(candidacy, verification_request(k), ADMIN)

    return run


class HttpWorkers:
    """One keep-alive client per worker thread (worker ``w`` always uses client ``w``)."""

    def __init__(self, server: Server, count: int, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token or server.token}"}
        self.clients = [
            httpx.Client(base_url=server.base_url, headers=headers, timeout=30)
            for _ in range(count)
        ]

    def worker(self, w: int) -> Worker:
        client = self.clients[w]

        def run(k: int, candidacy: UUID) -> None:
            response = client.post(f"/candidacies/{candidacy}/verifications", json=body(k))
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")

        return run

    def close(self) -> None:
        for client in self.clients:
            client.close()


# --- measuring -------------------------------------------------------------------------


@dataclass
class Series:
    store: str
    side: str  # "HTTP" or "in process"
    clients: int
    workers: Callable[[int], Worker]  # worker index -> worker
    candidacies: list[UUID]
    cpu: Callable[[], float]  # CPU seconds of the process doing the side's work
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    cpu_per_command: list[float] = field(default_factory=list)  # of `cpu`, seconds
    client_cpu_per_command: list[float] = field(default_factory=list)  # HTTP: this process

    def round(self, commands: int, offset: int) -> None:
        """``commands`` commands from ``clients`` threads, each on its own candidacies."""
        per_worker = [
            commands // self.clients + (w < commands % self.clients) for w in range(self.clients)
        ]
        shares = [self.candidacies[w :: self.clients] for w in range(self.clients)]
        latencies: list[list[float]] = [[] for _ in range(self.clients)]
        errors: list[BaseException] = []
        start = threading.Barrier(self.clients + 1, timeout=60)

        def work(w: int) -> None:
            start.wait()
            try:
                run, share, out = self.workers(w), shares[w], latencies[w]
                for i in range(per_worker[w]):
                    k = offset + i * self.clients + w
                    t = time.perf_counter()
                    run(k, share[i % len(share)])
                    out.append(time.perf_counter() - t)
            except BaseException as exc:  # reported after the round
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(w,), daemon=True) for w in range(self.clients)
        ]
        for thread in threads:
            thread.start()
        cpu0, own0 = self.cpu(), own_cpu()
        start.wait()
        t0 = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - t0
        cpu1, own1 = self.cpu(), own_cpu()
        if errors:
            raise RuntimeError(f"{self.name}: {len(errors)} worker(s) failed") from errors[0]
        self.rates.append(commands / elapsed)
        self.latencies.extend(x for chunk in latencies for x in chunk)
        self.cpu_per_command.append((cpu1 - cpu0) / commands)
        self.client_cpu_per_command.append((own1 - own0) / commands)

    @property
    def name(self) -> str:
        return f"{self.store}, {self.side}, {self.clients} clients"

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    def latency_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def cpu_ms(self) -> float:
        return 1000 * statistics.median(self.cpu_per_command)

    def client_cpu_ms(self) -> float:
        return 1000 * statistics.median(self.client_cpu_per_command)


@dataclass
class Pair:
    http: Series
    local: Series

    @property
    def ratio(self) -> float:
        return self.http.median / self.local.median


def candidacies_at_verification(app: Admissions, count: int) -> tuple[Tree, list[UUID]]:
    tree = build_tree(app)
    cids = []
    for i in range(count):
        cid = nominate(app, tree, full_name=f"Ứng viên {i}")
        drive(app, cid, path_to_official(tree), upto=VERIFICATION)
        cids.append(cid)
    return tree, cids


def measure(store: str, database_url: str, args: argparse.Namespace, log_dir: Path) -> list[Pair]:
    """Set up the store, start the server, run the interleaved rounds."""
    settings = Settings(database_url=database_url, postgres_pool_size=POOL_SIZE)
    app = build_app(settings)
    try:
        t = time.perf_counter()
        tree, over_http = candidacies_at_verification(app, args.candidacies)
        _, in_process = candidacies_at_verification(app, args.candidacies)
        token = None
        if args.board:  # a board over the commune: the API checks the token and the subtree
            token, _ = app.issue_token(Role.BOARD, tree.commune, "bench board", ADMIN)
        console.print(
            f"{store}: 2 × {args.candidacies} candidacies at the verification stage "
            f"in {time.perf_counter() - t:.1f}s"
        )
        with served(database_url, args.projections, log_dir, args.workers) as server:
            http = HttpWorkers(server, max(args.clients), token)
            local = in_process_worker(app)
            pid = server.process.pid
            pairs = [
                Pair(
                    Series(store, "HTTP", n, http.worker, over_http, lambda: process_cpu(pid)),
                    Series(store, "in process", n, lambda _w: local, in_process, own_cpu),
                )
                for n in args.clients
            ]
            try:
                for pair in pairs:  # warm up: connections, prepared statements, caches
                    for series in (pair.http, pair.local):
                        series.round(min(args.commands, 4 * series.clients), 0)
                        series.rates.clear()
                        series.latencies.clear()
                        series.cpu_per_command.clear()
                        series.client_cpu_per_command.clear()
                offset = 1000
                for r in range(args.rounds):
                    done = []
                    for pair in pairs:
                        for series in (pair.http, pair.local):
                            series.round(args.commands, offset)
                            offset += args.commands
                            done.append(
                                f"{series.side} ×{series.clients} {series.rates[-1]:,.0f}/s"
                            )
                    console.print(f"{store} round {r + 1}: " + ", ".join(done))
            finally:
                http.close()
    finally:
        app.close()
    return pairs


# --- reporting -------------------------------------------------------------------------

COLUMNS = (
    "store",
    "clients",
    "side",
    "median cmd/s",
    "min–max cmd/s",
    "p50 ms",
    "p99 ms",
    "CPU ms/cmd",
    "HTTP ÷ in process",
)


def rows(pairs: list[Pair]) -> list[list[str]]:
    out = []
    for pair in pairs:
        for series in (pair.local, pair.http):
            cpu = f"{series.cpu_ms():.2f}"
            if series.side == "HTTP":
                cpu += f" + {series.client_cpu_ms():.2f} client"
            out.append(
                [
                    series.store,
                    str(series.clients),
                    series.side,
                    f"{series.median:,.0f}",
                    f"{min(series.rates):,.0f}–{max(series.rates):,.0f}",
                    f"{series.latency_ms(0.5):.2f}",
                    f"{series.latency_ms(0.99):.2f}",
                    cpu,
                    f"**{pair.ratio:.2f}**" if series.side == "HTTP" else "",
                ]
            )
    return out


def table(pairs: list[Pair], title: str) -> Table:
    result = Table(title=title)
    for column in COLUMNS:
        result.add_column(column, justify="left" if column in ("store", "side") else "right")
    for row in rows(pairs):
        result.add_row(*[cell.replace("**", "") for cell in row])
    return result


def verdicts(pairs: list[Pair]) -> list[str]:
    lines = []
    for pair in pairs:
        if pair.http.clients != GOAL_CLIENTS:
            continue
        verdict = "meets" if pair.ratio >= GOAL else "misses"
        lines.append(
            f"{pair.http.store}: HTTP ÷ in process at {GOAL_CLIENTS} clients = "
            f"{pair.ratio:.2f}, {verdict} the goal ≥ {GOAL}"
        )
    return lines


def markdown(info: dict[str, str], title: str, command: str, pairs: list[Pair]) -> str:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M %Z')}: `{command}`; {title}.",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|---|---:|---|" + "---:|" * (len(COLUMNS) - 3),
        *["| " + " | ".join(row) + " |" for row in rows(pairs)],
        "",
        *[f"- {line}" for line in verdicts(pairs)],
        "",
        "CPU ms/cmd: CPU time per command of the process doing the work (the server for "
        "HTTP, plus this process's HTTP clients; the bench process for in process). "
        "PostgreSQL's own CPU is not counted in either.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.http",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--candidacies", type=int, default=256, help="per side")
    parser.add_argument("--commands", type=int, default=480, help="per series and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--clients",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[8, 32],
        help="concurrent clients, e.g. 8,32",
    )
    parser.add_argument(
        "--projections",
        action="store_true",
        help="the server keeps its read models caught up, as a lone "
        "`ketnap serve` does (default: --no-projections)",
    )
    parser.add_argument(
        "--board",
        action="store_true",
        help="send the HTTP commands with a board token over the candidacies' "
        "commune instead of the admin token",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="ketnap serve --workers (server processes; default 2 = nproc)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--markdown", type=Path, default=Path("var/bench/http.md"))
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)
    if args.candidacies < max(args.clients):
        parser.error("--candidacies must be at least the largest --clients")

    admin_url = (
        None if args.no_postgres else os.environ.get("KETNAP_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    )
    info = machine(
        admin_url,
        ("fastapi", "starlette", "uvicorn", "httpx", "eventsourcing", "psycopg"),
    )
    who = "board token" if args.board else "admin token"
    info["Server"] = (
        f"ketnap serve --workers {args.workers} (uvicorn, httptools, uvloop), "
        f"{who}, pool size {POOL_SIZE}, "
        f"projections {'on' if args.projections else 'off'}"
    )
    for key, value in info.items():
        console.print(f"[bold]{key}[/]: {value}")

    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    pairs: list[Pair] = []
    if admin_url is not None:
        recreate_database(admin_url, DBNAME)
        try:
            pairs += measure(
                "PostgreSQL", with_database(admin_url, DBNAME), args, args.markdown.parent
            )
        finally:
            if not args.keep:
                drop_database(admin_url, DBNAME)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="ketnap-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            pairs += measure("SQLite", url, args, args.markdown.parent)

    title = (
        f"{args.rounds} interleaved rounds of {args.commands} RecordVerification per "
        f"series, {args.candidacies} candidacies per side"
    )
    console.print(table(pairs, title))
    for line in verdicts(pairs):
        console.print(line)
    info["Load average at end"] = load_average()
    command = "python -m tests.bench.http " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(info, title, command.strip(), pairs)
    args.markdown.write_text(text)
    console.print(f"\nMarkdown ({args.markdown}):\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
