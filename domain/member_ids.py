"""The roster id of the member a candidacy becomes: derived, so the candidacy, the roster
and a replay all name the same member without looking anything up."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

MEMBER_NAMESPACE = uuid5(NAMESPACE_URL, "https://ketnap.vn/member-from-candidacy")


def member_id_for(candidacy_id: UUID) -> UUID:
    """The roster id of the member a candidacy produces."""
    return uuid5(MEMBER_NAMESPACE, str(candidacy_id))
