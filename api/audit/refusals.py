"""The words of a refusal, in the reader's language: one catalogue keyed by the stable
``rule`` code, used by the API (``detail`` follows ``Accept-Language``) and, next, the web
app. The English sentence is the refusal's own ``detail``; the Vietnamese one is built here:

- a rule of the regulations that failed (``RuleViolation``) reads as its rule's name and
  the check's parameters ("Hiệu lực giấy chứng nhận bồi dưỡng nhận thức về Đảng: giấy
  chứng nhận 61 tháng, tối đa 60 tháng"), the words the dossier uses (``dossier_text``);
- a step that does not fit the stage (``WrongStage``) names both in Vietnamese;
- any other refusal reads as its rule's Vietnamese sentence (``MESSAGES``), with the
  specific English detail after it where the refusal carries no parameters yet.

A code missing from the catalogue falls back to the English detail (a test keeps every
code the code base raises in it).
"""

from __future__ import annotations

from pydantic import ValidationError

from api.audit.dossier_text import RULE_LABELS, STAGE_LABELS, STEP_LABELS, check_sentence
from domain.errors import DomainError, RuleViolation, WrongStage

VIETNAMESE, ENGLISH = "vi", "en"

# Refusals that are not checks of a step: rule code -> what a board reads.
MESSAGES: dict[str, str] = {
    "not_found": "Không tìm thấy hồ sơ hoặc đơn vị được nêu",
    "subscription_ended": "Đăng ký nhận nhắc hạn này đã kết thúc",
    "no_rule_set": "Chưa có quy định áp dụng cho ngày này",
    "missing_date": "Thiếu ngày của bước này",
    "date_in_future": "Ngày ghi nhận không được sau ngày hôm nay",
    "date_order": "Ngày không đúng thứ tự thời gian",
    "application_before_biography": "Đơn xin vào Đảng phải có trước lý lịch",
    "verification_not_requested": "Chưa có đề nghị thẩm tra lý lịch",
    "dossier_incomplete": "Hồ sơ chưa đầy đủ",
    "verification_incomplete": "Chưa thẩm tra xong mọi nội dung",
    "no_eligible_members": "Không có đảng viên chính thức nào biểu quyết",
    "biography_not_certified": "Lý lịch chưa được chứng nhận",
    "extension_not_allowed": "Không được gia hạn (tối đa 30 ngày làm việc, một lần)",
    "discipline_not_allowed": "Hình thức kỷ luật này không áp dụng trong thời gian dự bị",
    "probation_not_ended": "Chưa hết thời gian dự bị 12 tháng",
    "same_branch": "Đảng viên đã ở chi bộ này",
    "no_district_level": "Không còn cấp huyện từ ngày 01/07/2025 (Kết luận 137-KL/TW)",
    "invalid_parent": "Đơn vị cấp trên không hợp lệ",
    "invalid_merge": "Không thể hợp nhất vào đơn vị này",
    "invalid_branch": "Không phải chi bộ đang hoạt động",
    "unit_not_in_force": "Đơn vị chưa thành lập hoặc đã giải thể vào ngày này",
    "member_left": "Đảng viên đã ra khỏi danh sách",
    "use_candidacy": "Đảng viên dự bị được chuyển hoặc xóa tên qua hồ sơ kết nạp của mình",
    "excluded_not_official": "Người được trừ ra không phải đảng viên chính thức của chi bộ",
    "readmission_not_allowed": "Không đủ điều kiện kết nạp lại",
    "organisation_required": "Cần nêu đơn vị (chỉ mã quản trị mới áp dụng cho mọi đơn vị)",
    "token_expiry_required": "Mã truy cập này phải có hạn dùng",
    "token_expiry_past": "Hạn dùng của mã truy cập đã qua",
    "token_revoked": "Mã truy cập đã bị thu hồi",
    "token_unknown": "Mã truy cập không đúng",
    "concurrent_write": "Một thao tác khác vừa được ghi vào hồ sơ này: tải lại rồi thử lại",
    "version_mismatch": "Hồ sơ đã thay đổi kể từ khi mở trang: tải lại rồi thử lại",
    "idempotency_key_reused": "Khóa Idempotency-Key đã dùng cho một yêu cầu khác",
    "invalid_correction": "Không thể đính chính như vậy",
    "vote_escalated": "Biểu quyết đã chuyển lên cấp ủy cấp trên",
    "invalid_input": "Dữ liệu gửi lên thiếu hoặc không hợp lệ (xem từng trường trong `errors`)",
}


