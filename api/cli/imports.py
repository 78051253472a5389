"""``ketnap import tree|roster|quotas|candidacies FILE [--dry-run]`` and ``ketnap import
template KIND -o FILE.xlsx``: a board's spreadsheet into the store through the
application's own commands (``api.spreadsheets``; ADR 0022). Exit codes: 0 every row
recorded or unchanged, 1 some row has a problem (the others were recorded, or in a dry run
would be), 2 the file or the command line itself is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.table import Table

from api.bootstrap import build_app
from api.cli.progress import bar, console
from api.cli.serve import cli_actor
from api.settings import DatabaseUrlError, current
from api.spreadsheets.importer import ImportReport, run_import
from api.spreadsheets.kinds import RUNNERS
from api.spreadsheets.layouts import KINDS, Kind
from api.spreadsheets.problems_file import problems_workbook
from api.spreadsheets.template import write_template

imports = typer.Typer(
    help="Import a spreadsheet (.xlsx or .csv): the tree, the roster, quotas, candidacies.",
    no_args_is_help=True,
)
log = structlog.get_logger("ketnap.import")
SHOWN = 50  # problems printed; the rest are counted (all are in the --problems file)

FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help=".xlsx or .csv")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")]
ProblemsOut = Annotated[
    Path | None,
    typer.Option(
        "--problems",
        dir_okay=False,
        help="Write the rows that have a problem to this .xlsx, with a column «Lỗi», to fix "
        "and import again.",
    ),
]


def _run(kind: Kind, path: Path, dry_run: bool, problems: Path | None) -> None:
    settings = current()
    if problems is not None and problems.suffix.lower() != ".xlsx":
        raise typer.BadParameter("the problems file is an .xlsx", param_hint="--problems")
    try:
        app = build_app(settings)
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    layout, runner = RUNNERS[kind]
    label = "Kiểm tra" if dry_run else "Nhập"
    try:
        with bar(f"{label} {layout.title.lower()} · {path.name}", unit="dòng") as progress:
            report = run_import(
                app,
                layout,
                runner,
                path,
                actor=cli_actor(),
                dry_run=dry_run,
                progress=progress,
                max_bytes=settings.max_import_bytes,
            )
    finally:
        app.close()
    _print(report)
    if problems is not None and report.problems:
        problems_workbook(path, path.name, report, problems, limit=settings.max_import_bytes)
        console.print(f"Các dòng có lỗi: {problems} (sửa cột được chỉ ra rồi nhập lại tệp này)")
    elif report.problems and report.rows:
        console.print("Ghi các dòng có lỗi ra một tệp để sửa: thêm --problems loi.xlsx")
    if not report.problems and report.rows == 0:
        console.print("[yellow]Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.")
    log.info(
        "import.done",
        kind=kind,
        dry_run=dry_run,
        rows=report.rows,
        recorded=report.recorded,
        unchanged=report.unchanged,
        problems=len(report.problems),
    )
    if report.problems and report.rows == 0:
        raise typer.Exit(2)
    if report.problems:
        raise typer.Exit(1)


def _print(report: ImportReport) -> None:
    verb = "sẽ ghi" if report.dry_run else "đã ghi"
    console.print(
        f"{report.file}: {report.rows:,} dòng · {verb} {report.recorded:,} · "
        f"đã có từ trước {report.unchanged:,} · lỗi {len(report.problems):,}"
        + (" (chạy thử: không ghi gì)" if report.dry_run else "")
    )
    if report.ignored_columns:
        console.print(f"[yellow]Cột không dùng (bỏ qua): {', '.join(report.ignored_columns)}")
    if not report.problems:
        return
    table = Table("Trang", "Dòng", "Cột", "Giá trị", "Quy tắc", "Lỗi", show_lines=False)
    for problem in report.problems[:SHOWN]:
        table.add_row(
            problem.sheet,
            "" if problem.row is None else str(problem.row),
            problem.column or "",
            problem.value or "",
            problem.rule,
            problem.message,
        )
    console.print(table)
    if len(report.problems) > SHOWN:
        console.print(f"… và {len(report.problems) - SHOWN:,} lỗi nữa")


@imports.command("tree")
def import_tree(file: FileArg, dry_run: DryRun = False, problems: ProblemsOut = None) -> None:
    """Units with their founding dates and parents, and later renames, moves, merges and
    dissolutions (columns: ketnap import template tree)."""
    _run("tree", file, dry_run, problems)


@imports.command("roster")
def import_roster(file: FileArg, dry_run: DryRun = False, problems: ProblemsOut = None) -> None:
    """Official and probationary members with the party member's record (CSDL 3.0 fields)."""
    _run("roster", file, dry_run, problems)


@imports.command("quotas")
def import_quotas(file: FileArg, dry_run: DryRun = False, problems: ProblemsOut = None) -> None:
    """Admission targets per unit and period (a year or a term)."""
    _run("quotas", file, dry_run, problems)


@imports.command("candidacies")
def import_candidacies(
    file: FileArg, dry_run: DryRun = False, problems: ProblemsOut = None
) -> None:
    """Past candidacies step by step: one row a step, named by the candidacy's reference
    (Mã hồ sơ); the first row of a reference is its nomination, with the person."""
    _run("candidacies", file, dry_run, problems)


@imports.command("template")
def template(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .xlsx to write")],
) -> None:
    """Write an empty template: the columns, Vietnamese headers, a notes sheet, lists."""
    if kind not in RUNNERS:
        raise typer.BadParameter(f"one of {', '.join(RUNNERS)}", param_hint="KIND")
    if output.suffix.lower() != ".xlsx":
        raise typer.BadParameter("the template is an .xlsx file", param_hint="--output")
    layout, _ = RUNNERS[kind]
    write_template(layout, output)
    console.print(f"{output}: mẫu «{layout.title}», {len(layout.columns)} cột")
