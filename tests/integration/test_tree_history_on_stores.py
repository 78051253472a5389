"""The tree and the roster before the rule sets (issue 9 §3), on SQLite and PostgreSQL: a
province of 1976 with its branch, a member admitted in 1950, read back by another
application instance (from the store, not a cache), and the tree of 1990."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import DomainError
from tests.integration.support import OpenApp, notifications_after
from tests.scenario import ADMIN, person
from workflows import commands as c


def test_a_1976_unit_and_a_1950_member_are_stored_and_read_back(open_app: OpenApp) -> None:
    app = open_app()

    def found(code: str, kind: str, parent: object, on: date) -> c.FoundOrganisation:
        return c.FoundOrganisation(
            code=code, name=f"Đơn vị {code}", kind=kind, parent_id=parent, effective_on=on
        )

    province = app.found_organisation(found("T76", "province", None, date(1976, 1, 1)), ADMIN)
    district = app.found_organisation(
        found("H76", "district", province.id, date(1976, 3, 1)), ADMIN
    )
    other = app.found_organisation(found("T91", "province", None, date(1991, 8, 12)), ADMIN)
    app.move_organisation(
        district.id,
        c.MoveOrganisation(new_parent_id=other.id, effective_on=date(1991, 8, 12)),
        ADMIN,
    )
    branch = app.found_organisation(found("CB76", "branch", district.id, date(1976, 6, 1)), ADMIN)
    member = app.register_member(
        c.RegisterMember(
            full_name="Đảng viên lão thành",
            branch_id=branch.id,
            status="official",
            admitted_on=date(1950, 5, 19),
            official_on=date(1951, 5, 19),
            sex="male",
            date_of_birth=date(1928, 3, 2),
            ethnicity="Kinh",
        ),
        ADMIN,
    )

    reader = open_app()  # another instance: everything below is read from the store
    assert reader.organisation(province.id).founded_on == date(1976, 1, 1)
    assert [u.code for u in reader.path_on(branch.id, date(1990, 1, 1))] == ["T76", "H76", "CB76"]
    assert [u.code for u in reader.path_on(branch.id, date(1992, 1, 1))] == ["T91", "H76", "CB76"]
    stored = reader.member(member.id)
    assert (stored.admitted_on, stored.official_on) == (date(1950, 5, 19), date(1951, 5, 19))
    assert stored.official_on_day(date(1960, 1, 1)) == date(1951, 5, 19)

    # A candidacy step before 2011 still needs a rule set: refused, nothing appended.
    before = len(notifications_after(reader, 0))
    command = c.Nominate(
        person=person(date_of_birth="1980-01-01"),
        branch_id=branch.id,
        nominated_by="branch",
        nominated_on=date(2010, 12, 31),
    )
    with pytest.raises(DomainError) as caught:
        reader.nominate(command, ADMIN)
    assert caught.value.rule == "no_rule_set"
    assert len(notifications_after(reader, 0)) == before
