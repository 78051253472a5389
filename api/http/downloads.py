"""``?format=xlsx|csv`` on the report endpoints and ``GET /members``: the query parameter,
its OpenAPI declaration (alternative content of the 200 answer) and the download answer
(``Content-Disposition: attachment``). The sheets themselves are ``api.spreadsheets``'s."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response

from api.spreadsheets.workbook import MEDIA_TYPES, Export, render


class ExportFormat(StrEnum):
    JSON = "json"
    XLSX = "xlsx"
    CSV = "csv"

    @property
    def spreadsheet(self) -> bool:
        return self is not ExportFormat.JSON


FormatQuery = Annotated[
    ExportFormat,
    Query(
        alias="format",
        description="`json` (default), or the whole report (every row, no paging) as a "
        "spreadsheet: `xlsx` (Vietnamese headers, the unit, period, as_of and known_at "
        "above a frozen header row) or `csv` (UTF-8 with BOM, the header row first).",
    ),
]

_BINARY = {"schema": {"type": "string", "format": "binary"}}


def spreadsheet_responses(ok: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """The 200 answer's alternative contents (merged with ``ok``, the route's own 200)."""
    content = {MEDIA_TYPES["xlsx"]: _BINARY, "text/csv": {"schema": {"type": "string"}}}
    return {200: {**(ok or {}), "content": content}}


def download(export: Export, fmt: ExportFormat) -> Response:
    """The export as an attachment in ``fmt``."""
    body = render(export, fmt.value)
    filename = f"{export.stem}.{fmt.value}"
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt.value],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
