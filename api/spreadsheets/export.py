"""Every report's answer as spreadsheet content (``workbook.Export``): one function per
report, taking the pydantic answer its use case gave (``api.reports``, and the deadline
compliance of ``api.audit.compliance``) and the tree to name units by. The roster and the
statistics form are in ``export_roster`` and ``export_statistics``."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from api.audit.dossier_text import DEADLINE_LABELS, STAGE_LABELS, STATUS_LABELS
from api.reports.admissions import AdmissionsReportPage, AdmissionsRow
from api.reports.common import BreakdownOut
from api.reports.coverage import CoverageReport
from api.reports.quotas import QuotaFulfilment
from api.reports.register import DeadlinesPage, ExpiringCertificatesPage, PipelineReport
from api.spreadsheets.workbook import Cell, Column, Export, Heading, Kind, Table, vn_day
from domain.compliance import ComplianceReport
from projections.reports import GroupBy
from projections.tree import OrganisationTree

C, N, D, P, F = Kind.TEXT, Kind.INT, Kind.DATE, Kind.PERCENT, Kind.DECIMAL

BREAKDOWN_HEADERS = (
    ("women", "Nữ"),
    ("ethnic_minority", "Dân tộc thiểu số"),
    ("religious", "Có tôn giáo"),
    ("youth_union", "Đoàn viên"),
    ("aged_30_or_under", "Từ 30 tuổi trở xuống"),
)
BREAKDOWN_NOTE = (
    "Các cột Nữ, Dân tộc thiểu số, Có tôn giáo, Đoàn viên, Từ 30 tuổi trở xuống đếm trong số "
    "đảng viên được kết nạp (một người có thể thuộc nhiều nhóm); tuổi tính vào ngày quyết định."
)


def unit_heading(
    tree: OrganisationTree,
    title: str,
    unit_id: UUID | None,
    day: date,
    *,
    period: str | None = None,
    as_of: date | None = None,
    known_at: datetime | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> Heading:
    """The heading of a report about ``unit_id``'s subtree (None: everything), the unit
    named as on ``day``."""
    name = code = None
    if unit_id is not None:
        name = tree.display_name(unit_id, day)
        code = tree.unit(unit_id).code if unit_id in tree else None
    return Heading(title, name, code, period, as_of, known_at, extra)


def _code(tree: OrganisationTree, unit_id: UUID) -> str | None:
    return tree.unit(unit_id).code if unit_id in tree else None


def _stem(kind: str, code: str | None, *parts: str | None) -> str:
    words = [kind, code or "all", *(p for p in parts if p)]
    return "_".join(w.replace("/", "-").replace(" ", "") for w in words)


# --- admissions ----------------------------------------------------------------------------


def _admissions_cells(row: AdmissionsRow) -> list[Cell]:
    b = row.breakdown
    return [
        row.code,
        row.name,
        row.admitted,
        row.ceremonies,
        row.recognised,
        row.removed,
        row.rejected,
        row.withdrawn,
        *(getattr(b, field) for field, _ in BREAKDOWN_HEADERS),
    ]


def admissions_export(report: AdmissionsReportPage, tree: OrganisationTree, today: date) -> Export:
    """The admissions report: one row per branch or child unit, then the total."""
    by = "chi bộ" if report.group_by is GroupBy.BRANCH else "đơn vị trực thuộc"
    period = None
    if report.from_ or report.to:
        start = vn_day(report.from_) if report.from_ else "…"
        period = f"{start} – {vn_day(report.to) if report.to else '…'}"
    heading = unit_heading(
        tree,
        f"Báo cáo kết nạp đảng viên theo {by}",
        report.organisation_id,
        min(report.to or today, today),
        period=period,
        as_of=report.to,
        known_at=report.known_at,
    )
    columns = [
        Column("Mã đơn vị", C, 14),
        Column("Tên đơn vị", C, 36),
        Column("Kết nạp", N),
        Column("Lễ kết nạp", N),
        Column("Công nhận chính thức", N),
        Column("Xóa tên dự bị", N),
        Column("Không kết nạp", N),
        Column("Rút khỏi danh sách", N),
        *(Column(header, N) for _, header in BREAKDOWN_HEADERS),
    ]
    rows = [_admissions_cells(r) for r in report.items]
    total = report.total.model_copy(update={"code": None, "name": "Tổng cộng"})
    rows.append(_admissions_cells(total))
    table = Table("Kết nạp", columns, rows, (BREAKDOWN_NOTE,))
    grouped = "theo-chi-bo" if report.group_by is GroupBy.BRANCH else "theo-don-vi-truc-thuoc"
    days = [d.isoformat() for d in (report.from_, report.to) if d is not None]
    stem = _stem("ket-nap", heading.unit_code, grouped, *days)
    return Export(heading, [table], stem)


# --- quota ---------------------------------------------------------------------------------

_QUOTA_BASE = "Tỷ lệ đạt = số đã kết nạp ÷ chỉ tiêu × 100 (cơ sở: chỉ tiêu của đơn vị)."


def quota_export(report: QuotaFulfilment, tree: OrganisationTree) -> Export:
    """Quota fulfilment: the unit then its children; the breakdown against sub-targets."""
    heading = unit_heading(
        tree,
        "Kết quả thực hiện chỉ tiêu kết nạp đảng viên",
        report.organisation_id,
        report.as_of or date.max,
        period=report.period,
        as_of=report.as_of,
        known_at=report.known_at,
    )
    columns = [
        Column("Mã đơn vị", C, 14),
        Column("Tên đơn vị", C, 36),
        Column("Chỉ tiêu", N),
        Column("Đã kết nạp", N),
        Column("Tỷ lệ đạt (% so với chỉ tiêu)", P, 18),
    ]
    rows: list[list[Cell]] = [
        [
            heading.unit_code,
            report.name,
            report.target,
            report.admitted,
            report.fulfilment_percent,
        ]
    ]
    rows += [
        [_code(tree, c.organisation_id), c.name, c.target, c.admitted, c.fulfilment_percent]
        for c in report.children
    ]
    main = Table(
        "Chỉ tiêu",
        columns,
        rows,
        (_QUOTA_BASE, "Dòng đầu là đơn vị; các dòng sau là đơn vị trực thuộc trong kỳ."),
    )
    sub = report.sub_targets.model_dump() if report.sub_targets is not None else {}
    breakdown = _breakdown_rows(report.breakdown, report.admitted, sub)
    groups = Table(
        "Cơ cấu",
        [
            Column("Nhóm", C, 24),
            Column("Chỉ tiêu riêng", N, 14),
            Column("Đã kết nạp", N),
            Column("Tỷ lệ (% so với tổng số kết nạp)", P, 20),
            Column("Tỷ lệ đạt (% so với chỉ tiêu riêng)", P, 20),
        ],
        breakdown,
        (
            "Cơ sở tỷ lệ thứ nhất: tổng số đã kết nạp của đơn vị trong kỳ; thứ hai: chỉ tiêu "
            "riêng của nhóm (nếu có).",
        ),
    )
    return Export(heading, [main, groups], _stem("chi-tieu", heading.unit_code, report.period))


def _ratio(part: int, whole: int | None) -> float | None:
    if not whole:
        return None
    return round(part * 100 / whole, 2)


def _breakdown_rows(b: BreakdownOut, admitted: int, sub: dict[str, int | None]) -> list[list[Cell]]:
    return [
        [
            header,
            sub.get(field),
            getattr(b, field),
            _ratio(getattr(b, field), admitted),
            _ratio(getattr(b, field), sub.get(field)),
        ]
        for field, header in BREAKDOWN_HEADERS
    ]


# --- the register: pipeline, deadlines, certificates ----------------------------------------


def pipeline_export(report: PipelineReport, tree: OrganisationTree) -> Export:
    heading = unit_heading(
        tree,
        "Số người theo từng bước của quy trình kết nạp",
        report.organisation_id,
        report.on,
        as_of=report.on,
        known_at=report.known_at,
    )
    total = sum(s.candidates for s in report.stages)
    rows: list[list[Cell]] = [
        [
            STAGE_LABELS.get(s.stage.value, s.stage.value),
            s.stage.value,
            s.candidates,
            _ratio(s.candidates, total),
            s.median_days_in_stage,
        ]
        for s in (*report.stages, *report.outcomes)
    ]
    for row, stage in zip(rows, (*report.stages, *report.outcomes), strict=True):
        if stage.stage.terminal:
            row[3] = None  # outcomes are not a share of the open pipeline
    columns = [
        Column("Bước", C, 36),
        Column("Mã bước", C, 20),
        Column("Số người", N),
        Column("Tỷ lệ (% so với tổng số đang trong quy trình)", P, 22),
        Column("Số ngày trung vị ở bước này", F, 16),
    ]
    notes = (
        f"Cơ sở tỷ lệ: {total} người đang ở các bước chưa kết thúc.",
        f"Số ngày tính đến ngày {vn_day(report.on)}.",
    )
    table = Table("Quy trình", columns, rows, notes)
    return Export(heading, [table], _stem("quy-trinh", heading.unit_code, str(report.on)))


def _branch(tree: OrganisationTree, branch_id: UUID, day: date) -> tuple[str | None, str]:
    return _code(tree, branch_id), tree.display_name(branch_id, day)


def deadlines_export(report: DeadlinesPage, tree: OrganisationTree, unit: UUID | None) -> Export:
    heading = unit_heading(
        tree, "Sổ theo dõi thời hạn", unit, report.on, as_of=report.on, known_at=None
    )
    columns = [
        Column("Mã hồ sơ", C, 38),
        Column("Mã chi bộ", C, 14),
        Column("Chi bộ", C, 32),
        Column("Thời hạn", C, 34),
        Column("Mã thời hạn", C, 24),
        Column("Hạn cuối", D),
        Column("Trạng thái", C, 16),
    ]
    rows: list[list[Cell]] = [
        [
            str(i.candidacy_id),
            *_branch(tree, i.branch_id, report.on),
            DEADLINE_LABELS.get(i.kind, i.kind),
            i.kind,
            i.due_on,
            STATUS_LABELS[i.status],
        ]
        for i in report.items
    ]
    table = Table("Thời hạn", columns, rows)
    return Export(heading, [table], _stem("thoi-han", heading.unit_code, str(report.on)))


def certificates_export(
    report: ExpiringCertificatesPage, tree: OrganisationTree, unit: UUID | None
) -> Export:
    heading = unit_heading(
        tree,
        "Giấy chứng nhận học lớp nhận thức về Đảng sắp hết hạn",
        unit,
        report.on,
        as_of=report.on,
        extra=(("Trong vòng", f"{report.within_days} ngày"),),
    )
    columns = [
        Column("Mã hồ sơ", C, 38),
        Column("Mã chi bộ", C, 14),
        Column("Chi bộ", C, 32),
        Column("Ngày cấp", D),
        Column("Ngày hết hạn", D),
        Column("Số ngày còn lại", N, 14),
        Column("Trạng thái", C, 14),
    ]
    rows: list[list[Cell]] = [
        [
            str(i.candidacy_id),
            *_branch(tree, i.branch_id, report.on),
            i.issued_on,
            i.expires_on,
            i.days_left,
            "sắp hết hạn" if i.status == "expiring" else "đã hết hạn",
        ]
        for i in report.items
    ]
    table = Table("Giấy chứng nhận", columns, rows)
    return Export(heading, [table], _stem("giay-chung-nhan", heading.unit_code, str(report.on)))


# --- coverage, compliance ------------------------------------------------------------------


def coverage_export(report: CoverageReport, tree: OrganisationTree) -> Export:
    heading = unit_heading(
        tree,
        "Địa bàn dân cư có đảng viên và chi bộ",
        report.organisation_id,
        report.on,
        as_of=report.on,
        known_at=report.known_at,
        extra=(
            ("Số chi bộ", str(report.branches)),
            ("Số địa bàn dân cư", str(report.residential_areas)),
            ("Địa bàn chưa có đảng viên", ", ".join(report.areas_without_members) or "không"),
            ("Địa bàn sinh hoạt ghép", ", ".join(report.areas_sharing_a_branch) or "không"),
            ("Chi bộ dưới 3 đảng viên chính thức", str(report.branches_below_minimum)),
        ),
    )
    columns = [
        Column("Mã chi bộ", C, 14),
        Column("Tên chi bộ", C, 36),
        Column("Đảng viên chính thức", N),
        Column("Đảng viên dự bị", N),
        Column("Địa bàn phụ trách", C, 30),
        Column("Sinh hoạt ghép", C, 12),
        Column("Dưới 3 đảng viên chính thức", C, 14),
    ]
    rows: list[list[Cell]] = [
        [
            b.code,
            b.name,
            b.official_members,
            b.probationary_members,
            ", ".join(b.residential_areas),
            _yes(b.shares_branch),
            _yes(b.below_minimum),
        ]
        for b in report.items
    ]
    table = Table("Địa bàn", columns, rows)
    return Export(heading, [table], _stem("dia-ban", heading.unit_code, str(report.on)))


def _yes(flag: bool) -> str:
    return "Có" if flag else "Không"


def compliance_export(report: ComplianceReport, tree: OrganisationTree) -> Export:
    heading = unit_heading(
        tree,
        "Việc chấp hành thời hạn trong quy trình kết nạp",
        report.organisation_id,
        report.cut_off,
        period=report.period,
        as_of=report.cut_off,
        extra=(("Số hồ sơ có bước được tính", str(report.candidacies)),),
    )
    columns = [
        Column("Bước", C, 34),
        Column("Giới hạn (ngày làm việc)", N, 14),
        Column("Số bước", N),
        Column("Đúng hạn", N),
        Column("Trễ hạn", N),
        Column("Quá hạn chưa làm", N, 14),
        Column("Tỷ lệ đúng hạn (% so với số bước)", P, 20),
        Column("Tổng ngày làm việc trễ", N, 14),
        Column("Trễ nhiều nhất (ngày làm việc)", N, 14),
    ]
    rows: list[list[Cell]] = [
        [
            DEADLINE_LABELS.get(k.kind, k.kind),
            k.limit_working_days,
            k.steps,
            k.met,
            k.missed,
            k.overdue,
            _ratio(k.met, k.steps),
            k.working_days_over_total,
            k.working_days_over_max,
        ]
        for k in report.by_kind
    ]
    rows.append(
        [
            "Tổng cộng",
            None,
            report.steps,
            report.met,
            report.missed,
            report.overdue,
            _ratio(report.met, report.steps),
            None,
            None,
        ]
    )
    summary = Table(
        "Tổng hợp",
        columns,
        rows,
        ("Cơ sở tỷ lệ: số bước được tính trong kỳ (đúng hạn + trễ hạn + quá hạn chưa làm).",),
    )
    late = Table(
        "Trễ và quá hạn",
        [
            Column("Mã hồ sơ", C, 38),
            Column("Mã chi bộ", C, 14),
            Column("Bước", C, 32),
            Column("Trạng thái", C, 14),
            Column("Ngày tính hạn", D),
            Column("Hạn cuối", D),
            Column("Ngày thực hiện", D),
            Column("Số ngày làm việc trễ", N, 14),
            Column("Quy định áp dụng", C, 16),
        ],
        [
            [
                str(s.candidacy_id),
                _code(tree, s.branch_id),
                DEADLINE_LABELS.get(s.kind, s.kind),
                STATUS_LABELS[s.status],
                s.basis_on,
                s.due_on,
                s.taken_on,
                s.working_days_over,
                s.rule_set,
            ]
            for s in report.late
        ],
    )
    stem = _stem("chap-hanh-thoi-han", heading.unit_code, report.period)
    return Export(heading, [summary, late], stem)
