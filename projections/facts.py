"""The counted facts of a candidacy, derived straight from its stored JSON payloads.

The persisted projections read events in pages of thousands and must not pay for pydantic
validation of every payload. A candidacy's counted facts depend on a handful of its
events only (the nomination, the grassroots vote, the decisions, the ceremony, transfers,
withdrawal and any correction of those), so the projection keeps those payloads, as
stored, in a compact ``Source`` per candidacy and derives the facts from plain dicts here.

The meaning is the domain's, restated for dicts: corrections apply as
``effective_events`` applies them (the restated payload's rule set follows its corrected
date), a failed grassroots vote is a refusal, a fact counts for the branch the candidacy
belonged to on the fact's date (transfers take effect on their date). The property tests
hold this module to a deliberately naive recomputation through the pydantic events
(``projections.naive``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.rules import whole_months
from domain.rulesets import rule_set_by_code, rule_set_on

__all__ = [
    "CANDIDACY_TOPIC_PREFIX",
    "FACT_EVENT_NAMES",
    "FactRow",
    "Source",
    "derive_facts",
    "fact_kinds",
    "is_fact_event",
]

CANDIDACY_TOPIC_PREFIX = "domain.candidacy.events:"
YOUTH_AGE_LIMIT_YEARS = 30

# The candidacy events that can change a counted fact (the rest never do).
FACT_EVENT_NAMES = frozenset(
    {
        "CandidateNominated",
        "AdmissionDecided",
        "GrassrootsVoteHeld",
        "CeremonyHeld",
        "RecognitionDecided",
        "Transferred",
        "Withdrawn",
        "Corrected",
    }
)

ADMITTED = "admitted"
REJECTED = "rejected"
CEREMONY = "ceremony"
RECOGNISED = "recognised"
REMOVED = "removed"
WITHDRAWN = "withdrawn"


def fact_kinds() -> tuple[str, ...]:
    """Every kind of counted fact, in report order."""
    return (ADMITTED, REJECTED, CEREMONY, RECOGNISED, REMOVED, WITHDRAWN)


def is_fact_event(topic: str) -> bool:
    """Whether a stored candidacy event of ``topic`` can change a counted fact."""
    return (
        topic.startswith(CANDIDACY_TOPIC_PREFIX)
        and topic[len(CANDIDACY_TOPIC_PREFIX) :] in FACT_EVENT_NAMES
    )


@dataclass(frozen=True, slots=True)
class FactRow:
    """One counted fact with the person's breakdown on the fact's date.

    ``on`` is the ISO date; the flags are 0/1 so that sums over a ledger of ±1 rows are
    the breakdown; ``education`` and ``sector`` are the person's values ("" when unknown).
    """

    kind: str
    on: str
    branch_id: str
    women: int
    ethnic_minority: int
    religious: int
    youth_union: int
    aged_30_or_under: int
    education: str
    sector: str


@dataclass(slots=True)
class Source:
    """The fact-bearing payloads of one candidacy, in version order: (version, class name,
    payload as stored, ids excluded), and the facts last derived from them with the path
    each was attributed to."""

    events: list[tuple[int, str, dict[str, Any]]]
    facts: list[tuple[FactRow, tuple[str, ...]]]

    def to_json(self) -> dict[str, Any]:
        return {
            "events": [list(e) for e in self.events],
            "facts": [[_row_list(row), list(path)] for row, path in self.facts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Source:
        return cls(
            events=[(int(v), str(n), dict(d)) for v, n, d in data["events"]],
            facts=[(FactRow(*row), tuple(path)) for row, path in data["facts"]],
        )

    def add(self, version: int, name: str, payload: dict[str, Any]) -> bool:
        """Take one payload, trimmed to what facts are made of (ignored when its version
        was taken already)."""
        if any(v == version for v, _, _ in self.events):
            return False
        self.events.append((version, name, fact_payload(payload)))
        if len(self.events) > 1 and self.events[-2][0] > version:
            self.events.sort(key=lambda e: e[0])
        return True


# The payload fields facts are derived from; the rest (names, documents, checks, the
# envelope) is not kept in the view.
_FACT_FIELDS = frozenset(
    {
        "person",
        "branch_id",
        "nominated_on",
        "decision",
        "decided_on",
        "held_on",
        "eligible",
        "in_favour",
        "rule_set",
        "transferred_on",
        "to_branch_id",
        "withdrawn_on",
        "position",
        "changes",
    }
)


def fact_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` without what no fact needs (a person keeps only the breakdown fields:
    no name or national id is stored in the view)."""
    kept = {k: v for k, v in payload.items() if k in _FACT_FIELDS}
    if isinstance(kept.get("person"), dict):
        kept["person"] = _person_fields(kept["person"])
    changes = kept.get("changes")
    if isinstance(changes, dict):
        kept["changes"] = {k: v for k, v in changes.items() if k in _FACT_FIELDS}
        if isinstance(kept["changes"].get("person"), dict):
            kept["changes"]["person"] = _person_fields(kept["changes"]["person"])
    return kept


