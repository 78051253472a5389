"""What the read side reads: an application's store, seen through a small protocol.

``projections`` imports only ``domain`` (the import contracts): the runner, the views and
the digest take any object with the application's recorder, mapper, name and calendar.
``workflows.application.Admissions`` is one; the composition root (``api.bootstrap``)
hands it in.
"""

from __future__ import annotations

import base64
from typing import Any, Protocol, cast

import orjson
from eventsourcing.persistence import ApplicationRecorder, Cipher, Mapper, StoredEvent

from domain.calendar import WorkingCalendar

__all__ = ["PayloadMapper", "Source", "cipher_of", "payloads", "sealed", "unsealed"]


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


def cipher_of(source: Source) -> Cipher | None:
    """The cipher the source's events are stored with (None without a key): the views
    seal what they keep of a person with it."""
    cipher = getattr(source.mapper, "cipher", None)
    return cipher if isinstance(cipher, Cipher) else None


def sealed(data: Any, cipher: Cipher | None) -> Any:
    """``data`` (JSON-ready) as a view stores it: as is without a cipher, else encrypted
    into ``{"sealed": "<base64>"}``."""
    if cipher is None:
        return data
    return {"sealed": base64.b64encode(cipher.encrypt(orjson.dumps(data))).decode()}


def unsealed(data: Any, cipher: Cipher | None) -> Any:
    """What ``sealed`` stored (a row written before sealing is read as it is)."""
    if not (isinstance(data, dict) and set(data) == {"sealed"}):
        return data
    if cipher is None:
        raise ValueError("the view holds encrypted rows: KETNAP_CIPHER_KEY is needed")
    return orjson.loads(cipher.decrypt(base64.b64decode(data["sealed"])))
