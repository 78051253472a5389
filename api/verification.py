"""Tamper evidence: verify the candidacy streams as they lie in the store.

Each candidacy event carries ``prev_hash``, the SHA-256 of the event before it (ADR 0002),
computed over the canonical JSON of topic, originator id, version and payload. The
verifier reads the **raw stored JSON** (not the read models) and, per stream:

- recomputes every event's hash from the stored JSON (``domain.events.hash_payload``) and
  checks it equals the hash of the event decoded from it (``altered``: the JSON was edited
  into something the event would not serialise to, or no longer decodes);
- checks each ``prev_hash`` against the recomputed hash of the event before (``altered``;
  ``reordered`` when it matches another event of the stream stored at another position);
- checks versions are contiguous from 1 (``removed``) and that the store's global order
  (notification ids) follows the versions (``reordered``);
- compares with the events this server's read models took in earlier (a witness): an event
  it read that is gone or differs is ``removed`` or ``altered``. The witness lives in memory
  only, so it catches a truncated tail or a whole deleted stream only while the server that
  saw them runs.

Not yet covered (a later issue): a durable rolling digest over the global notification
order, which would catch a deleted whole stream, a truncated tail or a rewritten chain
across restarts. The whole store is scanned on each run (correct, not fast).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import product
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError, resolve_topic

from api.readmodel import notifications
from domain.candidacy.events import CandidacyEvent
from domain.events import GENESIS_HASH, DomainEvent, hash_payload
from workflows.application import Admissions
from workflows.persistence import PydanticMapper

ProblemKind = Literal["altered", "removed", "reordered"]
Witness = Callable[[UUID], tuple[CandidacyEvent, ...] | None]
_CANDIDACY_MODULE = CandidacyEvent.__module__


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one stored event."""

    candidacy_id: UUID
    position: int
    kind: ProblemKind
    detail: str


@dataclass(frozen=True, slots=True)
class Verification:
    events_checked: int
    streams_checked: int
    problems: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class _Stored:
    """One stored event as found in the store."""

    notification_id: int
    version: int
    topic: str
    payload: dict[str, Any] | None  # the stored JSON; None when it is not JSON any more
    hash: str | None  # recomputed from the stored JSON
    decoded_hash: str | None  # of the event decoded from it; None when it does not decode
    error: str | None = None


def verify_candidacies(
    admissions: Admissions, candidacy_ids: Iterable[UUID] | None = None,
    witness: Witness | None = None,
) -> Verification:  # fmt: skip
    """Verify the given candidacy streams (every candidacy stream in the store and in the
    witness when None)."""
    wanted = set(candidacy_ids) if candidacy_ids is not None else None
    streams: dict[UUID, list[_Stored]] = {cid: [] for cid in wanted or ()}
    mapper = admissions.mapper
    assert isinstance(mapper, PydanticMapper), "ketnap stores through PydanticMapper"
    for page in notifications(admissions):
        for notification in page:
            if notification.topic.partition(":")[0] != _CANDIDACY_MODULE:
                continue
            cid = UUID(str(notification.originator_id))
            if wanted is not None and cid not in wanted:
                continue
            streams.setdefault(cid, []).append(_read(mapper, notification))
    problems: list[Finding] = []
    for cid in sorted(streams, key=str):
        problems += check_stream(cid, streams[cid], witness(cid) if witness else None)
    checked = sum(len(records) for records in streams.values())
    return Verification(checked, len(streams), tuple(problems))


def _read(mapper: PydanticMapper, notification: Notification) -> _Stored:
    nid, version, topic = notification.id, notification.originator_version, notification.topic
    try:
        payload = mapper.decode_state(notification)
    except (ValueError, TopicError) as exc:
        return _Stored(nid, version, topic, None, None, None, error=type(exc).__name__)
    stored = _Stored(nid, version, topic, payload, hash_payload(topic, payload), None)
    try:
        cls = resolve_topic(topic)
        if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
            raise TopicError(f"{topic} is not an event class")
        event = cls.model_validate(payload)
    except (ValueError, TopicError) as exc:
        return replace(stored, error=type(exc).__name__)
    return replace(stored, decoded_hash=event.content_hash())


def check_stream(
    candidacy_id: UUID, stored: list[_Stored], witnessed: tuple[CandidacyEvent, ...] | None
) -> list[Finding]:
    """The problems of one stream, ordered by position, at most one per position and kind."""
    found: dict[tuple[int, ProblemKind], str] = {}

    def report(position: int, kind: ProblemKind, detail: str) -> None:
        found.setdefault((position, kind), detail)

    records = sorted(stored, key=lambda r: r.version)
    by_version = {r.version: r for r in records}
    expected = 1
    previous: _Stored | None = None
    for record in records:
        for missing in range(expected, record.version):
            report(missing, "removed", f"position {missing} is missing from the store")
        expected = record.version + 1
        if previous is not None and record.notification_id < previous.notification_id:
            report(record.version, "reordered", f"stored before position {previous.version} "
                   "in the store's global order")  # fmt: skip
        previous = record
        if record.decoded_hash is None:
            report(record.version, "altered", f"the stored event no longer decodes "
                   f"({record.error})")  # fmt: skip
        elif record.hash != record.decoded_hash:
            report(record.version, "altered", "the stored JSON is not what the recorded "
                   "event serialises to")  # fmt: skip
    for record in records:
        _check_link(record, by_version, report)
    for event in witnessed or ():
        position = event.originator_version
        seen = by_version.get(position)
        if seen is None:
            report(position, "removed", "this server read the event earlier; it is no longer "
                   "in the store")  # fmt: skip
        elif (
            seen.hash is not None and seen.hash != event.content_hash()
            and (position, "reordered") not in found
        ):  # fmt: skip
            report(position, "altered", "differs from the event as this server read it earlier")
    return [
        Finding(candidacy_id, position, kind, detail)
        for (position, kind), detail in sorted(found.items())
    ]


def _check_link(
    record: _Stored, by_version: dict[int, _Stored], report: Callable[[int, ProblemKind, str], None]
) -> None:
    """Check that ``record`` names the hash of the event before it. When it names another
    event of the stream (at whatever position), the events were reordered."""
    if record.payload is None:
        return
    recorded = record.payload.get("prev_hash")
    before = record.version - 1
    if before == 0:
        if recorded != GENESIS_HASH:
            report(record.version, "altered", "the first event does not start the chain")
        return
    prior = by_version.get(before)
    if prior is None or prior.hash is None or recorded == prior.hash:
        return  # a missing or undecodable prior event is reported as such
    last = max(by_version)
    topics = {r.topic for r in by_version.values()}
    for other in by_version.values():
        if other.payload is None or other is record:
            continue
        for version, topic in product(range(1, last + 1), topics):
            if other is prior and version == before and topic == prior.topic:
                continue
            if recorded != hash_payload(topic, {**other.payload, "originator_version": version}):
                continue
            report(record.version, "reordered", f"position {record.version} follows the event "
                   f"stored at position {other.version}, not the one at {before}")  # fmt: skip
            return
    report(before, "altered", f"position {before} does not hash to the value position "
           f"{record.version} recorded for it")  # fmt: skip
