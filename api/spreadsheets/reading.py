"""Reading a board's file: an ``.xlsx`` workbook (openpyxl, read-only, streamed) or a
``.csv`` (its encoding and delimiter found), as sheets of rows of raw cell values.

Nothing here knows what a row means: ``api.spreadsheets.columns`` reads the values. A file
that cannot be read is a ``FileRefused`` with a Vietnamese message naming why (too large,
not a workbook, an encoding that is not Vietnamese text, no header row); a formula is kept
as a ``Formula`` cell so the importer names it as a problem instead of reading its last
cached result.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

Value = str | int | float | bool | date | datetime | time | None

# The default largest file an import reads (KETNAP_MAX_IMPORT_BYTES).
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# At most this many rows per sheet (a bound on what one import reads and reports).
MAX_ROWS = 1_000_000


class FileRefused(ValueError):
    """The file as a whole cannot be read; ``rule`` says why, the message in Vietnamese."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula (its text), not a value."""

    text: str


@dataclass(frozen=True)
class Row:
    """One row below the header: its number as the spreadsheet shows it (1-based) and its
    values, aligned with the sheet's header."""

    number: int
    values: tuple[Value | Formula, ...]

    def blank(self) -> bool:
        return all(v is None or (isinstance(v, str) and not v.strip()) for v in self.values)


@dataclass
class Sheet:
    name: str
    header: tuple[str, ...]
    header_row: int
    rows: Iterator[Row]
    # Rows in the sheet, when known up front (xlsx dimensions, CSV lines): for progress.
    size_hint: int | None = None


def file_kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise FileRefused(
        "unsupported_file",
        f"Tệp '{Path(name).name}' không phải .xlsx hay .csv (tệp .xls cũ: mở bằng Excel và "
        "lưu lại dạng .xlsx)",
    )


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise FileRefused(
            "file_too_large",
            f"Tệp {size / 1_048_576:.1f} MB vượt giới hạn {limit / 1_048_576:.0f} MB "
            "(KETNAP_MAX_IMPORT_BYTES); chia tệp thành nhiều phần nhỏ hơn",
        )


def open_sheets(path: Path, *, name: str | None = None, limit: int = DEFAULT_MAX_BYTES) -> Sheet:
    """The first sheet of the workbook at ``path`` (or the CSV's one table). ``name`` is the
    file's name as the user gave it (an upload keeps its name, not the temporary path's)."""
    kind = file_kind(name or path.name)
    check_size(path.stat().st_size, limit)
    if kind == "xlsx":
        return _xlsx(path)
    return _csv(path.read_bytes())


# --- xlsx --------------------------------------------------------------------------------


def _xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(path):
        raise FileRefused("not_a_workbook", "Tệp không phải bảng tính .xlsx hợp lệ")
    try:
        # data_only=False keeps formulas as formulas (their text), so they are named.
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileRefused(
            "not_a_workbook", f"Không đọc được bảng tính .xlsx ({type(exc).__name__})"
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows()
    header_row = 0
    header: tuple[str, ...] = ()
    for cells in rows:
        header_row += 1
        values = [_xlsx_value(c) for c in cells]
        if any(v not in (None, "") for v in values):
            header = tuple("" if v is None else str(v).strip() for v in values)
            break
        if header_row > 20:
            break
    if not header:
        raise FileRefused("no_header", "Không tìm thấy dòng tiêu đề cột trong 20 dòng đầu")
    size = sheet.max_row - header_row if sheet.max_row else None

    def body() -> Iterator[Row]:
        number = header_row
        for cells in rows:
            number += 1
            if number - header_row > MAX_ROWS:
                raise FileRefused("too_many_rows", f"Bảng tính có hơn {MAX_ROWS:,} dòng")
            values = [_xlsx_value(c) for c in cells]
            yield Row(number, _aligned(values, len(header)))
        book.close()

    return Sheet(sheet.title, header, header_row, body(), size)


def _xlsx_value(cell: Any) -> Value | Formula:
    value = cell.value
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value[:1] == "="):
        return Formula(str(value))
    return value  # type: ignore[no-any-return]


def _aligned(values: list[Any], width: int) -> tuple[Any, ...]:
    if len(values) >= width:
        return tuple(values[:width]) if all(v is None for v in values[width:]) else tuple(values)
    return tuple(values) + (None,) * (width - len(values))


# --- csv ---------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The CSV's text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1258."""
    for codec in ("utf-8-sig", "utf-16"):
        if codec == "utf-16" and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            continue
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    try:
        return data.decode("cp1258")
    except UnicodeDecodeError:
        raise FileRefused(
            "unknown_encoding",
            "Tệp CSV không ở bảng mã UTF-8 hay Windows-1258: lưu lại với bảng mã UTF-8",
        ) from None


def _csv(data: bytes) -> Sheet:
    text = decode(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header_row = 0
    header: tuple[str, ...] = ()
    for record in reader:
        header_row += 1
        if any(v.strip() for v in record):
            header = tuple(v.strip() for v in record)
            break
        if header_row > 20:
            break
    if not header:
        raise FileRefused("no_header", "Không tìm thấy dòng tiêu đề cột trong 20 dòng đầu")
    size = text.count("\n") - header_row + 1

    def body() -> Iterator[Row]:
        number = header_row
        for record in reader:
            number += 1
            if number - header_row > MAX_ROWS:
                raise FileRefused("too_many_rows", f"Tệp có hơn {MAX_ROWS:,} dòng")
            values: list[Any] = [
                Formula(v) if v[:1] == "=" and len(v) > 1 else (v if v.strip() else None)
                for v in record
            ]
            yield Row(number, _aligned(values, len(header)))

    return Sheet("csv", header, header_row, body(), max(size, 0))
