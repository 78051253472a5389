"""``ketnap audit history|state|explain|export|compliance``: one candidacy's file, or a
unit's deadline compliance, read from the configured store (read-only).

Each command builds the application as ``ketnap`` does (``build_app(current())``), reads,
logs one ``audit.read`` line (who: the operating-system account, role ``operator``; what;
when; never personal data) and prints. An unknown id exits with 1 and a message naming it;
a malformed option exits with 2 (typer's usage error, naming the option).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.audit.compliance import compliance_for
from api.audit.dossier import dossier_for
from api.audit.dossier_text import (
    DEADLINE_LABELS,
    STATUS_LABELS,
    rule_set_name,
    step_label,
    vn_date,
)
from api.audit.history import history_items
from api.audit.state import state_view
from api.audit.trail import AuditRead, audit_read, cli_actor
from api.bootstrap import build_app
from api.documents.pdf import render_pdf
from api.settings import DatabaseUrlError, current
from domain.compliance import ComplianceReport
from domain.errors import NotFound
from domain.values import Period
from workflows.application import Admissions


def _console() -> Console:
    """A console for this run (built when the command runs, so it sees its environment)."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)  # piped to a file: keep table rows on one line
    return console


CLI_ROLE = "operator"  # the CLI reads the store directly; it has no token and no subtree