def _person_fields(person: dict[str, Any]) -> dict[str, Any]:
    """The person as the figures need them, coded: flags for the breakdown (not the
    ethnicity or religion themselves), the date of birth (for "aged 30 or under" on each
    fact's date), education and sector. No name or national id; with a cipher key the view
    also seals the whole source (``projections.ledger``)."""
    if "female" in person:  # already coded
        return person
    return {
        "female": int(person.get("sex") == "female"),
        "minority": int(person.get("ethnicity", "Kinh") != "Kinh"),
        "religious": int(bool(person.get("religion"))),
        "youth": int(bool(person.get("youth_union_member"))),
        "born": person["date_of_birth"],
        "education": person.get("education"),
        "sector": person.get("sector"),
    }


def _row_list(row: FactRow) -> list[Any]:
    return [
        row.kind,
        row.on,
        row.branch_id,
        row.women,
        row.ethnic_minority,
        row.religious,
        row.youth_union,
        row.aged_30_or_under,
        row.education,
        row.sector,
    ]


def _effective(
    events: Sequence[tuple[int, str, dict[str, Any]]],
) -> list[tuple[str, dict[str, Any]]]:
    """The payloads with every correction applied (as ``effective_events`` does)."""
    changes: dict[int, dict[str, Any]] = {}
    for _, name, payload in events:
        if name == "Corrected":
            changes.setdefault(int(payload["position"]), {}).update(payload["changes"])
    result = []
    for version, name, payload in events:
        if name == "Corrected":
            continue
        pending = changes.get(version)
        if pending:
            restated = {**payload, **pending}
            field = _DATE_FIELDS.get(name)
            if field is not None:
                restated["rule_set"] = rule_set_on(date.fromisoformat(restated[field])).code
            payload = restated
        result.append((name, payload))
    return result


_DATE_FIELDS = {
    "CandidateNominated": "nominated_on",
    "AdmissionDecided": "decided_on",
    "GrassrootsVoteHeld": "held_on",
    "CeremonyHeld": "held_on",
    "RecognitionDecided": "decided_on",
    "Transferred": "transferred_on",
    "Withdrawn": "withdrawn_on",
}


def _vote_failed(payload: dict[str, Any]) -> bool:
    rules = rule_set_by_code(payload["rule_set"])
    return not rules.vote_passes(int(payload["eligible"]), int(payload["in_favour"]))


