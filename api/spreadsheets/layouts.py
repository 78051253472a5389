"""The columns of each kind of import (``../shared/api.md``, "Spreadsheets"): the
Vietnamese header, the field it fills, whether it is required, how its cell is read, what
the template's notes sheet says of it, and the list a template offers for an enumeration.

Headers are matched with case and diacritics ignored ("ma chi bo" is ``Mã chi bộ``), in any
order; a column the layout does not know is reported and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any, Literal

from api.audit.words import ENUM_WORDS
from api.spreadsheets import cells
from api.spreadsheets.reading import Formula, Value
from domain.organisation import OrganisationKind
from domain.text import folded
from domain.values import ETHNIC_GROUPS, Education, Sector, Sex

Kind = Literal["tree", "roster", "quotas", "candidacies"]
KINDS: tuple[Kind, ...] = ("tree", "roster", "quotas", "candidacies")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    read: Callable[[Value | Formula], Any]
    note: str
    required: bool = True
    choices: Mapping[str, str] = default(default_factory=dict)
    # The column must be there, but a cell may be empty (a root unit's parent).
    may_be_empty: bool = False


@dataclass(frozen=True)
class Layout:
    kind: Kind
    title: str
    columns: tuple[Column, ...]
    about: str

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)

    def fits(self, header: tuple[str, ...]) -> bool:
        """Whether ``header`` is this layout's header row (two of its columns at least)."""
        return len(self.match(header)[0]) >= 2

    def match(self, header: tuple[str, ...]) -> tuple[dict[int, Column], list[str], list[str]]:
        """The layout's columns by their index in ``header``, the headers it does not know,
        and the required headers missing."""
        by_key = {folded(c.header): c for c in self.columns}
        found: dict[int, Column] = {}
        unknown: list[str] = []
        for index, name in enumerate(header):
            if not name:
                continue
            column = by_key.get(folded(name))
            if column is None or column in found.values():
                unknown.append(name)
            else:
                found[index] = column
        missing = [c.header for c in self.columns if c.required and c not in found.values()]
        return found, unknown, missing


SEX = {Sex.MALE.value: "Nam", Sex.FEMALE.value: "Nữ"}
UNIT_KINDS = {
    OrganisationKind.CENTRAL.value: "Trung ương",
    OrganisationKind.PROVINCE.value: "Đảng bộ tỉnh",
    OrganisationKind.DISTRICT.value: "Đảng bộ huyện",
    OrganisationKind.COMMUNE.value: "Đảng bộ xã",
    OrganisationKind.GRASSROOTS_COMMITTEE.value: "Đảng bộ cơ sở",
    OrganisationKind.SUBUNIT_COMMITTEE.value: "Đảng bộ bộ phận",
    OrganisationKind.GRASSROOTS_BRANCH.value: "Chi bộ cơ sở",
    OrganisationKind.BRANCH.value: "Chi bộ",
}
EDUCATION = {e.value: ENUM_WORDS.get(e.value, (e.value, ""))[0] for e in Education}
SECTORS = {s.value: ENUM_WORDS.get(s.value, (s.value, ""))[0] for s in Sector}
ETHNICITIES = {name: name for name in sorted(ETHNIC_GROUPS, key=folded)}
# Other names boards write for an ethnic group (the GSO list's name is stored).
ETHNIC_ALIASES = {"Mông": "H'Mông", "Hmông": "H'Mông", "Mèo": "H'Mông", "Ê-đê": "Ê Đê"}
TREE_CHANGES = {
    "found": "Thành lập",
    "rename": "Đổi tên",
    "move": "Chuyển",
    "merge": "Sáp nhập",
    "dissolve": "Giải thể",
}


def _choice(options: Mapping[str, str]) -> Callable[[Value | Formula], str]:
    return cells.Choices(options)


def _national_id(value: Value | Formula) -> str:
    return cells.digits(value, lengths=(12, 9), what="Số CCCD")


def _period(value: Value | Formula) -> str:
    written = cells.text(value) if not isinstance(value, int | float) else str(int(value))
    parts = [p.strip() for p in written.replace("–", "-").split("-")]
    if not all(p.isdigit() and len(p) == 4 for p in parts) or len(parts) not in (1, 2):
        raise cells.CellProblem("invalid_period", f"'{written[:20]}': kỳ ghi 2025 hoặc 2020-2025")
    return "-".join(parts)


def _whole(value: Value | Formula) -> int:
    return cells.whole(value)