CandidacyId = Annotated[UUID, typer.Argument(metavar="ID", help="The candidacy's id.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _store() -> Iterator[Admissions]:
    """The application on the configured store, closed afterwards; a bad URL exits 2."""
    try:
        app = build_app(current())
    except DatabaseUrlError as exc:
        _console().print(f"[red]KETNAP_DATABASE_URL: {exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        yield app
    except NotFound as exc:
        _console().print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    finally:
        app.close()


def _logged(app: Admissions, what: AuditRead, **target: Any) -> None:
    audit_read(what, actor=cli_actor(), role=CLI_ROLE, at=app.clock(), via="cli", **target)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a day YYYY-MM-DD", param_hint=option) from exc


def _instant(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 instant", param_hint=option
        ) from exc
    if moment.tzinfo is None:
        raise typer.BadParameter(
            f"{value!r} has no offset (e.g. 2025-01-05T08:00:00+07:00)", param_hint=option
        )
    try:  # the stores compare in UTC: 0001-01-01T00:00+14:00 has no date there
        moment.astimezone(UTC)
    except OverflowError:
        raise typer.BadParameter(
            f"{value!r} falls outside the years 1 to 9999 in UTC", param_hint=option
        ) from None
    return moment


def _json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


# --- history ---------------------------------------------------------------------------------


def history(candidacy_id: CandidacyId, as_json: AsJson = False) -> None:
    """Every event of a candidacy in order, as recorded.

    Effective day, recording time, who (role, unit), request, rule set, document, data and
    hash; corrections shown against the event they restate.
    """
    with _store() as app:
        state = app.candidacy(candidacy_id)
        _logged(app, "history", candidacy_id=candidacy_id)
        items = history_items(state.history, with_person=True, explain=False)
        if as_json:
            _json([item.model_dump(mode="json") for item in items])
            return
        table = Table(title=f"Diễn biến hồ sơ (history) {candidacy_id}", show_lines=True)
        for header in (
            "#",
            "Ngày\neffective",
            "Ghi nhận\nrecorded",
            "Người ghi\nactor · role",
            "Đơn vị · yêu cầu\nunit · request",
            "Quy định\nrule set",
            "Tài liệu\ndocument",
            "Sự kiện · dữ liệu\nevent · data",
            "Đính chính\ncorrections",
            "Mã băm\nhash",
        ):
            table.add_column(header, overflow="fold")
        for item in items:
            doc = item.document
            document = (
                f"{doc.form} {doc.number}" + (f" {vn_date(doc.dated)}" if doc and doc.dated else "")
                if doc
                else "—"
            )
            data = orjson.dumps(item.data, option=orjson.OPT_SORT_KEYS).decode()
            notes = []
            if item.restates is not None:
                notes.append(f"đính chính #{item.restates}")
            if item.restated_by:
                notes.append("bị đính chính bởi " + ", ".join(f"#{p}" for p in item.restated_by))
            table.add_row(
                str(item.position),
                vn_date(item.effective_on),
                item.recorded_at.isoformat(),
                escape(f"{item.actor} · {item.role}"),
                escape(f"{item.unit_id or '—'} · {item.request_id}"),
                item.rule_set or "—",
                escape(document),
                f"[bold]{item.type}[/bold] {escape(data)}",
                "; ".join(notes) or "—",
                item.hash[:16] + "…",
            )
        _console().print(table)


# --- state -----------------------------------------------------------------------------------


def state(
    candidacy_id: CandidacyId,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="End of this day, YYYY-MM-DD (default: today).")
    ] = None,
    known_at: Annotated[
        str | None,
        typer.Option(
            "--known-at",
            help="From what was recorded by this instant (ISO 8601 "
            "with offset, e.g. 2025-01-05T08:00:00+07:00).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The candidacy as it stood on a past day, from its events alone.

    At the end of day --as-of, from what had been recorded by --known-at (both default to
    now), with its deadlines on that day.
    """
    day, moment = _day(as_of, "--as-of"), _instant(known_at, "--known-at")
    with _store() as app:
        current = app.candidacy(candidacy_id)
        _logged(app, "state", candidacy_id=candidacy_id, as_of=day, known_at=moment)
        out = state_view(app, current, as_of=day, known_at=moment, with_person=True)
        on = out.as_of
        if as_json:
            typer.echo(out.model_dump_json(indent=2))
            return
        table = Table(
            title=f"Hồ sơ {candidacy_id} tại ngày {vn_date(on)}"
            + (f", theo dữ liệu ghi đến {moment.isoformat()}" if moment else "")
        )
        table.add_column("Mục (field)")
        table.add_column("Giá trị (value)", overflow="fold")
        skip = {"deadlines", "person", "as_of", "known_at"}
        for name, value in out.model_dump(mode="json", exclude=skip).items():
            if value not in (None, [], 0) or name in ("stage", "version"):
                text = value if isinstance(value, str) else orjson.dumps(value).decode()
                table.add_row(name, escape(text))
        for d in out.deadlines:
            table.add_row(
                f"thời hạn · {d.kind}",
                f"{vn_date(d.due_on)} · {STATUS_LABELS[d.status]} ({d.status})",
            )
        _console().print(table)


# --- explain ---------------------------------------------------------------------------------


def explain(candidacy_id: CandidacyId) -> None:
    """A readable timeline of the checks that ran at each step.

    For each step: the rule set it was checked under and every check with its parameters,
    in Vietnamese, then the English detail recorded with it.
    """
    with _store() as app:
        state = app.candidacy(candidacy_id)
        _logged(app, "explain", candidacy_id=candidacy_id)
        items = history_items(state.history, with_person=False, explain=True)
        console = _console()
        console.print(f"[bold]Diễn biến và kiểm tra (explained timeline) · {candidacy_id}[/bold]")
        for item in items:
            corrected = f" · đính chính #{item.restates}" if item.restates else ""
            if item.restated_by:
                corrected += " · bị đính chính bởi " + ", ".join(f"#{p}" for p in item.restated_by)
            console.print(
                f"\n[bold]#{item.position}  {vn_date(item.effective_on)}  "
                f"{step_label(item.type)}[/bold] — {rule_set_name(item.rule_set)}{corrected}",
                highlight=False,
            )
            for line in item.explanation or ["(không có kiểm tra / no checks)"]:
                console.print(f"    {line}", highlight=False, markup=False)


# --- export ----------------------------------------------------------------------------------


def export(
    candidacy_id: CandidacyId,
    fmt: Annotated[Literal["pdf", "json"], typer.Option("--format", help="pdf or json.")] = "json",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default: stdout for json, ho-so-<ID>.pdf for pdf).",
        ),
    ] = None,
    deadlines_on: Annotated[
        str | None,
        typer.Option(
            "--deadlines-on",
            help="Judge open deadlines on this day (default: the "
            "day the newest event was recorded, so the export depends on the events "
            "alone).",
        ),
    ] = None,
) -> None:
    """The candidacy's dossier as PDF or JSON.

    Summary, timeline with checks, documents by form code (1-KNĐ … 16-KNĐ), votes, deadlines
    met or missed, and the verification of its own hash chain.
    """
    day = _day(deadlines_on, "--deadlines-on")
    with _store() as app:
        dossier = dossier_for(app, candidacy_id, day)
        _logged(app, "export", candidacy_id=candidacy_id, format=fmt)
    if fmt == "json":
        text = dossier.model_dump_json(indent=2)
        if output is None:
            typer.echo(text)
            return
        output.write_text(text + "\n", encoding="utf-8")
    else:
        output = output or Path(f"ho-so-{candidacy_id}.pdf")
        output.write_bytes(render_pdf(dossier))
    _console().print(f"Đã xuất hồ sơ (exported) → {output}", highlight=False)


# --- compliance ------------------------------------------------------------------------------


def _period(value: str) -> Period:
    try:
        return Period.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc


def compliance(
    organisation: Annotated[
        UUID, typer.Option("--organisation", help="The unit whose subtree is reported.")
    ],
    period: Annotated[str, typer.Option("--period", help="A year (2025) or a term (2020-2025).")],
    as_json: AsJson = False,
) -> None:
    """Deadline compliance of a unit's candidacies in a period.

    Decisions within 60 working days of the branch resolution, ceremonies within 30 of the
    decision, recognition votes within 30 of the end of probation, recognition decisions
    within 30 of that vote: how many met the limit, missed it or are overdue, and by how many
    working days.
    """
    wanted = _period(period)
    with _store() as app:
        report = compliance_for(app, organisation, wanted)
        _logged(app, "compliance", organisation_id=organisation, period=wanted.key)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    print_compliance(report)


def print_compliance(report: ComplianceReport) -> None:
    """The report as two tables: per kind of step, then every late step."""
    table = Table(
        title=f"Thực hiện thời hạn kết nạp {report.period} (deadline compliance), "
        f"tính đến {vn_date(report.cut_off)}",
        caption=f"{report.candidacies} hồ sơ, {report.steps} bước: {report.met} đúng hạn, "
        f"{report.missed} quá hạn, {report.overdue} đang quá hạn (ngày làm việc).",
    )
    for header in (
        "Bước (step)",
        "Giới hạn\nlimit",
        "Số bước\nsteps",
        "Đúng hạn\nmet",
        "Quá hạn\nmissed",
        "Đang quá hạn\noverdue",
        "Tổng quá\nover total",
        "Lâu nhất\nover max",
    ):
        table.add_column(header, justify="left" if header.startswith("Bước") else "right")
    for k in report.by_kind:
        table.add_row(
            f"{DEADLINE_LABELS[k.kind]} ({k.kind})",
            k.limit_working_days,
            str(k.steps),
            str(k.met),
            str(k.missed),
            str(k.overdue),
            str(k.working_days_over_total),
            str(k.working_days_over_max),
        )
    console = _console()
    console.print(table)
    _print_departures(console, report)
    if not report.late:
        console.print("Không có bước nào quá hạn (no step was late).")
        return
    late = Table(title="Các bước quá hạn (late steps)")
    for header in (
        "Hồ sơ",
        "Bước",
        "Căn cứ",
        "Hạn chót",
        "Thực hiện",
        "Quá (ngày làm việc)",
        "Quy định",
    ):
        late.add_column(header)
    for s in report.late:
        late.add_row(
            str(s.candidacy_id),
            s.kind,
            vn_date(s.basis_on),
            vn_date(s.due_on),
            vn_date(s.taken_on) if s.taken_on else "chưa (pending)",
            str(s.working_days_over),
            s.rule_set,
        )
    console.print(late)


def _print_departures(console: Console, report: ComplianceReport) -> None:
    """Votes counted without the roster (an override), for the inspector."""
    if not report.departures:
        console.print("Không có biểu quyết nào ngoài danh sách đảng viên (no roster override).")
        return
    table = Table(title="Biểu quyết không đối chiếu danh sách đảng viên (roster overrides)")
    for header in ("Hồ sơ", "Vị trí", "Bước", "Ngày", "Lý do", "Văn bản"):
        table.add_column(header)
    for d in report.departures:
        doc = f"{d.document.form} {d.document.number}"
        table.add_row(
            str(d.candidacy_id),
            str(d.position),
            d.step,
            vn_date(d.on),
            escape(d.reason),
            escape(doc),
        )
    console.print(table)
