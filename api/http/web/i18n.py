"""The web app's words, Vietnamese first, English when the reader switches (cookie
``ketnap_lang``). Refusals come from the one catalogue of ``api.audit.refusals``; the names
of stages, steps, deadlines and rules from ``api.audit.dossier_text``, as the dossier
prints them. Dates are written dd/mm/yyyy in both languages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from api.audit.dossier_text import DEADLINE_LABELS, STAGE_LABELS, STEP_LABELS
from api.audit.words import ENUM_WORDS, FIELD_WORDS

VI, EN = "vi", "en"
LANGUAGES = (VI, EN)
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

# key -> (Vietnamese, English)
WORDS: dict[str, tuple[str, str]] = {
    "app": ("Sổ theo dõi kết nạp đảng viên", "Party admissions register"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "token": ("Mã truy cập", "Access token"),
    "token_help": (
        "Mã do quản trị viên cấp bằng lệnh «ketnap tokens create».",
        "The token an administrator created with «ketnap tokens create».",
    ),
    "signed_in_as": ("Đăng nhập với vai trò", "Signed in as"),
    "session_ended": ("Phiên làm việc đã hết, vui lòng đăng nhập lại.", "Please sign in again."),
    "bad_form": (
        "Biểu mẫu đã hết hạn hoặc không hợp lệ: tải lại trang rồi thử lại.",
        "The form has expired or is not valid: reload the page and try again.",
    ),
    "tree": ("Cây tổ chức", "Organisation tree"),
    "as_of": ("Tính đến ngày", "As of"),
    "known_at": ("Theo dữ liệu ghi nhận đến", "As known at"),
    "show": ("Xem", "Show"),
    "units_under": ("Đơn vị trực thuộc", "Units under it"),
    "no_units": ("Không có đơn vị trực thuộc vào ngày này.", "No units under it on that day."),
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "kind": ("Loại", "Kind"),
    "founded_on": ("Thành lập", "Founded"),
    "ended_on": ("Kết thúc", "Ended"),
    "pipeline": ("Quá trình kết nạp", "Pipeline"),
    "deadlines": ("Thời hạn", "Deadlines"),
    "quota": ("Chỉ tiêu", "Quota"),
    "coverage": ("Địa bàn dân cư", "Residential coverage"),
    "certificates": ("Giấy chứng nhận sắp hết hạn", "Certificates expiring"),
    "roster": ("Danh sách đảng viên", "Roster"),
    "download_xlsx": ("Tải xuống Excel", "Download Excel"),
    "download_csv": ("Tải xuống CSV", "Download CSV"),
    "candidacies": ("Hồ sơ kết nạp", "Candidacies"),
    "nominate": ("Giới thiệu quần chúng vào nguồn", "Nominate a candidate"),
    "search": ("Tìm kiếm", "Search"),
    "search_help": (
        "Họ tên (không cần dấu) hoặc số CCCD",
        "Name (diacritics optional) or national id",
    ),
    "audit": ("Kiểm tra tính toàn vẹn", "Integrity check"),
    "stage": ("Giai đoạn", "Stage"),
    "candidates": ("Số người", "Candidates"),
    "median_days": ("Số ngày trung vị ở giai đoạn", "Median days in stage"),
    "outcomes": ("Kết quả", "Outcomes"),
    "in_progress": ("Đang trong quá trình", "In progress"),
    "person": ("Người", "Person"),
    "branch": ("Chi bộ", "Branch"),
    "step": ("Bước", "Step"),
    "due_on": ("Hạn", "Due"),
    "working_days_left": ("Ngày làm việc còn lại", "Working days left"),
    "status": ("Tình trạng", "Status"),
    "overdue": ("Quá hạn", "Overdue"),
    "due": ("Sắp đến hạn", "Due"),
    "met": ("Đúng hạn", "Met"),
    "missed": ("Trễ hạn", "Missed"),
    "within_days": ("Trong vòng (ngày làm việc)", "Within (working days)"),
    "nothing_due": ("Không có thời hạn nào cần chú ý.", "Nothing due."),
    "reminders": ("Nhắc hạn", "Reminders"),
    "subscriptions": ("Nơi nhận bản tin nhắc hạn", "Digest subscriptions"),
    "no_subscriptions": ("Chưa có nơi nhận nào.", "No subscriptions yet."),
    "subscribe": ("Đăng ký nhận nhắc hạn", "Subscribe"),
    "end_subscription": ("Hủy đăng ký", "End"),
    "channel": ("Kênh", "Channel"),
    "address": ("Địa chỉ", "Address"),
    "secret": ("Khóa ký (webhook, từ 16 ký tự)", "Signing key (webhook, 16+ characters)"),
    "frequency": ("Tần suất", "Frequency"),
    "hour": ("Giờ gửi (giờ Việt Nam)", "Hour (Vietnam time)"),
    "email": ("Thư điện tử", "E-mail"),
    "webhook": ("Webhook", "Webhook"),
    "daily": ("Hằng ngày", "Daily"),
    "weekly": ("Hằng tuần (thứ Hai)", "Weekly (Mondays)"),
    "digest_preview": ("Bản tin nhắc hạn hôm nay", "Today's digest"),
    "period": ("Kỳ", "Period"),
    "target": ("Chỉ tiêu", "Target"),
    "admitted": ("Đã kết nạp", "Admitted"),
    "fulfilment": ("Tỷ lệ hoàn thành", "Fulfilment"),
    "forecast": ("Dự báo đến cuối kỳ", "Forecast to the period's end"),
    "forecast_expected": ("Dự kiến", "Expected"),
    "forecast_band": ("Khoảng 10–90%", "10–90% band"),
    "forecast_deciding": ("Người quyết định kết quả", "Candidates who decide it"),
    "forecast_deciding_hidden": (
        "Vai trò của bạn chỉ xem số liệu: không hiện danh sách người.",
        "Your role reads figures only: the list of people is not shown.",
    ),
    "forecast_stage_rates": ("Tỷ lệ theo giai đoạn", "Rates by stage"),
    "forecast_rate": ("Tỷ lệ", "Rate"),
    "forecast_basis": ("Lấy từ", "Taken from"),
    "forecast_past": ("Hồ sơ trước", "Past candidacies"),
    "forecast_in_time": ("Còn kịp", "Can finish"),
    "forecast_next_step_by": ("Bước tiếp theo trước", "Next step by"),
    "forecast_due": ("Hạn theo quy định", "Rule's limit"),
    "forecast_probability": ("Khả năng", "Probability"),
    "basis_own": ("Của đơn vị", "The unit's own"),
    "basis_above": ("Đơn vị cấp trên", "A unit above"),
    "basis_store": ("Toàn bộ dữ liệu", "The whole store"),
    "no_target": ("Chưa giao chỉ tiêu", "No target set"),
    "breakdown": ("Cơ cấu", "Breakdown"),
    "women": ("Nữ", "Women"),
    "ethnic_minority": ("Dân tộc thiểu số", "Ethnic minority"),
    "religious": ("Có đạo", "Religious"),
    "youth_union": ("Đoàn viên", "Youth Union"),
    "aged_30_or_under": ("Từ 30 tuổi trở xuống", "Aged 30 or under"),
    "children": ("Các đơn vị trực thuộc", "Child units"),
    "branches": ("Chi bộ", "Branches"),
    "residential_areas": ("Địa bàn dân cư", "Residential areas"),
    "areas_without_members": ("Địa bàn chưa có đảng viên", "Areas without members"),
    "issued_on": ("Ngày cấp", "Issued"),
    "expires_on": ("Hết hạn", "Expires"),
    "days_left": ("Số ngày còn lại", "Days left"),
    "expiring": ("Sắp hết hạn", "Expiring"),
    "expired": ("Đã hết hạn", "Expired"),
    "official": ("Chính thức", "Official"),
    "probationary": ("Dự bị", "Probationary"),
    "all": ("Tất cả", "All"),
    "admitted_on": ("Ngày vào Đảng", "Admitted on"),
    "official_on": ("Ngày chính thức", "Official on"),
    "register_member": ("Thêm đảng viên vào danh sách", "Add a member to the roster"),
    "record": ("Ghi nhận", "Record"),
    "recorded": ("Đã ghi nhận.", "Recorded."),
    "timeline": ("Diễn biến hồ sơ", "Timeline"),
    "recorded_by": ("Người ghi", "Recorded by"),
    "recorded_at": ("Thời điểm ghi", "Recorded at"),
    "rule_set": ("Quy định áp dụng", "Rule set"),
    "document": ("Văn bản", "Document"),
    "checks": ("Kiểm tra theo quy định", "Checks"),
    "next_steps": ("Các bước tiếp theo", "Next steps"),
    "no_steps": ("Hồ sơ đã kết thúc: chỉ còn đính chính.", "Closed: corrections only."),
    "dossier_pdf": ("Tải hồ sơ (PDF)", "Dossier (PDF)"),
    "stale": (
        "Hồ sơ vừa được người khác cập nhật kể từ khi bạn mở trang. Trang đã được tải lại "
        "với dữ liệu mới: kiểm tra rồi ghi lại.",
        "Someone else updated this candidacy since you opened the page. It has been "
        "reloaded: check it and record again.",
    ),
    "refused": ("Không ghi được", "Not recorded"),
    "invalid": ("Dữ liệu chưa hợp lệ", "Not valid"),
    "required": ("bắt buộc", "required"),
    "optional": ("không bắt buộc", "optional"),
    "results": ("Kết quả tìm kiếm", "Results"),
    "no_results": ("Không tìm thấy ai.", "Nobody found."),
    "history_as_of": ("Trạng thái hồ sơ tính đến ngày", "The candidacy as of"),
    "verification": ("Kết quả kiểm tra", "Verification"),
    "verified_ok": ("Toàn vẹn: không phát hiện chỉnh sửa.", "Intact: no tampering found."),
    "verified_bad": ("Phát hiện sai lệch", "Problems found"),
    "audit_help": (
        "Kiểm tra lại chuỗi băm của mọi sự kiện đã lưu và đối chiếu với bản tóm lược kiểm "
        "toán: phát hiện sự kiện bị sửa, xoá hoặc đổi thứ tự sau khi ghi.",
        "Recompute the hash chain of every stored event and compare the store with the audit "
        "digest: finds events altered, removed or reordered after they were recorded.",
    ),
    "bad_day": ("Ngày không hợp lệ: ghi theo dạng dd/mm/yyyy", "Not a day: write dd/mm/yyyy"),
    "day_hint": ("dd/mm/yyyy", "dd/mm/yyyy"),
    "instant_hint": ("dd/mm/yyyy hh:mm", "dd/mm/yyyy hh:mm"),
    "audit_start": ("Bắt đầu kiểm tra", "Start the check"),
    "audit_last": ("Lần kiểm tra gần nhất", "Latest check"),
    "audit_started": ("Bắt đầu lúc", "Started"),
    "audit_running": ("Đang kiểm tra", "Checking"),
    "audit_events": ("sự kiện", "events"),
    "audit_reload": ("Tải lại", "Reload"),
    "audit_failed": (
        "Lần kiểm tra không hoàn thành (kho dữ liệu không trả lời): hãy chạy lại.",
        "The check did not finish (the store did not answer): start it again.",
    ),
    "audit_events_checked": ("Số sự kiện đã kiểm tra", "Events checked"),
    "audit_streams_checked": ("Số hồ sơ", "Streams checked"),
    "audit_seconds": ("Thời gian (giây)", "Time (seconds)"),
    "audit_stream": ("Hồ sơ", "Stream"),
    "forbidden": ("Không có quyền xem trang này", "You may not see this page"),
    "not_found": ("Không tìm thấy", "Not found"),
    "error": ("Có lỗi", "Error"),
    "back_home": ("Về trang chính", "Back to start"),
    "language": ("English", "Tiếng Việt"),
    "skip": ("Bỏ qua, đến nội dung chính", "Skip to content"),
    "print": ("In trang", "Print"),
    "born": ("Ngày sinh", "Born"),
    "sex": ("Giới tính", "Sex"),
    "nominated_on": ("Ngày giới thiệu", "Nominated on"),
    "unavailable": (
        "Cơ sở dữ liệu tạm thời không trả lời; chưa có gì được ghi. Thử lại sau ít giây.",
        "The store does not answer for now; nothing was recorded. Try again shortly.",
    ),
    "explained": ("Giải thích", "Explained"),
    "correction_of": ("Đính chính bước", "Corrects step"),
    "reason": ("Lý do", "Reason"),
    "members": ("đảng viên", "members"),
    "open_candidacy": ("Mở hồ sơ", "Open"),
    "view_as_of": ("Xem trạng thái vào một ngày", "See it as it stood on a day"),
    "imports": ("Nhập từ Excel", "Import from Excel"),
    "imports_help": (
        "Chọn loại dữ liệu và tệp .xlsx hoặc .csv (dòng đầu là tiêu đề cột). Bước đầu chỉ "
        "kiểm tra, chưa ghi gì; xem kết quả rồi mới xác nhận nhập.",
        "Choose what the file holds and an .xlsx or .csv file (headers in the first row). "
        "It is checked first and nothing is recorded until you confirm.",
    ),
    "import_kind": ("Loại dữ liệu", "What the file holds"),
    "import_kind_tree": ("Cây tổ chức (đơn vị)", "Organisation tree (units)"),
    "import_kind_roster": ("Danh sách đảng viên", "Roster of members"),
    "import_kind_quotas": ("Chỉ tiêu kết nạp", "Admission quotas"),
    "period_reports": ("Báo cáo của kỳ", "Reports of the period"),
    "report_admissions": ("Kết nạp theo đơn vị trực thuộc", "Admissions by child unit"),
    "report_compliance": ("Chấp hành thời hạn", "Deadline compliance"),
    "report_statistics": ("Thống kê đảng viên mới (năm cuối kỳ)", "New-member statistics"),
    "import_kind_candidacies": ("Hồ sơ kết nạp (từng bước)", "Past candidacies (step by step)"),
    "import_templates": ("Tải mẫu trống (.xlsx)", "Empty templates (.xlsx)"),
    "import_file": ("Tệp (.xlsx hoặc .csv)", "File (.xlsx or .csv)"),
    "import_check": ("Kiểm tra tệp", "Check the file"),
    "import_preview": ("Kết quả kiểm tra (chưa ghi gì)", "Check (nothing recorded yet)"),
    "import_done": ("Đã nhập", "Imported"),
    "rows_read": ("Số dòng đã đọc", "Rows read"),
    "would_record": ("Sẽ ghi nhận", "Would be recorded"),
    "recorded_rows": ("Đã ghi nhận", "Recorded"),
    "unchanged_rows": ("Đã có từ trước (không đổi)", "Recorded before (unchanged)"),
    "problem_rows": ("Số lỗi", "Problems"),
    "row": ("Dòng", "Row"),
    "column": ("Cột", "Column"),
    "value": ("Giá trị", "Value"),
    "problem": ("Lỗi", "Problem"),
    "no_problems": ("Không có lỗi.", "No problems."),
    "ignored_columns": ("Cột không dùng (bỏ qua)", "Columns ignored"),
    "download_problems": ("Tải các dòng có lỗi (.xlsx) để sửa", "Download the rows to fix (.xlsx)"),
    "import_confirm": ("Xác nhận nhập", "Confirm the import"),
    "import_confirm_help": (
        "Các dòng không có lỗi sẽ được ghi nhận; các dòng có lỗi bị bỏ qua, sửa rồi nhập lại.",
        "The rows without a problem are recorded; fix the others and import them again.",
    ),
    "import_another": ("Nhập tệp khác", "Import another file"),
    "import_gone": (
        "Tệp đã hết hạn (giữ tối đa một giờ) hoặc đã được nhập: tải tệp lên lại.",
        "The file has expired (kept an hour at most) or was imported already: upload it again.",
    ),
}

ROLE_WORDS: dict[str, tuple[str, str]] = {
    "admin": ("Quản trị", "Administrator"),
    "board": ("Ban tổ chức", "Board"),
    "auditor": ("Kiểm tra", "Auditor"),
    "reporter": ("Báo cáo", "Reporter"),
}

SEGMENT_STEPS: dict[str, str] = {
    "class-enrolment": "ClassEnrolled",
    "certificate": "CertificateRecorded",
    "application": "ApplicationSubmitted",
    "biography": "BiographySubmitted",
    "introducers": "IntroducersRecorded",
    "verifications": "VerificationRequested",
    "biography-certification": "BiographyCertified",
    "branch-votes": "BranchVoteHeld",
    "subunit-appraisal": "SubunitAppraisalRecorded",
    "grassroots-votes": "GrassrootsVoteHeld",
    "decision-extension": "DecisionDeadlineExtended",
    "admission-decision": "AdmissionDecided",
    "ceremony": "CeremonyHeld",
    "helper-assignment": "HelperAssigned",
    "new-member-class": "NewMemberClassCompleted",
    "discipline": "DisciplineRecorded",
    "recognition-votes": "RecognitionVoteHeld",
    "recognition-decision": "RecognitionDecided",
    "transfer": "Transferred",
    "withdrawal": "Withdrawn",
    "corrections": "Corrected",
}


class Words:
    """The words of one page in one language (``t("tree")``)."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else VI
        self._index = 0 if self.language == VI else 1

    def __call__(self, key: str) -> str:
        pair = WORDS.get(key)
        return pair[self._index] if pair else key

    def enum(self, value: object) -> str:
        text = str(getattr(value, "value", value))
        pair = ENUM_WORDS.get(text)
        return pair[self._index] if pair else text

    def field(self, name: str) -> str:
        pair = FIELD_WORDS.get(name)
        return pair[self._index] if pair else name.replace("_", " ")

    def role(self, name: str) -> str:
        pair = ROLE_WORDS.get(name)
        return pair[self._index] if pair else name

    def stage(self, value: object) -> str:
        text = str(getattr(value, "value", value))
        if self.language == VI:
            return STAGE_LABELS.get(text, text)
        return text.replace("_", " ")

    def step(self, type_name: str) -> str:
        vi, en = STEP_LABELS.get(type_name, (type_name, type_name))
        return vi if self.language == VI else en

    def segment(self, segment: str) -> str:
        return self.step(SEGMENT_STEPS.get(segment, segment))

    def deadline(self, kind: str) -> str:
        if self.language == VI:
            return DEADLINE_LABELS.get(kind, kind)
        return kind.replace("_", " ")


