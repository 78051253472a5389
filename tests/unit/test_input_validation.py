"""Input that cannot be true is refused with 422 naming the field (issue 9 §6): a birth
after the nomination, a candidate too young for any rule set, a date before 1900, a
control character. Over HTTP (the 422 problem naming the field, UUIDs stored and answered in
their canonical form whatever form was sent): ``tests/e2e/test_input_validation.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from domain import rulesets
from domain.candidacy.events import CandidateNominated
from domain.errors import DomainError
from domain.member import MemberRegistered
from domain.organisation import OrganisationFounded
from domain.values import Person
from tests.scenario import ADMIN, person
from tests.unit.helpers import World, make_world, open_candidacy
from workflows import commands as c
from workflows.plausible import findings

NOMINATED_ON = date(2023, 1, 10)
Build = Callable[[Any], BaseModel]


def _errors(build: Callable[[], BaseModel]) -> list[tuple[tuple[Any, ...], str]]:
    """The (loc, type) of every error ``build()`` raises."""
    with pytest.raises(ValidationError) as caught:
        build()
    return [(e["loc"], e["type"]) for e in caught.value.errors()]


def _nomination(**overrides: Any) -> dict[str, Any]:
    return {
        "person": person(date_of_birth="1990-01-01"),
        "branch_id": UUID(int=1),
        "nominated_by": "branch",
        "nominated_on": NOMINATED_ON,
        **overrides,
    }


def _member(**overrides: Any) -> dict[str, Any]:
    return {
        "full_name": "Đảng viên",
        "branch_id": UUID(int=1),
        "status": "official",
        "admitted_on": date(2000, 1, 1),
        "official_on": date(2001, 1, 1),
        "sex": "male",
        "date_of_birth": date(1970, 1, 1),
        "ethnicity": "Kinh",
        **overrides,
    }


@pytest.fixture
def world() -> World:
    return make_world()


# ---------------------------------------------------------------- the date of birth


def test_a_date_of_birth_after_the_nomination_is_refused() -> None:
    born_later = person(date_of_birth="2023-01-11")
    assert _errors(lambda: c.Nominate(**_nomination(person=born_later))) == [
        (("person", "date_of_birth"), "born_after_nomination")
    ]
    born_that_day = person(date_of_birth="2023-01-10")
    assert _errors(lambda: c.Nominate(**_nomination(person=born_that_day))) == [
        (("person", "date_of_birth"), "too_young_at_nomination")
    ]


def test_the_youngest_age_at_nomination_one_day_either_side(world: World) -> None:
    assert rulesets.youngest_nomination_age_months() == 16 * 12
    # 16 years to the day on 2023-01-10: accepted, and the rules take it from there.
    cid = open_candidacy(world, nominated_on=NOMINATED_ON, date_of_birth="2007-01-10")
    assert world.app.candidacy(cid).person.date_of_birth == date(2007, 1, 10)
    # One day younger: refused before any rule runs.
    young = person(date_of_birth="2007-01-11")
    assert _errors(lambda: c.Nominate(**_nomination(person=young))) == [
        (("person", "date_of_birth"), "too_young_at_nomination")
    ]


def test_the_age_limit_is_the_youngest_of_every_rule_set(monkeypatch: pytest.MonkeyPatch) -> None:
    younger = rulesets.RULE_SETS[0].model_copy(update={"min_age_at_nomination_months": 15 * 12})
    monkeypatch.setattr(rulesets, "RULE_SETS", (younger, *rulesets.RULE_SETS[1:]))
    assert rulesets.youngest_nomination_age_months() == 15 * 12
    fifteen = person(date_of_birth="2008-01-10")
    assert c.Nominate(**_nomination(person=fifteen)).person.date_of_birth == date(2008, 1, 10)


# ---------------------------------------------------------------- dates before 1900

EARLY, FIRST = date(1899, 12, 31), date(1900, 1, 1)
DOCUMENT = {"form": "6-KNĐ", "number": "12-NQ/CB"}


@pytest.mark.parametrize(
    ("build", "loc"),
    [
        (
            lambda d: c.Nominate(**_nomination(person=person(date_of_birth=d.isoformat()))),
            ("person", "date_of_birth"),
        ),
        (lambda d: c.RegisterMember(**_member(date_of_birth=d)), ("date_of_birth",)),
        (
            lambda d: c.EnrolInClass(
                enrolled_on=date(2023, 2, 1), document={**DOCUMENT, "dated": d}
            ),
            ("document", "dated"),
        ),
        (lambda d: c.EnrolInClass(enrolled_on=d), ("enrolled_on",)),
        (
            lambda d: c.RecordIntroducers(
                introducers=[
                    {"member_id": UUID(int=2), "known_since": date(2020, 1, 1)},
                    {"member_id": UUID(int=3), "known_since": d},
                ]
            ),
            ("introducers", 1, "known_since"),
        ),
        (
            lambda d: c.RecordIntroducers(
                introducers=[{"member_id": UUID(int=2), "known_since": date(2020, 1, 1)}],
                youth_union_resolution={"number": "4-KNĐ", "dated": d},
            ),
            ("youth_union_resolution", "dated"),
        ),
        (
            lambda d: c.Nominate(
                **_nomination(
                    readmission={
                        "previous_member_id": UUID(int=4),
                        "left_on": d,
                        "consent_reference": "CV-1",
                    }
                )
            ),
            ("readmission", "left_on"),
        ),
        (
            lambda d: c.CorrectRecord(
                position=1,
                reason="sửa ngày sinh",
                changes={"person": {"date_of_birth": d.isoformat()}},
            ),
            ("changes", "person", "date_of_birth"),
        ),
    ],
    ids=[
        "person",
        "member",
        "document",
        "step",
        "introducer",
        "resolution",
        "readmission",
        "correction",
    ],
)
def test_a_date_before_1900_is_refused_naming_the_field(build: Build, loc: tuple[Any]) -> None:
    assert _errors(lambda: build(EARLY)) == [(loc, "date_too_early")]
    build(FIRST)  # the same field on 1900-01-01 passes the input check


def test_1900_01_01_is_accepted_where_no_other_rule_applies(world: World) -> None:
    command = c.RegisterMember(**_member(branch_id=world.tree.branch, date_of_birth=FIRST))
    member = world.app.register_member(command, ADMIN)
    assert member.date_of_birth == FIRST
    cid = open_candidacy(world)
    document = {**DOCUMENT, "dated": FIRST}
    enrolment = c.EnrolInClass(enrolled_on=date(2023, 2, 1), document=document)
    state = world.app.execute(cid, enrolment, ADMIN)
    assert state.history[-1].document is not None
    assert state.history[-1].document.dated == FIRST


def test_a_step_dated_1900_still_meets_the_rule_set_rule(world: World) -> None:
    cid = open_candidacy(world)
    with pytest.raises(DomainError) as caught:
        world.app.execute(cid, c.EnrolInClass(enrolled_on=FIRST), ADMIN)
    assert caught.value.rule == "no_rule_set"


# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize(
    ("build", "loc"),
    [
        (
            lambda s: c.Nominate(**_nomination(person=person(full_name=f"Lan{s}Anh"))),
            ("person", "full_name"),
        ),
        (lambda s: c.RegisterMember(**_member(full_name=f"Hà{s}Nam")), ("full_name",)),
        (
            lambda s: c.FoundOrganisation(
                code=f"T{s}1", name="Tỉnh", kind="province", effective_on=date(1976, 1, 1)
            ),
            ("code",),
        ),
        (
            lambda s: c.AssignResidentialArea(
                code=f"TH{s}", name="Thôn", kind="thon", effective_on=date(1976, 1, 1)
            ),
            ("code",),
        ),
        (
            lambda s: c.RenameOrganisation(name=f"Tên{s}mới", effective_on=date(1976, 1, 1)),
            ("name",),
        ),
        (
            lambda s: c.RecordCertificate(
                issued_on=date(2023, 3, 1), number=f"CN{s}1", issuer="TTCT"
            ),
            ("number",),
        ),
        (
            lambda s: c.EnrolInClass(
                enrolled_on=date(2023, 2, 1), document={"form": "6-KNĐ", "number": f"12{s}3"}
            ),
            ("document", "number"),
        ),
        (
            lambda s: c.CorrectRecord(
                position=1, reason="sửa tên", changes={"person": {"full_name": f"Lan{s}"}}
            ),
            ("changes", "person", "full_name"),
        ),
    ],
    ids=[
        "person",
        "member",
        "unit-code",
        "area-code",
        "unit-name",
        "certificate",
        "document",
        "correction",
    ],
)
@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\x85", "\n", "\t", "\r"])
def test_a_control_character_in_a_name_or_code_is_refused(
    build: Callable[[str], BaseModel], loc: tuple[Any], char: str
) -> None:
    assert _errors(lambda: build(char)) == [(loc, "control_character")]
    build(" ")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\r", "\x0b", "\x0c"])
def test_a_control_character_in_a_note_or_reason_is_refused(char: str) -> None:
    assert _errors(lambda: c.EnrolInClass(enrolled_on=date(2023, 2, 1), note=f"a{char}b")) == [
        (("note",), "control_character")
    ]
    assert _errors(lambda: c.Withdraw(effective_on=date(2023, 2, 1), reason=f"a{char}")) == [
        (("reason",), "control_character")
    ]


def test_a_note_and_a_reason_may_span_lines_with_tabs(world: World) -> None:
    cid = open_candidacy(world)
    note = "Dòng một\n\tDòng hai"
    state = world.app.execute(cid, c.EnrolInClass(enrolled_on=date(2023, 2, 1), note=note), ADMIN)
    assert state.history[-1].note == note
    reason = "Chuyển công tác\nxa địa phương"
    withdrawal = c.Withdraw(effective_on=date(2023, 2, 2), reason=reason)
    state = world.app.execute(cid, withdrawal, ADMIN)
    assert state.outcome_reason == reason


def test_the_walk_reaches_every_nested_field() -> None:
    class Inner(BaseModel):
        on: date
        label: str

    class Outer(BaseModel):
        items: list[Inner]
        pairs: tuple[tuple[date, str], ...]
        raw: dict[str, Any]
        note: str

    outer = Outer(
        items=[Inner(on=FIRST, label="ok"), Inner(on=EARLY, label="x\x01")],
        pairs=((EARLY, "a\nb"),),
        raw={"a": [{"reason": "x\ny", "on": "1850-03-04T00:00:00"}], "b\x02": 1},
        note="ok\nok",
    )
    assert [(f.loc, f.code) for f in findings(outer)] == [
        (("items", 1, "on"), "date_too_early"),
        (("items", 1, "label"), "control_character"),
        (("pairs", 0, 0), "date_too_early"),
        (("pairs", 0, 1), "control_character"),
        (("raw", "a", 0, "on"), "date_too_early"),
        (("raw", "b\x02"), "control_character"),
    ]


def test_stored_events_are_not_held_to_the_input_rules() -> None:
    # Events decode from the store with model_validate: rules newer than an event, or
    # meant for input, must never make it undecodable.
    odd = Person.model_validate(person(full_name="Lan\x01Anh", date_of_birth="1850-01-01"))
    assert odd.full_name == "Lan\x01Anh"
    envelope = {
        "originator_id": UUID(int=9),
        "originator_version": 1,
        "timestamp": "2024-01-01T00:00:00Z",
        "actor": "a",
        "role": "admin",
        "request_id": "r",
    }
    founded = {
        "code": "T\x1f",
        "name": "Xứ ủy",
        "kind": "province",
        "parent_id": None,
        "founded_on": "1929-10-01",
    }
    unit = OrganisationFounded.model_validate({**envelope, **founded})
    assert unit.founded_on == date(1929, 10, 1)
    roster = _member(
        admitted_on="1920-01-01",
        official_on=None,
        status="probationary",
        date_of_birth="1899-01-01",
    )
    member = MemberRegistered.model_validate({**envelope, **roster})
    assert member.admitted_on == date(1920, 1, 1)
    assert "person" in CandidateNominated.model_fields
