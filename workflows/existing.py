"""Which of many aggregates exist, and at which version, in one query per thousand ids
instead of a read each (the library reads one aggregate at a time): an import asks it of a
batch of rows' idempotency records before running them, so a new row costs no lookup of
its own; a list of candidacies asks their versions, so the cached ones are not read again."""

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


def latest_versions(recorder: AggregateRecorder, ids: Collection[UUID]) -> dict[UUID, int]:
    """The newest stored version of each of ``ids`` that has events."""
    wanted = list(ids)
    found: dict[UUID, int] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        if isinstance(recorder, PostgresAggregateRecorder):
            statement = SQL(
                "SELECT originator_id, max(originator_version) AS version FROM {schema}.{table} "
                "WHERE originator_id = ANY(%s) GROUP BY originator_id"
            ).format(
                schema=Identifier(recorder.datastore.schema),
                table=Identifier(recorder.events_table_name),
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, (chunk,))
                for row in cursor.fetchall():
                    found[UUID(str(row["originator_id"]))] = int(row["version"])
        elif isinstance(recorder, SQLiteAggregateRecorder):
            marks = ",".join("?" * len(chunk))
            statement_text = (
                "SELECT originator_id, max(originator_version) AS version FROM "
                f"{recorder.events_table_name} WHERE originator_id IN ({marks}) "
                "GROUP BY originator_id"
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement_text, [i.hex for i in chunk])
                for row in cursor.fetchall():
                    found[UUID(str(row["originator_id"]))] = int(row["version"])
        else:  # in memory: one read each is cheap
            for i in chunk:
                events = recorder.select_events(i, desc=True, limit=1)
                if events:
                    found[i] = events[0].originator_version
    return found
