"""OpenAPI links: which later requests the ids in an answer name (OpenAPI 3.1, Link Object).

A client reads them to walk from one answer to the next: a founded unit is the parent of
the next unit, the branch of a member or a nomination and the unit of a quota; a member is
the helper of a nomination; a candidacy's id names every read and command on it, and the
answer's ``ETag`` is the next command's ``If-Match``. The stateful fuzzer
(tests/e2e/test_schemathesis_stateful.py) follows the same links.
"""

from __future__ import annotations

from typing import Any

from workflows import commands as c

Link = dict[str, Any]
Links = dict[str, Link]

ORGANISATION_CHANGES = (
    "rename_organisation",
    "move_organisation",
    "merge_organisation",
    "dissolve_organisation",
    "assign_residential_area",
)
CANDIDACY_READS = ("get_candidacy", "get_candidacy_history", "get_candidacy_dossier")
CANDIDACY_COMMANDS = tuple("candidacy_" + s.replace("-", "_") for s in c.CANDIDACY_COMMANDS)


def _link(
    operation_id: str,
    description: str,
    parameters: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
) -> Link:
    link: Link = {"operationId": operation_id, "description": description}
    if parameters:
        link["parameters"] = parameters
    if body:
        link["requestBody"] = body
    return link


def _unit(name: str) -> dict[str, str]:
    return {name: "$response.body#/id"}


def _organisation() -> Links:
    links = {
        op: _link(op, "Read or change this unit", _unit("organisation_id"))
        for op in ("get_organisation", *ORGANISATION_CHANGES, "set_quota", "get_quota_fulfilment")
    }
    links["found_child"] = _link(
        "found_organisation", "Found a unit under this one", body=_unit("parent_id")
    )
    links["register_member"] = _link(
        "register_member", "Register a member of this branch", body=_unit("branch_id")
    )
    links["nominate"] = _link(
        "nominate_candidate", "Nominate a candidate in this branch", body=_unit("branch_id")
    )
    links["list_candidacies"] = _link(
        "list_candidacies", "The candidacies in this subtree", _unit("organisation_id")
    )
    return links


def _member() -> Links:
    links = {
        op: _link(op, "Read or change this member", _unit("member_id"))
        for op in ("get_member", "record_member_departure", "transfer_member")
    }
    links["nominate_helped"] = _link(
        "nominate_candidate",
        "Nominate a candidate with this member as helper",
        body=_unit("helper_member_id"),
    )
    return links


def _candidacy() -> Links:
    links = {op: _link(op, "Read this candidacy", _unit("candidacy_id")) for op in CANDIDACY_READS}
    for op in CANDIDACY_COMMANDS:
        links[op] = _link(
            op,
            "The next command on this candidacy, refused (412) if it moved on meanwhile",
            {"candidacy_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
        )
    links["member"] = _link(
        "get_member", "The member the candidacy made", {"member_id": "$response.body#/member_id"}
    )
    return links


ORGANISATION_LINKS = _organisation()
MEMBER_LINKS = _member()
CANDIDACY_LINKS = _candidacy()
