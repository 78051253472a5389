"""``ketnap demo``: load the demo province (``api.demo``) into the configured store once,
then print its admissions per branch, the quota fulfilment of each period with a quota and
one token per role.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import structlog
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.bootstrap import build_app, build_projections
from api.cli.serve import print_demo_tokens
from api.demo.loader import PROVINCE_ID, DemoClock, DemoIncomplete, DemoSummary, load_demo
from api.settings import DatabaseUrlError, current
from domain.organisation import OrganisationKind, OrganisationState
from domain.values import Period
from projections.figures import AdmissionCounts, Breakdown
from projections.ledger_reader import LedgerReader
from projections.tree import OrganisationTree

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=132)  # piped to a file: keep table rows on one line
log = structlog.get_logger("ketnap.cli")


def demo() -> None:
    """Load the demo province (Tỉnh ủy Lâm Đồng) once and print its figures."""
    try:
        settings = current()
        app = build_app(settings, clock=DemoClock())
    except DatabaseUrlError as exc:
        console.print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    columns = (
        TextColumn("[bold]Nạp dữ liệu mẫu"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    quiet = not console.is_terminal
    with Progress(*columns, console=console, transient=True, disable=quiet) as progress:
        task = progress.add_task("demo", total=None)

        def advance(done: int, total: int) -> None:
            if done % 25 == 0 or done == total:
                progress.update(task, completed=done, total=total)

        try:
            summary = load_demo(app, progress=advance)
        except DemoIncomplete as exc:
            log.error("demo.incomplete")
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    _report_load(summary)
    # The figures come from the persisted views, read as the HTTP API reads them: this
    # command is their runner for a moment (a server, if one runs, would be too).
    projections = build_projections(app)
    projections.catch_up()
    print_figures(projections.reader, app.today())
    print_demo_tokens(app, PROVINCE_ID)


def print_figures(reader: LedgerReader, today: date) -> None:
    """The admissions per branch, then the fulfilment of every period with a quota."""
    print_branch_counts(reader, today)
    for period in reader.periods():
        print_quota_table(reader, Period.parse(period))


def _report_load(summary: DemoSummary) -> None:
    if summary.already_loaded:
        log.info("demo.already_loaded", province_id=str(summary.province_id))
        console.print(
            "[yellow]Dữ liệu mẫu đã có sẵn (the demo is already loaded); "
            "nothing was recorded.[/yellow]"
        )
        return
    log.info(
        "demo.loaded",
        province_id=str(summary.province_id),
        commands=summary.commands,
        events=summary.events_recorded,
        seconds=round(summary.seconds, 2),
    )
    stages = ", ".join(f"{stage} {n}" for stage, n in sorted(summary.stages.items()))
    console.print(
        f"[green]Đã nạp dữ liệu mẫu[/green]: {summary.organisations} units, "
        f"{summary.members} official members, {summary.candidacies} candidacies, "
        f"{summary.commands} commands, {summary.events_recorded} events "
        f"in {summary.seconds:.1f} s."
    )
    console.print(f"Stages: {stages}")
    if summary.small_branches:
        console.print(
            "Branches with fewer than 3 official members (cannot vote an admission): "
            + ", ".join(summary.small_branches)
        )


# --- rendering ---------------------------------------------------------------------------

COUNT_COLUMNS = (
    ("Kết nạp\nadmitted", "admitted"),
    ("Lễ kết nạp\nceremonies", "ceremonies"),
    ("Công nhận\nrecognised", "recognised"),
    ("Từ chối\nrejected", "rejected"),
    ("Rút\nwithdrawn", "withdrawn"),
    ("Xóa tên\nremoved", "removed"),
)


def _display_name(unit: OrganisationState, on: date) -> str:
    """The unit's name on ``on``, or its last name when it had ended by then."""
    if unit.ended_on is not None and unit.ended_on <= on:
        return unit.name_on(unit.ended_on - timedelta(days=1))
    return unit.name_on(on)


def _group_of(tree: OrganisationTree, branch_id: UUID, on: date) -> UUID | None:
    """The commune (else the parent) a branch sits under on ``on``."""
    path: list[UUID] = list(tree.path_on(branch_id, on))
    communes = [u for u in path if tree.unit(u).kind == OrganisationKind.COMMUNE]
    if communes:
        return communes[-1]
    return path[-2] if len(path) > 1 else None


def _count_cells(counts: AdmissionCounts) -> list[str]:
    return [str(getattr(counts, name)) for _, name in COUNT_COLUMNS]


