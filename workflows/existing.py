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
# Per recorder: which of the ids have a first event, and each one's newest version.
_FIRST = (
    "SELECT originator_id, 1 AS version FROM {table} "
    "WHERE originator_id {ids} AND originator_version = 1"
)
_NEWEST = (
    "SELECT originator_id, max(originator_version) AS version FROM {table} "
    "WHERE originator_id {ids} GROUP BY originator_id"
)


def existing_ids(recorder: AggregateRecorder, ids: Collection[UUID]) -> set[UUID]:
    """The ids among ``ids`` that have a first event in the store."""
    return set(_versions(recorder, ids, _FIRST, newest=False))


def latest_versions(recorder: AggregateRecorder, ids: Collection[UUID]) -> dict[UUID, int]:
    """The newest stored version of each of ``ids`` that has events."""
    return _versions(recorder, ids, _NEWEST, newest=True)


def _versions(
    recorder: AggregateRecorder, ids: Collection[UUID], query: str, *, newest: bool
) -> dict[UUID, int]:
    """``query`` (over ``{table}`` and ``{ids}``) run a thousand ids at a time."""
    wanted = list(ids)
    found: dict[UUID, int] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        if isinstance(recorder, PostgresAggregateRecorder):
            table = SQL("{}.{}").format(
                Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
            )
            statement = SQL(query).format(table=table, ids=SQL("= ANY(%s)"))
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, (chunk,))
                rows = cursor.fetchall()
        elif isinstance(recorder, SQLiteAggregateRecorder):
            marks = ",".join("?" * len(chunk))
            text = query.format(table=recorder.events_table_name, ids=f"IN ({marks})")
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(text, [i.hex for i in chunk])
                rows = cursor.fetchall()
        else:  # in memory: one read each is cheap
            for i in chunk:
                events = recorder.select_events(i, desc=newest, limit=1)
                if events and (newest or events[0].originator_version == 1):
                    found[i] = events[0].originator_version
            continue
        for row in rows:
            found[UUID(str(row["originator_id"]))] = int(row["version"])
    return found
