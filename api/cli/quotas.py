"""``ketnap quotas forecast --organisation ID --period P [--as-of D] [--known-at T]``: the
quota's forecast (``api.reports.forecast``, the use case of the HTTP API and the quota page)
as rich tables in Vietnamese: the figures, the rate of each stage and where it came from,
and the candidacies that decide it.

Like ``ketnap export`` it catches the read side up first and acts as the store's operator
(no token, no subtree, candidacies named). An unknown unit exits 1; a bad option exits 2.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import structlog
import typer
from rich.console import Console
from rich.table import Table

from api.audit.dossier_text import STAGE_LABELS
from api.cli.reading import AsOfOption, KnownAtOption, figures_caught_up, known_at_instant
from api.reports.forecast import QuotaForecast, quota_forecast
from domain.errors import NotFound
from domain.values import Period

log = structlog.get_logger("ketnap.quotas")
quotas = typer.Typer(help="Chỉ tiêu kết nạp: dự báo (quota forecasts).", no_args_is_help=True)

_BASIS = {"own": "của đơn vị", "above": "đơn vị cấp trên", "store": "toàn bộ dữ liệu"}


def _share(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def print_forecast(answer: QuotaForecast, console: Console) -> None:
    """The answer as three tables: figures, stages, deciding candidacies."""
    head = Table(title=f"Dự báo chỉ tiêu {answer.period} · {answer.name}", show_header=False)
    head.add_row("Tính đến ngày", answer.as_of.strftime("%d/%m/%Y"))
    if answer.known_at is not None:
        head.add_row("Theo dữ liệu ghi nhận đến", answer.known_at.isoformat())
    head.add_row("Chỉ tiêu", "" if answer.target is None else str(answer.target))
    head.add_row("Đã kết nạp", str(answer.admitted))
    head.add_row("Dự kiến đến cuối kỳ", f"{answer.expected:.1f}")
    head.add_row("Khoảng (phân vị 10–90)", f"{answer.low}–{answer.high}")
    if answer.expected_fulfilment_percent is not None:
        head.add_row("Dự kiến đạt", f"{answer.expected_fulfilment_percent:.1f}%")
    console.print(head)
    stages = Table(title="Theo giai đoạn")
    for name in ("Giai đoạn", "Số người", "Còn kịp", "Dự kiến", "Tỷ lệ", "Từ", "Hồ sơ trước"):
        stages.add_column(name, justify="left" if name in ("Giai đoạn", "Từ") else "right")
    stages.add_column("≤ 3 / 12 tháng", justify="right")
    for s in answer.stages:
        within = {w.months: w.share for w in s.admitted_within}
        stages.add_row(
            STAGE_LABELS[s.stage.value],
            str(s.candidates),
            str(s.deciding),
            f"{s.expected:.1f}",
            _share(s.rate),
            _BASIS[s.basis],
            str(s.past_candidacies),
            f"{_share(within.get(3))} / {_share(within.get(12))}",
        )
    console.print(stages)
    if answer.deciding:
        deciding = Table(title=f"Người quyết định kết quả ({answer.deciding_count})")
        for name in ("Hồ sơ", "Giai đoạn", "Từ ngày", "Bước tiếp theo trước", "Hạn", "Khả năng"):
            deciding.add_column(name)
        for d in answer.deciding:
            deciding.add_row(
                str(d.candidacy_id),
                STAGE_LABELS[d.stage.value],
                d.since.strftime("%d/%m/%Y"),
                d.next_step_by.strftime("%d/%m/%Y"),
                d.due_on.strftime("%d/%m/%Y") if d.due_on else "",
                _share(d.probability),
            )
        console.print(deciding)
    for note in answer.notes:
        console.print(f"· {note}", markup=False, highlight=False)


@quotas.command("forecast")
def forecast(
    organisation: Annotated[UUID, typer.Option("--organisation", help="The unit.")],
    period: Annotated[str, typer.Option(help="A year (2025) or a term (2020-2025).")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
) -> None:
    """Admissions expected by the period's end, with the band and the deciding candidates."""
    try:
        wanted = Period.parse(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--period'") from exc
    instant = known_at_instant(known_at)
    console = Console()
    try:
        with figures_caught_up(console) as (app, views):
            app.organisation(organisation)
            answer = quota_forecast(
                views,
                app.calendar,
                organisation,
                wanted,
                app.today(),
                as_of=as_of.date() if as_of else None,
                known_at=instant,
            )
    except NotFound as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    log.info("quotas.forecast", organisation_id=organisation, period=wanted.key)
    print_forecast(answer, console)
