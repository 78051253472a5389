"""The effective-dated organisation tree: levels, the end of the district level, moves,
merges, renames, and the path in force on a day."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.candidacy.state import Stage
from domain.errors import DomainError
from domain.organisation import OrganisationKind
from tests.scenario import ADMIN
from tests.unit.helpers import (
    DECISION,
    World,
    assert_accepted,
    assert_refused,
    found_unit,
    make_world,
    open_candidacy,
)
from workflows import commands as c
from workflows.application import Admissions


@pytest.fixture
def world() -> World:
    return make_world()


def _refused(app: Admissions, rule: str, action: object) -> DomainError:
    """``action()`` raises a DomainError with ``rule`` and stores nothing."""
    assert callable(action)
    before = app.recorder.max_notification_id()
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.rule == rule, caught.value.detail
    assert app.recorder.max_notification_id() == before
    return caught.value


def _codes(app: Admissions, unit: UUID, day: date) -> list[str]:
    return [u.code for u in app.path_on(unit, day)]


# ---------------------------------------------------------------- founding


def test_no_district_can_be_founded_from_2025_07_01(world: World) -> None:
    app, province = world.app, world.tree.province
    district = found_unit(app, "H01", "district", province, on=date(2025, 6, 30))
    assert app.organisation(district).kind == OrganisationKind.DISTRICT
    error = _refused(
        app,
        "no_district_level",
        lambda: found_unit(app, "H02", "district", province, on=date(2025, 7, 1)),
    )
    assert "294-QĐ/TW" in error.detail
    _refused(
        app,
        "no_district_level",
        lambda: found_unit(app, "H03", "district", province, on=date(2026, 1, 1)),
    )
    # Other levels are still founded after that day.
    commune = found_unit(app, "X02", "commune", province, on=date(2025, 7, 1))
    assert app.organisation(commune).kind == OrganisationKind.COMMUNE
    assert _codes(app, commune, date(2025, 7, 1)) == ["T01", "X02"]


@pytest.mark.parametrize(
    ("kind", "parent_attr"),
    [
        ("grassroots_committee", "branch"),  # nothing sits under a branch
        ("branch", "grassroots_branch"),  # not even another branch
        ("commune", "grassroots"),  # a commune ranks above a grassroots committee
        ("province", "province"),  # same level
        ("grassroots_committee", "grassroots"),  # same level
    ],
)
def test_the_parent_must_rank_above_the_child(world: World, kind: str, parent_attr: str) -> None:
    app = world.app
    parent = getattr(world.tree, parent_attr)
    _refused(app, "invalid_parent", lambda: found_unit(app, "U1", kind, parent))


def test_only_the_top_levels_may_have_no_parent(world: World) -> None:
    app = world.app
    _refused(app, "invalid_parent", lambda: found_unit(app, "CB9", "branch", None))
    _refused(app, "invalid_parent", lambda: found_unit(app, "X9", "commune", None))
    assert app.organisation(found_unit(app, "T02", "province", None)).parent_id is None


def test_the_parent_must_exist_on_the_founding_day(world: World) -> None:
    app, tree = world.app, world.tree
    late = found_unit(app, "DU05", "grassroots_committee", tree.commune, on=date(2020, 1, 1))
    _refused(
        app, "invalid_parent", lambda: found_unit(app, "CB5", "branch", late, on=date(2019, 12, 31))
    )
    branch = found_unit(app, "CB6", "branch", late, on=date(2020, 1, 1))
    assert app.organisation(branch).founded_on == date(2020, 1, 1)
    assert _codes(app, branch, date(2020, 1, 1)) == ["T01", "X01", "DU05", "CB6"]


def test_a_unit_before_2011_needs_no_rule_set(world: World) -> None:
    # Rule sets govern candidacy steps; the tree has its real history (issue 9 §3, and
    # tests/unit/test_tree_history.py for the 1930-02-03 boundary).
    app = world.app
    unit = app.organisation(found_unit(app, "T09", "province", None, on=date(2010, 12, 31)))
    assert (unit.code, unit.kind, unit.parent_id) == ("T09", OrganisationKind.PROVINCE, None)
    assert unit.founded_on == date(2010, 12, 31) and unit.exists_on(date(2010, 12, 31))
    assert not unit.exists_on(date(2010, 12, 30))


# ---------------------------------------------------------------- moves and paths


def test_path_before_and_after_a_move(world: World) -> None:
    app, tree = world.app, world.tree
    other = found_unit(app, "DU02", "grassroots_committee", tree.commune)
    app.move_organisation(
        tree.other_branch,
        c.MoveOrganisation(new_parent_id=other, effective_on=date(2024, 1, 1)),
        ADMIN,
    )
    assert _codes(app, tree.other_branch, date(2023, 12, 31)) == ["T01", "X01", "DU01", "CB02"]
    assert _codes(app, tree.other_branch, date(2024, 1, 1)) == ["T01", "X01", "DU02", "CB02"]
    unit = app.organisation(tree.other_branch)
    assert unit.parent_on(date(2023, 12, 31)) == tree.grassroots
    assert unit.parent_on(date(2024, 1, 1)) == other and unit.parent_id == other
    assert app.grassroots_of(tree.other_branch, date(2023, 12, 31)) == tree.grassroots
    assert app.grassroots_of(tree.other_branch, date(2024, 1, 1)) == other
    # A grassroots branch is its own grassroots organisation.
    assert app.grassroots_of(tree.grassroots_branch, date(2024, 1, 1)) == tree.grassroots_branch


def test_a_move_must_respect_the_levels_too(world: World) -> None:
    app, tree = world.app, world.tree
    _refused(
        app,
        "invalid_parent",
        lambda: app.move_organisation(
            tree.grassroots,
            c.MoveOrganisation(new_parent_id=tree.branch, effective_on=date(2024, 1, 1)),
            ADMIN,
        ),
    )


def test_the_2025_reorganisation_moves_grassroots_from_district_to_commune(world: World) -> None:
    app, tree = world.app, world.tree
    district = found_unit(app, "H01", "district", tree.province)
    grassroots = found_unit(app, "DU-H", "grassroots_committee", district)
    branch = found_unit(app, "CB-H", "branch", grassroots)
    app.move_organisation(
        grassroots,
        c.MoveOrganisation(new_parent_id=tree.commune, effective_on=date(2025, 7, 1)),
        ADMIN,
    )
    app.dissolve_organisation(
        district, c.DissolveOrganisation(effective_on=date(2025, 7, 1)), ADMIN
    )
    assert _codes(app, branch, date(2025, 6, 30)) == ["T01", "H01", "DU-H", "CB-H"]
    assert _codes(app, branch, date(2025, 7, 1)) == ["T01", "X01", "DU-H", "CB-H"]
    gone = app.organisation(district)
    assert gone.exists_on(date(2025, 6, 30)) and not gone.exists_on(date(2025, 7, 1))


def test_a_move_changes_who_may_decide(world: World) -> None:
    app, tree = world.app, world.tree
    cid = open_candidacy(world, upto=DECISION)  # awaiting a decision since 2023-05-19
    other = found_unit(app, "DU02", "grassroots_committee", tree.commune)
    app.move_organisation(
        tree.branch, c.MoveOrganisation(new_parent_id=other, effective_on=date(2023, 6, 1)), ADMIN
    )
    decision = c.DecideAdmission(
        decided_on=date(2023, 6, 8), deciding_body_id=tree.grassroots, decision="admit"
    )
    assert_refused(app, cid, decision, "not_competent")
    assert_accepted(app, cid, decision.model_copy(update={"deciding_body_id": other}))


# ---------------------------------------------------------------- renames, merges, dissolutions


def test_a_rename_takes_effect_on_its_day(world: World) -> None:
    app, tree = world.app, world.tree
    app.rename_organisation(
        tree.branch,
        c.RenameOrganisation(name="Chi bộ thôn Đông", effective_on=date(2024, 3, 1)),
        ADMIN,
    )
    unit = app.organisation(tree.branch)
    assert unit.name_on(date(2024, 2, 29)) == "Đơn vị CB01"
    assert unit.name_on(date(2024, 3, 1)) == "Chi bộ thôn Đông" == unit.name
    assert unit.name_on(date(2000, 1, 1)) == "Đơn vị CB01"  # before founding: first name


def test_a_merged_unit_ends_on_the_merge_day(world: World) -> None:
    app, tree = world.app, world.tree
    merged = app.merge_organisation(
        tree.other_branch,
        c.MergeOrganisation(into_id=tree.branch, effective_on=date(2024, 6, 1)),
        ADMIN,
    )
    assert merged.merged_into == tree.branch
    assert merged.ended_on == date(2024, 6, 1)
    assert merged.exists_on(date(2024, 5, 31))
    assert not merged.exists_on(date(2024, 6, 1))
    assert app.organisation(tree.branch).exists_on(date(2024, 6, 1))
    # Nothing happens in it from that day.
    _refused(
        app,
        "unit_not_in_force",
        lambda: app.rename_organisation(
            tree.other_branch, c.RenameOrganisation(name="x", effective_on=date(2024, 6, 1)), ADMIN
        ),
    )
    command = c.Nominate(
        person={
            "full_name": "Lò Văn A",
            "sex": "male",
            "date_of_birth": "2000-01-01",
            "ethnicity": "Thái",
            "education": "upper_secondary",
        },
        branch_id=tree.other_branch,
        nominated_by="youth_union",
        nominated_on=date(2024, 6, 1),
    )
    _refused(app, "unit_not_in_force", lambda: app.nominate(command, ADMIN))
    # The day before the merge, the merged branch still takes a nomination.
    state = app.nominate(command.model_copy(update={"nominated_on": date(2024, 5, 31)}), ADMIN)
    assert (state.stage, state.version) == (Stage.SOURCE_POOL, 1)
    assert (state.branch_id, state.nominated_on) == (tree.other_branch, date(2024, 5, 31))


def test_units_merge_only_within_their_level(world: World) -> None:
    app, tree = world.app, world.tree
    _refused(
        app,
        "invalid_merge",
        lambda: app.merge_organisation(
            tree.branch,
            c.MergeOrganisation(into_id=tree.grassroots, effective_on=date(2024, 1, 1)),
            ADMIN,
        ),
    )
    _refused(
        app,
        "invalid_merge",
        lambda: app.merge_organisation(
            tree.branch,
            c.MergeOrganisation(into_id=tree.branch, effective_on=date(2024, 1, 1)),
            ADMIN,
        ),
    )


def test_a_dissolved_unit_no_longer_exists(world: World) -> None:
    app, tree = world.app, world.tree
    unit = app.dissolve_organisation(
        tree.other_branch, c.DissolveOrganisation(effective_on=date(2022, 1, 1)), ADMIN
    )
    assert unit.ended_on == date(2022, 1, 1) and unit.merged_into is None
    assert not unit.exists_on(date(2022, 1, 1)) and unit.exists_on(date(2021, 12, 31))


def test_residential_areas_belong_to_branches(world: World) -> None:
    app, tree = world.app, world.tree
    area = c.AssignResidentialArea(
        code="TH01", name="Thôn 1", kind="thon", effective_on=date(2020, 1, 1)
    )
    _refused(app, "invalid_branch", lambda: app.assign_area(tree.grassroots, area, ADMIN))
    unit = app.assign_area(tree.branch, area, ADMIN)
    assert [(a.code, a.kind, a.since) for a in unit.areas] == [("TH01", "thon", date(2020, 1, 1))]
