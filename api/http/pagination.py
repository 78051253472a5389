"""Opaque cursors for every list: ``limit`` (default 50, at most 500) and ``cursor``, the
base64url of the last item's sort key; ``next_cursor`` is null on the last page.

A list is sorted by a key of strings; the next page holds the items whose key sorts after
the cursor's, so a page stays stable while items are added elsewhere in the list.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

import orjson
from fastapi import Query

from api.http.problems import ApiError

T = TypeVar("T")
Key = tuple[str, ...]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (at most {MAX_LIMIT}).")]
Cursor = Annotated[
    str | None,
    Query(max_length=2000, description="`next_cursor` of the previous page; omit for the first."),
]


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    """The key a cursor carries; 422 ``invalid_cursor`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError):
        value = None
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        raise ApiError(
            422, "Invalid request", "cursor is not a cursor this API gave out", "invalid_cursor"
        )
    return tuple(value)


def paginate(
    items: Sequence[T], key: Callable[[T], Key], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already sorted by ``key``) after ``cursor``, and the cursor
    of the next page (None on the last)."""
    if cursor is not None:
        after = decode_cursor(cursor)
        items = [item for item in items if key(item) > after]
    page = list(items[:limit])
    more = len(items) > limit
    return page, encode_cursor(key(page[-1])) if more and page else None
