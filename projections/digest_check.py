"""Checking the store against the audit digest (ADR 0011): the hashes every stored event
contributes and the comparison of the store, fed in global order, with what the digest
recorded (``projections.digest`` keeps it; ``api.audit.verification`` feeds this check
during its single pass over the store).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.access import TokenIssued
from domain.candidacy.events import CandidacyEvent
from domain.idempotency import CommandAccepted
from domain.member import MemberRegistered
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from projections.digest_store import Checkpoint, StreamMark

GENESIS = bytes(32)
ProblemKind = Literal["altered", "removed", "reordered"]
AGGREGATES = {
    CandidacyEvent.__module__: "candidacy",
    OrganisationEvent.__module__: "organisation",
    MemberRegistered.__module__: "member",
    QuotaSet.__module__: "quota",
    CommandAccepted.__module__: "idempotency_record",
    TokenIssued.__module__: "token",
}
STORE = "store"  # the aggregate named by problems of the global order itself


def aggregate_of(topic: str) -> str:
    """What kind of record a topic belongs to (``candidacy``, ``member``, …)."""
    module = topic.partition(":")[0]
    return AGGREGATES.get(module, module)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: a stored event (or, for ``aggregate == "store"``, a range of the global
    order) altered, removed or reordered after it was recorded."""

    stream_id: UUID | None
    position: int | None
    kind: ProblemKind
    detail: str
    aggregate: str = "candidacy"
    notification_ids: tuple[int, int] | None = None  # (first, last), for the global order

    @property
    def candidacy_id(self) -> UUID | None:
        return self.stream_id if self.aggregate == "candidacy" else None