def _fact_of(name: str, payload: dict[str, Any]) -> tuple[str, str] | None:
    if name == "AdmissionDecided":
        return (ADMITTED if payload["decision"] == "admit" else REJECTED), payload["decided_on"]
    if name == "GrassrootsVoteHeld":
        return (REJECTED, payload["held_on"]) if _vote_failed(payload) else None
    if name == "CeremonyHeld":
        return CEREMONY, payload["held_on"]
    if name == "RecognitionDecided":
        kind = RECOGNISED if payload["decision"] == "recognise" else REMOVED
        return kind, payload["decided_on"]
    if name == "Withdrawn":
        return WITHDRAWN, payload["withdrawn_on"]
    return None


def derive_facts(events: Iterable[tuple[int, str, dict[str, Any]]]) -> list[FactRow]:
    """The counted facts of one candidacy from its fact-bearing payloads (any order)."""
    effective = _effective(sorted(events, key=lambda e: e[0]))
    nominated = next((p for n, p in effective if n == "CandidateNominated"), None)
    if nominated is None:
        return []  # the stream began before what we were given
    person = _person_fields(nominated["person"])  # stored before coding: coded here
    born = date.fromisoformat(person["born"])
    flags = (person["female"], person["minority"], person["religious"], person["youth"])
    education = str(person.get("education") or "")
    sector = str(person.get("sector") or "")
    # (date, version order) of each transfer: the branch on a day is the last transfer's.
    transfers = sorted(
        (p["transferred_on"], index, p["to_branch_id"])
        for index, (n, p) in enumerate(effective)
        if n == "Transferred"
    )
    facts = []
    admitted = False
    for name, payload in effective:
        if name == "GrassrootsVoteHeld" and admitted:
            continue  # the committee's 15-KNĐ on recognition: it rejects nobody
        admitted = admitted or (name == "AdmissionDecided" and payload["decision"] == "admit")
        found = _fact_of(name, payload)
        if found is None:
            continue
        kind, on = found
        branch = nominated["branch_id"]
        for transferred_on, _, to_branch in transfers:
            if transferred_on <= on:
                branch = to_branch
        young = int(whole_months(born, date.fromisoformat(on)) // 12 <= YOUTH_AGE_LIMIT_YEARS)
        facts.append(FactRow(kind, on, branch, *flags, young, education, sector))
    return facts


MEMBER_TOPIC_PREFIX = "domain.member:"
# (branch id, official 0/1, from ISO date, to ISO date or "")
MemberSpan = tuple[str, int, str, str]


def member_spans(events: Iterable[tuple[int, str, dict[str, Any]]]) -> list[MemberSpan]:
    """Where a member of the roster belonged, and whether official, day by day: spans
    from admission until leaving, split at recognition and at each transfer's date."""
    ordered = sorted(events, key=lambda e: e[0])
    registered = next((p for _, n, p in ordered if n == "MemberRegistered"), None)
    if registered is None:
        return []
    admitted: str = registered["admitted_on"]
    official: str | None = registered.get("official_on")
    left: str | None = None
    transfers: list[tuple[str, int, str]] = []
    for version, name, payload in ordered:
        if name == "MemberRecognised":
            official = payload["official_on"]
        elif name == "MemberRecordRestated":
            admitted, official = payload["admitted_on"], payload.get("official_on")
        elif name == "MemberTransferred":
            transfers.append((payload["transferred_on"], version, payload["branch_id"]))
        elif name == "MemberLeft":
            left = payload["left_on"]
    transfers.sort()
    edges = {admitted, *(t[0] for t in transfers)}
    if official is not None:
        edges.add(official)
    days = sorted(d for d in edges if d >= admitted and (left is None or d < left))
    spans: list[MemberSpan] = []
    for index, start in enumerate(days):
        until = days[index + 1] if index + 1 < len(days) else (left or "")
        branch = registered["branch_id"]
        for on, _, to_branch in transfers:
            if on <= start:
                branch = to_branch
        is_official = int(official is not None and official <= start)
        if spans and spans[-1][0] == branch and spans[-1][1] == is_official:
            spans[-1] = (branch, is_official, spans[-1][2], until)
        else:
            spans.append((branch, is_official, start, until))
    return spans