# The problem's title by HTTP status, in Vietnamese.
TITLES: dict[int, str] = {
    404: "Không tìm thấy",
    409: "Quy định không cho phép",
    412: "Hồ sơ đã thay đổi",
    422: "Dữ liệu không hợp lệ",
}


def rule_title(rule: str) -> str | None:
    """What a board reads for ``rule``, in Vietnamese (None for a code not catalogued)."""
    return RULE_LABELS.get(rule) or MESSAGES.get(rule)


def refusal_title(status: int, title: str, language: str) -> str:
    """The problem's title in ``language`` (the English ``title`` otherwise)."""
    return TITLES.get(status, title) if language == VIETNAMESE else title


def preferred_language(accept_language: str | None) -> str:
    """``vi`` when the client prefers Vietnamese (``Accept-Language``, q-values honoured),
    else ``en``, the API's default."""
    best, best_q = ENGLISH, 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in (VIETNAMESE, ENGLISH) and q > best_q:
            best, best_q = language, q
    return best


def refusal_detail(exc: DomainError, language: str) -> str:
    """The refusal as a sentence in ``language`` (``vi`` or ``en``)."""
    if language != VIETNAMESE:
        return exc.detail
    if isinstance(exc, WrongStage) and exc.step:
        stage = STAGE_LABELS.get(exc.stage, exc.stage)
        step = STEP_LABELS.get(exc.step, (exc.step, ""))[0]
        return f"Không thể ghi «{step}» khi hồ sơ đang ở giai đoạn «{stage}»"
    if isinstance(exc, RuleViolation):
        label = RULE_LABELS.get(exc.rule) or MESSAGES.get(exc.rule)
        sentence = check_sentence(exc.rule, exc.check.params)
        if label and sentence:
            return f"{label}: {sentence}"
        if label:
            return f"{label} — {exc.detail}"
        return exc.detail
    message = MESSAGES.get(exc.rule)
    return f"{message} ({exc.detail})" if message else exc.detail


# pydantic's error types in Vietnamese (the web app's forms and the imports' problems).
VALIDATION_VI = {
    "missing": "Chưa điền",
    "date_from_datetime_parsing": "Ngày không hợp lệ",
    "date_parsing": "Ngày không hợp lệ",
    "int_parsing": "Phải là số nguyên",
    "uuid_parsing": "Mã không hợp lệ",
    "string_too_short": "Chưa điền",
    "string_too_long": "Quá dài",
    "string_pattern_mismatch": "Không đúng định dạng",
    "enum": "Giá trị không hợp lệ",
    "literal_error": "Giá trị không hợp lệ",
    "greater_than_equal": "Quá nhỏ",
    "less_than_equal": "Quá lớn",
    "too_short": "Chưa điền",
    # The refusals of input that cannot be true (workflows.plausible, the commands' checks).
    "before_party_founded": "Ngày không thể trước ngày thành lập Đảng (03/02/1930)",
    "date_too_early": "Ngày không thể trước năm 1900",
    "control_character": "Có ký tự điều khiển không hợp lệ",
    "admitted_before_birth": "Ngày vào Đảng trước ngày sinh",
    "too_young_at_admission": "Chưa đủ tuổi vào Đảng tại ngày vào Đảng (có thể ghi nhầm ngày)",
    "official_before_admission": "Ngày chính thức trước ngày vào Đảng",
    "probationary_with_official_date": "Đảng viên dự bị chưa có ngày chính thức",
    "born_after_nomination": "Ngày sinh sau ngày giới thiệu vào nguồn",
    "too_young_at_nomination": "Chưa đủ tuổi tại ngày giới thiệu vào nguồn",
}


def validation_messages(exc: ValidationError, language: str) -> dict[str, str]:
    """A pydantic error as messages in ``language`` by dotted field path ("" for the whole
    model), the first message for each path."""
    result: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ()))
        text = str(err.get("msg", "")).removeprefix("Value error, ")
        if language == VIETNAMESE:
            text = VALIDATION_VI.get(str(err.get("type", ""))) or text
        result.setdefault(path, text)
    return result
