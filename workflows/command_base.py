"""The base of every command: the optional supporting document and note, the idempotency
fingerprint (with renamed commands' first names and later-added fields), and the refusal
(422) of input the store cannot encode or that cannot be true (``workflows.plausible``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.values import DocumentRef
from workflows.plausible import check_storable, findings, raise_findings


class Command(BaseModel):
    """Base of every command: optional supporting document and free-text note."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: DocumentRef | None = None
    note: str | None = Field(default=None, max_length=2000)

    # Fields added after requests of the command were first stored with an idempotency
    # key: left out of the fingerprint while empty, so such a retry still matches.
    added_fields: ClassVar[frozenset[str]] = frozenset()
    # The name a renamed command had when its idempotency records were first written
    # (ADR 0013): its fingerprint keeps that name, so a stored retry still answers.
    legacy_name: ClassVar[str | None] = None

    @classmethod
    def command_name(cls) -> str:
        """The command's name in idempotency fingerprints (its first name, if renamed)."""
        return cls.legacy_name or cls.__name__

    def fingerprint_body(self) -> dict[str, Any]:
        """The body an idempotency fingerprint covers (JSON, added fields left out while
        empty)."""
        body = self.model_dump(mode="json")
        for name in self.added_fields:
            if body.get(name) in (None, []):
                del body[name]
        return body

    @model_validator(mode="after")
    def _storable(self) -> Self:
        """Refuse (422) what the store cannot encode, such as an integer beyond 64 bits in
        a quota or a correction, instead of failing when the event is saved (500)."""
        check_storable(self)
        return self

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        """Refuse (422, naming each field) input that cannot be true: a date before 1900
        or a control character anywhere (``workflows.plausible``). Runs after
        ``_storable``, which bounds the nesting it walks."""
        found = findings(self)
        if found:
            raise_findings(type(self).__name__, found)
        return self
