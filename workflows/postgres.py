"""A PostgreSQL application recorder that writes in one round trip and keeps commit order.

The library's default insert sends ``SET LOCAL lock_timeout``, ``LOCK TABLE ... IN
EXCLUSIVE MODE``, ``NOTIFY`` and the ``INSERT`` as a pipelined transaction with two syncs;
its optional database function (``POSTGRES_ENABLE_DB_FUNCTIONS``) is one round trip but
drops the table lock, so notification ids may commit out of order and a reader tailing the
log could pass over an event that commits later. This recorder installs its own function
that takes the same table lock, notifies and inserts, so it keeps the library's ordering
guarantee at the cost of one round trip. Chosen with ``APPLICATION_RECORDER_TOPIC``
(the library's mechanism); see ADR 0008 and docs/performance.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

# One transaction at a time creates or replaces ketnap's tables and functions.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ketnap-schema'))"


class OrderedPostgresRecorder(PostgresApplicationRecorder):
    """One call per save: lock the table, notify, insert, return the notification ids."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
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
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_call_ordered_insert, (rows,), prepare=True)
            return [row[self.ordered_function_name] for row in curs.fetchall()]