TREE = Layout(
    "tree",
    "Cây tổ chức",
    (
        Column("Mã đơn vị", "code", cells.text, "Mã của đơn vị, duy nhất trong tệp"),
        Column(
            "Tên đơn vị",
            "name",
            cells.text,
            "Tên đầy đủ (với «Đổi tên»: tên mới; các thay đổi khác: để trống được)",
            may_be_empty=True,
        ),
        Column(
            "Loại",
            "kind",
            _choice(UNIT_KINDS),
            "Cấp của đơn vị (bắt buộc khi thành lập)",
            required=False,
            choices=UNIT_KINDS,
        ),
        Column(
            "Mã đơn vị cấp trên",
            "parent",
            cells.text,
            "Để trống với đơn vị gốc; với «Chuyển»: cấp trên mới",
            may_be_empty=True,
        ),
        Column("Ngày thành lập", "founded_on", cells.day, "dd/mm/yyyy", required=False),
        Column(
            "Thay đổi",
            "change",
            _choice(TREE_CHANGES),
            "Để trống (thành lập) hoặc: Đổi tên, Chuyển, Sáp nhập, Giải thể",
            required=False,
            choices=TREE_CHANGES,
        ),
        Column("Ngày thay đổi", "changed_on", cells.day, "Ngày hiệu lực của thay đổi", False),
        Column("Sáp nhập vào", "into", cells.text, "Mã đơn vị nhận (với «Sáp nhập»)", False),
    ),
    "Mỗi dòng một đơn vị (thành lập) hoặc một thay đổi của đơn vị đã có. Đơn vị cấp trên "
    "có thể nằm ở dòng dưới: tệp được đọc hết rồi mới ghi.",
)

ROSTER = Layout(
    "roster",
    "Danh sách đảng viên",
    (
        Column("Mã chi bộ", "branch", cells.text, "Mã chi bộ đảng viên sinh hoạt"),
        Column("Họ và tên", "full_name", cells.text, "Họ và tên khai sinh"),
        Column("Giới tính", "sex", _choice(SEX), "Nam hoặc Nữ", choices=SEX),
        Column("Ngày sinh", "date_of_birth", cells.day, "dd/mm/yyyy"),
        Column(
            "Dân tộc",
            "ethnicity",
            cells.Choices(ETHNICITIES, ETHNIC_ALIASES),
            "Một trong 54 dân tộc",
            True,
            ETHNICITIES,
        ),
        Column(
            "Tôn giáo", "religion", cells.optional_text, "Để trống nếu không theo tôn giáo", False
        ),
        Column("Số CCCD", "national_id", _national_id, "12 chữ số, ô định dạng Văn bản", False),
        Column("Ngày vào Đảng", "admitted_on", cells.day, "Ngày kết nạp, dd/mm/yyyy"),
        Column("Ngày chính thức", "official_on", cells.day, "Để trống: đảng viên dự bị", False),
        Column("Số thẻ đảng viên", "party_card_number", cells.text, "Như in trên thẻ", False),
        Column("Quê quán", "hometown", cells.text, "Xã, tỉnh", False),
        Column("Nơi sinh", "birthplace", cells.text, "Xã, tỉnh", False),
    ),
    "Mỗi dòng một đảng viên chính thức hoặc dự bị. Nhập lại cùng tệp không ghi thêm gì; "
    "một đảng viên được nhận ra theo Số CCCD, nếu không có thì theo Số thẻ đảng viên, "
    "nếu không có nữa thì theo chi bộ, họ tên và ngày sinh.",
)

QUOTAS = Layout(
    "quotas",
    "Chỉ tiêu kết nạp",
    (
        Column("Mã đơn vị", "code", cells.text, "Mã đơn vị được giao chỉ tiêu"),
        Column("Kỳ", "period", _period, "Một năm (2025) hoặc một nhiệm kỳ (2020-2025)"),
        Column("Chỉ tiêu", "target", _whole, "Số đảng viên mới phải kết nạp"),
        Column("Nữ", "women", _whole, "Trong đó nữ", False),
        Column("Dân tộc thiểu số", "ethnic_minority", _whole, "Trong đó dân tộc thiểu số", False),
        Column("Đoàn viên", "youth_union", _whole, "Trong đó đoàn viên", False),
    ),
    "Mỗi dòng một chỉ tiêu của một đơn vị trong một kỳ. Giao lại chỉ tiêu khác cho cùng kỳ "
    "là điều chỉnh (lịch sử giữ cả hai).",
)
