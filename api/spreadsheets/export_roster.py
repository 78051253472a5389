"""The roster as a spreadsheet, in two layouts.

``standard``: exactly the roster import's columns (``../shared/api.md``, "Spreadsheets"),
so an export imports back. ``csdl3``: the column order of the member record of CSDL đảng
viên 3.0 (the "Phiếu đảng viên", mẫu 2-HSĐV), as docs/csdl-3.0.md maps it; the fields
ketnap does not hold are present and empty, so a board can fill them in. Personal data:
only a caller who may see the person (admin, board, auditor of the subtree) gets here; the
rows are never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from uuid import UUID

from api.spreadsheets.export import unit_heading
from api.spreadsheets.workbook import Cell, Column, Export, Kind, Table
from domain.member import MemberState
from projections.tree import OrganisationTree

C, D = Kind.TEXT, Kind.DATE


class RosterLayout(StrEnum):
    STANDARD = "standard"
    CSDL3 = "csdl3"


SEX = {"male": "Nam", "female": "Nữ"}

STANDARD_COLUMNS = (
    Column("Mã chi bộ", C, 14),
    Column("Họ và tên", C, 28),
    Column("Giới tính", C, 9),
    Column("Ngày sinh", D),
    Column("Dân tộc", C, 12),
    Column("Tôn giáo", C, 14),
    Column("Số CCCD", C, 15),
    Column("Ngày vào Đảng", D),
    Column("Ngày chính thức", D),
    Column("Số thẻ đảng viên", C, 16),
    Column("Quê quán", C, 30),
    Column("Nơi sinh", C, 30),
)

# CSDL 3.0's member record (docs/csdl-3.0.md): (header, how ketnap fills it). None: the
# national database holds it, ketnap does not (left empty).
CSDL3_COLUMNS: tuple[tuple[Column, str | None], ...] = (
    (Column("Số lý lịch đảng viên", C, 14), None),
    (Column("Số thẻ đảng viên", C, 16), "party_card_number"),
    (Column("Ngày cấp thẻ", D), None),
    (Column("Họ và tên đang dùng", C, 28), "full_name"),
    (Column("Họ và tên khai sinh", C, 28), None),
    (Column("Bí danh", C, 12), None),
    (Column("Giới tính", C, 9), "sex"),
    (Column("Ngày sinh", D), "date_of_birth"),
    (Column("Nơi sinh", C, 30), "birthplace"),
    (Column("Quê quán", C, 30), "hometown"),
    (Column("Nơi thường trú", C, 30), None),
    (Column("Nơi tạm trú", C, 30), None),
    (Column("Dân tộc", C, 12), "ethnicity"),
    (Column("Tôn giáo", C, 14), "religion"),
    (Column("Số định danh cá nhân (CCCD)", C, 15), "national_id"),
    (Column("Nghề nghiệp", C, 20), None),
    (Column("Giáo dục phổ thông", C, 12), None),
    (Column("Chuyên môn nghiệp vụ", C, 16), None),
    (Column("Lý luận chính trị", C, 14), None),
    (Column("Ngày vào Đoàn", D), None),
    (Column("Ngày vào Đảng", D), "admitted_on"),
    (Column("Ngày chính thức", D), "official_on"),
    (Column("Người giới thiệu thứ nhất", C, 24), None),
    (Column("Người giới thiệu thứ hai", C, 24), None),
    (Column("Mã tổ chức đảng (chi bộ)", C, 14), "branch_code"),
    (Column("Tên chi bộ", C, 30), "branch_name"),
    (Column("Trạng thái", C, 14), "status"),
    (Column("Ngày ra khỏi Đảng", D), "left_on"),
)

STATUS = {"official": "chính thức", "probationary": "dự bị", "left": "đã ra khỏi danh sách"}


def _standard(member: MemberState, code: str | None) -> list[Cell]:
    return [
        code,
        member.full_name,
        SEX.get(member.sex, str(member.sex)),
        member.date_of_birth,
        member.ethnicity,
        member.religion,
        member.national_id,
        member.admitted_on,
        member.official_on,
        member.party_card_number,
        member.hometown,
        member.birthplace,
    ]


def _csdl3(member: MemberState, code: str | None, branch: str) -> list[Cell]:
    values: dict[str, Cell] = {
        "branch_code": code,
        "branch_name": branch,
        "sex": SEX.get(member.sex, str(member.sex)),
        "status": STATUS.get(member.status, member.status),
    }
    return [
        None if name is None else values.get(name, getattr(member, name, None))
        for _, name in CSDL3_COLUMNS
    ]


def roster_export(
    members: Sequence[MemberState],
    tree: OrganisationTree,
    unit: UUID | None,
    day: date,
    layout: RosterLayout = RosterLayout.STANDARD,
) -> Export:
    """The members (as the roster use case gave them) in ``layout``, their branch by its
    code as of ``day``."""
    heading = unit_heading(
        tree,
        "Danh sách đảng viên"
        + (" (bố cục CSDL đảng viên 3.0)" if layout is RosterLayout.CSDL3 else ""),
        unit,
        day,
        as_of=day,
    )

    def code(branch_id: UUID) -> str | None:
        return tree.unit(branch_id).code if branch_id in tree else None

    if layout is RosterLayout.STANDARD:
        columns: Sequence[Column] = STANDARD_COLUMNS
        rows = [_standard(m, code(m.branch_id)) for m in members]
        notes = (
            "Ngày chính thức để trống: đảng viên dự bị. Nhập lại được bằng ketnap import roster.",
        )
    else:
        columns = [column for column, _ in CSDL3_COLUMNS]
        rows = [_csdl3(m, code(m.branch_id), tree.display_name(m.branch_id, day)) for m in members]
        notes = ("Các cột ketnap không lưu để trống (xem docs/csdl-3.0.md).",)
    stem = "_".join(["danh-sach-dang-vien", heading.unit_code or "all", layout.value, str(day)])
    return Export(heading, [Table("Đảng viên", columns, rows, notes)], stem)
