"""Tamper evidence: verify the store as it lies in the database, in one pass.

Two independent checks, both over the **raw stored events** (never the read models):

1. **Hash chains**, per candidacy stream. Each candidacy event carries ``prev_hash``, the
   SHA-256 of the event before it (ADR 0002), computed over the canonical JSON of topic,
   originator id, version and payload. The verifier recomputes every event's hash from the
   stored JSON (``domain.events.hash_payload``, no pydantic) and:

   - checks each ``prev_hash`` against the recomputed hash of the event before
     (``altered``; ``reordered`` when it matches another event of the stream stored at
     another position), and the genesis value on position 1;
   - checks versions run from 1 without gaps (``removed``) and that the store's global
     order (notification ids) follows the versions (``reordered``);
   - decodes the newest event of each stream with its event class and checks it
     serialises back to the stored JSON (``altered``): nothing after it names its hash.

2. **The audit digest** (``projections.digest``, ADR 0011): the rolling digest over the global
   order and the per-stream rows recorded as events arrived. It catches what chains cannot:
   a whole candidacy deleted, the newest events deleted, bytes re-encoded without changing
   the content, and any stream that is not a candidacy. Without an organisation it is
   checked store-wide (every checkpoint window, the tip, every stream); for an organisation
   only the rows of that subtree's candidacies are compared.

Every problem is a ``Finding``: the stream (``candidacy_id`` for candidacies), the position
(version) where it can be named, the kind and a detail. Problems of the global order itself
name a range of notification ids instead. A chain finding and a digest finding about the
same event are reported once (the chain's, which says more).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from itertools import product
from typing import Any, Protocol
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.utils import TopicError, resolve_topic

from domain.candidacy.events import CandidacyEvent
from domain.events import GENESIS_HASH, DomainEvent, hash_payload
from projections.digest import GlobalDigest
from projections.digest_check import STORE, DigestCheck, Finding, ProblemKind
from projections.ledger_reader import LedgerReader
from projections.paging import pages
from projections.register_reader import RegisterReader, candidacies_in_subtree
from workflows.application import Admissions
from workflows.persistence import PydanticMapper

Witness = Callable[[UUID], tuple[CandidacyEvent, ...] | None]
Progress = Callable[[int, int], None]  # (events read, events expected)
_CANDIDACY_MODULE = CandidacyEvent.__module__

__all__ = ["Finding", "ProblemKind", "Verification", "verify_candidacies", "verify_store"]


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """What the audit digest covered in a verification."""

    store_wide: bool  # the global order was checked (not scoped to an organisation)
    position: int  # last notification id the digest recorded
    events: int  # events it recorded up to there
    checkpoints: int
    tip: str | None  # its newest checkpoint digest: anchor it outside the database


@dataclass(frozen=True, slots=True)
class Verification:
    events_checked: int  # candidacy events whose chains were checked
    streams_checked: int  # candidacy streams
    problems: tuple[Finding, ...]
    store_events_read: int = 0
    digest: DigestSummary | None = None


@dataclass(frozen=True, slots=True)
class _Stored:
    """One stored event as found in the store (its JSON is not kept: a province's payloads
    held at once would cost more in memory and garbage collection than the hashing)."""

    notification_id: int
    version: int
    topic: str
    hash: str | None  # recomputed from the stored JSON; None when it is not JSON any more
    prev_hash: str | None  # as the stored JSON records it
    error: str | None = None
    decoded_hash: str | None = None  # of the event decoded from it (newest event only)


# The JSON of a stream's stored events by version (topic, payload), read again only when a
# link is broken, to tell a reordering from an alteration.
Payloads = Callable[[], dict[int, tuple[str, dict[str, Any]]]]


class Views(Protocol):
    """What verification reads beside the store: the audit digest, and the register and
    the tree to scope it (``projections.runner.Projections`` and ``projections.live.ReadSide``
    both are)."""

    @property
    def digest(self) -> GlobalDigest: ...

    @property
    def register(self) -> RegisterReader: ...

    @property
    def reader(self) -> LedgerReader: ...


def verify(
    admissions: Admissions,
    views: Views,
    organisation_id: UUID | None = None,
    *,
    progress: Progress | None = None,
    anchors: dict[int, str] | None = None,
) -> Verification:
    """The audit use case "verification": every candidacy's chain and the store against
    the audit digest; with ``organisation_id``, only the candidacies whose branch lies in
    that unit's subtree today (their chains and digest rows). ``GET /audit/verify`` and
    ``ketnap audit verify`` both answer with it; the views must be caught up by then (the
    server's follower, or the CLI as a runner)."""
    ids = None
    if organisation_id is not None:
        tree = views.reader.tree()
        ids = candidacies_in_subtree(views.register, tree, organisation_id, admissions.today())
    return verify_store(
        admissions, views.digest, candidacy_ids=ids, progress=progress, anchors=anchors
    )


def verify_candidacies(
    admissions: Admissions,
    candidacy_ids: Iterable[UUID] | None = None,
    witness: Witness | None = None,
) -> Verification:
    """The chains of the given candidacy streams (every one in the store when None), without
    the audit digest."""
    return verify_store(admissions, None, candidacy_ids=candidacy_ids, witness=witness)


def verify_store(
    admissions: Admissions,
    digest: GlobalDigest | None,
    *,
    candidacy_ids: Iterable[UUID] | None = None,
    witness: Witness | None = None,
    progress: Progress | None = None,
    anchors: dict[int, str] | None = None,
) -> Verification:
    """Verify the chains of the candidacies (all, or ``candidacy_ids``) and, with a
    ``digest``, compare the store with it: store-wide without ``candidacy_ids``, else for
    those streams only. ``progress(read, expected)`` follows the pass in events;
    ``anchors`` (notification id -> digest, printed by an earlier run and kept outside the
    database) must still be what the store hashes to."""
    wanted = set(candidacy_ids) if candidacy_ids is not None else None
    streams: dict[UUID, list[_Stored]] = {cid: [] for cid in wanted or ()}
    newest: dict[UUID, Notification] = {}
    mapper = admissions.mapper
    assert isinstance(mapper, PydanticMapper), "ketnap stores through PydanticMapper"
    check = digest.check(wanted, anchors) if digest is not None else None
    read = 0
    expected = (
        check.expected(admissions.recorder.max_notification_id() or 0)
        if check is not None
        else admissions.recorder.max_notification_id() or 0
    )
    for page in pages(admissions.recorder):
        for notification in page:
            if check is not None:
                check.add(notification)
            if notification.topic.partition(":")[0] != _CANDIDACY_MODULE:
                continue
            cid = _uuid(notification.originator_id)
            if wanted is None or cid in wanted:
                streams.setdefault(cid, []).append(_read(mapper, notification))
                last = newest.get(cid)
                if last is None or last.originator_version < notification.originator_version:
                    newest[cid] = notification
        read += len(page)
        if progress is not None:
            progress(read, max(read, expected))
    chained: list[Finding] = []
    for cid in sorted(streams, key=str):
        records = streams[cid]
        if cid in newest:
            at = next(i for i, r in enumerate(records) if r.notification_id == newest[cid].id)
            records[at] = _decode(mapper, newest[cid], records[at])
        chained += check_stream(
            cid, records, witness(cid) if witness else None, _payloads(admissions, cid)
        )
    problems = _merge(chained, check.finish() if check is not None else [], streams)
    checked = sum(len(records) for records in streams.values())
    summary = _summary(check) if check is not None else None
    return Verification(checked, len(streams), tuple(problems), read, summary)


def _summary(check: DigestCheck) -> DigestSummary:
    tip = check.checkpoints[-1] if check.checkpoints else None
    return DigestSummary(
        store_wide=check.store_wide,
        position=check.position,
        events=tip.total if tip else 0,
        checkpoints=len(check.checkpoints) if check.checkpoints is not None else 0,
        tip=tip.digest if tip else None,
    )


def _merge(
    chained: list[Finding], digested: list[Finding], streams: dict[UUID, list[_Stored]]
) -> list[Finding]:
    """Chain findings, then the digest's about events the chains did not name; a wanted
    candidacy with no stored event that neither names is reported removed."""
    named = {(f.stream_id, f.position) for f in chained}
    flagged = {f.stream_id for f in chained}
    extra = [
        f
        for f in digested
        if f.stream_id is None
        or (
            (f.stream_id, f.position) not in named
            and not (f.position is None and f.stream_id in flagged)
        )
    ]
    flagged |= {f.stream_id for f in extra}
    for cid, records in streams.items():
        if not records and cid not in flagged:
            chained.append(
                Finding(
                    cid,
                    1,
                    "removed",
                    "no event of this candidacy is in the store, though it was asked for by id",
                )
            )
    ordered = sorted(
        chained + extra,
        key=lambda f: (f.aggregate != STORE, str(f.stream_id), f.position or 0, f.kind),
    )
    return ordered


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _stored_json(mapper: PydanticMapper, stored: StoredEvent) -> dict[str, Any]:
    """The payload exactly as recorded: the stored JSON (deciphered, decompressed, not
    upcast), with the originator id and version it was hashed with."""
    data = stored.state
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    payload = orjson.loads(data)
    if not isinstance(payload, dict):
        raise ValueError("the stored JSON is not an object")
    payload.pop("class_version", None)  # added by the mapper, not part of the hash
    payload["originator_id"] = str(stored.originator_id)
    payload["originator_version"] = stored.originator_version
    return payload


def _read(mapper: PydanticMapper, notification: Notification) -> _Stored:
    nid, version, topic = notification.id, notification.originator_version, notification.topic
    try:
        payload = _stored_json(mapper, notification)
    except (ValueError, zlib.error) as exc:
        return _Stored(nid, version, topic, None, None, error=type(exc).__name__)
    prev = payload.get("prev_hash")
    return _Stored(
        nid, version, topic, hash_payload(topic, payload), prev if isinstance(prev, str) else None
    )


def _decode(mapper: PydanticMapper, notification: Notification, stored: _Stored) -> _Stored:
    """``stored`` with the hash of the event its JSON decodes to: the check of the newest
    event of a stream, which no later ``prev_hash`` covers. Skipped for an event stored
    under an older class version (upcasting changes what it serialises to)."""
    if stored.hash is None:
        return stored
    try:
        cls = resolve_topic(stored.topic)
        if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
            raise TopicError(f"{stored.topic} is not an event class")
        payload = mapper.decode_state(notification)
        if getattr(cls, "class_version", 1) > 1:
            return stored
        event = cls.model_validate(payload)
    except (ValueError, TopicError) as exc:
        return replace(stored, error=type(exc).__name__)
    return replace(stored, decoded_hash=event.content_hash())


def _payloads(admissions: Admissions, cid: UUID) -> Payloads:
    def load() -> dict[int, tuple[str, dict[str, Any]]]:
        mapper = admissions.mapper
        assert isinstance(mapper, PydanticMapper)
        found: dict[int, tuple[str, dict[str, Any]]] = {}
        for stored in admissions.recorder.select_events(cid):
            with suppress(ValueError, zlib.error):
                found[stored.originator_version] = (stored.topic, _stored_json(mapper, stored))
        return found

    return load


def check_stream(
    candidacy_id: UUID,
    stored: list[_Stored],
    witnessed: tuple[CandidacyEvent, ...] | None,
    payloads: Payloads,
) -> list[Finding]:
    """The chain problems of one stream, ordered by position, at most one per position and
    kind."""
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
            report(
                record.version,
                "reordered",
                f"stored before position {previous.version} in the store's global order",
            )
        previous = record
        if record.hash is None or record.error is not None:
            report(
                record.version, "altered", f"the stored event no longer decodes ({record.error})"
            )
        elif record.decoded_hash is not None and record.hash != record.decoded_hash:
            report(
                record.version,
                "altered",
                "the stored JSON is not what the recorded event serialises to",
            )
    for record in records:
        _check_link(record, by_version, payloads, report)
    for event in witnessed or ():
        position = event.originator_version
        seen = by_version.get(position)
        if seen is None:
            report(
                position,
                "removed",
                "this server read the event earlier; it is no longer in the store",
            )
        elif (
            seen.hash is not None
            and seen.hash != event.content_hash()
            and (position, "reordered") not in found
        ):
            report(position, "altered", "differs from the event as this server read it earlier")
    return [
        Finding(candidacy_id, position, kind, detail)
        for (position, kind), detail in sorted(found.items())
    ]


def _check_link(
    record: _Stored,
    by_version: dict[int, _Stored],
    payloads: Payloads,
    report: Callable[[int, ProblemKind, str], None],
) -> None:
    """Check that ``record`` names the hash of the event before it. When it names another
    event of the stream (at whatever position), the events were reordered."""
    if record.hash is None:
        return
    recorded = record.prev_hash
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
    for version_of_other, (_, payload) in payloads().items():
        if version_of_other == record.version:
            continue
        for version, topic in product(range(1, last + 1), topics):
            if version_of_other == before and version == before and topic == prior.topic:
                continue
            if recorded != hash_payload(topic, {**payload, "originator_version": version}):
                continue
            report(
                record.version,
                "reordered",
                f"position {record.version} follows the event "
                f"stored at position {version_of_other}, not the one at {before}",
            )
            return
    report(
        before,
        "altered",
        f"position {before} does not hash to the value position {record.version} recorded for it",
    )
