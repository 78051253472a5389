"""Which of many aggregates exist, in one query per thousand ids instead of a read each:
an import asks it of a batch of rows' idempotency records before running them, so a new
row costs no lookup of its own (the library reads one aggregate at a time)."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

CHUNK = 1_000


def existing_ids(recorder: AggregateRecorder, ids: Collection[UUID]) -> set[UUID]:
    """The ids among ``ids`` that have a first event in the store."""
    wanted = list(ids)
    found: set[UUID] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        if isinstance(recorder, PostgresAggregateRecorder):
            statement = SQL(
                "SELECT originator_id FROM {schema}.{table} "
                "WHERE originator_id = ANY(%s) AND originator_version = 1"
            ).format(
                schema=Identifier(recorder.datastore.schema),
                table=Identifier(recorder.events_table_name),
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, (chunk,))
                found.update(UUID(str(row["originator_id"])) for row in cursor.fetchall())
        elif isinstance(recorder, SQLiteAggregateRecorder):
            marks = ",".join("?" * len(chunk))
            statement_text = (
                f"SELECT originator_id FROM {recorder.events_table_name} "
                f"WHERE originator_id IN ({marks}) AND originator_version = 1"
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement_text, [i.hex for i in chunk])
                found.update(UUID(str(row["originator_id"])) for row in cursor.fetchall())
        else:  # in memory: one read each is cheap
            found.update(i for i in chunk if recorder.select_events(i, limit=1))
    return found
