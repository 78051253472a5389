"""Writes to the roster: a member registered (imported, or as a board enters them), a
member leaving, a member moving to another branch. The roster is what branch votes count
against (ADR 0012), so a board must be able to keep it true."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.errors import DomainError
from domain.events import DomainEvent, recorded_day
from domain.member import MemberLeft, MemberRegistered, MemberState, MemberTransferred
from workflows import commands as c
from workflows.context import Actor
from workflows.store import Store


class MemberWrites(Store):
    """Writes to the roster."""

    # --- the roster -----------------------------------------------------------------

    def register_member(
        self, command: c.RegisterMember, actor: Actor, *, idempotency_key: str | None = None
    ) -> MemberState:
        def build() -> list[DomainEvent]:
            # The roster gives the member's current branch; admission may predate the branch.
            branch = self.organisation(command.branch_id)
            if not branch.kind.is_branch:
                raise DomainError(f"{branch.code} is not a branch", rule="invalid_branch")
            data = command.model_dump(exclude={"document", "note", "id"})
            return [
                MemberRegistered(
                    originator_id=command.id or uuid4(),
                    originator_version=1,
                    **MemberRegistered.envelope_fields(self._envelope(actor, command)),
                    **data,
                )
            ]

        return self._write(MemberState, None, command, actor, idempotency_key, build)

    def record_member_departure(
        self,
        member_id: UUID,
        command: c.RecordMemberDeparture,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> MemberState:
        """The member left on ``left_on``: from the next day they count in no branch."""

        def build() -> list[DomainEvent]:
            member = self._current_member(member_id, command.left_on, actor)
            self._not_in_future(command.left_on)
            return [
                self._next(
                    member,
                    MemberLeft,
                    self._envelope(actor, command),
                    left_on=command.left_on,
                    reason=command.reason,
                )
            ]

        return self._write(MemberState, member_id, command, actor, idempotency_key, build)

    def transfer_member(
        self,
        member_id: UUID,
        command: c.TransferMember,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> MemberState:
        """The member belongs to ``to_branch_id`` from ``effective_on``."""

        def build() -> list[DomainEvent]:
            member = self._current_member(member_id, command.effective_on, actor)
            self._not_in_future(command.effective_on)
            self._branch(command.to_branch_id, command.effective_on)
            if member.branch_id == command.to_branch_id:
                raise DomainError("the member is already in that branch", rule="same_branch")
            return [
                self._next(
                    member,
                    MemberTransferred,
                    self._envelope(actor, command),
                    branch_id=command.to_branch_id,
                    transferred_on=command.effective_on,
                )
            ]

        return self._write(MemberState, member_id, command, actor, idempotency_key, build)

    def _current_member(self, member_id: UUID, day: date, actor: Actor) -> MemberState:
        member = self.member(member_id)
        if member.left_on is not None:
            raise DomainError(
                f"the member left on {member.left_on.isoformat()}", rule="member_left"
            )
        if member.candidacy_id is not None and member.official_on is None:
            # A probationary member's path belongs to its candidacy (transfer, withdrawal,
            # removal are candidacy commands, so the candidacy and the roster agree).
            raise DomainError(
                "a probationary member is moved or removed through their candidacy "
                f"{member.candidacy_id}",
                rule="use_candidacy",
            )
        if day < member.admitted_on:
            raise DomainError(
                f"{day.isoformat()} is before the admission on {member.admitted_on.isoformat()}",
                rule="date_order",
            )
        return member

    def _not_in_future(self, day: date) -> None:
        today = recorded_day(self.clock())
        if day > today:
            raise DomainError(
                f"{day.isoformat()} is after today, {today.isoformat()}", rule="date_in_future"
            )
