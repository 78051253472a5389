"""The demo province's fixed data: its organisation tree (with the 2025-07-01 reform), its
roster sizes, its quotas, and the Vietnamese names and backgrounds people are drawn from.

Everything here is plain data and pure functions of it; ``api.demo.plan`` turns it into a
dated plan and ``api.demo.loader`` records that plan. Every id is a uuid5 of a stable name, so
loading twice finds the same records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.organisation import AreaKind, OrganisationKind
from domain.rulesets import rule_set_on
from domain.values import Education, NominatedBy, Person, Sector, Sex

DEMO_NAMESPACE = uuid5(NAMESPACE_URL, "https://ketnap.vn/demo/lam-dong")
FOUNDED_ON = date(2011, 1, 1)  # the earliest day a rule set covers
REFORM_ON = date(2025, 7, 1)  # no district level; communes merged
RECORDING_STARTS = date(2023, 1, 3)  # the board began recording in ketnap
HORIZON = date(2026, 10, 30)  # the demo's "today": nothing is dated later

K = OrganisationKind


def demo_id(name: str) -> UUID:
    """The stable id of a demo record."""
    return uuid5(DEMO_NAMESPACE, name)


@dataclass(frozen=True)
class UnitSpec:
    """A unit of the demo tree. ``profile`` says who lives or works there."""

    key: str
    name: str
    kind: OrganisationKind
    parent: str | None
    officials: int = 0
    areas: tuple[tuple[str, AreaKind], ...] = ()
    profile: str = "city"
    founded_on: date = FOUNDED_ON

    @property
    def id(self) -> UUID:
        return demo_id(f"org:{self.key}")


def _branches(prefix: str, parent: str, rows: list[tuple[str, int]], kind: AreaKind,
              area_word: str, profile: str) -> list[UnitSpec]:  # fmt: skip
    return [
        UnitSpec(f"{prefix}-{n}", f"Chi bộ {area_word} {label}", K.BRANCH, parent, officials,
                 ((f"{area_word[0].upper()}{area_word[1:]} {label}", kind),), profile)
        for n, (label, officials) in enumerate(rows, start=1)
    ]  # fmt: skip


# fmt: off
UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("TU-LD", "Tỉnh ủy Lâm Đồng", K.PROVINCE, None),
    UnitSpec("TP-DL", "Thành ủy Đà Lạt", K.DISTRICT, "TU-LD"),
    UnitSpec("HU-LDG", "Huyện ủy Lạc Dương", K.DISTRICT, "TU-LD"),
    # Đà Lạt: a ward and a commune.
    UnitSpec("P1", "Đảng bộ phường 1", K.COMMUNE, "TP-DL"),
    *_branches("P1-TDP", "P1", [(str(n), o) for n, o in
               zip(range(1, 8), (9, 12, 7, 15, 8, 6, 10), strict=True)],
               "to_dan_pho", "Tổ dân phố", "city"),
    UnitSpec("P1-CHO", "Đảng ủy Chợ Đà Lạt", K.GRASSROOTS_COMMITTEE, "P1"),
    UnitSpec("P1-CHO-1", "Chi bộ Ban Quản lý chợ", K.BRANCH, "P1-CHO", 8, profile="market"),
    UnitSpec("P1-CHO-2", "Chi bộ Tiểu thương khu A", K.BRANCH, "P1-CHO", 5, profile="market"),
    UnitSpec("P1-CHO-3", "Chi bộ Tiểu thương khu B", K.BRANCH, "P1-CHO", 4, profile="market"),
    UnitSpec("P1-BTX", "Chi bộ cơ sở Trường THPT Bùi Thị Xuân", K.GRASSROOTS_BRANCH, "P1", 14,
             profile="school"),
    UnitSpec("TN", "Đảng bộ xã Tà Nung", K.COMMUNE, "TP-DL"),
    *_branches("TN-T", "TN", [("1", 8), ("2", 6), ("3", 7), ("4", 5), ("5", 2)],
               "thon", "thôn", "rural"),
    # Lạc Dương: a township and a commune, merged on 2025-07-01.
    UnitSpec("TTLD", "Đảng bộ thị trấn Lạc Dương", K.COMMUNE, "HU-LDG"),
    *_branches("TTLD-TDP", "TTLD", [("Bon Đưng 1", 9), ("Bon Đưng 2", 7), ("Đăng Gia Rít", 6),
               ("Đăng Lèn", 5), ("B'nơ A", 8), ("Cil Múp", 4)], "to_dan_pho", "Tổ dân phố",
               "kho"),
    UnitSpec("VQG", "Đảng ủy Vườn quốc gia Bidoup - Núi Bà", K.GRASSROOTS_COMMITTEE, "TTLD"),
    UnitSpec("VQG-1", "Chi bộ Hạt Kiểm lâm", K.BRANCH, "VQG", 11, profile="forest"),
    UnitSpec("VQG-2", "Chi bộ Trạm Kiểm lâm Giang Ly", K.BRANCH, "VQG", 6, profile="forest"),
    UnitSpec("VQG-3", "Chi bộ Phòng Khoa học và Hợp tác quốc tế", K.BRANCH, "VQG", 7,
             profile="forest"),
    UnitSpec("TTLD-LB", "Chi bộ cơ sở Trường THPT Lang Biang", K.GRASSROOTS_BRANCH, "TTLD", 12,
             profile="school"),
    UnitSpec("LAT", "Đảng bộ xã Lát", K.COMMUNE, "HU-LDG"),
    *_branches("LAT-T", "LAT", [("Đa Nghịch", 8), ("Păng Tiêng", 6), ("Đưng K'si", 5),
               ("Lán Tranh", 7), ("Đông Mang", 1)], "thon", "thôn", "kho"),
    # From the reform: the merged commune, directly under the province.
    UnitSpec("XLD", "Đảng bộ xã Lạc Dương", K.COMMUNE, "TU-LD", founded_on=REFORM_ON),
)
# fmt: on
BY_KEY: dict[str, UnitSpec] = {u.key: u for u in UNITS}
# A branch covering two areas (chi bộ sinh hoạt ghép): thôn 4 also has thôn 6.
EXTRA_AREAS: tuple[tuple[str, str, AreaKind], ...] = (("TN-T-4", "Thôn 6", "thon"),)

# The reform of 2025-07-01, in the order it is recorded.
REFORM_RENAMES = {"P1": "Đảng bộ phường Xuân Hương - Đà Lạt"}
REFORM_MOVES: dict[str, str] = {
    "P1": "TU-LD", "TN": "TU-LD",
    **{u.key: "XLD" for u in UNITS if u.parent in ("TTLD", "LAT")},
}  # fmt: skip
REFORM_MERGES = {"TTLD": "XLD", "LAT": "XLD"}
REFORM_DISSOLVED = ("TP-DL", "HU-LDG")

# Targets (chỉ tiêu kết nạp) by period and unit. XLD's 2025 target covers July-December.
QUOTAS: dict[str, dict[str, int]] = {
    "2024": {"TU-LD": 60, "TP-DL": 35, "HU-LDG": 30, "P1": 25, "TN": 10, "TTLD": 18, "LAT": 10},
    "2025": {"TU-LD": 65, "TP-DL": 30, "HU-LDG": 25, "P1": 28, "TN": 9, "TTLD": 16, "LAT": 8,
             "XLD": 18},
}  # fmt: skip
QUOTA_SET_ON = {"2024": date(2024, 1, 8), "2025": date(2025, 1, 6)}


def parent_on(key: str, day: date) -> str | None:
    """The parent of a demo unit on ``day`` (the reform included)."""
    if day >= REFORM_ON and key in REFORM_MOVES:
        return REFORM_MOVES[key]
    return BY_KEY[key].parent


def path_on(key: str, day: date) -> list[str]:
    """The unit keys from the province down to ``key`` on ``day``."""
    path: list[str] = []
    current: str | None = key
    while current is not None:
        path.append(current)
        current = parent_on(current, day)
    return list(reversed(path))


def competent_body(branch_key: str, day: date) -> str:
    """The nearest committee above the branch that may decide an admission on ``day``."""
    kinds = rule_set_on(day).competent_kinds
    for key in reversed(path_on(branch_key, day)[:-1]):
        if BY_KEY[key].kind.value in kinds:
            return key
    raise LookupError(f"no competent body above {branch_key} on {day}")


def branches() -> list[UnitSpec]:
    return [u for u in UNITS if u.kind.is_branch]


def siblings(branch_key: str, day: date) -> list[str]:
    """The other branches under the same parent on ``day``."""
    parent = parent_on(branch_key, day)
    return [u.key for u in branches() if u.key != branch_key and parent_on(u.key, day) == parent]


def member_id(branch_key: str, n: int) -> UUID:
    return demo_id(f"member:{branch_key}:{n}")


def candidacy_id(n: int) -> UUID:
    return demo_id(f"candidacy:{n}")


# --- people ---------------------------------------------------------------------------

KINH_SURNAMES = (
    ("Nguyễn", 30), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
    ("Phan", 4), ("Vũ", 4), ("Võ", 4), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2),
    ("Ngô", 2), ("Dương", 1), ("Lý", 1), ("Đinh", 1), ("Trương", 1),
)  # fmt: skip
MIDDLE = {
    Sex.MALE: ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Hoàng", "Gia"),
    Sex.FEMALE: ("Thị", "Ngọc", "Thu", "Thanh", "Bích", "Hồng", "Kim", "Mỹ", "Thùy", "Khánh"),
}
GIVEN = {
    Sex.MALE: ("An", "Bảo", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy",
               "Khang", "Khoa", "Long", "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn", "Tài",
               "Thắng", "Thành", "Toàn", "Trung", "Tuấn", "Việt", "Vinh"),
    Sex.FEMALE: ("Anh", "Châu", "Diệp", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương",
                 "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Nhung", "Oanh", "Phương",
                 "Quyên", "Thảo", "Trang", "Tuyết", "Uyên", "Vân", "Vy", "Yến"),
}  # fmt: skip
KHO_SURNAMES = ("Cil", "Liêng Hót", "Kră Jăn", "Bon Niêng", "Đa Gout", "Rơ Ông", "Păng Ting",
                "Bon Yô", "Lơ Mu", "Cơ Liêng")  # fmt: skip
KHO_GIVEN = {
    Sex.MALE: ("K'Brễu", "K'Đin", "K'Sớ", "K'Tiếp", "K'Bình", "K'Thìn", "K'Hoàng", "K'Duy",
               "K'Rim", "K'Ní"),
    Sex.FEMALE: ("Ha Thu", "Ha Loan", "Ha Nhung", "Ha Mai", "Ha Tuyết", "Ha Jen", "Ha Bliêng",
                 "Ha Hương", "Ha Lin", "Ha Xuân"),
}  # fmt: skip
MA_GIVEN = {Sex.MALE: ("K'Điểu", "K'Dũng", "K'Lâm", "K'Thanh"),
            Sex.FEMALE: ("Ka Thương", "Ka Hiền", "Ka Nhi", "Ka Huệ")}  # fmt: skip
CHURU_SURNAMES = ("Touneh", "Ya", "Ma", "Bơ Nahria", "Kơ Sa")
HOA_SURNAMES = ("Lâm", "Quách", "Lý", "Mã", "Trịnh")
TAY_NUNG_SURNAMES = ("Hoàng", "Nông", "Lương", "Ma", "Vi")

# Ethnic mix by profile (weights).
ETHNIC_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "city": (("Kinh", 86), ("Hoa", 5), ("Tày", 3), ("Nùng", 2), ("Cơ Ho", 4)),
    "market": (("Kinh", 85), ("Hoa", 10), ("Cơ Ho", 5)),
    "school": (("Kinh", 78), ("Cơ Ho", 16), ("Tày", 3), ("Chu Ru", 3)),
    "forest": (("Kinh", 62), ("Cơ Ho", 32), ("Mạ", 3), ("Chu Ru", 3)),
    "rural": (("Kinh", 70), ("Cơ Ho", 22), ("Mạ", 4), ("Chu Ru", 4)),
    "kho": (("Cơ Ho", 70), ("Kinh", 24), ("Chu Ru", 3), ("Mạ", 3)),
}
OCCUPATIONS: dict[str, tuple[tuple[str, Sector], ...]] = {
    "city": (("kinh doanh", Sector.PRIVATE_ENTERPRISE), ("giáo viên", Sector.STATE),
             ("nhân viên khách sạn", Sector.PRIVATE_ENTERPRISE), ("công an viên", Sector.STATE),
             ("kỹ sư phần mềm", Sector.FOREIGN_INVESTED_ENTERPRISE),
             ("sinh viên", Sector.STUDENT), ("nhân viên y tế", Sector.STATE)),
    "market": (("tiểu thương", Sector.OTHER), ("nhân viên Ban Quản lý chợ", Sector.STATE),
               ("kinh doanh", Sector.PRIVATE_ENTERPRISE)),
    "school": (("giáo viên", Sector.STATE), ("học sinh lớp 12", Sector.STUDENT),
               ("nhân viên thư viện", Sector.STATE)),
    "forest": (("kiểm lâm viên", Sector.STATE), ("kỹ sư lâm nghiệp", Sector.STATE),
               ("nhân viên bảo vệ rừng", Sector.STATE)),
    "rural": (("nông dân trồng rau", Sector.FARMING), ("nông dân trồng cà phê", Sector.FARMING),
              ("công nhân", Sector.PRIVATE_ENTERPRISE), ("bộ đội xuất ngũ", Sector.OTHER),
              ("giáo viên mầm non", Sector.STATE)),
    "kho": (("nông dân trồng cà phê", Sector.FARMING), ("hướng dẫn viên du lịch",
             Sector.PRIVATE_ENTERPRISE), ("nghệ nhân dệt thổ cẩm", Sector.OTHER),
            ("công an viên", Sector.STATE), ("y tá trạm y tế", Sector.STATE)),
}  # fmt: skip
EDUCATION_MIX = (
    (Education.UNIVERSITY, 30), (Education.COLLEGE, 10), (Education.VOCATIONAL, 14),
    (Education.UPPER_SECONDARY, 36), (Education.LOWER_SECONDARY, 10),
)  # fmt: skip


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def full_name(rng: random.Random, sex: Sex, ethnicity: str) -> str:
    """A plausible Vietnamese name for ``ethnicity`` (họ, tên đệm, tên)."""
    if ethnicity == "Cơ Ho":
        return f"{rng.choice(KHO_SURNAMES)} {rng.choice(KHO_GIVEN[sex])}"
    if ethnicity == "Mạ":
        return rng.choice(MA_GIVEN[sex])
    if ethnicity == "Chu Ru":
        return f"{rng.choice(CHURU_SURNAMES)} {rng.choice(GIVEN[sex])}"
    surname = pick(rng, KINH_SURNAMES)
    if ethnicity == "Hoa":
        surname = rng.choice(HOA_SURNAMES)
    elif ethnicity in ("Tày", "Nùng"):
        surname = rng.choice(TAY_NUNG_SURNAMES)
    return f"{surname} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def religion(rng: random.Random, ethnicity: str) -> str | None:
    """Most candidates follow no religion; Cơ Ho villages have many Protestants/Catholics."""
    roll = rng.random()
    if ethnicity in ("Cơ Ho", "Mạ", "Chu Ru"):
        return "Tin lành" if roll < 0.14 else "Công giáo" if roll < 0.24 else None
    return "Công giáo" if roll < 0.06 else "Phật giáo" if roll < 0.11 else None


def candidate(rng: random.Random, profile: str, nominated_on: date) -> Person:
    """A candidate drawn from the unit's profile, aged 18½ to 52 on ``nominated_on``."""
    sex = Sex.FEMALE if rng.random() < 0.5 else Sex.MALE
    ethnicity = pick(rng, ETHNIC_MIX[profile])
    roll = rng.random()
    if profile == "school" and roll < 0.3:  # a final-year pupil
        age_days = rng.randint(int(18.5 * 365.25), int(19.2 * 365.25))
    elif roll < 0.62:
        age_days = rng.randint(int(18.6 * 365.25), 30 * 365)
    elif roll < 0.95:
        age_days = rng.randint(31 * 365, 45 * 365)
    else:
        age_days = rng.randint(46 * 365, 52 * 365)
    youth = age_days < 30 * 365 and rng.random() < 0.75
    occupation, sector = rng.choice(OCCUPATIONS[profile if profile in OCCUPATIONS else "city"])
    if profile == "school" and age_days < 20 * 365:
        occupation, sector = "học sinh lớp 12", Sector.STUDENT
    education = Education(pick(rng, tuple((e.value, w) for e, w in EDUCATION_MIX)))
    if sector == Sector.STUDENT:
        education = Education.LOWER_SECONDARY if "học sinh" in occupation else education
    return Person(
        full_name=full_name(rng, sex, ethnicity), sex=sex,
        date_of_birth=nominated_on - timedelta(days=age_days), ethnicity=ethnicity,
        religion=religion(rng, ethnicity), youth_union_member=youth, education=education,
        occupation=occupation, sector=sector,
    )  # fmt: skip