def day(value: date | datetime | None) -> str:
    """dd/mm/yyyy (an instant in Vietnam's time, with hh:mm)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(LOCAL) if value.tzinfo else value
        return local.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def instant(value: datetime | None) -> str:
    """dd/mm/yyyy hh:mm:ss in Vietnam's time (what the known-at picker reads back)."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL) if value.tzinfo else value
    return local.strftime("%d/%m/%Y %H:%M:%S")


def parse_day(text: str) -> date:
    """A day typed as dd/mm/yyyy (d/m/yyyy too), or ISO yyyy-mm-dd; ValueError otherwise."""
    text = text.strip()
    if "/" in text:
        parts = text.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        raise ValueError(f"not a day (dd/mm/yyyy): {text!r}")
    return date.fromisoformat(text)


def parse_instant(text: str) -> datetime:
    """An instant typed as ``dd/mm/yyyy hh:mm[:ss]`` or ISO 8601; without an offset it is
    Vietnam's time (what a board's clock shows). ValueError otherwise."""
    text = text.strip()
    day_part, _, time_part = text.replace("T", " ", 1).partition(" ")
    if "/" in day_part:
        hours = [int(p) for p in time_part.split(":")] if time_part else [0]
        if not 1 <= len(hours) <= 3:
            raise ValueError(f"not an instant (dd/mm/yyyy hh:mm): {text!r}")
        hour, minute, second = [*hours, 0, 0][:3]
        moment = datetime.combine(parse_day(day_part), datetime.min.time()).replace(
            hour=hour, minute=minute, second=second
        )
    else:
        moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)
