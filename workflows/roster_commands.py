"""Commands on the organisation tree, the roster of members and quotas (the HTTP API's
request bodies for them). Callers use them through ``workflows.commands``, the one
catalogue of commands.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from domain.organisation import AreaKind, OrganisationKind
from domain.quota import SubTargets
from domain.reminders import Channel, Frequency
from domain.rules import whole_months
from domain.rulesets import youngest_nomination_age_months
from domain.values import NationalId, PartyCardNumber, PartyDay, PlaceText, Sex
from workflows.command_base import Command
from workflows.plausible import Finding, raise_findings

# --- organisations, roster, quotas ---------------------------------------------------
# The tree and the roster have their real history: any day from the Party's founding
# (``PartyDay``, 1930-02-03) on, with or without a rule set in force (issue 9 §3).


class FoundOrganisation(Command):
    code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=300)
    kind: OrganisationKind
    parent_id: UUID | None = None
    effective_on: PartyDay
    id: UUID | None = None


class RenameOrganisation(Command):
    name: str = Field(min_length=1, max_length=300)
    effective_on: PartyDay


class MoveOrganisation(Command):
    new_parent_id: UUID
    effective_on: PartyDay


class MergeOrganisation(Command):
    into_id: UUID
    effective_on: PartyDay


class DissolveOrganisation(Command):
    effective_on: PartyDay


class AssignResidentialArea(Command):
    code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=300)
    kind: AreaKind
    effective_on: PartyDay


class RegisterMember(Command):
    full_name: str = Field(min_length=1, max_length=200)
    branch_id: UUID
    status: Literal["official", "probationary"]
    admitted_on: PartyDay
    official_on: PartyDay | None = None
    sex: Sex
    date_of_birth: date
    ethnicity: str
    religion: str | None = None
    # The day the member joined this branch (a transfer in); unknown: member of it throughout.
    in_branch_since: PartyDay | None = None
    # The party member's record as CSDL đảng viên 3.0 holds it (docs/csdl-3.0.md).
    national_id: NationalId | None = None
    party_card_number: PartyCardNumber | None = None
    hometown: PlaceText | None = None
    birthplace: PlaceText | None = None
    added_fields: ClassVar[frozenset[str]] = frozenset(
        {"in_branch_since", "national_id", "party_card_number", "hometown", "birthplace"}
    )
    id: UUID | None = None

    @model_validator(mode="after")
    def _known_ethnicity(self) -> Self:
        from domain.values import ETHNIC_GROUPS

        if self.ethnicity not in ETHNIC_GROUPS:
            raise ValueError("ethnicity must be one of the 54 recognised ethnic groups")
        return self

    @model_validator(mode="after")
    def _born_before_admission(self) -> Self:
        found = []
        youngest = youngest_nomination_age_months()
        if self.admitted_on < self.date_of_birth:
            found.append(
                Finding(
                    ("admitted_on",),
                    "admitted_before_birth",
                    "admitted_on cannot precede the member's date of birth",
                    self.admitted_on,
                )
            )
        elif whole_months(self.date_of_birth, self.admitted_on) < youngest:
            found.append(
                Finding(
                    ("admitted_on",),
                    "too_young_at_admission",
                    f"a member admitted younger than {youngest // 12} years cannot be true",
                    self.admitted_on,
                )
            )
        official = self.official_on
        if self.status == "official" and official is None:
            found.append(
                Finding(("official_on",), "missing", "an official member needs official_on", None)
            )
        elif self.status == "probationary" and official is not None:
            found.append(
                Finding(
                    ("official_on",),
                    "probationary_with_official_date",
                    "a probationary member has no official date yet",
                    official,
                )
            )
        elif official is not None and official < self.admitted_on:
            found.append(
                Finding(
                    ("official_on",),
                    "official_before_admission",
                    "official_on cannot precede admitted_on",
                    official,
                )
            )
        if found:
            raise_findings(type(self).__name__, found)
        return self


MemberLeftReason = Literal[
    "died",
    "transferred_out",
    "dropped_out",
    "resigned",
    "expelled",
    "removed",
    "other",
]


class RecordMemberDeparture(Command):
    """A member of the roster left the Party or the party organisation this roster keeps
    (died, transferred out officially, dropped out, resigned, expelled, removed)."""

    left_on: PartyDay
    reason: MemberLeftReason


class TransferMember(Command):
    """A member of the roster moved to another branch (chuyển sinh hoạt đảng chính thức)."""

    to_branch_id: UUID
    effective_on: PartyDay


class SetQuota(Command):
    target: int = Field(ge=0)
    sub_targets: SubTargets = SubTargets()


# --- reminders (issue 14) -------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEBHOOK = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


class SubscribeReminders(Command):
    """Send a unit's deadline digest to an e-mail address or a webhook (ADR 0024)."""

    channel: Channel
    address: str = Field(min_length=3, max_length=500)
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=500,
        description="A webhook's signing key (16 characters or more); never answered back.",
    )
    frequency: Frequency = Frequency.DAILY
    days_ahead: int = Field(default=5, ge=0, le=60, description="Working days ahead.")
    hour: int = Field(default=7, ge=0, le=23, description="The hour in Asia/Ho_Chi_Minh.")

    @model_validator(mode="after")
    def _fits_channel(self) -> Self:
        if self.channel is Channel.EMAIL:
            problems = [] if _EMAIL.match(self.address) else ["address: not an e-mail address"]
            if self.secret is not None:
                problems.append("secret: only a webhook has a signing key")
        else:
            problems = [] if _WEBHOOK.match(self.address) else ["address: not an http(s) URL"]
            if self.secret is None:
                problems.append("secret: a webhook needs a signing key")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def fingerprint_body(self) -> dict[str, Any]:
        """The secret stays out of the idempotency record: only its digest is kept."""
        body = super().fingerprint_body()
        if body.get("secret") is not None:
            body["secret"] = hashlib.sha256(body["secret"].encode()).hexdigest()
        return body
