"""OpenAPI examples of the HTTP API's answers (the request bodies' are in
``api.http.examples``); ids and names are the same demo-like ones.
"""

from __future__ import annotations

from api.http.examples import (
    BRANCH_ID,
    CANDIDACY_ID,
    COMMUNE_ID,
    GRASSROOTS_ID,
    MEMBER_ID,
    PERSON,
    PROVINCE_ID,
    doc,
)

# --- responses --------------------------------------------------------------------------

ORGANISATION_OUT = {
    "id": BRANCH_ID,
    "code": "CB-DANGHICH",
    "name": "Chi bộ thôn Đa Nghịch",
    "kind": "branch",
    "parent_id": GRASSROOTS_ID,
    "path": [PROVINCE_ID, COMMUNE_ID, GRASSROOTS_ID, BRANCH_ID],
    "as_of": "2025-12-31",
    "founded_on": "2015-01-01",
    "ended_on": None,
    "merged_into": None,
    "in_force": True,
    "version": 2,
    "residential_areas": [
        {"code": "THON-DANGHICH", "name": "Thôn Đa Nghịch", "kind": "thon", "since": "2015-01-01"}
    ],
}
MEMBER_OUT = {
    "id": MEMBER_ID,
    "full_name": "Trần Văn Hùng",
    "branch_id": BRANCH_ID,
    "status": "official",
    "admitted_on": "2005-03-02",
    "official_on": "2006-03-02",
    "left_on": None,
    "candidacy_id": None,
    "readmitted": False,
    "readmitted_as": None,
}
CANDIDACY_OUT = {
    "id": CANDIDACY_ID,
    "version": 12,
    "stage": "probation",
    "branch_id": BRANCH_ID,
    "person": PERSON,
    "nominated_by": "youth_union",
    "nominated_on": "2023-01-10",
    "decided_on": "2024-04-10",
    "party_age_from": "2024-04-10",
    "member_id": "5b1c0c3e-8f0a-5d8e-9a43-3c4d2b1f0a77",
    "ceremony_on": "2024-05-06",
    "probation_ends_on": "2025-05-06",
    "official_on": None,
    "deadlines": [
        {
            "kind": "ceremony_due",
            "due_on": "2024-05-27",
            "status": "met",
            "basis_on": "2024-04-12",
            "met_on": "2024-05-06",
            "rule_set": "24-QĐ/TW",
            "working_days": 30,
            "days_late": None,
        },
        {
            "kind": "recognition_vote_due",
            "due_on": "2025-06-18",
            "status": "due",
            "basis_on": "2025-05-06",
            "met_on": None,
            "rule_set": "232-QĐ/TW",
            "working_days": 30,
            "days_late": None,
        },
    ],
    "created_on": "2023-01-10T01:30:00Z",
    "modified_on": "2024-05-06T01:30:00Z",
    "as_of": "2025-01-15",
    "known_at": None,
}
HISTORY_OUT = {
    "candidacy_id": CANDIDACY_ID,
    "version": 10,
    "items": [
        {
            "position": 9,
            "type": "BranchVoteHeld",
            "effective_on": "2024-03-01",
            "recorded_at": "2024-03-04T01:30:00Z",
            "actor": "token:5b0e1c2a",
            "role": "board",
            "unit_id": COMMUNE_ID,
            "request_id": "0f6b1d9e-41a4-4d77-9e0c-2b3f4a5c6d7e",
            "rule_set": "24-QĐ/TW",
            "document": doc("6-KNĐ", "12-NQ/CB", "2024-03-01"),
            "note": None,
            "data": {"held_on": "2024-03-01", "eligible_official_members": 9, "in_favour": 8},
            "checks": [
                {
                    "rule": "vote_threshold",
                    "passed": True,
                    "rule_set": "24-QĐ/TW",
                    "detail": "8 of 9 eligible official members in favour, need 2/3",
                    "params": {},
                    "blocking": True,
                }
            ],
            "hash": "9c1f" + "0" * 60,
            "prev_hash": "41ab" + "0" * 60,
            "restates": None,
        }
    ],
}
