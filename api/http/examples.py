"""OpenAPI examples in the data boards actually record (Vietnamese names and form codes).

Request examples attach to the routes' bodies (``openapi_examples``), response examples to
the response models; neither changes validation.
"""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example

PROVINCE_ID = "2f6f0c1e-6a43-5c1b-9f0e-0d6a1b7a1001"
COMMUNE_ID = "2f6f0c1e-6a43-5c1b-9f0e-0d6a1b7a1003"
GRASSROOTS_ID = "2f6f0c1e-6a43-5c1b-9f0e-0d6a1b7a1004"
BRANCH_ID = "2f6f0c1e-6a43-5c1b-9f0e-0d6a1b7a1005"
OTHER_BRANCH_ID = "2f6f0c1e-6a43-5c1b-9f0e-0d6a1b7a1006"
MEMBER_ID = "7d1c3a52-58e1-4c0e-8a43-3c5b2f0a2001"
OTHER_MEMBER_ID = "7d1c3a52-58e1-4c0e-8a43-3c5b2f0a2002"
SECOND_MEMBER_ID = "7d1c3a52-58e1-4c0e-8a43-3c5b2f0a2002"
CANDIDACY_ID = "b3e1f0d2-1c4a-4f59-9d3e-6a7b8c9d3001"
REPORT_UNIT_ID = "3b0d9c52-7a1e-5f4b-8c2d-6e9f0a1b2c3d"  # the reports' example unit

Examples = dict[str, Example]


def doc(form: str, number: str, dated: str) -> dict[str, str]:
    return {"form": form, "number": number, "dated": dated}


def one(summary: str, value: dict[str, Any]) -> Examples:
    return {"default": {"summary": summary, "value": value}}


# --- organisations and roster ---------------------------------------------------------

FOUND_ORGANISATION = {
    "branch": {
        "summary": "Chi bộ thôn (a village branch)",
        "value": {
            "code": "CB-DANGHICH",
            "name": "Chi bộ thôn Đa Nghịch",
            "kind": "branch",
            "parent_id": GRASSROOTS_ID,
            "effective_on": "2015-01-01",
            "document": doc("QĐ", "215-QĐ/ĐU", "2014-12-20"),
        },
    },
    "province": {
        "summary": "Tỉnh ủy (a province, admin only)",
        "value": {
            "code": "TU-LD",
            "name": "Tỉnh ủy Lâm Đồng",
            "kind": "province",
            "parent_id": None,
            "effective_on": "2011-01-01",
        },
    },
}
RENAME_ORGANISATION = one(
    "Renamed on the commune merger",
    {
        "name": "Đảng ủy xã Đa Nghịch",
        "effective_on": "2025-07-01",
        "document": doc("QĐ", "1203-QĐ/TU", "2025-06-25"),
    },
)
MOVE_ORGANISATION = one(
    "Commune moved under the province when the district level was abolished",
    {
        "new_parent_id": PROVINCE_ID,
        "effective_on": "2025-07-01",
        "document": doc("QĐ", "1204-QĐ/TU", "2025-06-25"),
    },
)
MERGE_ORGANISATION = one(
    "Two communes merged",
    {
        "into_id": COMMUNE_ID,
        "effective_on": "2025-07-01",
        "document": doc("QĐ", "1205-QĐ/TU", "2025-06-25"),
    },
)
DISSOLVE_ORGANISATION = one(
    "District committee dissolved", {"effective_on": "2025-07-01", "note": "Bỏ cấp huyện"}
)
ASSIGN_AREA = one(
    "Thôn covered by the branch",
    {
        "code": "THON-DANGHICH",
        "name": "Thôn Đa Nghịch",
        "kind": "thon",
        "effective_on": "2015-01-01",
    },
)
REGISTER_MEMBER = one(
    "An official member of the branch (imported roster)",
    {
        "full_name": "Trần Văn Hùng",
        "branch_id": BRANCH_ID,
        "status": "official",
        "admitted_on": "2005-03-02",
        "official_on": "2006-03-02",
        "sex": "male",
        "date_of_birth": "1978-09-12",
        "ethnicity": "Kinh",
        "religion": None,
    },
)

# --- candidacies ----------------------------------------------------------------------