def print_branch_counts(reader: LedgerReader, on: date) -> None:
    """Per-branch admission counts (all dates), grouped under each branch's commune on
    ``on``."""
    tree = reader.tree()
    counts = {b: f.counts for b, f in reader.grouped(None, "branch")[1].items() if b}
    branches = [u for u in tree.units() if u.kind.is_branch]
    groups: dict[UUID | None, list[OrganisationState]] = {}
    for branch in branches:
        groups.setdefault(_group_of(tree, branch.id, on), []).append(branch)
    table = Table(title="Kết quả kết nạp theo chi bộ (admissions per branch, all dates)")
    table.add_column("Đảng bộ xã/phường · Chi bộ")
    for header, _ in COUNT_COLUMNS:
        table.add_column(header, justify="right")
    total = AdmissionCounts()
    for group_id, members in sorted(groups.items(), key=lambda g: _group_key(tree, g[0])):
        subtotal = sum((counts.get(b.id, AdmissionCounts()) for b in members), AdmissionCounts())
        label = _display_name(tree.unit(group_id), on) if group_id else "—"
        table.add_row(
            f"[bold]{label}[/bold]",
            *[f"[bold]{c}[/bold]" for c in _count_cells(subtotal)],
            end_section=False,
        )
        for branch in sorted(members, key=lambda b: b.code):
            table.add_row(
                f"  {_display_name(branch, on)}",
                *_count_cells(counts.get(branch.id, AdmissionCounts())),
            )
        table.add_section()
        total = total + subtotal
    table.add_row(
        "[bold]Tổng cộng (total)[/bold]", *[f"[bold]{c}[/bold]" for c in _count_cells(total)]
    )
    console.print(table)


def _group_key(tree: OrganisationTree, group_id: UUID | None) -> str:
    return tree.unit(group_id).code if group_id else ""


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _breakdown_cells(b: Breakdown) -> list[str]:
    return [
        str(b.women),
        str(b.ethnic_minority),
        str(b.religious),
        str(b.youth_union),
        str(b.aged_30_or_under),
    ]


def print_quota_table(reader: LedgerReader, period: Period) -> None:
    """Fulfilment of every root unit for ``period`` and, indented, of the committees under
    it during the period (branches are left out: they carry no quota)."""
    table = Table(
        title=f"Thực hiện chỉ tiêu kết nạp đảng viên {period.key} (quota fulfilment)",
        caption="Each admission counts for every unit above its branch on the decision date; "
        "a unit moved during the period is listed under its last parent.",
    )
    for header in (
        "Đơn vị (unit)",
        "Chỉ tiêu\ntarget",
        "Kết nạp\nadmitted",
        "Đạt\n%",
        "Nữ\nwomen",
        "DTTS\nminority",
        "Tôn giáo\nreligious",
        "Đoàn viên\nyouth",
        "≤ 30 tuổi\n≤ 30",
    ):
        table.add_column(header, justify="left" if header.startswith("Đơn vị") else "right")
    tree = reader.tree()
    roots = [u for u in tree.units() if u.parents[0][1] is None]
    for root in sorted(roots, key=lambda u: u.code):
        _quota_rows(table, reader, tree, root.id, period, depth=0)
        table.add_section()
    console.print(table)


def _quota_rows(
    table: Table,
    reader: LedgerReader,
    tree: OrganisationTree,
    unit_id: UUID,
    period: Period,
    depth: int,
) -> None:
    report = reader.quota_report(unit_id, period)
    unit = tree.unit(unit_id)
    name = _display_name(unit, period.ends_on)
    if unit.ended_on is not None and period.contains(unit.ended_on):
        name += f" (đến {unit.ended_on:%d/%m/%Y})"
    style = "bold" if depth == 0 else ""
    table.add_row(
        "  " * depth + name,
        "—" if report.target is None else str(report.target),
        str(report.admitted),
        _percent(report.fulfilment_percent),
        *_breakdown_cells(report.breakdown),
        style=style,
    )
    children = sorted(report.children, key=lambda c: _sort_key(tree, c.organisation_id))
    for child in children:
        if _shown_under(tree, child.organisation_id, unit_id, period):
            _quota_rows(table, reader, tree, child.organisation_id, period, depth + 1)


def _sort_key(tree: OrganisationTree, unit_id: UUID) -> tuple[int, str]:
    unit = tree.unit(unit_id)
    return unit.kind.level, unit.name


def _shown_under(tree: OrganisationTree, child_id: UUID, parent_id: UUID, period: Period) -> bool:
    """Committees (not branches) show once, under the parent they had on their last day
    in the period: a commune moved mid-year shows under its new parent only."""
    child = tree.unit(child_id)
    if child.kind.is_branch:
        return False
    last = period.ends_on
    if child.ended_on is not None and child.ended_on <= last:
        last = child.ended_on - timedelta(days=1)
    return child.parent_on(last) == parent_id
