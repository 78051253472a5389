"""``ketnap import template KIND``: an empty workbook for a kind of import, with the
layout's Vietnamese headers, a notes sheet explaining each column, data validation lists for
the enumerations (their Vietnamese names, on a hidden sheet), dates formatted dd/mm/yyyy and
the national id column as text (Excel would drop its leading zeros)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from api.spreadsheets import cells
from api.spreadsheets.layouts import Layout

HEADER_FILL = PatternFill("solid", fgColor="FFDDEBF7")
# Rows the validation lists and formats cover.
TEMPLATE_ROWS = 2_000
# Columns typed as text (codes and ids: Excel would drop a leading zero or read a date).
TEXT_FIELDS = frozenset({"national_id", "code", "parent", "into", "branch", "ref", "period",
                         "deciding_body", "party_card_number"})  # fmt: skip


def write_template(layout: Layout, path: Path | BinaryIO) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = layout.title[:31]
    lists = book.create_sheet("Danh sách")
    lists.sheet_state = "hidden" if any(c.choices for c in layout.columns) else "visible"
    notes = book.create_sheet("Hướng dẫn")
    notes.append(["Cột", "Bắt buộc", "Ghi chú"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    list_column = 0
    for index, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=column.header)
        header.font = Font(bold=True)
        header.fill = HEADER_FILL
        header.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        required = "có" if column.required and not column.may_be_empty else "không"
        notes.append([column.header, required, column.note])
        cell_range = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        number_format = (
            "dd/mm/yyyy"
            if column.read is cells.day
            else "@"
            if column.field in TEXT_FIELDS
            else None
        )
        if number_format is not None:
            for (cell,) in sheet.iter_rows(
                min_row=2, max_row=TEMPLATE_ROWS + 1, min_col=index, max_col=index
            ):
                cell.number_format = number_format
        if column.choices:
            list_column += 1
            list_letter = get_column_letter(list_column)
            names = list(column.choices.values())
            lists.cell(row=1, column=list_column, value=column.header)
            for offset, name in enumerate(names, start=2):
                lists.cell(row=offset, column=list_column, value=name)
            source = f"'Danh sách'!${list_letter}$2:${list_letter}${len(names) + 1}"
            validation = DataValidation(
                type="list",
                formula1=source,
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=f"Chọn một giá trị trong danh sách «{column.header}»",
            )
            validation.add(cell_range)
            sheet.add_data_validation(validation)
    notes.append([])
    notes.append(["", "", layout.about])
    if any(column.read is cells.day for column in layout.columns):
        notes.append(["", "", "Ngày ghi dd/mm/yyyy (hoặc ô định dạng Ngày)."])
    notes.append(["", "", "Không dùng công thức: dán giá trị (Paste Values)."])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    sheet.freeze_panes = "A2"
    book.save(path)
