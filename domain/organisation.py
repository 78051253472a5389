"""The organisation tree, effective-dated: units are founded, renamed, moved, merged and
dissolved on their own dates, and every question asks "on which day?"."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.events import ChainedState, DomainEvent


class OrganisationKind(StrEnum):
    CENTRAL = "central"
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    GRASSROOTS_COMMITTEE = "grassroots_committee"
    SUBUNIT_COMMITTEE = "subunit_committee"
    GRASSROOTS_BRANCH = "grassroots_branch"
    BRANCH = "branch"

    @property
    def level(self) -> int:
        """Depth class: a parent's level is always below its child's."""
        return _LEVELS[self]

    @property
    def is_branch(self) -> bool:
        return self in (OrganisationKind.BRANCH, OrganisationKind.GRASSROOTS_BRANCH)


_LEVELS = {
    OrganisationKind.CENTRAL: 0,
    OrganisationKind.PROVINCE: 1,
    OrganisationKind.DISTRICT: 2,
    OrganisationKind.COMMUNE: 3,
    OrganisationKind.GRASSROOTS_COMMITTEE: 4,
    OrganisationKind.SUBUNIT_COMMITTEE: 5,
    OrganisationKind.GRASSROOTS_BRANCH: 6,
    OrganisationKind.BRANCH: 6,
}

AreaKind = Literal["thon", "lang", "buon", "to_dan_pho", "ap", "ban", "khu_pho"]


class ResidentialArea(BaseModel):
    """A residential area (thôn, làng, buôn, tổ dân phố) a branch covers."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str
    name: str
    kind: AreaKind
    since: date


class OrganisationState(ChainedState):
    """A unit's history: names, parents and areas with the day each took effect."""

    code: str
    kind: OrganisationKind
    founded_on: date
    names: tuple[tuple[date, str], ...]
    parents: tuple[tuple[date, UUID | None], ...]
    ended_on: date | None = None
    merged_into: UUID | None = None
    areas: tuple[ResidentialArea, ...] = ()

    def exists_on(self, day: date) -> bool:
        return self.founded_on <= day and (self.ended_on is None or day < self.ended_on)

    def name_on(self, day: date) -> str:
        return _as_of(self.names, day) or self.names[0][1]

    def parent_on(self, day: date) -> UUID | None:
        """The parent in force on ``day`` (None for the root, or before founding)."""
        parent: UUID | None = _as_of(self.parents, day)
        return parent

    @property
    def name(self) -> str:
        name: str = _latest(self.names)
        return name

    @property
    def parent_id(self) -> UUID | None:
        parent: UUID | None = _latest(self.parents)
        return parent


def _as_of(history: tuple[tuple[date, Any], ...], day: date) -> Any:
    """The value with the latest ``since`` on or before ``day`` (of two with the same day,
    the one recorded last): changes may be recorded out of date order."""
    found = None
    latest: date | None = None
    for since, value in history:
        if since <= day and (latest is None or since >= latest):
            latest, found = since, value
    return found


def _latest(history: tuple[tuple[date, Any], ...]) -> Any:
    """The value with the latest ``since`` (of equal days, the one recorded last)."""
    return max(enumerate(history), key=lambda item: (item[1][0], item[0]))[1][1]


class OrganisationEvent(DomainEvent):
    """Base of organisation events."""


class OrganisationFounded(OrganisationEvent):
    date_field: ClassVar[str] = "founded_on"
    code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=300)
    kind: OrganisationKind
    parent_id: UUID | None
    founded_on: date

    def evolve(self, state: OrganisationState | None) -> OrganisationState:
        return OrganisationState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=self.timestamp,
            modified_on=self.timestamp,
            code=self.code,
            kind=self.kind,
            founded_on=self.founded_on,
            names=((self.founded_on, self.name),),
            parents=((self.founded_on, self.parent_id),),
        )


class OrganisationRenamed(OrganisationEvent):
    date_field: ClassVar[str] = "renamed_on"
    name: str = Field(min_length=1, max_length=300)
    renamed_on: date

    def evolve(self, state: OrganisationState) -> OrganisationState:
        return state.model_copy(update={"names": (*state.names, (self.renamed_on, self.name))})


class OrganisationMoved(OrganisationEvent):
    date_field: ClassVar[str] = "moved_on"
    new_parent_id: UUID
    moved_on: date

    def evolve(self, state: OrganisationState) -> OrganisationState:
        return state.model_copy(
            update={"parents": (*state.parents, (self.moved_on, self.new_parent_id))}
        )


class OrganisationMerged(OrganisationEvent):
    """The unit ends, merged into another; its members and history continue there."""

    date_field: ClassVar[str] = "merged_on"
    into_id: UUID
    merged_on: date

    def evolve(self, state: OrganisationState) -> OrganisationState:
        return state.model_copy(update={"ended_on": self.merged_on, "merged_into": self.into_id})


class OrganisationDissolved(OrganisationEvent):
    date_field: ClassVar[str] = "dissolved_on"
    dissolved_on: date

    def evolve(self, state: OrganisationState) -> OrganisationState:
        return state.model_copy(update={"ended_on": self.dissolved_on})


class ResidentialAreaAssigned(OrganisationEvent):
    """A branch takes on a residential area (or several share one: chi bộ sinh hoạt ghép)."""

    date_field: ClassVar[str] = "assigned_on"
    area_code: str = Field(min_length=1, max_length=60)
    area_name: str = Field(min_length=1, max_length=300)
    area_kind: AreaKind
    assigned_on: date

    def evolve(self, state: OrganisationState) -> OrganisationState:
        area = ResidentialArea(
            code=self.area_code, name=self.area_name, kind=self.area_kind, since=self.assigned_on
        )
        return state.model_copy(update={"areas": (*state.areas, area)})


# Quy định 294-QĐ/TW ended the district level on 2025-07-01; before, it existed back to the
# Party's founding. A fact of the tree decided by date alone: rule sets govern candidacy
# steps (from 2011), not the tree, which has its real history from 1930 (issue 9 §3).
DISTRICT_LEVEL_ENDED_ON = date(2025, 7, 1)
DISTRICT_LEVEL_ENDED_BY = "294-QĐ/TW"


def has_district_level(day: date) -> bool:
    """Whether the tree has a district level on ``day`` (every day before 2025-07-01)."""
    return day < DISTRICT_LEVEL_ENDED_ON


def check_parent(child_kind: OrganisationKind, parent: OrganisationState | None, day: date) -> None:
    """A unit's parent must exist on ``day`` and rank above it; no district level from
    Quy định 294 (2025-07-01). Raises ``DomainError`` naming the rule."""
    from domain.errors import DomainError

    if child_kind == OrganisationKind.DISTRICT and not has_district_level(day):
        raise DomainError(
            f"there is no district level from {DISTRICT_LEVEL_ENDED_ON.isoformat()} "
            f"({DISTRICT_LEVEL_ENDED_BY})",
            rule="no_district_level",
        )
    if parent is None:
        if child_kind != OrganisationKind.CENTRAL and child_kind != OrganisationKind.PROVINCE:
            raise DomainError(f"a {child_kind.value} needs a parent unit", rule="invalid_parent")
        return
    if not parent.exists_on(day):
        raise DomainError(
            f"parent {parent.code} does not exist on {day.isoformat()}", rule="invalid_parent"
        )
    if parent.kind.level >= child_kind.level:
        raise DomainError(
            f"a {child_kind.value} cannot sit under a {parent.kind.value}", rule="invalid_parent"
        )
    if parent.kind.is_branch:
        raise DomainError("a branch cannot have units under it", rule="invalid_parent")
