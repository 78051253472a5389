"""Where the persisted projections keep their tables: the library's tracking recorders.

Each projection view is an ``eventsourcing`` tracking recorder (``SQLiteTrackingRecorder``
or ``PostgresTrackingRecorder``) over the same database as the events, with its own tables
named ``<projection>_g<generation>_<table>`` and its own tracking table. A page of events is
applied in one transaction that also writes the tracking record (``_insert_tracking``), so
each event is applied exactly once, whatever crashes.

Generations make rebuilds safe: ``ketnap projections rebuild NAME`` fills generation N+1
beside the live generation N, then one transaction points ``ketnap_projection`` at N+1.
Readers look the generation up in the same snapshot as their query, so they see the old
view or the new one, never a half-built one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

__all__ = [
    "META_TABLE",
    "POSTGRES",
    "SQLITE",
    "Cursor",
    "Dialect",
    "PostgresView",
    "SQLiteView",
    "Snapshot",
    "View",
    "snapshot",
]

META_TABLE = "ketnap_projection"


class Cursor(Protocol):
    def execute(self, query: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, query: Any, params_seq: Any, /) -> Any: ...
    def fetchall(self) -> Any: ...
    def fetchone(self) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    """What differs between the two stores, in the SQL the projections write."""

    name: str  # "sqlite" | "postgresql"
    param: str  # "?" | "%s"
    date_type: str
    time_type: str
    json_type: str

    def params(self, count: int) -> str:
        return ", ".join([self.param] * count)


SQLITE = Dialect("sqlite", "?", "TEXT", "TEXT", "TEXT")
POSTGRES = Dialect("postgresql", "%s", "DATE", "TIMESTAMPTZ", "TEXT")


class View(Protocol):
    """What a projection needs of its view, whichever the store."""

    dialect: Dialect
    prefix: str
    tracking_table: str

    def create_table(self) -> None: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...
    def write(self) -> Any: ...  # context manager yielding a Cursor, committing
    def read(self) -> Any: ...  # context manager yielding a Cursor, one snapshot
    def track(self, cursor: Any, tracking: Tracking) -> None: ...
    def lock(self, cursor: Any) -> None: ...  # serialise writers of this view
    def position_in(self, cursor: Any, application_name: str) -> int: ...
    def copy_rows(
        self, cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None: ...
    def drop(self) -> None: ...
    def upsert(
        self, cursor: Any, table: str, key: str, rows: Sequence[tuple[str, str]]
    ) -> None: ...


def _meta_statement(dialect: Dialect) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name TEXT PRIMARY KEY, "
        "generation INTEGER NOT NULL, building INTEGER)"
    )


class SQLiteView(SQLiteTrackingRecorder):
    """A projection's tables and tracking table in the embedded SQLite store."""

    dialect = SQLITE

    def __init__(self, datastore: SQLiteDatastore, *, prefix: str, tables: Sequence[str]):
        self.prefix = prefix
        self.tracking_table = f"{prefix}tracking"
        self._tables = list(tables)
        super().__init__(datastore)
        t = self.tracking_table
        self.insert_tracking_statement = self.insert_tracking_statement.replace(
            "INTO tracking", f"INTO {t}"
        ).replace("WHERE tracking.", f"WHERE {t}.")
        self.select_max_tracking_id_statement = self.select_max_tracking_id_statement.replace(
            "FROM tracking", f"FROM {t}"
        )

    def construct_create_table_statements(self) -> list[str]:
        statements = [
            s.replace("EXISTS tracking (", f"EXISTS {self.tracking_table} (")
            for s in super().construct_create_table_statements()
        ]
        return [_meta_statement(SQLITE), *statements, *self._tables]

    @contextmanager
    def write(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute("SELECT 1")  # the transaction holds from here
            yield cursor

    @contextmanager
    def read(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            yield cursor

    def track(self, cursor: Any, tracking: Tracking) -> None:
        self._insert_tracking(cursor, tracking)

    def lock(self, cursor: Any) -> None:
        # Take SQLite's write lock now, so the position read next cannot go stale.
        cursor.execute(f"DELETE FROM {self.tracking_table} WHERE 0")

    def position_in(self, cursor: Any, application_name: str) -> int:
        return int(self._max_tracking_id(application_name, cursor) or 0)

    def copy_rows(
        self, cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if rows:
            marks = SQLITE.params(len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def upsert(self, cursor: Any, table: str, key: str, rows: Sequence[tuple[str, str]]) -> None:
        """Insert or replace (key, JSON text) rows."""
        if rows:
            cursor.executemany(
                f"INSERT INTO {table} ({key}, data) VALUES (?, ?) "
                f"ON CONFLICT ({key}) DO UPDATE SET data = excluded.data",
                rows,
            )

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            for name in _created_tables(self._tables, self.tracking_table):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")


class PostgresView(PostgresTrackingRecorder):
    """A projection's tables and tracking table in PostgreSQL."""

    dialect = POSTGRES

    def __init__(self, datastore: PostgresDatastore, *, prefix: str, tables: Sequence[str]):
        self.prefix = prefix
        self._tables = list(tables)
        super().__init__(datastore, tracking_table_name=f"{prefix}tracking")
        self.tracking_table = self.tracking_table_name

    def _create_table(self, curs: Any) -> None:
        curs.execute("SELECT pg_advisory_xact_lock(hashtext('ketnap-schema'))", prepare=False)
        super()._create_table(curs)

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ketnap-schema'))")
            cursor.execute(_meta_statement(POSTGRES))
            for statement in self._tables:
                cursor.execute(statement)

    @contextmanager
    def write(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as cursor:
            # A page's Python work runs inside its transaction: on a busy machine it can
            # outlast the library's idle-in-transaction limit (5 s by default).
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = '300s'")
            yield cursor

    @contextmanager
    def read(self) -> Iterator[Any]:
        with self.datastore.get_connection() as conn, conn.transaction(force_rollback=True):
            cursor = conn.cursor()
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cursor

    def track(self, cursor: Any, tracking: Tracking) -> None:
        self._insert_tracking(cursor, tracking)

    def lock(self, cursor: Any) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.tracking_table,))

    def position_in(self, cursor: Any, application_name: str) -> int:
        return int(self._max_tracking_id(application_name, cursor) or 0)

    def copy_rows(
        self, cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if rows:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def upsert(self, cursor: Any, table: str, key: str, rows: Sequence[tuple[str, str]]) -> None:
        """Insert or replace (key, JSON text) rows: COPY into a temporary table, then one
        INSERT ... ON CONFLICT (not one round trip per row; array parameters are slow to
        encode)."""
        if rows:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS ketnap_upsert (k TEXT, data TEXT) "
                "ON COMMIT DELETE ROWS"
            )
            with cursor.copy("COPY ketnap_upsert (k, data) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({key}, data) SELECT k, data FROM ketnap_upsert "
                f"ON CONFLICT ({key}) DO UPDATE SET data = excluded.data"
            )
            cursor.execute("TRUNCATE ketnap_upsert")

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            for name in _created_tables(self._tables, self.tracking_table):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")


@dataclass(frozen=True)
class Snapshot:
    """One read transaction on a projection's live generation."""

    cursor: Any
    prefix: str
    dialect: Dialect
    generation: int


@contextmanager
def snapshot(view_for: Callable[[int], View], name: str) -> Iterator[Snapshot]:
    """Read the live generation of projection ``name`` and its rows in one snapshot, so a
    swap by a rebuild is seen wholly or not at all."""
    view = view_for(1)
    with view.read() as cursor:
        cursor.execute(
            f"SELECT generation FROM {META_TABLE} WHERE name = {view.dialect.param}", (name,)
        )
        row = cursor.fetchone()
        generation = int(row["generation"]) if row is not None else 1
        yield Snapshot(cursor, view_for(generation).prefix, view.dialect, generation)


def select_json(
    view: View, cursor: Any, table: str, key: str, keys: Sequence[str]
) -> dict[str, Any]:
    """The parsed JSON ``data`` of the rows of ``table`` whose ``key`` is in ``keys``
    (the counterpart of ``upsert``; read in chunks of 500 keys)."""
    found: dict[str, Any] = {}
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        cursor.execute(
            f"SELECT {key} AS k, data FROM {table} WHERE {key} IN "
            f"({view.dialect.params(len(chunk))})",
            chunk,
        )
        for row in cursor.fetchall():
            found[row["k"]] = orjson.loads(row["data"])
    return found


def _created_tables(statements: Sequence[str], tracking_table: str) -> list[str]:
    names = [tracking_table]
    for statement in statements:
        words = statement.split()
        if words[:2] == ["CREATE", "TABLE"]:
            names.append(words[5] if words[2:5] == ["IF", "NOT", "EXISTS"] else words[2])
    return names


def is_sqlite(datastore: object) -> bool:
    return isinstance(datastore, SQLiteDatastore)


def sqlite_error() -> type[Exception]:
    return sqlite3.Error
