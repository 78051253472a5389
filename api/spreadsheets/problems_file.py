"""The problems of an import as a workbook a board fixes and submits again: the original
rows that have a problem (the file's own header and columns, the values as read) with a
last column «Lỗi» holding that row's messages, and the problems of the file as a whole
(a missing column, a file that cannot be read) on a second sheet.

Only rows named by a problem are copied: a fixed file re-submitted records them, and the
rows already recorded stay unchanged (imports are idempotent by row key, ADR 0022).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from api.spreadsheets.importer import ImportReport, Problem
from api.spreadsheets.kinds import RUNNERS
from api.spreadsheets.reading import FileRefused, Formula, open_sheets

ERRORS_HEADER = "Lỗi"
ROWS_SHEET = "Dòng có lỗi"
FILE_SHEET = "Lỗi của tệp"
FILE_HEADER = ("Dòng", "Cột", "Giá trị", "Quy tắc", ERRORS_HEADER)
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)


def problems_workbook(
    path_in: Path, name: str | None, report: ImportReport, out_path: Path, *, limit: int
) -> Path:
    """Write to ``out_path`` the workbook of ``report``'s problems over the file at
    ``path_in`` (named ``name`` by its user); ``limit`` is the import's size limit."""
    by_row: dict[int, list[Problem]] = defaultdict(list)
    for problem in report.problems:
        if problem.row is not None:
            by_row[problem.row].append(problem)
    file_level = [p for p in report.problems if p.row is None]
    book = Workbook()
    rows_sheet = book.active
    assert rows_sheet is not None
    rows_sheet.title = ROWS_SHEET
    try:
        layout = RUNNERS[report.kind][0]
        sheet = open_sheets(path_in, name=name, limit=limit, is_header=layout.fits)
    except FileRefused:
        header: tuple[str, ...] = ()
        found: dict[int, tuple[Any, ...]] = {}
    else:
        header = sheet.header
        found = {}
        try:
            for row in sheet.rows:
                if row.number in by_row:
                    found[row.number] = row.values
        except FileRefused:
            pass  # too many rows: the rows read so far are copied
    rows_sheet.append([*header, ERRORS_HEADER])
    for number in sorted(by_row):
        values = found.get(number)
        if values is None:  # a row the file no longer shows: named on the file's sheet
            file_level.extend(by_row[number])
            continue
        cells = [_cell_value(v) for v in values[: len(header)]]
        cells += [None] * (len(header) - len(cells))
        rows_sheet.append([*cells, "\n".join(p.message for p in by_row[number])])
        for cell in rows_sheet[rows_sheet.max_row][: len(header)]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # the formula's text, as it was read: never run
        rows_sheet.cell(rows_sheet.max_row, len(header) + 1).alignment = Alignment(wrap_text=True)
    _style(rows_sheet, len(header) + 1)
    rows_sheet.column_dimensions[_letter(len(header) + 1)].width = 60
    file_sheet = book.create_sheet(FILE_SHEET)
    file_sheet.append(list(FILE_HEADER))
    for problem in file_level:
        file_sheet.append(
            [problem.row, problem.column, problem.value, problem.rule, problem.message]
        )
        cell = file_sheet.cell(file_sheet.max_row, 3)
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
    _style(file_sheet, len(FILE_HEADER))
    file_sheet.column_dimensions["E"].width = 80
    book.save(out_path)
    return out_path


def _cell_value(value: Any) -> Any:
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, (str, int, float, bool, date, datetime, time)) or value is None:
        return value
    return str(value)


def _style(sheet: Any, width: int) -> None:
    for cell in sheet[1][:width]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(column))
