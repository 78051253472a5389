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
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any

from api.spreadsheets.legacy import decode_bytes

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


HeaderTest = Callable[[tuple[str, ...]], bool]
HEADER_SEARCH = 30  # rows searched for the header (an export's header block sits above it)


def open_sheets(
    path: Path,
    *,
    name: str | None = None,
    limit: int = DEFAULT_MAX_BYTES,
    is_header: HeaderTest = lambda _: False,
) -> Sheet:
    """The first sheet of the workbook at ``path`` (or the CSV's one table). ``name`` is the
    file's name as the user gave it (an upload keeps its name, not the temporary path's).
    The header is the first of the top rows ``is_header`` accepts, else the first row with
    anything in it."""
    kind = file_kind(name or path.name)
    size = path.stat().st_size
    if size == 0:
        raise FileRefused("empty_file", "Tệp rỗng (0 byte): không có gì để nhập")
    check_size(size, limit)
    if kind == "xlsx":
        return _xlsx(path, is_header)
    return _csv(path.read_bytes(), is_header)


def _header(
    rows: Iterator[Sequence[Any]], is_header: HeaderTest
) -> tuple[int, tuple[str, ...], Iterator[Sequence[Any]]]:
    """(the header's 1-based position among ``rows``, the header, the rows after it)."""
    buffer: list[Sequence[Any]] = list(islice(rows, HEADER_SEARCH))

    def cleaned(values: Sequence[Any]) -> tuple[str, ...]:
        return tuple("" if v is None else str(v).strip() for v in values)

    chosen = next((i for i, v in enumerate(buffer) if is_header(cleaned(v))), None)
    if chosen is None:
        chosen = next((i for i, v in enumerate(buffer) if any(cleaned(v))), None)
    if chosen is None:
        raise FileRefused(
            "no_header", f"Không tìm thấy dòng tiêu đề cột trong {HEADER_SEARCH} dòng đầu"
        )
    return chosen + 1, cleaned(buffer[chosen]), chain(buffer[chosen + 1 :], rows)


# --- xlsx --------------------------------------------------------------------------------


def _xlsx(path: Path, is_header: HeaderTest) -> Sheet:
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise FileRefused("not_a_workbook", "Tệp không phải bảng tính .xlsx hợp lệ")
    formulas, sheet_name = _first_sheet_formulas(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        cells_by_row: Iterator[Sequence[Any]] = iter(sheet.iter_rows())
    except Exception as exc:  # calamine raises its own kinds for a damaged file
        raise FileRefused(
            "not_a_workbook", f"Không đọc được bảng tính .xlsx ({type(exc).__name__})"
        ) from None
    header_row, header, rows = _header(cells_by_row, is_header)
    # calamine starts at the first used cell; the sheet's own numbering is kept for messages
    offset, first_column = sheet.start if sheet.start else (0, 0)
    size = max(sheet.height - header_row, 0)

    def body() -> Iterator[Row]:
        number = header_row
        for values in rows:
            number += 1
            if number - header_row > MAX_ROWS:
                raise FileRefused("too_many_rows", f"Bảng tính có hơn {MAX_ROWS:,} dòng")
            cells: list[Any] = [None if v == "" else v for v in values]
            shown = number + offset
            for column, text in formulas.get(shown, {}).items():
                if 0 <= column - first_column < len(cells):
                    cells[column - first_column] = Formula(text)
            yield Row(shown, _aligned(cells, len(header)))

    return Sheet(sheet_name or sheet.name, header, header_row + offset, body(), size)


# The decompressed size of a workbook's parts read at most (a zip bomb is refused).
MAX_UNPACKED = 400 * 1024 * 1024
_CELL_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>([^<]*)</f>)')


def _first_sheet_formulas(path: Path) -> tuple[dict[int, dict[int, str]], str | None]:
    """The formulas of the workbook's first sheet by row and column (0-based), read from
    its XML (calamine gives a formula's cached value only)."""
    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
            raise FileRefused("file_too_large", "Bảng tính giải nén quá lớn (trên 400 MB)")
        part, name = _first_sheet_part(archive)
        found: dict[int, dict[int, str]] = {}
        if part is None:
            return found, name
        tail = b""
        with archive.open(part) as stream:
            while chunk := stream.read(4 * 1024 * 1024):
                data = tail + chunk
                cut = data.rfind(b"</c>") + 4 if b"</c>" in data else 0
                for match in _CELL_FORMULA.finditer(data[:cut]):
                    letters, row, text = match.groups()
                    column = 0
                    for letter in letters.decode():
                        column = column * 26 + ord(letter) - 64
                    shown = (text or b"").decode("utf-8", "replace")
                    found.setdefault(int(row), {})[column - 1] = "=" + shown if shown else "="
                tail = data[cut:]
        return found, name


def _first_sheet_part(archive: zipfile.ZipFile) -> tuple[str | None, str | None]:
    """The zip member and name of the workbook's first sheet."""
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None, None
    sheet = re.search(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', book)
    if sheet is None:
        return None, None
    name, rid = sheet.group(1).decode(), sheet.group(2)
    target = re.search(
        rb'<Relationship\b[^>]*Id="' + re.escape(rid) + rb'"[^>]*Target="([^"]+)"', rels
    )
    if target is None:
        target = re.search(
            rb'<Relationship\b[^>]*Target="([^"]+)"[^>]*Id="' + re.escape(rid) + rb'"', rels
        )
    if target is None:
        return None, name
    part = target.group(1).decode().lstrip("/")
    return (part if part.startswith("xl/") else f"xl/{part}"), html.unescape(name)


def _aligned(values: list[Any], width: int) -> tuple[Any, ...]:
    if len(values) >= width:
        return tuple(values[:width]) if all(v is None for v in values[width:]) else tuple(values)
    return tuple(values) + (None,) * (width - len(values))


# --- csv ---------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The CSV's text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1258
    (``api.spreadsheets.legacy.decode_bytes``); legacy TCVN3/VNI text in it is converted
    cell by cell when read (``cells.text``)."""
    try:
        return decode_bytes(data)[0]
    except UnicodeDecodeError as exc:
        raise FileRefused(
            "unknown_encoding",
            f"Tệp CSV không đọc được ({exc.reason}): lưu lại với bảng mã UTF-8",
        ) from None


def _csv(data: bytes, is_header: HeaderTest) -> Sheet:
    text = decode(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header_row, header, records = _header(reader, is_header)
    size = text.count("\n") - header_row + 1

    def body() -> Iterator[Row]:
        number = header_row
        for record in records:
            number += 1
            if number - header_row > MAX_ROWS:
                raise FileRefused("too_many_rows", f"Tệp có hơn {MAX_ROWS:,} dòng")
            values: list[Any] = [
                Formula(v) if v[:1] == "=" and len(v) > 1 else (v if v.strip() else None)
                for v in record
            ]
            yield Row(number, _aligned(values, len(header)))

    return Sheet("csv", header, header_row, body(), max(size, 0))
