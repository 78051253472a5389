"""Importing a board's file: each row read by its layout, turned into the application's own
command and run through ``workflows.staging.Staged``, so every rule of each step's day
checks it; problems named by sheet, row, column, value and rule, in Vietnamese.

- **Dry run:** every row is staged, nothing is flushed: nothing is written, and a row that
  depends on a row above (a unit's parent, a candidacy's earlier step) is checked against it.
- **Real import:** rows that pass are recorded in batches (each batch one transaction);
  rows with a problem are reported and left out, to be fixed and submitted again.
- **Idempotent and resumable:** each row's command carries a key made from the row's
  reference (who or what it is about) and an id derived from that key; the fingerprint of
  its content is kept with it. The same file again records nothing new; a run killed
  mid-file is run again and records only what the killed run had not committed; a row
  changed since it was imported is a problem (a correction is the way to change it).

ADR 0022.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import InterfaceError, OperationalError
from pydantic import BaseModel, Field, ValidationError

from api.audit.refusals import refusal_detail, validation_messages
from api.spreadsheets.cells import CellProblem
from api.spreadsheets.layouts import Column, Kind, Layout
from api.spreadsheets.reading import DEFAULT_MAX_BYTES, FileRefused, Formula, Row, open_sheets
from domain.errors import DomainError
from workflows.application import Admissions
from workflows.context import Actor
from workflows.staging import Staged
from workflows.store import IdempotencyKeyReused
from workflows.unit_codes import unit_codes

IMPORT_NAMESPACE = uuid5(NAMESPACE_URL, "https://ketnap.vn/import")
# Every import's row keys belong to one owner, whoever imports (the same file imported by
# another token records nothing new either).
KEY_OWNER = "ketnap-import"
CHANGED_ROW = (
    "Dòng này đã được nhập trước đây với nội dung khác: sửa trong ketnap bằng đính chính "
    "(lịch sử được giữ), không nhập lại"
)
VI = "vi"


class ImportProblem(BaseModel):
    """One problem of the file: where (sheet, row, column), the value, the rule, why.
    (Named apart from the HTTP API's ``Problem`` (RFC 9457), as OpenAPI names schemas.)"""

    sheet: str
    row: int | None = Field(description="The row's number as the spreadsheet shows it")
    column: str | None = Field(description="The column's header")
    value: str | None
    rule: str
    message: str


Problem = ImportProblem


class ImportReport(BaseModel):
    kind: Kind
    file: str
    dry_run: bool
    rows: int = Field(description="Rows read (blank rows not counted)")
    recorded: int = Field(description="Rows recorded now (in a dry run: that would be)")
    unchanged: int = Field(description="Rows recorded before (by an earlier import)")
    problems: list[ImportProblem]
    ignored_columns: list[str] = Field(description="Columns the layout does not know")

    @property
    def ok(self) -> bool:
        return not self.problems


Progress = Callable[[int, int], None]
# Whether the importing principal may write under a unit (None: a root unit).
Within = Callable[[UUID | None], bool]


def row_id(key: str) -> UUID:
    """The id of the record a row creates: the same row, the same id, whoever imports."""
    return uuid5(IMPORT_NAMESPACE, key)


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class Context:
    """What a kind's rows are run with."""

    app: Staged
    actor: Actor
    sheet: str
    layout: Layout
    within: Within
    dry_run: bool
    problems: list[ImportProblem] = field(default_factory=list)
    recorded: int = 0
    unchanged: int = 0
    codes: dict[str, list[UUID]] = field(default_factory=dict)
    # Each row key's first row, to name a duplicate.
    seen: dict[str, int] = field(default_factory=dict)
    # The members on the roster by their references (``workflows.member_refs``).
    members: dict[str, UUID] = field(default_factory=dict)

    def problem(self, row: ParsedRow | None, column: str | None, rule: str, message: str) -> None:
        value = None
        if row is not None and column is not None:
            found = next((c for c in self.layout.columns if c.header == column), None)
            raw = row.raw.get(found.field) if found else None
            value = None if raw is None else str(raw)[:200]
        self.problems.append(
            Problem(
                sheet=self.sheet,
                row=row.number if row else None,
                column=column,
                value=value,
                rule=rule,
                message=message,
            )
        )

    def unit(self, row: ParsedRow, field_name: str) -> UUID | None:
        """The unit the row names by code in ``field_name`` (a problem when unknown or
        ambiguous)."""
        code = row.values.get(field_name)
        header = self.layout.column(field_name).header
        ids = self.codes.get(str(code).strip(), []) if code else []
        if code and not ids:  # written in another case: the one code that matches
            same = [c for c in self.codes if c.casefold() == str(code).strip().casefold()]
            ids = self.codes[same[0]] if len(same) == 1 else []
        if not ids:
            self.problem(row, header, "unknown_unit", f"Không có đơn vị mã '{code}'")
            return None
        if len(ids) > 1:
            self.problem(row, header, "ambiguous_unit", f"Có {len(ids)} đơn vị cùng mã '{code}'")
            return None
        return ids[0]

    def unit_within(self, row: ParsedRow, field_name: str) -> UUID | None:
        """``unit``, and a problem when the unit lies outside what the importer may write."""
        unit = self.unit(row, field_name)
        if unit is not None and not self.within(unit):
            header = self.layout.column(field_name).header
            self.problem(row, header, "forbidden_scope", "Đơn vị ngoài phạm vi của bạn")
            return None
        return unit

    def run_row(
        self,
        row: ParsedRow,
        key: str,
        fields: dict[str, str],
        run: Callable[[], Any],
        changed: str = CHANGED_ROW,
    ) -> bool:
        """Run one row's command under ``key``: recorded, or unchanged when its record
        exists with the same content (it then stages nothing); a problem (False) when the
        key was used by another row of this file, with other content (``changed``), or the
        command is refused."""
        first = self.seen.get(key)
        if first is not None:
            self.problem(row, None, "duplicate_row", f"Trùng với dòng {first} (cùng đối tượng)")
            return False
        self.seen[key] = row.number
        before = self.app.pending
        try:
            run()
        except IdempotencyKeyReused:
            self.problem(row, None, "changed_since_import", changed)
            return False
        except (DomainError, ValidationError) as exc:
            self.refused(row, exc, fields)
            return False
        if self.app.pending > before:
            self.recorded += 1
        else:
            self.unchanged += 1
        return True

    def refused(self, row: ParsedRow, exc: Exception, fields: dict[str, str]) -> None:
        """A command refused: a pydantic error at its fields' columns, a domain refusal
        (in Vietnamese, with its rule) at the column of the field it names, if any."""
        if isinstance(exc, ValidationError):
            for path, message in validation_messages(exc, VI).items():
                name = path.split(".")[0]
                header = fields.get(name)
                self.problem(row, header, "invalid_input", f"{header or path}: {message}")
            return
        assert isinstance(exc, DomainError)
        column = next((h for f, h in fields.items() if f in str(exc.detail)), None)
        self.problem(row, column, exc.rule, refusal_detail(exc, VI))


def read_rows(
    layout: Layout, header: tuple[str, ...], rows: Iterator[Row], context: Context
) -> Iterator[ParsedRow]:
    """The sheet's rows with their cells read by the layout's columns; a cell that does not
    fit is a problem and its row is left out."""
    columns, _, _ = layout.match(header)
    for row in rows:
        if row.blank():
            continue
        values: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        parsed = ParsedRow(row.number, values, raw)
        ok = True
        for index, column in columns.items():
            cell = row.values[index] if index < len(row.values) else None
            raw[column.field] = cell.text if isinstance(cell, Formula) else cell
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if column.required and not column.may_be_empty:
                    context.problem(parsed, column.header, "missing", f"Thiếu {column.header}")
                    ok = False
                continue
            try:
                values[column.field] = column.read(cell)
            except CellProblem as exc:
                context.problem(parsed, column.header, exc.rule, f"{column.header}: {exc.message}")
                ok = False
        if ok:
            yield parsed
        else:
            yield ParsedRow(row.number, {}, raw)  # counted, not run


RowRunner = Callable[[Context, Iterator[ParsedRow], Callable[[], None]], int]


def run_import(
    admissions: Admissions,
    layout: Layout,
    runner: RowRunner,
    path: Path,
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    within: Within = lambda _: True,
    progress: Progress | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_seconds: float = 0.5,
) -> ImportReport:
    """Import the file at ``path`` (named ``name`` by its user) as ``layout``'s kind."""
    file_name = name or path.name
    staged = Staged.over(admissions, key_owner=KEY_OWNER)
    context = Context(staged, actor, file_name, layout, within, dry_run)

    def report(rows: int, ignored: list[str]) -> ImportReport:
        return ImportReport(
            kind=layout.kind,
            file=file_name,
            dry_run=dry_run,
            rows=rows,
            recorded=context.recorded,
            unchanged=context.unchanged,
            problems=sorted(context.problems, key=lambda p: p.row or 0),
            ignored_columns=ignored,
        )

    try:
        sheet = open_sheets(
            path, name=file_name, limit=max_bytes, is_header=lambda row: layout.fits(row)
        )
    except FileRefused as exc:
        context.problem(None, None, exc.rule, exc.message)
        return report(0, [])
    context.sheet = sheet.name
    _, unknown, missing = layout.match(sheet.header)
    for header in missing:
        context.problem(None, header, "missing_column", f"Thiếu cột «{header}»")
    if missing:
        return report(0, unknown)
    context.codes = unit_codes(admissions.recorder, admissions.mapper)
    total = sheet.size_hint or 0
    done = 0
    last_flush = time.monotonic()

    def counted() -> Iterator[ParsedRow]:
        nonlocal done
        try:
            for parsed in read_rows(layout, sheet.header, sheet.rows, context):
                done += 1
                if progress is not None and done % 200 == 0:
                    progress(done, max(total, done))
                yield parsed
        except FileRefused as exc:
            context.problem(None, None, exc.rule, exc.message)

    def checkpoint() -> None:
        """After a row: write what is staged when a batch's time is up (real imports)."""
        nonlocal last_flush
        if dry_run or time.monotonic() - last_flush < batch_seconds:
            return
        write()
        last_flush = time.monotonic()

    written = 0  # rows recorded as of the last batch written

    def write() -> None:
        nonlocal written
        try:
            staged.flush()
        except (DomainError, OperationalError, InterfaceError) as exc:
            staged.discard()
            raise WriteInterrupted(done) from exc
        written = context.recorded

    try:
        runner(context, counted(), checkpoint)
        if not dry_run:
            write()
    except WriteInterrupted as stop:
        context.recorded = written
        cause = type(stop.__cause__).__name__
        context.problem(
            None,
            None,
            "import_interrupted",
            f"Ghi vào kho dữ liệu bị gián đoạn quanh dòng {stop.row:,} ({cause}): chạy lại "
            "cùng tệp; những dòng đã ghi sẽ không bị ghi lại",
        )
    if progress is not None:
        progress(done, max(done, total))
    return report(done, unknown)


class WriteInterrupted(Exception):
    """A batch could not be written (the store went away, or another writer got there
    first): the run stops; what was written stays, the batch is written by the next run."""

    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.row = row


def command_fields(layout: Layout, mapping: dict[str, str]) -> dict[str, str]:
    """A command's field names → the header of the column they come from."""
    headers = {c.field: c.header for c in layout.columns}
    return {command_field: headers[column] for command_field, column in mapping.items()}


def header_of(layout: Layout, field_name: str) -> str:
    column: Column = layout.column(field_name)
    return column.header
