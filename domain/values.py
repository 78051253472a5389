"""Value objects shared by the aggregates: people, documents, periods, enumerations.

All are immutable pydantic models or string enums, so they validate at the edge and
serialise to the same JSON the API speaks.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

# The Communist Party of Vietnam was founded on 3 February 1930: no unit of its tree and no
# admission to its roster can be dated earlier (issue 9 §3).
PARTY_FOUNDED = date(1930, 2, 3)
# No date a command carries (a birth, a document, a step) can be true before this day: the
# oldest person a record could name was born after it (issue 9 §6).
EARLIEST_PLAUSIBLE_DAY = date(1900, 1, 1)


def _not_before_party(day: date) -> date:
    if day < PARTY_FOUNDED:
        raise PydanticCustomError(
            "before_party_founded",
            "a date of the Party's tree or roster cannot precede its founding on 1930-02-03",
        )
    return day


# A date of the organisation tree or the roster (not of a candidacy step: those need a rule
# set in force, from 2011). Validated where input arrives (commands), never on stored events.
PartyDay = Annotated[date, AfterValidator(_not_before_party)]


class Value(BaseModel):
    """Base for immutable value objects."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Education(StrEnum):
    """Highest general or vocational education attained."""

    NONE = "none"
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"
    VOCATIONAL = "vocational"
    COLLEGE = "college"
    UNIVERSITY = "university"
    POSTGRADUATE = "postgraduate"

    @property
    def meets_lower_secondary(self) -> bool:
        """Lower secondary or above. Vocational counts: it admits lower-secondary
        graduates only (ADR 0003)."""
        return self not in (Education.NONE, Education.PRIMARY)


class NominatedBy(StrEnum):
    """Who put the person into the source pool (nguồn kết nạp)."""

    YOUTH_UNION = "youth_union"
    WOMENS_UNION = "womens_union"
    FARMERS_UNION = "farmers_union"
    VETERANS_UNION = "veterans_union"
    TRADE_UNION = "trade_union"
    FATHERLAND_FRONT = "fatherland_front"
    BRANCH = "branch"


class Sector(StrEnum):
    """Where the person works, for the breakdowns boards publish."""

    STATE = "state"
    PRIVATE_ENTERPRISE = "private_enterprise"
    FOREIGN_INVESTED_ENTERPRISE = "foreign_invested_enterprise"
    FARMING = "farming"
    STUDENT = "student"
    ARMED_FORCES = "armed_forces"
    OTHER = "other"


# The 54 ethnic groups recognised by the General Statistics Office (Quyết định 121-TCTK/PPCĐ).
ETHNIC_GROUPS: frozenset[str] = frozenset(
    {
        "Kinh",
        "Tày",
        "Thái",
        "Mường",
        "Khmer",
        "Hoa",
        "Nùng",
        "H'Mông",
        "Dao",
        "Gia Rai",
        "Ngái",
        "Ê Đê",
        "Ba Na",
        "Xơ Đăng",
        "Sán Chay",
        "Cơ Ho",
        "Chăm",
        "Sán Dìu",
        "Hrê",
        "Mnông",
        "Ra Glai",
        "Xtiêng",
        "Bru-Vân Kiều",
        "Thổ",
        "Giáy",
        "Cơ Tu",
        "Gié Triêng",
        "Mạ",
        "Khơ Mú",
        "Co",
        "Tà Ôi",
        "Chơ Ro",
        "Kháng",
        "Xinh Mun",
        "Hà Nhì",
        "Chu Ru",
        "Lào",
        "La Chí",
        "La Ha",
        "Phù Lá",
        "La Hủ",
        "Lự",
        "Lô Lô",
        "Chứt",
        "Mảng",
        "Pà Thẻn",
        "Cơ Lao",
        "Cống",
        "Bố Y",
        "Si La",
        "Pu Péo",
        "Brâu",
        "Ơ Đu",
        "Rơ Măm",
    }
)


def _ethnicity(value: str) -> str:
    if value not in ETHNIC_GROUPS:
        raise ValueError("ethnicity must be one of the 54 recognised ethnic groups, e.g. 'Kinh'")
    return value


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


NationalId = Annotated[str, StringConstraints(pattern=r"^\d{9}$|^\d{12}$")]
# A place as the party member's record writes it (quê quán, nơi sinh): free text.
PlaceText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# The party card's number (số thẻ đảng viên), as printed on it.
PartyCardNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z.\-/ ]{1,30}$")
]


class Person(Value):
    """The person a candidacy is about. Sensitive: never logged (see docs/operations.md)."""

    full_name: NonEmpty
    sex: Sex
    date_of_birth: date
    ethnicity: str
    religion: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    youth_union_member: bool = False
    education: Education
    occupation: Annotated[str, StringConstraints(max_length=200)] | None = None
    sector: Sector | None = None
    national_id: NationalId | None = None

    @model_validator(mode="after")
    def _known_ethnicity(self) -> Self:
        _ethnicity(self.ethnicity)
        return self

    @property
    def ethnic_minority(self) -> bool:
        """Anyone not Kinh counts as an ethnic minority."""
        return self.ethnicity != "Kinh"

    @property
    def religious(self) -> bool:
        return bool(self.religion)


class DocumentRef(Value):
    """The form and number of the document behind a recorded fact (e.g. 6-KNĐ, 12-NQ/CB)."""

    form: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    dated: date | None = None


class VoteTally(Value):
    """A vote counted against all eligible voters, not only those present."""

    eligible: int = Field(ge=0)
    in_favour: int = Field(ge=0)

    @model_validator(mode="after")
    def _not_more_than_eligible(self) -> Self:
        if self.in_favour > self.eligible:
            raise ValueError("in_favour cannot exceed the number of eligible voters")
        return self

    def reaches(self, numerator: int, denominator: int) -> bool:
        """True when in_favour / eligible >= numerator / denominator (exact integers)."""
        return self.eligible > 0 and self.in_favour * denominator >= self.eligible * numerator


_PERIOD = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


class Period(Value):
    """A quota period: a calendar year (``2024``) or a congress term (``2020-2025``, inclusive)."""

    first_year: int = Field(ge=1930, le=2200)
    last_year: int = Field(ge=1930, le=2200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.last_year < self.first_year:
            raise ValueError("a term must end in or after the year it starts")
        return self

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2024`` or ``2020-2025``; raises ValueError naming the format."""
        match = _PERIOD.match(text.strip())
        if not match:
            raise ValueError("period must be a year (2024) or a term (2020-2025)")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        return cls(first_year=first, last_year=last)

    @property
    def key(self) -> str:
        if self.first_year == self.last_year:
            return str(self.first_year)
        return f"{self.first_year}-{self.last_year}"

    @property
    def starts_on(self) -> date:
        return date(self.first_year, 1, 1)

    @property
    def ends_on(self) -> date:
        return date(self.last_year, 12, 31)

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on