PERSON = {
    "full_name": "Nguyễn Thị Lan",
    "sex": "female",
    "date_of_birth": "2000-05-01",
    "ethnicity": "Tày",
    "religion": None,
    "youth_union_member": True,
    "education": "university",
    "occupation": "giáo viên tiểu học",
    "national_id": "068300001234",
}
NOMINATE = one(
    "Nominated by the Youth Union, with a helper member",
    {
        "person": PERSON,
        "branch_id": BRANCH_ID,
        "nominated_by": "youth_union",
        "nominated_on": "2023-01-10",
        "helper_member_id": MEMBER_ID,
        "document": doc("NQ", "03-NQ/ĐTN", "2023-01-09"),
    },
)

_INTRODUCERS = [
    {"member_id": MEMBER_ID, "known_since": "2020-09-01"},
    {"member_id": SECOND_MEMBER_ID, "known_since": "2021-02-15"},
]

# Per command path segment: a one-line summary and the body examples.
COMMANDS: dict[str, tuple[str, Examples]] = {
    "class-enrolment": (
        "Enrol in the political-awareness class (stage 2)",
        one(
            "Lớp bồi dưỡng nhận thức về Đảng",
            {"enrolled_on": "2023-02-01", "note": "Lớp khóa I năm 2023, Trung tâm Chính trị"},
        ),
    ),
    "certificate": (
        "Record the awareness-class certificate CN-NTVĐ (stage 3)",
        one(
            "Certificate issued",
            {
                "issued_on": "2023-03-03",
                "number": "CN-0412/2023",
                "issuer": "Trung tâm Chính trị huyện Lâm Hà",
            },
        ),
    ),
    "application": (
        "Record the application letter 1-KNĐ (stage 4)",
        one(
            "Đơn xin vào Đảng",
            {"submitted_on": "2023-03-10", "document": doc("1-KNĐ", "ĐXV-07", "2023-03-10")},
        ),
    ),
    "biography": (
        "Record the biography 2-KNĐ (stage 4)",
        one(
            "Lý lịch của người xin vào Đảng",
            {"submitted_on": "2023-03-15", "document": doc("2-KNĐ", "LL-07", "2023-03-15")},
        ),
    ),
    "introducers": (
        "Record the introducers 3-KNĐ or the Youth Union resolution 4-KNĐ",
        {
            "two_members": {
                "summary": "Two official members introduce",
                "value": {
                    "introducers": _INTRODUCERS,
                    "introduced_on": "2023-03-20",
                    "document": doc("3-KNĐ", "GT-07", "2023-03-20"),
                },
            },
            "youth_union": {
                "summary": "Youth Union resolution plus one member",
                "value": {
                    "introducers": _INTRODUCERS[:1],
                    "youth_union_resolution": {"number": "05-NQ/ĐTN", "dated": "2023-03-20"},
                    "document": doc("4-KNĐ", "05-NQ/ĐTN", "2023-03-20"),
                },
            },
        },
    ),
    "verifications": (
        "Request a background verification 20-KNĐ, or record its result",
        {
            "request": {
                "summary": "Request (thẩm tra lý lịch)",
                "value": {
                    "subject": "father",
                    "requested_on": "2023-03-25",
                    "document": doc("20-KNĐ", "TT-15", "2023-03-25"),
                },
            },
            "result": {
                "summary": "Result",
                "value": {"subject": "father", "result": "cleared", "recorded_on": "2023-04-24"},
            },
            "member_relative": {
                "summary": "A parent who is a member: no field check needed",
                "value": {
                    "subject": "mother",
                    "requested_on": "2023-03-25",
                    "field_check_needed": False,
                },
            },
        },
    ),
    "biography-certification": (
        "Certify the biography once every subject is resolved",
        one("Chứng nhận lý lịch", {"certified_on": "2023-04-29"}),
    ),
    "branch-votes": (
        "Record the branch resolution 6-KNĐ (stage 6; a failed vote is kept). "
        "The count must equal the branch's official members on the roster that "
        "day, less `excluded_members`, unless `roster_override` says why not",
        {
            "roster": {
                "summary": "Nghị quyết chi bộ đề nghị kết nạp",
                "value": {
                    "held_on": "2024-03-01",
                    "eligible_official_members": 9,
                    "in_favour": 8,
                    "document": doc("6-KNĐ", "12-NQ/CB", "2024-03-01"),
                },
            },
            "excluded": {
                "summary": "Hai đảng viên không tính (chuyển sinh hoạt tạm thời; miễn "
                "sinh hoạt, vắng mặt)",
                "value": {
                    "held_on": "2024-03-01",
                    "eligible_official_members": 7,
                    "in_favour": 6,
                    "excluded_members": [
                        {"member_id": MEMBER_ID, "reason": "temporarily_transferred"},
                        {"member_id": OTHER_MEMBER_ID, "reason": "exempt_and_absent"},
                    ],
                },
            },
            "override": {
                "summary": "Hồ sơ cũ: danh sách đảng viên chưa nhập",
                "value": {
                    "held_on": "2016-03-01",
                    "eligible_official_members": 11,
                    "in_favour": 10,
                    "roster_override": {
                        "reason": "Nhập hồ sơ cũ, danh sách chi bộ năm 2016 chưa nhập",
                        "document": doc("6-KNĐ", "03-NQ/CB", "2016-03-01"),
                    },
                },
            },
        },
    ),
    "subunit-appraisal": (
        "Record the sub-unit committee appraisal 7-KNĐ",
        one(
            "Thẩm định của đảng ủy bộ phận",
            {"appraised_on": "2024-03-08", "document": doc("7-KNĐ", "09-BC/ĐUBP", "2024-03-08")},
        ),
    ),
    "grassroots-votes": (
        "Record the grassroots committee resolution 8-KNĐ (stage 7)",
        one(
            "Nghị quyết đảng ủy cơ sở",
            {
                "held_on": "2024-03-15",
                "committee_members": 7,
                "in_favour": 6,
                "document": doc("8-KNĐ", "45-NQ/ĐU", "2024-03-15"),
            },
        ),
    ),
    "decision-extension": (
        "Extend the decision period once",
        one("Gia hạn thời gian xem xét", {"granted_on": "2024-05-20", "working_days": 30}),
    ),
    "admission-decision": (
        "Record the admission decision 9-KNĐ or a refusal (stage 8)",
        one(
            "Quyết định kết nạp",
            {
                "decided_on": "2024-04-10",
                "deciding_body_id": GRASSROOTS_ID,
                "decision": "admit",
                "received_on": "2024-04-12",
                "document": doc("9-KNĐ", "123-QĐ/ĐU", "2024-04-10"),
            },
        ),
    ),
    "ceremony": (
        "Record the admission ceremony; probation starts (stage 9)",
        one("Lễ kết nạp", {"held_on": "2024-05-06", "note": "Tổ chức tại nhà văn hóa thôn"}),
    ),
    "helper-assignment": (
        "Assign an official member as helper",
        one("Phân công đảng viên giúp đỡ", {"member_id": MEMBER_ID, "assigned_on": "2024-05-06"}),
    ),
    "new-member-class": (
        "Record the new-member class certificate (during probation)",
        one(
            "Lớp bồi dưỡng đảng viên mới",
            {"completed_on": "2024-08-20", "certificate_number": "BDĐVM-0187"},
        ),
    ),
    "discipline": (
        "Record a discipline during probation (reprimand or warning)",
        one("Khiển trách", {"decided_on": "2024-11-05", "kind": "reprimand"}),
    ),
    "recognition-votes": (
        "Record the branch recognition resolution 13-KNĐ (stage 10)",
        one(
            "Nghị quyết chi bộ đề nghị công nhận đảng viên chính thức",
            {
                "held_on": "2025-05-09",
                "eligible_official_members": 9,
                "in_favour": 9,
                "document": doc("13-KNĐ", "21-NQ/CB", "2025-05-09"),
            },
        ),
    ),
    "recognition-decision": (
        "Record the recognition decision 16-KNĐ or a removal",
        one(
            "Quyết định công nhận đảng viên chính thức",
            {
                "decided_on": "2025-06-02",
                "deciding_body_id": GRASSROOTS_ID,
                "decision": "recognise",
                "document": doc("16-KNĐ", "210-QĐ/ĐU", "2025-06-02"),
            },
        ),
    ),
    "transfer": (
        "Transfer the candidacy to another branch (stages 4 to 10)",
        one("Chuyển sinh hoạt", {"to_branch_id": OTHER_BRANCH_ID, "effective_on": "2024-06-01"}),
    ),
    "withdrawal": (
        "Record that the candidate withdraws",
        one("Rút khỏi nguồn", {"effective_on": "2023-09-01", "reason": "Đi học tập ở nước ngoài"}),
    ),
    "corrections": (
        "Restate an earlier event with a reason (never an edit)",
        one(
            "Sửa số phiếu tán thành ghi nhầm",
            {
                "position": 10,
                "changes": {"in_favour": 7},
                "reason": "Biên bản kiểm phiếu ghi nhầm số phiếu tán thành",
            },
        ),
    ),
}
