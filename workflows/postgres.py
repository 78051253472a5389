"""A PostgreSQL application recorder that writes in one round trip and keeps commit order.

The library's default insert sends ``SET LOCAL lock_timeout``, ``LOCK TABLE ... IN
EXCLUSIVE MODE``, ``NOTIFY`` and the ``INSERT`` as a pipelined transaction with two syncs;
its optional database function (``POSTGRES_ENABLE_DB_FUNCTIONS``) is one round trip but
drops the table lock, so notification ids may commit out of order and a reader tailing the
log could pass over an event that commits later. This recorder installs its own function
that takes the same table lock, notifies and inserts, so it keeps the library's ordering
guarantee at the cost of one round trip. Chosen with ``APPLICATION_RECORDER_TOPIC``
(the library's mechanism); see ADR 0008 and docs/performance.md.

It also keeps the process answering while the database falters (ADR 0015):

- connections: libpq ``connect_timeout`` and ``statement_timeout`` on every connection, a
  pool that discards dead connections before use (``POSTGRES_PRE_PING``, set by
  ``api.settings.persistence_env``) and, after an
  outage, gives up on a backed-off reconnection within seconds so the next request
  connects at once (``RECONNECT_TIMEOUT``);
- a ``StoreGate`` on the datastore: after a connection-level failure every use fails at
  once (``StoreUnavailable``, which the library does not retry), so no request waits on a
  store that is down, while a background probe connects every ``PROBE_SECONDS`` and opens
  the gate again as soon as one succeeds;
- ``insert_events`` retries what never reached the server (no connection) as the library
  does, and raises ``WriteOutcomeUnknown`` for a failure after the statement was sent:
  that write may have committed, so it is retried only through its idempotency record
  (``workflows.store``), never blindly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

log = structlog.get_logger("ketnap.store")

# One transaction at a time creates or replaces ketnap's tables and functions.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ketnap-schema'))"


# How long a connection attempt, and any one statement, may take (seconds).
CONNECT_TIMEOUT = 2
STATEMENT_TIMEOUT = 30
# Give up a backed-off reconnection after this long: the next request then connects at once
# (the pool's backoff doubles up to a minute and more, which would delay recovery).
RECONNECT_TIMEOUT = 4.0
# While the store is down, a background probe tries to connect this often.
PROBE_SECONDS = 0.5
# Attempts for a write that never reached the server (the library's own retry is 10 x 0.2 s).
WRITE_ATTEMPTS = 5
WRITE_WAIT = 0.2


class StoreUnavailable(PersistenceError):
    """The store does not answer (or did not, a moment ago): nothing was read or written
    (HTTP 503 with Retry-After). Not an ``OperationalError``, so the library's retries
    (ten attempts) do not wait on a store known to be down."""


class WriteOutcomeUnknown(OperationalError):
    """The store stopped answering after a write was sent: it may have been recorded. Only
    its idempotency record may tell (HTTP 503 unless the command carried a key)."""


def _connection_errors(pool: Any) -> int:
    return int(pool.get_stats().get("connections_errors", 0))


def _connection_lost(exc: BaseException, pool: Any, errors_before: int) -> bool:
    """Whether a failure says the store is unreachable (not a statement that failed, nor a
    pool busy with other requests: a wait that timed out counts only if the pool failed to
    connect meanwhile)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, StoreUnavailable):
            return True
        if isinstance(cause, PoolTimeout):
            return _connection_errors(pool) > errors_before
        if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
            state = getattr(cause, "sqlstate", None)
            # No SQLSTATE: the client lost the server; 08: connection exception; 57P: the
            # server is shutting down, crashed or cannot connect now.
            return state is None or state.startswith(("08", "57P"))
        cause = cause.__cause__ or cause.__context__
    return False


