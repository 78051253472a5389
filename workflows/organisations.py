"""Writes to the organisation tree: founding, renaming, moving, merging, dissolving a
unit, and a branch's residential areas, each on its effective date (any day from the
Party's founding; rule sets govern candidacy steps only, ADR 0012)."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.errors import DomainError
from domain.events import (
    DomainEvent,
)
from domain.organisation import (
    OrganisationDissolved,
    OrganisationFounded,
    OrganisationMerged,
    OrganisationMoved,
    OrganisationRenamed,
    OrganisationState,
    ResidentialAreaAssigned,
    check_parent,
)
from workflows import commands as c
from workflows.context import Actor
from workflows.store import Store


class OrganisationWrites(Store):
    """Writes to the organisation tree: founding, renaming, moving, merging, dissolving a"""

    # --- organisations -----------------------------------------------------------------
    # Every write takes an optional ``idempotency_key`` (see ``_write``).

    def found_organisation(
        self, command: c.FoundOrganisation, actor: Actor, *, idempotency_key: str | None = None
    ) -> OrganisationState:
        def build() -> list[DomainEvent]:
            parent = self.organisation(command.parent_id) if command.parent_id else None
            check_parent(command.kind, parent, command.effective_on)
            return [
                OrganisationFounded(
                    originator_id=command.id or uuid4(),
                    originator_version=1,
                    **OrganisationFounded.envelope_fields(self._envelope(actor, command)),
                    code=command.code,
                    name=command.name,
                    kind=command.kind,
                    parent_id=command.parent_id,
                    founded_on=command.effective_on,
                )
            ]

        return self._write(OrganisationState, None, command, actor, idempotency_key, build)

    def rename_organisation(
        self,
        organisation_id: UUID,
        command: c.RenameOrganisation,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> OrganisationState:
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            return [
                self._next(
                    unit,
                    OrganisationRenamed,
                    self._envelope(actor, command),
                    name=command.name,
                    renamed_on=command.effective_on,
                )
            ]

        return self._write(
            OrganisationState, organisation_id, command, actor, idempotency_key, build
        )

    def move_organisation(
        self,
        organisation_id: UUID,
        command: c.MoveOrganisation,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> OrganisationState:
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            parent = self.organisation(command.new_parent_id)
            check_parent(unit.kind, parent, command.effective_on)
            if organisation_id in [u.id for u in self.path_on(parent.id, command.effective_on)]:
                raise DomainError("a unit cannot move under itself", rule="invalid_parent")
            return [
                self._next(
                    unit,
                    OrganisationMoved,
                    self._envelope(actor, command),
                    new_parent_id=command.new_parent_id,
                    moved_on=command.effective_on,
                )
            ]

        return self._write(
            OrganisationState, organisation_id, command, actor, idempotency_key, build
        )

    def merge_organisation(
        self,
        organisation_id: UUID,
        command: c.MergeOrganisation,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> OrganisationState:
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            into = self._existing_unit(command.into_id, command.effective_on)
            if into.id == unit.id or into.kind.level != unit.kind.level:
                raise DomainError(
                    f"a {unit.kind.value} merges into another unit of its level, not a "
                    f"{into.kind.value}",
                    rule="invalid_merge",
                )
            return [
                self._next(
                    unit,
                    OrganisationMerged,
                    self._envelope(actor, command),
                    into_id=command.into_id,
                    merged_on=command.effective_on,
                )
            ]

        return self._write(
            OrganisationState, organisation_id, command, actor, idempotency_key, build
        )

    def dissolve_organisation(
        self,
        organisation_id: UUID,
        command: c.DissolveOrganisation,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> OrganisationState:
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            return [
                self._next(
                    unit,
                    OrganisationDissolved,
                    self._envelope(actor, command),
                    dissolved_on=command.effective_on,
                )
            ]

        return self._write(
            OrganisationState, organisation_id, command, actor, idempotency_key, build
        )

    def assign_area(
        self,
        organisation_id: UUID,
        command: c.AssignResidentialArea,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> OrganisationState:
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            if not unit.kind.is_branch:
                raise DomainError("residential areas belong to branches", rule="invalid_branch")
            return [
                self._next(
                    unit,
                    ResidentialAreaAssigned,
                    self._envelope(actor, command),
                    area_code=command.code,
                    area_name=command.name,
                    area_kind=command.kind,
                    assigned_on=command.effective_on,
                )
            ]

        return self._write(
            OrganisationState, organisation_id, command, actor, idempotency_key, build
        )
