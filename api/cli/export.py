"""``ketnap export REPORT -o FILE.xlsx|FILE.csv``: any report or the roster as a
spreadsheet, from the configured store, through the same use cases as the HTTP API
(``api.reports``, ``api.audit.compliance``) and the same writer (``api.spreadsheets``).

The command catches the read side up first (a progress bar on a terminal), as a runner
would, then reads. It acts as the operator of the store (no token, no subtree): without
``--organisation`` a report covers the whole tree. The format is the output file's suffix.
A bad option exits 2 naming it (typer's usage error); an unknown unit exits 1. The log line
(``export.written``) names the report, the unit and the row count, never a person.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from uuid import UUID

import structlog
import typer
from rich.console import Console

from api.audit.compliance import compliance_for
from api.cli.progress import bar
from api.cli.reading import AsOfOption, KnownAtOption, figures_caught_up, known_at_instant
from api.reports.admissions import admissions_figures
from api.reports.coverage import residential_coverage
from api.reports.quotas import quota_fulfilment
from api.reports.register import certificates_expiring, open_deadlines, pipeline
from api.reports.roster import roster
from api.reports.statistics import candidacy_states, new_member_statistics
from api.spreadsheets import export as sheets
from api.spreadsheets.export_roster import RosterLayout, roster_export
from api.spreadsheets.export_statistics import statistics_export
from api.spreadsheets.workbook import Export, write
from domain.errors import NotFound
from domain.values import Period
from projections.reports import GroupBy
from projections.runner import Projections
from workflows.application import Admissions

log = structlog.get_logger("ketnap.export")


class Report(StrEnum):
    """What ``ketnap export`` writes."""

    ADMISSIONS = "admissions"
    QUOTA = "quota"
    PIPELINE = "pipeline"
    DEADLINES = "deadlines"
    COMPLIANCE = "compliance"
    COVERAGE = "coverage"
    CERTIFICATES = "certificates"
    ROSTER = "roster"
    STATISTICS = "statistics"


def _period(text: str | None, report: Report) -> Period:
    if text is None:
        raise typer.BadParameter(f"required for `{report.value}`", param_hint="'--period'")
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--period'") from exc


def _output(path: Path) -> Path:
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise typer.BadParameter(
            f"{path.name}: the file must end in .xlsx or .csv", param_hint="'-o' / '--output'"
        )
    return path


def _build(
    app: Admissions,
    views: Projections,
    report: Report,
    unit: UUID | None,
    *,
    period: str | None,
    year: int | None,
    start: date | None,
    end: date | None,
    as_of: date | None,
    known_at: datetime | None,
    group_by: GroupBy,
    layout: RosterLayout,
) -> Export:
    """The report's spreadsheet content, from the same use case the HTTP API calls."""
    today = app.today()
    tree = views.reader.tree(known_at)
    if report is Report.ADMISSIONS:
        stop = min(end, as_of) if end and as_of else end or as_of
        answer = admissions_figures(
            views, unit, today, group_by=group_by, start=start, end=stop, known_at=known_at
        )
        return sheets.admissions_export(answer, tree, today)
    if report is Report.QUOTA or report is Report.COMPLIANCE:
        wanted = _period(period, report)
        if unit is None:
            raise typer.BadParameter(
                f"required for `{report.value}`", param_hint="'--organisation'"
            )
        app.organisation(unit)
        if report is Report.QUOTA:
            fulfilment = quota_fulfilment(
                views, unit, wanted, today, as_of=as_of, known_at=known_at
            )
            return sheets.quota_export(fulfilment, tree)
        return sheets.compliance_export(compliance_for(app, unit, wanted), tree)
    if report is Report.PIPELINE:
        return sheets.pipeline_export(
            pipeline(views, unit, today, as_of=as_of, known_at=known_at), tree
        )
    if report is Report.DEADLINES:
        found = open_deadlines(views, unit, today, as_of=as_of, known_at=known_at)
        return sheets.deadlines_export(found, tree, unit)
    if report is Report.CERTIFICATES:
        expiring = certificates_expiring(views, unit, today, as_of=as_of, known_at=known_at)
        return sheets.certificates_export(expiring, tree, unit)
    if report is Report.COVERAGE:
        covered = residential_coverage(views, unit, as_of or today, known_at)
        return sheets.coverage_export(covered, tree)
    if report is Report.ROSTER:
        day = as_of or today
        branch = unit if unit is not None and app.organisation(unit).kind.is_branch else None
        members = roster(app, views, day, branch_id=branch, root=None if branch else unit)
        return roster_export(members, tree, unit, day, layout)
    if year is None:
        raise typer.BadParameter("required for `statistics`", param_hint="'--year'")
    with bar("Đọc hồ sơ · reading candidacies") as progress:
        states = candidacy_states(app, as_of, known_at, lambda n: progress(n, n))
        stats = new_member_statistics(states, views, unit, year, as_of=as_of, known_at=known_at)
    return statistics_export(stats, tree)


def export(
    report: Annotated[Report, typer.Argument(help="The report to write.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="FILE.xlsx or FILE.csv (format from suffix).")
    ],
    organisation: Annotated[
        UUID | None,
        typer.Option("--organisation", help="The unit whose subtree (default: the whole tree)."),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="quota, compliance: a year (2025) or a term (2020-2025).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="statistics: the calendar year.")] = None,
    from_: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="admissions: first day."),
    ] = None,
    to: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="admissions: last day.")
    ] = None,
    group_by: Annotated[GroupBy, typer.Option(help="admissions: per branch or child.")] = (
        GroupBy.BRANCH
    ),
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    layout: Annotated[
        RosterLayout, typer.Option(help="roster: the import's columns, or CSDL 3.0's.")
    ] = RosterLayout.STANDARD,
) -> None:
    """Write a report or the roster as .xlsx or .csv (Vietnamese headers)."""
    path = _output(output)
    instant = known_at_instant(known_at)
    console = Console()
    try:
        with figures_caught_up(console) as (app, views):
            if organisation is not None:
                app.organisation(organisation)
            content = _build(
                app,
                views,
                report,
                organisation,
                period=period,
                year=year,
                start=from_.date() if from_ else None,
                end=to.date() if to else None,
                as_of=as_of.date() if as_of else None,
                known_at=instant,
                group_by=group_by,
                layout=layout,
            )
            size = write(content, path)
    except NotFound as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    rows = sum(len(t.rows) for t in content.tables)
    log.info("export.written", report=report.value, organisation_id=organisation, rows=rows)
    console.print(f"{path} · {rows} dòng · {size:,} bytes", markup=False, highlight=False)
