"""What the read side reads: an application's store, seen through a small protocol.

``projections`` imports only ``domain`` (the import contracts): the runner, the views and
the digest take any object with the application's recorder, mapper, name and calendar.
``workflows.application.Admissions`` is one; the composition root (``api.bootstrap``)
hands it in.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent

from domain.calendar import WorkingCalendar

__all__ = ["PayloadMapper", "Source", "payloads"]


class PayloadMapper(Protocol):
    """ketnap's mapper (``workflows.persistence.PydanticMapper``) also gives a stored
    event's payload as a dict: cipher and compression undone, upcast, not validated."""

    def decode_state(self, stored_event: StoredEvent) -> dict[str, Any]: ...


class Source(Protocol):
    """The store the read side follows."""

    @property
    def name(self) -> str: ...

    @property
    def recorder(self) -> ApplicationRecorder: ...

    @property
    def mapper(self) -> Mapper[Any]: ...

    @property
    def calendar(self) -> WorkingCalendar: ...


def payloads(source: Source) -> PayloadMapper:
    """The source's mapper as a payload decoder (checked: views need it)."""
    mapper = source.mapper
    if not callable(getattr(mapper, "decode_state", None)):
        raise TypeError(f"{type(mapper).__name__} cannot decode payloads (decode_state)")
    return cast(PayloadMapper, mapper)