def uuid_of(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@lru_cache(maxsize=256)
def _topic_hash(topic: str) -> bytes:
    return hashlib.sha256(topic.encode()).digest()


def leaf(notification: Notification, notification_id: int | None = None) -> bytes:
    """The hash one stored event contributes: of its id, originator, version, topic and the
    exact stored bytes (after any cipher; so a re-encoding is a change too)."""
    h = hashlib.sha256((notification_id or notification.id).to_bytes(8, "big"))
    h.update(uuid_of(notification.originator_id).bytes)
    h.update(notification.originator_version.to_bytes(8, "big"))
    h.update(_topic_hash(notification.topic))
    h.update(hashlib.sha256(notification.state).digest())
    return h.digest()


def chain(previous: bytes, leaf_hash: bytes) -> bytes:
    return hashlib.sha256(previous + leaf_hash).digest()


@dataclass
class _Seen:
    """What the store holds of one recorded stream, within the digest's range."""

    events: int = 0
    max_version: int = 0
    digest: bytes = GENESIS
    last: Literal["same", "moved", "altered"] | None = None  # the recorded last event


@dataclass
class DigestCheck:
    """Compares the stored events, fed in global order, with the recorded digest."""

    position: int
    checkpoints: list[Checkpoint] | None  # None: the global order is not checked
    marks: dict[UUID, StreamMark]
    store_wide: bool
    anchors: dict[int, str] = field(default_factory=dict)  # notification id -> digest
    findings: list[Finding] = field(default_factory=list)
    _seen: dict[UUID, _Seen] = field(default_factory=dict)
    _unrecorded: dict[UUID, tuple[str, int]] = field(default_factory=dict)
    _window: int = 0
    _count: int = 0
    _digest: bytes = GENESIS
    _newest: int = 0
    _pure: bytes = GENESIS  # recomputed from the first event on, trusting no checkpoint
    _anchored: dict[int, str] = field(default_factory=dict)

    def expected(self, newest: int) -> int:
        """How many stored events a full pass should read: those the digest recorded and
        the notification ids after its position (an estimate for progress bars)."""
        if self.checkpoints is None:  # a scoped check: every id is an upper bound
            return newest
        recorded = self.checkpoints[-1].total if self.checkpoints else 0
        return recorded + max(0, newest - self.position)

    def add(self, notification: Notification) -> None:
        """Feed the next stored event (in notification id order)."""
        nid = notification.id
        lf = leaf(notification)
        if self.anchors:
            self._pure = chain(self._pure, lf)
            if nid in self.anchors:
                self._anchored[nid] = self._pure.hex()
        if nid > self.position:
            return  # not folded in yet: the chains alone check it
        self._newest = nid
        if self.checkpoints is not None:
            self._close_windows_before(nid)
            self._digest, self._count = chain(self._digest, lf), self._count + 1
        oid = uuid_of(notification.originator_id)
        mark = self.marks.get(oid)
        if mark is None:
            if self.store_wide:
                self._unrecorded.setdefault(
                    oid, (notification.topic, notification.originator_version)
                )
            return
        seen = self._seen.setdefault(oid, _Seen())
        seen.events += 1
        seen.max_version = max(seen.max_version, notification.originator_version)
        seen.digest = chain(seen.digest, lf)
        if notification.originator_version == mark.last_version:
            recorded = bytes.fromhex(mark.last_leaf)
            if lf == recorded:
                seen.last = "same"
            elif leaf(notification, mark.last_notification_id) == recorded:
                seen.last = "moved"
            else:
                seen.last = "altered"

    def _close_windows_before(self, nid: int) -> None:
        checkpoints = self.checkpoints or []
        while (
            self._window < len(checkpoints) and nid > checkpoints[self._window].last_notification_id
        ):
            self._close_window()

    def _close_window(self) -> None:
        checkpoints = self.checkpoints or []
        k = self._window
        cp = checkpoints[k]
        first = checkpoints[k - 1].last_notification_id + 1 if k else 1
        ids = (first, cp.last_notification_id)
        where = f"notification ids {first}–{cp.last_notification_id} (checkpoint {cp.seq})"
        if self._count < cp.events:
            self._store(
                "removed",
                f"{where}: {cp.events - self._count} of the {cp.events} "
                "events the digest recorded are gone",
                ids,
            )
        elif self._count > cp.events:
            self._store(
                "altered",
                f"{where}: {self._count - cp.events} events more than the "
                f"{cp.events} the digest recorded",
                ids,
            )
        elif self._digest.hex() != cp.digest:
            self._store(
                "altered",
                f"{where}: the stored events' bytes, ids or order differ "
                "from the digest recorded as they arrived",
                ids,
            )
        self._window, self._count, self._digest = k + 1, 0, bytes.fromhex(cp.digest)

    def _store(self, kind: ProblemKind, detail: str, ids: tuple[int, int] | None = None) -> None:
        self.findings.append(Finding(None, None, kind, detail, STORE, ids))

    def finish(self) -> list[Finding]:
        """Every difference found, once all stored events were fed."""
        if self.checkpoints is not None:
            self._check_checkpoints()
            while self._window < len(self.checkpoints):
                self._close_window()
        for nid, anchored in sorted(self.anchors.items()):
            found = self._anchored.get(nid)
            if found is None:
                self._store(
                    "removed",
                    f"the anchored event (notification id {nid}) is no longer in the store",
                    (nid, nid),
                )
            elif found != anchored:
                self._store(
                    "altered",
                    "the store no longer hashes to the anchor kept for "
                    f"notification id {nid}: an event up to it was altered, removed "
                    "or reordered (alone, this means the digest tables were rewritten "
                    "to match)",
                    (1, nid),
                )
        for oid, mark in self.marks.items():
            self._check_stream(mark, self._seen.get(oid, _Seen()))
        for oid, (topic, version) in self._unrecorded.items():
            self.findings.append(
                Finding(
                    oid,
                    version,
                    "altered",
                    "the digest never recorded this stream in the range "
                    "it covers: inserted afterwards, or its digest row was deleted",
                    aggregate_of(topic),
                )
            )
        return self.findings

    def _check_checkpoints(self) -> None:
        checkpoints, total = self.checkpoints or [], 0
        for expected_seq, cp in enumerate(checkpoints, start=1):
            total += cp.events
            if cp.seq != expected_seq or cp.total != total:
                self._store(
                    "altered",
                    f"the digest's checkpoint {cp.seq} does not follow "
                    "the one before it: the digest table itself was edited",
                )
                break
        tip = checkpoints[-1].last_notification_id if checkpoints else 0
        if tip != self.position:
            self._store(
                "altered",
                f"the digest's checkpoints end at notification id {tip} "
                f"but its tracking record at {self.position}",
            )
        if self._newest < tip:
            self._store(
                "removed",
                f"the store's events end at notification id "
                f"{self._newest}, the digest recorded events up to {tip}: the newest "
                "events were removed",
                (self._newest + 1, tip),
            )

    def _check_stream(self, mark: StreamMark, seen: _Seen) -> None:
        aggregate = aggregate_of(mark.topic)

        def report(position: int | None, kind: ProblemKind, detail: str) -> None:
            self.findings.append(Finding(mark.originator_id, position, kind, detail, aggregate))

        if seen.events == 0:  # named once, at its last known position
            events = f"{mark.events} event" + ("s" if mark.events != 1 else "")
            report(
                mark.last_version,
                "removed",
                f"the whole {aggregate} is missing from the "
                f"store: the digest recorded {events}, positions 1–{mark.last_version}, "
                f"the last at notification id {mark.last_notification_id}",
            )
            return
        last, recorded = mark.last_version, mark.events
        if seen.max_version < last:
            detail = f"the digest recorded positions up to {last}, the store ends at "
            for position in range(seen.max_version + 1, last + 1):
                report(position, "removed", f"{detail}{seen.max_version}")
        elif seen.last == "altered":
            report(
                last,
                "altered",
                "the stored bytes of the newest event differ from those the digest recorded",
            )
        elif seen.last == "moved":
            report(
                last,
                "reordered",
                "the newest event moved in the store's global order "
                f"(recorded at notification id {mark.last_notification_id})",
            )
        elif seen.events != recorded or seen.digest.hex() != mark.digest:
            report(
                None,
                "altered",
                f"{seen.events} stored events (the digest recorded "
                f"{recorded}); their bytes, ids or order differ from what it saw",
            )
