"""What both benchmarks share: the scratch database, the machine description, and the
command they repeat (a verification request, valid any number of times)."""

from __future__ import annotations

import os
import platform
from datetime import date
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from workflows import commands as c

SUBJECTS = ("father", "mother", "spouse", "child", "guardian", "spouse_father")
REQUESTED_ON = date(2023, 4, 3)


def verification_request(k: int) -> c.RecordVerification:
    """The ``k``-th command of a series: a verification request for some subject."""
    return c.RecordVerification(subject=SUBJECTS[k % len(SUBJECTS)], requested_on=REQUESTED_ON)


def with_database(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


def drop_database(admin_url: str, dbname: str) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


def recreate_database(admin_url: str, dbname: str) -> None:
    """A fresh, empty database ``dbname`` (dropped first if a run left one behind)."""
    drop_database(admin_url, dbname)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the figures."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (on {os.cpu_count()} CPUs)"


def machine(admin_url: str | None, libraries: tuple[str, ...]) -> dict[str, str]:
    """The machine, the PostgreSQL server (when ``admin_url``) and library versions."""
    info = {
        "CPU": f"{os.cpu_count()} × {cpu_model()} (nproc {len(os.sched_getaffinity(0))})",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Libraries": ", ".join(f"{name} {version(name)}" for name in libraries),
    }
    if admin_url is not None:
        with psycopg.connect(admin_url, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            pg = row[0] if row else "unknown"
            row = conn.execute("SHOW synchronous_commit").fetchone()
            sync = row[0] if row else "unknown"
        parts = urlsplit(admin_url)
        info["PostgreSQL"] = (
            f"{pg} on {parts.hostname}:{parts.port or 5432} (synchronous_commit={sync})"
        )
    info["Load average at start"] = load_average()
    return info
