"""The dossier printed as an official-looking PDF (fpdf2, pure Python).

Vietnamese needs a font with every diacritic: the DejaVu Sans TTFs vendored beside this
module in ``api/documents/fonts/`` (licence beside them) are embedded, so the PDF renders
the same on a machine with no fonts installed. The output depends only on the dossier: the
PDF's creation date is the newest event's recording time and no file id is written, so
exporting the same events twice gives the same bytes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import orjson
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from api.audit.dossier import Dossier, TimelineStep
from api.audit.dossier_text import (
    DEADLINE_LABELS,
    FORM_TITLES,
    STATUS_LABELS,
    rule_set_name,
    vn_date,
)

FONT = "DejaVu"
_FONTS = files("api.documents") / "fonts"
_LINE = 5.0


def _font_path(name: str) -> Path:
    path = Path(str(_FONTS / name))
    if not path.is_file():
        raise FileNotFoundError(f"the vendored font {name} is missing from api/documents/fonts/")
    return path


def _nfc(text: str) -> str:
    # Precomposed letters (ễ, not e + ̂ + ̃): every glyph is in the font, and text
    # extraction gives back what was written.
    return unicodedata.normalize("NFC", text)


class _DossierPdf(FPDF):
    """A4 portrait, the Party's document header, page numbers in the footer."""

    def __init__(self, candidacy: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.candidacy = candidacy
        self.add_font(FONT, "", _font_path("DejaVuSans.ttf"))
        self.add_font(FONT, "B", _font_path("DejaVuSans-Bold.ttf"))
        self.set_margins(18, 15, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.cell(0, 4, _nfc(f"Hồ sơ {self.candidacy} · Trang {self.page_no()}/{{nb}}"), align="C")

    # --- helpers --------------------------------------------------------------------

    def text_line(self, text: str, size: float = 9, bold: bool = False, h: float = _LINE) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, h, _nfc(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section(self, number: str, title: str) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(3)
        self.set_font(FONT, "B", 11)
        self.cell(0, 7, _nfc(f"{number}. {title}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(160, 0, 0)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)

    def rows(
        self, header: Sequence[str], body: Sequence[Sequence[str]], widths: tuple[float, ...]
    ) -> None:
        self.set_font(FONT, "", 8)
        with self.table(
            col_widths=widths,
            line_height=4.2,
            text_align="LEFT",
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        ) as table:
            head = table.row()
            for cell in header:
                head.cell(_nfc(cell))
            for values in body:
                row = table.row()
                for cell in values:
                    row.cell(_nfc(cell))


def _header(pdf: _DossierPdf, dossier: Dossier) -> None:
    s = dossier.summary
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    y = pdf.get_y()
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(
        half,
        5,
        _nfc((s.branch_name or "CHI BỘ").upper()),
        align="C",
        new_x=XPos.RIGHT,
        new_y=YPos.TOP,
    )
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.cell(
        half, 5, _nfc("ĐẢNG CỘNG SẢN VIỆT NAM"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    x = pdf.l_margin + half + half / 2
    pdf.set_draw_color(0, 0, 0)
    pdf.line(x - 25, pdf.get_y() + 0.5, x + 25, pdf.get_y() + 0.5)
    pdf.set_xy(pdf.l_margin + half, pdf.get_y() + 2)
    pdf.set_font(FONT, "", 8)
    pdf.cell(
        half,
        5,
        _nfc(f"Số liệu tính đến ngày {vn_date(dossier.deadlines_on)}"),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, _nfc("HỒ SƠ KẾT NẠP ĐẢNG VIÊN"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8)
    pdf.cell(
        0,
        5,
        _nfc(
            "(Trích từ sổ theo dõi kết nạp đảng viên điện tử; mỗi sự kiện được "
            "ghi nhận một lần, không sửa, có chuỗi mã băm SHA-256)"
        ),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)


def _summary(pdf: _DossierPdf, dossier: Dossier) -> None:
    s = dossier.summary
    pdf.section("I", "Thông tin chung")
    facts = [
        ("Họ và tên", s.full_name),
        ("Mã hồ sơ", str(s.candidacy_id)),
        ("Chi bộ", f"{s.branch_name or ''} ({s.branch_id})"),
        ("Giai đoạn hiện tại", f"{s.stage_label} ({s.stage.value})"),
        ("Ngày vào nguồn", vn_date(s.nominated_on)),
        ("Ngày quyết định kết nạp", vn_date(s.decided_on)),
        ("Tuổi đảng tính từ", vn_date(s.party_age_from)),
        ("Ngày lễ kết nạp", vn_date(s.ceremony_on)),
        ("Hết thời gian dự bị", vn_date(s.probation_ends_on)),
        ("Đảng viên chính thức từ", vn_date(s.official_on)),
        ("Số sự kiện (phiên bản)", str(s.version)),
    ]
    if s.outcome_reason:
        facts.append(("Kết thúc", f"{vn_date(s.outcome_on)}: {s.outcome_reason}"))
    pdf.rows(("Mục", "Nội dung"), facts, (55, 119))


def _value(value: object) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _step_lines(step: TimelineStep) -> list[str]:
    doc = step.document
    document = (
        (f"{doc.form} số {doc.number}" + (f" ngày {vn_date(doc.dated)}" if doc.dated else ""))
        if doc
        else "không ghi"
    )
    lines = [
        f"Ghi nhận lúc {step.recorded_at.isoformat()} bởi {step.actor} ({step.role})"
        f"{f', đơn vị {step.unit_id}' if step.unit_id else ''}; yêu cầu {step.request_id}",
        f"Căn cứ: {rule_set_name(step.rule_set)} · Mẫu: {step.form or '—'} · Tài liệu: {document}",
    ]
    data = ", ".join(
        f"{k}={_value(v)}" for k, v in sorted(step.data.items()) if v not in (None, [], {})
    )
    if data:
        lines.append(f"Dữ liệu: {data}")
    if step.note:
        lines.append(f"Ghi chú: {step.note}")
    if step.restates is not None:
        lines.append(f"Đính chính sự kiện #{step.restates}")
    if step.restated_by:
        lines.append(
            "Đã được đính chính bởi sự kiện " + ", ".join(f"#{p}" for p in step.restated_by)
        )
    return lines


def _timeline(pdf: _DossierPdf, dossier: Dossier) -> None:
    pdf.section("II", "Diễn biến")
    for step in dossier.timeline:
        if pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.text_line(
            f"#{step.position}  {vn_date(step.effective_on)}  {step.label}", 9.5, bold=True
        )
        for line in _step_lines(step):
            pdf.text_line(line, 7.5, h=3.8)
        for line in step.explanation or ():
            pdf.text_line(f"   {line}", 7.5, h=3.8)
        pdf.set_font(FONT, "", 6.5)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(
            0,
            3.4,
            f"Mã băm: {step.hash}  (trước: {step.prev_hash[:16]}…)",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)


def _documents(pdf: _DossierPdf, dossier: Dossier) -> None:
    pdf.section("III", "Tài liệu")
    body = [
        (
            d.form,
            FORM_TITLES.get(d.form, d.step),
            d.number or "—",
            vn_date(d.dated),
            f"#{d.position} · {vn_date(d.effective_on)}",
        )
        for d in dossier.documents
    ]
    pdf.rows(("Mẫu", "Tài liệu", "Số", "Ngày ký", "Sự kiện · ngày"), body, (20, 72, 30, 22, 30))


def _votes(pdf: _DossierPdf, dossier: Dossier) -> None:
    pdf.section("IV", "Biểu quyết")
    if not dossier.votes:
        pdf.text_line("Chưa có biểu quyết.")
        return
    body = [
        (
            v.body_label,
            v.form or "—",
            vn_date(v.held_on),
            f"{v.in_favour}/{v.eligible}",
            "Đạt" if v.passed else "Không đạt",
            str(v.attempt),
        )
        for v in dossier.votes
    ]
    pdf.rows(
        ("Cơ quan", "Mẫu", "Ngày", "Tán thành/Tổng số", "Kết quả", "Lần"),
        body,
        (52, 24, 24, 30, 26, 18),
    )


def _deadlines(pdf: _DossierPdf, dossier: Dossier) -> None:
    pdf.section("V", "Thời hạn")
    pdf.text_line(
        f"Đánh giá tại ngày {vn_date(dossier.deadlines_on)}; ngày làm việc không "
        "tính thứ Bảy, Chủ nhật và ngày lễ, Tết.",
        7.5,
    )
    body = []
    for d in dossier.deadlines:
        limit = f"{d.working_days} ngày làm việc" if d.working_days else "—"
        late = f"{d.days_late}" if d.days_late else "—"
        body.append(
            (
                DEADLINE_LABELS.get(d.kind, d.kind),
                vn_date(d.basis_on),
                limit,
                vn_date(d.due_on),
                vn_date(d.met_on),
                STATUS_LABELS[d.status],
                late,
            )
        )
    pdf.rows(
        ("Thời hạn", "Căn cứ", "Giới hạn", "Hạn chót", "Thực hiện", "Trạng thái", "Quá (ngày)"),
        body,
        (42, 20, 26, 20, 20, 24, 22),
    )


def _verification(pdf: _DossierPdf, dossier: Dossier) -> None:
    v = dossier.verification
    pdf.section("VI", "Kết quả kiểm tra tính toàn vẹn")
    if v.intact:
        pdf.text_line(
            f"Chuỗi mã băm nguyên vẹn: đã kiểm tra {v.events_checked} sự kiện đang "
            "lưu, không phát hiện sự kiện nào bị sửa, xóa hay đảo thứ tự."
        )
    else:
        pdf.text_line(
            f"PHÁT HIỆN {len(v.problems)} VẤN ĐỀ trong {v.events_checked} sự kiện đang lưu:",
            bold=True,
        )
        for p in v.problems:
            pdf.text_line(f"#{p.position} {p.kind}: {p.detail}", 8)
    pdf.text_line(f"Mã băm cuối chuỗi: {dossier.summary.last_hash}", 7)


def render_pdf(dossier: Dossier) -> bytes:
    """The dossier as PDF bytes (same dossier, same bytes)."""
    pdf = _DossierPdf(str(dossier.summary.candidacy_id))
    newest: datetime = max(
        (step.recorded_at for step in dossier.timeline),
        default=datetime.fromisoformat(f"{dossier.deadlines_on.isoformat()}T00:00:00+07:00"),
    )
    pdf.set_creation_date(newest)
    pdf.set_producer("ketnap")
    pdf.set_title(_nfc(f"Hồ sơ kết nạp đảng viên {dossier.summary.candidacy_id}"))
    pdf.set_lang("vi")
    pdf.add_page()
    _header(pdf, dossier)
    _summary(pdf, dossier)
    _timeline(pdf, dossier)
    _documents(pdf, dossier)
    _votes(pdf, dossier)
    _deadlines(pdf, dossier)
    _verification(pdf, dossier)
    return bytes(pdf.output())
