"""The one spreadsheet writer every export uses (openpyxl for ``.xlsx``, the csv module for
``.csv``).

An ``Export`` is a heading (title, unit, period, as_of, known_at) and one or more tables
of typed columns. In ``.xlsx`` each table is a sheet: the heading block on top, then a bold
header row with the panes frozen below it, dates as real Excel dates shown dd/mm/yyyy,
counts ``#,##0``, percentages ``0.00%`` (the cell holds the fraction: 66.67 % is 0.6667)
with the base of each percentage in its header or a note. A ``.csv`` is the first table
only, UTF-8 with a BOM (so Excel reads Vietnamese), the header row as its first line and no
heading block: a CSV is for programs (and for the imports, which read the first row as the
header), and its context travels in the file name (ADR 0023).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

VIETNAM = timezone(timedelta(hours=7))
Cell = str | int | float | date | datetime | None


class Kind(StrEnum):
    """How a column's values are written and shown."""

    TEXT = "text"
    INT = "int"  # #,##0
    DECIMAL = "decimal"  # #,##0.0 (median days)
    DATE = "date"  # dd/mm/yyyy
    PERCENT = "percent"  # given as 66.67, shown 66.67 %


FORMATS = {
    Kind.INT: "#,##0",
    Kind.DECIMAL: "#,##0.0",
    Kind.DATE: "dd/mm/yyyy",
    Kind.PERCENT: "0.00%",
}
WIDTHS = {Kind.TEXT: 28, Kind.INT: 12, Kind.DECIMAL: 14, Kind.DATE: 13, Kind.PERCENT: 14}


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its Vietnamese header, its kind, its width in characters (default by kind)."""

    header: str
    kind: Kind = Kind.TEXT
    width: int | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """One sheet: its name (≤ 31 characters), columns, rows, notes printed under the rows."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]
    notes: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Heading:
    """What the figures are about, printed above every sheet of an ``.xlsx``."""

    title: str
    unit_name: str | None = None
    unit_code: str | None = None
    period: str | None = None
    as_of: date | None = None
    known_at: datetime | None = None
    extra: Sequence[tuple[str, str]] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Export:
    """A report as spreadsheet content: the heading and its tables (the first is the main)."""

    heading: Heading
    tables: Sequence[Table]
    stem: str  # the file name without suffix, ASCII


def vn_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def vn_instant(moment: datetime) -> str:
    """An instant in Vietnam's time, dd/mm/yyyy HH:MM (UTC+7)."""
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M (giờ Việt Nam)")


def heading_lines(heading: Heading) -> list[tuple[str, str]]:
    """The heading block's (label, value) lines, in Vietnamese."""
    lines: list[tuple[str, str]] = []
    if heading.unit_name is not None or heading.unit_code is not None:
        unit = heading.unit_name or ""
        if heading.unit_code:
            unit = f"{unit} (mã {heading.unit_code})" if unit else heading.unit_code
        lines.append(("Đơn vị", unit))
    else:
        lines.append(("Đơn vị", "Toàn bộ"))
    if heading.period:
        lines.append(("Kỳ", heading.period))
    lines.append(
        (
            "Tình hình đến hết ngày",
            vn_day(heading.as_of) if heading.as_of else "hiện tại (ngày xuất)",
        )
    )
    lines.append(
        (
            "Theo dữ liệu đã ghi nhận đến",
            vn_instant(heading.known_at) if heading.known_at else "thời điểm xuất",
        )
    )
    lines.extend(heading.extra)
    return lines


def _xlsx_value(value: Cell, kind: Kind) -> Cell:
    if value is None:
        return None
    if kind is Kind.PERCENT and isinstance(value, int | float):
        return round(float(value) / 100, 6)
    if isinstance(value, datetime):  # Excel has no offsets: Vietnam's time, naive
        return value.astimezone(VIETNAM).replace(tzinfo=None)
    return value


def _sheet_name(name: str, taken: set[str]) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    candidate, n = cleaned, 2
    while candidate in taken:
        candidate = f"{cleaned[:28]} {n}"
        n += 1
    taken.add(candidate)
    return candidate


def to_xlsx(export: Export) -> bytes:
    """The export as an ``.xlsx`` workbook, one sheet per table."""
    book = Workbook()
    for default in list(book.worksheets):  # the empty sheet a new workbook starts with
        book.remove(default)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in export.tables:
        sheet = book.create_sheet(_sheet_name(table.name, taken))
        sheet.cell(row=1, column=1, value=export.heading.title).font = Font(bold=True, size=13)
        row = 2
        for label, value in heading_lines(export.heading):
            sheet.cell(row=row, column=1, value=label).font = bold
            sheet.cell(row=row, column=2, value=value)
            row += 1
        # Notes (the base of each percentage, what empty means) above the table, so the rows
        # below the header are data only and the file imports back.
        for note in table.notes:
            sheet.cell(row=row, column=1, value=note).font = Font(italic=True)
            row += 1
        header_row = row + 1
        for index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=header_row, column=index, value=column.header)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            width = column.width or WIDTHS[column.kind]
            sheet.column_dimensions[get_column_letter(index)].width = width
        for offset, values in enumerate(table.rows, start=1):
            for index, (column, cell_value) in enumerate(
                zip(table.columns, values, strict=True), 1
            ):
                written = sheet.cell(
                    row=header_row + offset,
                    column=index,
                    value=_xlsx_value(cell_value, column.kind),
                )
                if column.kind in FORMATS:
                    written.number_format = FORMATS[column.kind]
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Cell, kind: Kind) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return vn_day(value)
    if kind is Kind.PERCENT and isinstance(value, int | float):
        return f"{value:.2f}"
    return str(value)


def to_csv(export: Export) -> bytes:
    """The export's first table as CSV: UTF-8 with BOM, header row first, dates
    dd/mm/yyyy, percentages as numbers with 2 decimals (66.67), no heading block."""
    table = export.tables[0]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in table.columns])
    for values in table.rows:
        writer.writerow(_csv_value(v, c.kind) for c, v in zip(table.columns, values, strict=True))
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def render(export: Export, fmt: str) -> bytes:
    """The export's bytes in ``fmt`` (``xlsx`` or ``csv``)."""
    if fmt == "xlsx":
        return to_xlsx(export)
    if fmt == "csv":
        return to_csv(export)
    raise ValueError(f"unknown spreadsheet format {fmt!r} (xlsx or csv)")


def write(export: Export, path: Path) -> int:
    """Write the export to ``path``, in the format its suffix names; the bytes written."""
    data = render(export, path.suffix.lower().lstrip("."))
    path.write_bytes(data)
    return len(data)
