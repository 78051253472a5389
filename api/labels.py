"""Words every part of api/ may show: the Vietnamese names of a candidacy's stages (the
dossier, the web app, the exports, the CLI and the forecast's notes)."""

from __future__ import annotations

STAGE_LABELS: dict[str, str] = {
    "source_pool": "Nguồn kết nạp",
    "awareness_class": "Học lớp nhận thức về Đảng",
    "certified": "Đã có giấy chứng nhận",
    "dossier": "Lập hồ sơ",
    "verification": "Thẩm tra lý lịch",
    "branch_approved": "Chi bộ đề nghị kết nạp",
    "awaiting_decision": "Chờ quyết định",
    "admitted": "Đã có quyết định kết nạp",
    "probation": "Đảng viên dự bị",
    "recognition_review": "Xét công nhận chính thức",
    "official": "Đảng viên chính thức",
    "rejected": "Không kết nạp",
    "withdrawn": "Rút khỏi danh sách",
    "removed": "Xóa tên khỏi danh sách đảng viên dự bị",
}