def nominator(rng: random.Random, person: Person, profile: str) -> NominatedBy:
    if person.youth_union_member and rng.random() < 0.7:
        return NominatedBy.YOUTH_UNION
    if person.sex == Sex.FEMALE and rng.random() < 0.5:
        return NominatedBy.WOMENS_UNION
    if profile in ("rural", "kho") and rng.random() < 0.5:
        return NominatedBy.FARMERS_UNION
    if profile in ("school", "forest", "market") and rng.random() < 0.6:
        return NominatedBy.TRADE_UNION
    return rng.choice((NominatedBy.BRANCH, NominatedBy.FATHERLAND_FRONT,
                       NominatedBy.VETERANS_UNION))  # fmt: skip


@dataclass(frozen=True)
class RosterMember:
    """An official member of the imported roster."""

    id: UUID
    branch_key: str
    full_name: str
    sex: Sex
    date_of_birth: date
    ethnicity: str
    religion: str | None
    admitted_on: date
    official_on: date


def roster(rng: random.Random) -> list[RosterMember]:
    """Every branch's official members, admitted between 1988 and 2019."""
    members = []
    for unit in branches():
        for n in range(unit.officials):
            sex = Sex.FEMALE if rng.random() < 0.4 else Sex.MALE
            ethnicity = pick(rng, ETHNIC_MIX[unit.profile])
            admitted = date(1988, 1, 1) + timedelta(days=rng.randint(0, 31 * 365))
            born = admitted - timedelta(days=rng.randint(20 * 365, 38 * 365))
            members.append(
                RosterMember(
                    id=member_id(unit.key, n), branch_key=unit.key,
                    full_name=full_name(rng, sex, ethnicity), sex=sex, date_of_birth=born,
                    ethnicity=ethnicity, religion=None, admitted_on=admitted,
                    official_on=admitted + timedelta(days=365),
                )
            )  # fmt: skip
    return members
