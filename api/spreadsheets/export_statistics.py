"""The yearly new-member statistics form (Hướng dẫn 11-HD/BTCTW) as a workbook: one sheet
with the total and every breakdown as numbered lines (chỉ tiêu, số lượng, tỷ lệ), the base
of every percentage being the year's total admitted, as the boards' forms state it."""

from __future__ import annotations

from datetime import date

from api.audit.dossier_text import EDUCATION_LABELS
from api.reports.statistics import Count, NewMemberStatistics
from api.spreadsheets.export import unit_heading
from api.spreadsheets.workbook import Cell, Column, Export, Kind, Table
from projections.tree import OrganisationTree

AGE_LABELS = {
    "18_30": "Từ 18 đến 30 tuổi",
    "31_40": "Từ 31 đến 40 tuổi",
    "41_50": "Từ 41 đến 50 tuổi",
    "51_60": "Từ 51 đến 60 tuổi",
    "over_60": "Trên 60 tuổi",
}
SECTOR_LABELS = {
    "state": "Cán bộ, công chức, viên chức khu vực nhà nước",
    "private_enterprise": "Người lao động trong doanh nghiệp tư nhân",
    "foreign_invested_enterprise": "Người lao động trong doanh nghiệp có vốn đầu tư nước ngoài",
    "farming": "Nông dân",
    "student": "Học sinh, sinh viên",
    "armed_forces": "Lực lượng vũ trang",
    "other": "Khác",
    "": "Chưa ghi nhận",
}


def _lines(prefix: str, counts: list[Count], labels: dict[str, str]) -> list[list[Cell]]:
    return [
        [f"{prefix}.{n}", labels.get(c.key, c.key or "Không"), c.count, c.percent_of_total]
        for n, c in enumerate(counts, start=1)
    ]


def _share(part: int, total: int) -> float | None:
    return round(part * 100 / total, 2) if total else None


def statistics_export(report: NewMemberStatistics, tree: OrganisationTree) -> Export:
    """The form for one unit and year."""
    day = min(report.as_of or date(report.year, 12, 31), date(report.year, 12, 31))
    heading = unit_heading(
        tree,
        f"Thống kê đảng viên mới kết nạp năm {report.year}",
        report.organisation_id,
        day,
        period=str(report.year),
        as_of=report.as_of,
        known_at=report.known_at,
        extra=(("Căn cứ", "Hướng dẫn 11-HD/BTCTW (biểu thống kê đảng viên mới kết nạp)"),),
    )
    t = report.total
    rows: list[list[Cell]] = [
        ["1", "Tổng số đảng viên mới kết nạp", t, _share(t, t)],
        ["2", "Nữ", report.women, _share(report.women, t)],
        ["3", "Dân tộc thiểu số", report.ethnic_minority, _share(report.ethnic_minority, t)],
        ["4", "Người có tôn giáo", report.religious, _share(report.religious, t)],
        ["5", "Đoàn viên Đoàn TNCS Hồ Chí Minh", report.youth_union, _share(report.youth_union, t)],
        ["6", "Chia theo dân tộc", None, None],
        *_lines("6", report.by_ethnicity, {}),
        ["7", "Chia theo tôn giáo", None, None],
        *_lines("7", report.by_religion, {"": "Không theo tôn giáo"}),
        ["8", "Chia theo độ tuổi (tại ngày quyết định kết nạp)", None, None],
        *_lines("8", report.by_age_band, AGE_LABELS),
        ["9", "Chia theo trình độ học vấn", None, None],
        *_lines("9", report.by_education, EDUCATION_LABELS),
        ["10", "Chia theo nghề nghiệp, thành phần", None, None],
        *_lines("10", report.by_sector, SECTOR_LABELS),
    ]
    columns = [
        Column("STT", Kind.TEXT, 7),
        Column("Chỉ tiêu", Kind.TEXT, 52),
        Column("Số lượng", Kind.INT),
        Column("Tỷ lệ (% so với tổng số kết nạp)", Kind.PERCENT, 20),
    ]
    notes = (
        f"Cơ sở mọi tỷ lệ: tổng số đảng viên mới kết nạp trong năm ({t}).",
        "Mỗi người được tính cho đơn vị có chi bộ của họ trên đường dẫn tổ chức vào ngày "
        "quyết định kết nạp (cây tổ chức có hiệu lực ngày đó).",
    )
    table = Table("Thống kê", columns, rows, notes)
    stem = f"thong-ke-dang-vien-moi_{heading.unit_code or 'all'}_{report.year}"
    return Export(heading, [table], stem)
