"""Input that cannot be true, refused before any rule runs (422 naming the field).

Every command is walked field by field, nested value objects, lists and the raw JSON of a
correction's ``changes`` included:

- no date before 1900-01-01 (``EARLIEST_PLAUSIBLE_DAY``): nobody a record names was born
  earlier, and no document or step is that old;
- no control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) in any string.
  Free multi-line text, the fields named ``note`` and ``reason``, may hold a tab or a line
  feed (U+0009, U+000A) and nothing else of that range: a carriage return or a form feed
  can rewrite what a log line or a printed dossier shows, a name or a code never spans
  lines.

The checks run on commands only, never on stored events: an event decoded from the store
is never refused for a rule that is newer than it (issue 9). The error's ``loc`` is the
field's path, e.g. ``("person", "date_of_birth")``, so the API's problem names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any, NamedTuple, NoReturn

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain.values import EARLIEST_PLAUSIBLE_DAY

Loc = tuple[int | str, ...]

# Fields of free multi-line text (the command's note, a withdrawal's or correction's reason).
MULTILINE_FIELDS = frozenset({"note", "reason"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and line feed allowed
# A date inside raw JSON (a correction's changes), with or without a time after it.
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


class Finding(NamedTuple):
    """One field that cannot be true: where, a stable code, a message, what was sent."""

    loc: Loc
    code: str
    message: str
    value: Any


def findings(model: BaseModel) -> list[Finding]:
    """Everything implausible in a validated command, in field order."""
    return list(_walk(model, (), ""))


def raise_findings(title: str, found: list[Finding]) -> NoReturn:
    """Raise one ``ValidationError`` with a line per finding, at the finding's own loc
    (raised inside a model validator, pydantic keeps these locs under the model's own)."""
    raise ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type=PydanticCustomError(f.code, f.message), loc=f.loc, input=f.value)
            for f in found
        ],
    )


def _walk(value: Any, loc: Loc, name: str, raw: bool = False) -> Iterator[Finding]:
    """``name`` is the innermost field name (its policy applies to lists under it too);
    ``raw`` marks untyped JSON, where a date is still a string."""
    if isinstance(value, BaseModel):
        for field in type(value).model_fields:
            yield from _walk(getattr(value, field), (*loc, field), field, raw)
    elif isinstance(value, dict):
        for key, item in value.items():
            key_name = key if isinstance(key, str) else name
            if isinstance(key, str):
                yield from _text(key, (*loc, key), "")
            yield from _walk(item, (*loc, key_name), key_name, raw=True)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, (*loc, index), name, raw)
    elif isinstance(value, str):
        yield from _text(value, loc, name)
        if raw:
            yield from _raw_day(value, loc)
    elif isinstance(value, date) and value < EARLIEST_PLAUSIBLE_DAY:
        yield _too_early(loc, value)


def _text(value: str, loc: Loc, name: str) -> Iterator[Finding]:
    multiline = name in MULTILINE_FIELDS
    match = (_CONTROL_IN_TEXT if multiline else _CONTROL).search(value)
    if match is not None:
        allowed = " (a tab or a line feed is allowed here)" if multiline else ""
        yield Finding(
            loc,
            "control_character",
            f"control character U+{ord(match.group()):04X} at position {match.start()} is not "
            f"allowed{allowed}",
            value,
        )


def _raw_day(value: str, loc: Loc) -> Iterator[Finding]:
    match = _ISO_DAY.match(value)
    if match is None:
        return
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return  # not a calendar day: the event's own validation refuses it
    if day < EARLIEST_PLAUSIBLE_DAY:
        yield _too_early(loc, value)


def _too_early(loc: Loc, value: Any) -> Finding:
    return Finding(
        loc,
        "date_too_early",
        f"a date before {EARLIEST_PLAUSIBLE_DAY.isoformat()} cannot be true",
        value,
    )


# What the store's JSON (orjson) can hold: 64-bit integers, nesting a few levels deep.
JSON_INT_MIN, JSON_INT_MAX = -(2**63), 2**63 - 1
MAX_NESTING = 16


def check_storable(value: Any, depth: int = 0) -> None:
    """Raise ValueError if ``value`` (a validated command's field) could not be stored."""
    if depth > MAX_NESTING:
        raise ValueError(f"values may nest at most {MAX_NESTING} levels deep")
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not JSON_INT_MIN <= value <= JSON_INT_MAX:
            raise ValueError("integers must fit in 64 bits")
    elif isinstance(value, BaseModel):
        for item in value.__dict__.values():
            check_storable(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            check_storable(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            check_storable(item, depth + 1)
