"""How events meet the store: pydantic events as orjson bytes, with the library's
compressor and cipher, and class-version upcasting (eventsourcing's Mapper contract)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder
from eventsourcing.utils import resolve_topic

from domain.events import DomainEvent


class OrjsonTranscoder(Transcoder):
    """JSON bytes via orjson: the payload is already JSON-ready (pydantic ``mode="json"``)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


@lru_cache(maxsize=1024)
def _class_of(topic: str) -> tuple[Any, int]:
    """The event class of a topic and its class version, looked up once per topic (a
    missing attribute on a pydantic class is slow to look up)."""
    cls = resolve_topic(topic)
    return cls, int(getattr(cls, "class_version", 1))


class PydanticMapper(Mapper[UUID]):
    """Maps frozen pydantic events to stored events and back.

    Stored state is the event's JSON without ``originator_id`` and ``originator_version``
    (they are columns). A class with ``class_version > 1`` stores its version and older
    payloads go through ``upcast_vN_vN+1`` static methods on the way back.
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        assert isinstance(domain_event, DomainEvent), "ketnap events are DomainEvents"
        cls = type(domain_event)
        state = domain_event.payload()
        del state["originator_id"], state["originator_version"]
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        data = self.transcoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=f"{cls.__module__}:{cls.__qualname__}",
            state=data,
        )

    def decode_state(self, stored_event: StoredEvent) -> dict[str, Any]:
        """The stored payload as a dict (decrypted, decompressed, upcast), ids added."""
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            state: dict[str, Any] = self.transcoder.decode(data)
        except Exception as exc:
            msg = (
                f"cannot decode stored event {stored_event.originator_id} "
                f"v{stored_event.originator_version} ({stored_event.topic}): {exc}"
            )
            raise MapperDeserialisationError(msg) from exc
        cls, class_version = _class_of(stored_event.topic)
        version = state.pop("class_version", 1)
        while version < class_version:
            getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
            version += 1
        state["originator_id"] = str(stored_event.originator_id)
        state["originator_version"] = stored_event.originator_version
        return state

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls = resolve_topic(stored_event.topic)
        event: DomainEventProtocol[UUID] = cls.model_validate(self.decode_state(stored_event))
        return event
