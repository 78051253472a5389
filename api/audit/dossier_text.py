"""The words of a dossier: Vietnamese names of steps, forms, rules and deadlines, and a
readable sentence for each check that ran ("giấy chứng nhận 58 tháng, giới hạn 60 tháng").

The English sentence is the check's own ``detail``, written when the step was recorded; the
Vietnamese one is built here from the check's ``params``, so both say the same thing.
Nothing here carries personal data: member ids are shortened, persons are never named.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from api.labels import STAGE_LABELS as STAGE_LABELS
from domain.candidacy.events import CandidacyEvent, GrassrootsVoteHeld, IntroducersRecorded
from domain.candidacy.state import CandidacyState, Stage
from domain.rules import CheckResult, Param

# Each step's name (Vietnamese · English), by event type.
STEP_LABELS: dict[str, tuple[str, str]] = {
    "CandidateNominated": ("Giới thiệu quần chúng ưu tú vào nguồn", "nomination"),
    "ClassEnrolled": ("Học lớp bồi dưỡng nhận thức về Đảng", "awareness class enrolment"),
    "CertificateRecorded": ("Giấy chứng nhận bồi dưỡng (CN-NTVĐ)", "awareness certificate"),
    "ApplicationSubmitted": ("Đơn xin vào Đảng", "application letter"),
    "BiographySubmitted": ("Lý lịch của người xin vào Đảng", "biography"),
    "IntroducersRecorded": ("Giới thiệu người vào Đảng", "introducers"),
    "VerificationRequested": ("Đề nghị thẩm tra lý lịch", "verification request"),
    "VerificationResultRecorded": ("Kết quả thẩm tra lý lịch", "verification result"),
    "BiographyCertified": ("Chứng nhận lý lịch", "biography certified"),
    "BranchVoteHeld": ("Nghị quyết chi bộ đề nghị kết nạp", "branch resolution"),
    "SubunitAppraisalRecorded": ("Thẩm định của đảng ủy bộ phận", "sub-unit appraisal"),
    "GrassrootsVoteHeld": ("Nghị quyết của đảng ủy cơ sở", "grassroots committee resolution"),
    "DecisionDeadlineExtended": ("Gia hạn thời hạn xem xét", "decision period extended"),
    "AdmissionDecided": ("Quyết định kết nạp đảng viên", "admission decision"),
    "CeremonyHeld": ("Lễ kết nạp đảng viên", "admission ceremony"),
    "HelperAssigned": ("Phân công đảng viên giúp đỡ", "helper member assigned"),
    "NewMemberClassCompleted": ("Lớp bồi dưỡng đảng viên mới", "new-member class"),
    "DisciplineRecorded": ("Kỷ luật trong thời gian dự bị", "discipline during probation"),
    "RecognitionVoteHeld": ("Nghị quyết chi bộ đề nghị công nhận", "branch recognition vote"),
    "RecognitionDecided": ("Quyết định công nhận đảng viên chính thức", "recognition decision"),
    "Transferred": ("Chuyển sinh hoạt đảng", "transfer to another branch"),
    "Withdrawn": ("Rút khỏi danh sách", "withdrawal"),
    "Corrected": ("Đính chính", "correction"),
}

# Forms of Hướng dẫn 12-HD/BTCTW (2022) and the certificates, by code.
FORM_TITLES: dict[str, str] = {
    "CN-NTVĐ": "Giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng",
    "1-KNĐ": "Đơn xin vào Đảng",
    "2-KNĐ": "Lý lịch của người xin vào Đảng",
    "3-KNĐ": "Giấy giới thiệu người vào Đảng",
    "4-KNĐ": "Nghị quyết giới thiệu đoàn viên ưu tú vào Đảng",
    "6-KNĐ": "Nghị quyết đề nghị kết nạp đảng viên (chi bộ)",
    "7-KNĐ": "Báo cáo thẩm định của đảng ủy bộ phận",
    "8-KNĐ": "Nghị quyết đề nghị kết nạp đảng viên (đảng ủy cơ sở)",
    "9-KNĐ": "Quyết định kết nạp đảng viên",
    "13-KNĐ": "Nghị quyết đề nghị công nhận đảng viên chính thức (chi bộ)",
    "15-KNĐ": "Nghị quyết đề nghị công nhận đảng viên chính thức (đảng ủy cơ sở)",
    "16-KNĐ": "Quyết định công nhận đảng viên chính thức",
    "20-KNĐ": "Công văn đề nghị thẩm tra lý lịch",
}


def form_of(event: CandidacyEvent) -> str | None:
    """The form code of the document behind ``event``: the one recorded on the event, else
    the form the step is made on (None for steps without a form)."""
    if event.document is not None:
        return event.document.form
    name = type(event).__name__
    if isinstance(event, IntroducersRecorded):
        return "4-KNĐ" if event.youth_union_resolution else "3-KNĐ"
    if isinstance(event, GrassrootsVoteHeld):
        return None  # 8-KNĐ or 15-KNĐ: depends on the stage it was held in (form_in)
    return _FORMS.get(name)


def form_in(event: CandidacyEvent, before: CandidacyState | None) -> str | None:
    """``form_of``, knowing the stage the candidacy was in before ``event``."""
    if isinstance(event, GrassrootsVoteHeld) and event.document is None:
        recognition = before is not None and before.stage == Stage.RECOGNITION_REVIEW
        return "15-KNĐ" if recognition else "8-KNĐ"
    return form_of(event)


_FORMS = {
    "CertificateRecorded": "CN-NTVĐ",
    "ApplicationSubmitted": "1-KNĐ",
    "BiographySubmitted": "2-KNĐ",
    "VerificationRequested": "20-KNĐ",
    "BranchVoteHeld": "6-KNĐ",
    "SubunitAppraisalRecorded": "7-KNĐ",
    "AdmissionDecided": "9-KNĐ",
    "RecognitionVoteHeld": "13-KNĐ",
    "RecognitionDecided": "16-KNĐ",
}


DEADLINE_LABELS: dict[str, str] = {
    "certificate_expiry": "Hiệu lực giấy chứng nhận (60 tháng)",
    "verification_sla": "Thẩm tra lý lịch (thời hạn nội bộ)",
    "decision_due": "Quyết định kết nạp",
    "ceremony_due": "Tổ chức lễ kết nạp",
    "probation_end": "Hết thời gian dự bị (12 tháng)",
    "recognition_vote_due": "Chi bộ xét công nhận chính thức",
    "recognition_decision_due": "Quyết định công nhận chính thức",
    "decision": "Quyết định kết nạp",
    "ceremony": "Tổ chức lễ kết nạp",
    "recognition_vote": "Chi bộ xét công nhận chính thức",
    "recognition_decision": "Quyết định công nhận chính thức",
}

STATUS_LABELS: dict[str, str] = {
    "met": "đúng hạn",
    "missed": "quá hạn",
    "due": "chưa đến hạn",
    "overdue": "đã quá hạn",
}

VOTE_BODIES: dict[str, tuple[str, str]] = {
    "branch": ("Chi bộ", "6-KNĐ"),
    "grassroots": ("Đảng ủy cơ sở", "8-KNĐ / 15-KNĐ"),
    "recognition": ("Chi bộ (công nhận chính thức)", "13-KNĐ"),
}

RULE_LABELS: dict[str, str] = {
    "age_out_of_range": "Tuổi đời",
    "certificate_expired": "Hiệu lực giấy chứng nhận bồi dưỡng nhận thức về Đảng",
    "education_insufficient": "Trình độ học vấn",
    "branch_too_small": "Số đảng viên chính thức của chi bộ",
    "vote_threshold": "Tỷ lệ biểu quyết tán thành",
    "introducer_not_official": "Người giới thiệu là đảng viên chính thức",
    "helper_not_official": "Đảng viên giúp đỡ là đảng viên chính thức",
    "introducer_acquaintance_too_short": "Thời gian người giới thiệu công tác cùng",
    "introducer_not_in_same_unit": "Người giới thiệu cùng tổ chức cơ sở đảng",
    "introducers_incomplete": "Số người giới thiệu",
    "ceremony_overdue": "Thời hạn tổ chức lễ kết nạp",
    "not_competent": "Thẩm quyền quyết định",
    "readmission_not_allowed": "Điều kiện kết nạp lại",
    "date_in_future": "Ngày không sau ngày ghi nhận",
    "date_order": "Thứ tự thời gian",
    "application_before_biography": "Đơn trước lý lịch",
    "dossier_incomplete": "Hồ sơ đầy đủ",
    "verification_not_requested": "Có đề nghị thẩm tra",
    "verification_incomplete": "Thẩm tra đầy đủ",
    "biography_not_certified": "Lý lịch đã được chứng nhận",
    "vote_escalated": "Chuyển cấp ủy cấp trên",
    "wrong_stage": "Đúng giai đoạn",
    "extension_not_allowed": "Gia hạn (tối đa 30 ngày làm việc, một lần)",
    "probation_not_ended": "Hết thời gian dự bị",
    "discipline_not_allowed": "Hình thức kỷ luật trong thời gian dự bị",
    "same_branch": "Chuyển sang chi bộ khác",
    "eligible_count_mismatch": "Số đảng viên chính thức theo danh sách đảng viên",
    "roster_override": "Số đảng viên không đối chiếu danh sách (ngoại lệ)",
    "no_eligible_members": "Có đảng viên chính thức biểu quyết",
    "born_after_nomination": "Ngày sinh trước ngày giới thiệu",
    "too_young_at_nomination": "Tuổi khi được giới thiệu",
}

# The facts a step follows in time (domain.candidacy.order), in Vietnamese.
ORDER_STEP_LABELS: dict[str, str] = {
    "nomination": "giới thiệu nguồn",
    "transfer": "chuyển sinh hoạt",
    "class enrolment": "dự lớp bồi dưỡng nhận thức về Đảng",
    "awareness certificate": "giấy chứng nhận bồi dưỡng nhận thức về Đảng",
    "application": "đơn xin vào Đảng",
    "biography": "lý lịch người xin vào Đảng",
    "introducers": "giới thiệu của đảng viên chính thức",
    "verification request": "đề nghị thẩm tra lý lịch",
    "verification requests and results": "thẩm tra lý lịch (đề nghị và kết quả)",
    "biography certification": "chứng nhận lý lịch",
    "earlier branch vote": "lần biểu quyết trước của chi bộ",
    "branch resolution": "nghị quyết của chi bộ",
    "earlier committee vote": "lần biểu quyết trước của đảng ủy",
    "resolution": "nghị quyết đề nghị",
    "committee resolution": "nghị quyết của đảng ủy cơ sở",
    "admission decision": "quyết định kết nạp",
    "admission ceremony": "lễ kết nạp",
    "new-member class": "lớp bồi dưỡng đảng viên mới",
    "recognition vote": "biểu quyết công nhận chính thức",
    "earlier recognition vote": "lần biểu quyết công nhận trước",
    "branch recognition vote": "nghị quyết công nhận của chi bộ",
    "committee recognition resolution": "nghị quyết công nhận của đảng ủy cơ sở",
    "latest recorded step": "bước đã ghi nhận gần nhất",
    "third failed branch vote": "lần biểu quyết không đạt thứ ba của chi bộ",
    "sub-unit appraisal": "thẩm định của đảng ủy bộ phận",
}

EDUCATION_LABELS: dict[str, str] = {
    "none": "chưa qua đào tạo",
    "primary": "tiểu học",
    "lower_secondary": "trung học cơ sở",
    "upper_secondary": "trung học phổ thông",
    "vocational": "trung cấp",
    "college": "cao đẳng",
    "university": "đại học",
    "postgraduate": "sau đại học",
}


def vn_date(value: date | str | None) -> str:
    """A day the Vietnamese way (dd/mm/yyyy); "—" for none."""
    if value is None:
        return "—"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


def rule_set_name(code: str | None) -> str:
    """``294-QĐ/TW`` → ``Quy định 294-QĐ/TW``."""
    return f"Quy định {code}" if code else "—"


def step_label(type_name: str) -> str:
    """The Vietnamese name of a step, with its English name."""
    vi, en = STEP_LABELS.get(type_name, (type_name, type_name))
    return f"{vi} ({en})"


def _member(value: Param) -> str:
    return f"đảng viên {str(value)[:8]}" if value else "đảng viên"


def _age(p: dict[str, Param]) -> str:
    months = int(p.get("age_months") or 0)
    low, high = int(p.get("min_months") or 0) // 12, int(p.get("max_months") or 0) // 12
    text = f"{months // 12} tuổi {months % 12} tháng, quy định từ {low} đến {high} tuổi"
    return text + (
        f"; có ý kiến của tỉnh ủy {p['consent_reference']}" if p.get("consent_reference") else ""
    )


def _certificate(p: dict[str, Param]) -> str:
    return (
        f"giấy chứng nhận {p.get('age_months')} tháng, giới hạn {p.get('limit_months')} "
        f"tháng (hiệu lực đến {vn_date(str(p['expires_on'])) if p.get('expires_on') else '—'})"
    )


def _education(p: dict[str, Param]) -> str:
    level = EDUCATION_LABELS.get(str(p.get("education")), str(p.get("education")))
    text = f"trình độ {level}, yêu cầu tốt nghiệp trung học cơ sở"
    return text + (f"; ngoại lệ {p['exception_reference']}" if p.get("exception_reference") else "")


def _official(p: dict[str, Param]) -> str:
    since = p.get("official_on")
    status = f"là đảng viên chính thức từ {vn_date(str(since))}" if since else "chưa chính thức"
    return f"{_member(p.get('member_id'))} {status}"


def _order(p: dict[str, Param]) -> str:
    """'Ngày chứng nhận lý lịch 02/05/2024, sau ngày kết quả thẩm tra 20/04/2024'."""
    if not p.get("step"):  # checks recorded before ADR 0012 carry no parameters
        return "ngày của bước so với bước trước"
    step = STEP_LABELS.get(str(p["step"]), (str(p["step"]),))[0]
    other = ORDER_STEP_LABELS.get(str(p.get("other_step")), str(p.get("other_step")))
    return f"{step} ngày {vn_date(str(p['on']))}; {other} ngày {vn_date(str(p['other_on']))}"


def _ceremony(p: dict[str, Param]) -> str:
    text = (
        f"hạn chót {vn_date(str(p['due_on'])) if p.get('due_on') else '—'} "
        f"({p.get('limit_working_days')} ngày làm việc kể từ khi nhận quyết định)"
    )
    return text + (
        f"; cấp trên đồng ý {p['approval_reference']}" if p.get("approval_reference") else ""
    )


_SENTENCES: dict[str, Callable[[dict[str, Param]], str]] = {
    "age_out_of_range": _age,
    "date_in_future": lambda p: (
        f"ngày {vn_date(str(p['day']))} sau ngày ghi nhận {vn_date(str(p['recorded_on']))}"
        if p.get("day") and p.get("recorded_on")
        else "ngày của bước sau ngày ghi nhận"
    ),
    "certificate_expired": _certificate,
    "education_insufficient": _education,
    "branch_too_small": lambda p: (
        f"chi bộ có {p.get('official_members')} đảng viên chính thức, tối thiểu {p.get('minimum')}"
    ),
    "vote_threshold": lambda p: (
        f"{p.get('in_favour')}/{p.get('eligible')} tán thành, cần {p.get('threshold')} "
        "tổng số đảng viên chính thức"
    ),
    "introducer_not_official": _official,
    "helper_not_official": _official,
    "introducer_acquaintance_too_short": lambda p: (
        f"{_member(p.get('member_id'))} công tác cùng {p.get('months')} tháng, "
        f"tối thiểu {p.get('minimum')} tháng"
    ),
    "introducer_not_in_same_unit": lambda p: (
        f"{_member(p.get('member_id'))} "
        f"{'cùng' if p.get('same_grassroots') else 'không cùng'} tổ chức cơ sở đảng; "
        f"{'bắt buộc' if p.get('required') else 'không bắt buộc'}"
    ),
    "introducers_incomplete": lambda p: (
        f"{p.get('introducers')} người giới thiệu, cần {p.get('needed')}"
        + ("; có nghị quyết của Đoàn" if p.get("youth_union_resolution") else "")
    ),
    "ceremony_overdue": _ceremony,
    "not_competent": lambda p: (
        f"cấp quyết định {p.get('body_kind') or 'không rõ'}, "
        f"{'là' if p.get('above_branch') else 'không là'} cấp trên của chi bộ"
    ),
    "date_order": lambda p: _order(p),
    "application_before_biography": lambda p: _order(p),
    "eligible_count_mismatch": lambda p: (
        f"biểu quyết tính {p.get('eligible')} đảng viên chính thức; danh sách có "
        f"{p.get('roster')}, trừ {p.get('excluded')} đảng viên không tính theo quy định "
        f"còn {int(p.get('roster') or 0) - int(p.get('excluded') or 0)}"
    ),
    "roster_override": lambda p: (
        f"{p.get('eligible')} đảng viên chính thức theo văn bản, không theo danh sách"
        + (f" (danh sách có {p['roster']})" if p.get("roster") is not None else "")
    ),
    "no_eligible_members": lambda p: f"{p.get('eligible')} đảng viên chính thức biểu quyết",
    "extension_not_allowed": lambda p: (
        f"gia hạn {p.get('working_days')} ngày làm việc, tối đa {p.get('limit')}"
    ),
}


def check_sentence(rule: str, params: dict[str, Param]) -> str | None:
    """What a check of ``rule`` found, in Vietnamese, from its parameters (None: no words
    for it yet)."""
    sentence = _SENTENCES.get(rule)
    return sentence(params) if sentence else None


# Checks that pass only by a recorded departure from the ordinary rule.
DEPARTURES = frozenset({"roster_override"})


def explain_check(check: CheckResult) -> str:
    """One readable line for a check that ran: outcome, what was checked (Vietnamese, from
    the parameters), the rule set, then the recorded English detail."""
    mark = "✓" if check.passed else ("✗" if check.blocking else "✗ (không chặn)")
    if check.passed and check.rule in DEPARTURES:
        mark = "⚠ (ngoại lệ)"  # allowed, but by a departure the inspector must see
    label = RULE_LABELS.get(check.rule, check.rule)
    sentence = _SENTENCES.get(check.rule)
    said = f": {sentence(check.params)}" if sentence else ""
    return f"{mark} {label}{said} — {rule_set_name(check.rule_set)} · {check.detail}"
