"""The roster of a branch or a subtree on a day (``GET /members``, its page, its export):
the members on the roster at the end of the day, sorted by name. Personal data: the caller
decides who may see it (admin, board, auditor of the subtree) before asking."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from api.reports.common import Views
from domain.member import MemberState
from domain.text import folded, matches
from workflows.application import Admissions

RosterStatus = Literal["official", "probationary"]


def roster_key(member: MemberState) -> tuple[str, str]:
    """The roster's order (also its pagination key): folded name, then id."""
    return (folded(member.full_name), str(member.id))


def roster(
    admissions: Admissions,
    views: Views,
    day: date,
    *,
    branch_id: UUID | None = None,
    root: UUID | None = None,
    status: RosterStatus | None = None,
    q: str | None = None,
) -> list[MemberState]:
    """The members on the roster at the end of ``day`` in ``branch_id``, else in every
    branch under ``root`` as the tree stood that day (None: everywhere), ``status`` on that
    day, names holding every word of ``q`` (or, all digits, that national id); ordered by
    ``roster_key``."""
    branches: set[UUID] | None
    if branch_id is not None:
        branches = {branch_id}
    else:
        tree = views.reader.tree()
        branches = None if root is None else {root, *tree.descendants_on(root, day)}
    ids = admissions.roster.members_on(day, branches, status)
    members = [admissions.member(i) for i in ids]
    if q is not None:
        wanted = q.strip()
        members = [
            m
            for m in members
            if (m.national_id == wanted if wanted.isdigit() else matches(wanted, m.full_name))
        ]
    members.sort(key=roster_key)
    return members