class StoreGate:
    """Fail fast while the store is down: after a connection-level failure every use raises
    ``StoreUnavailable`` at once, and a background thread tries ``probe`` every
    ``PROBE_SECONDS`` until it succeeds, which opens the gate again."""

    def __init__(self, probe: Callable[[], None], clock: Callable[[], float] = time.monotonic):
        self.probe = probe
        self.clock = clock
        self.down_since: float | None = None
        self._lock = threading.Lock()
        self._prober: threading.Thread | None = None

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def enter(self) -> None:
        down_since = self.down_since
        if down_since is not None:
            waited = self.clock() - down_since
            raise StoreUnavailable(f"the event store has not answered for {waited:.1f} s")

    def failed(self) -> None:
        with self._lock:
            if self.down_since is None:
                self.down_since = self.clock()
                log.warning("store.down")
            if self._prober is None:
                self._prober = threading.Thread(
                    target=self._probe_until_up, name="ketnap-store-probe", daemon=True
                )
                self._prober.start()

    def _probe_until_up(self) -> None:
        while True:
            time.sleep(PROBE_SECONDS)
            try:
                self.probe()
            except Exception:  # still down (or not yet reachable): keep probing
                continue
            with self._lock:
                down_for = self.clock() - (self.down_since or self.clock())
                self.down_since = None
                self._prober = None
            log.warning("store.up", down_seconds=round(down_for, 2))
            return


def guard(datastore: PostgresDatastore) -> StoreGate:
    """Harden a datastore before its pool opens (timeouts, pre-ping, quick reconnection)
    and put a ``StoreGate`` in front of its connections; the gate (one per datastore)."""
    existing = getattr(datastore, "ketnap_gate", None)
    if isinstance(existing, StoreGate):
        return existing
    pool = datastore.pool
    kwargs = pool.kwargs
    assert isinstance(kwargs, dict)
    kwargs["connect_timeout"] = CONNECT_TIMEOUT
    kwargs["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT * 1000}"
    pool.reconnect_timeout = RECONNECT_TIMEOUT

    def probe() -> None:
        settings = {k: v for k, v in kwargs.items() if k != "row_factory"}
        if pool.get_password_func is not None:
            settings["password"] = pool.get_password_func()
        psycopg.connect(**settings).close()

    gate = StoreGate(probe)
    unguarded = datastore.get_connection

    @contextmanager
    def get_connection() -> Iterator[Connection[DictRow]]:
        gate.enter()
        errors_before = _connection_errors(pool)
        try:
            with unguarded() as conn:
                yield conn
        except (OperationalError, InterfaceError) as exc:
            if _connection_lost(exc, pool, errors_before):
                gate.failed()
            raise

    datastore.get_connection = get_connection  # type: ignore[method-assign]
    datastore.ketnap_gate = gate  # type: ignore[attr-defined]
    return gate


class OrderedPostgresRecorder(PostgresApplicationRecorder):
    """One call per save: lock the table, notify, insert, return the notification ids."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        self.gate = guard(datastore)
        super().__init__(datastore, **kwargs)
        self.ordered_function_name = f"ketnap_insert_{self.events_table_name}"[:63]
        schema = Identifier(self.datastore.schema)
        function = Identifier(self.ordered_function_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {schema}.{table} AS t "
                "(originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
                "RETURNING notification_id; "
                "END; $BODY$"
            ).format(
                schema=schema,
                function=function,
                event=Identifier(self.stored_event_type_name),
                lock_timeout=self.datastore.lock_timeout,
                table=Identifier(self.events_table_name),
                channel=Identifier(self.channel_name),
            )
        )
        self.sql_call_ordered_insert = SQL("SELECT * FROM {schema}.{function}((%s))").format(
            schema=schema, function=function
        )

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # Processes starting together (API workers, a projection runner) would otherwise
        # race on CREATE OR REPLACE FUNCTION ("tuple concurrently updated").
        curs.execute(SCHEMA_LOCK, prepare=False)
        super()._create_table(curs)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:
            msg = "OrderedPostgresRecorder records application events only, not tracking"
            raise NotImplementedError(msg)
        if not stored_events:
            return []
        rows = [
            self.construct_pg_stored_event(
                originator_id=e.originator_id,
                originator_version=e.originator_version,
                topic=e.topic,
                state=e.state,
            )
            for e in stored_events
        ]
        # get_connection commits on success and turns a unique violation into the
        # library's IntegrityError, as the default path does.
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            sent = False
            try:
                with self.datastore.get_connection() as conn, conn.cursor() as curs:
                    sent = True
                    curs.execute(self.sql_call_ordered_insert, (rows,), prepare=True)
                    return [row[self.ordered_function_name] for row in curs.fetchall()]
            except (OperationalError, InterfaceError) as exc:
                if sent:
                    msg = f"the event store stopped answering during a write: {exc}"
                    raise WriteOutcomeUnknown(msg) from exc
                if attempt == WRITE_ATTEMPTS:
                    raise
                time.sleep(WRITE_WAIT)
        raise AssertionError("unreachable")
