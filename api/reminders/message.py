"""The digest as the board reads it: an e-mail in Vietnamese, or the webhook's JSON (the
same items, with the Vietnamese label of each deadline and the same summary line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from api.audit.dossier_text import DEADLINE_LABELS
from api.reports.digest import DeadlineDigest, DigestItem


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def vi_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def left_words(item: DigestItem) -> str:
    """«còn 3 ngày làm việc», «hạn hôm nay», «quá hạn 2 ngày làm việc»."""
    if item.status == "overdue":
        late = -item.working_days_left
        return f"quá hạn {late} ngày làm việc" if late > 0 else "quá hạn"
    if item.working_days_left == 0:
        return "đến hạn hôm nay"
    return f"còn {item.working_days_left} ngày làm việc"


def summary(digest: DeadlineDigest) -> str:
    due = len(digest.items) - digest.overdue
    return (
        f"{digest.organisation_name}: {digest.overdue} thời hạn đã quá hạn, {due} thời hạn "
        f"đến hạn trong {digest.days_ahead} ngày làm việc tới (tính đến {vi_day(digest.on)})."
    )


def line(item: DigestItem) -> str:
    label = DEADLINE_LABELS.get(item.kind, item.kind)
    return (
        f"{item.full_name} — {item.branch_name} — {label} — hạn {vi_day(item.due_on)} "
        f"— {left_words(item)}"
    )


def email(digest: DeadlineDigest) -> Message:
    """The e-mail: subject with the counts, one line per deadline, overdue first."""
    subject = (
        f"[ketnap] Nhắc thời hạn kết nạp đảng viên — {digest.organisation_name} — "
        f"{vi_day(digest.on)}"
    )
    lines = [
        "Kính gửi Ban tổ chức,",
        "",
        summary(digest),
        "",
    ]
    if digest.items:
        lines += [f"{n}. {line(item)}" for n, item in enumerate(digest.items, 1)]
    else:
        lines.append("Không có thời hạn nào đến hạn hoặc quá hạn.")
    lines += [
        "",
        "Ngày làm việc tính theo lịch nghỉ lễ, Tết của Việt Nam.",
        "Thư do hệ thống ketnap gửi tự động; xem chi tiết trong ứng dụng (mục «Thời hạn»).",
    ]
    return Message(subject=subject, text="\n".join(lines) + "\n")


def webhook_payload(
    digest: DeadlineDigest, digest_id: UUID, subscription_id: UUID, sent_at: datetime
) -> dict[str, Any]:
    """The webhook's JSON body (signed as sent: ``sent_at`` is inside the signature)."""
    return {
        "type": "ketnap.deadline_digest",
        "digest_id": str(digest_id),
        "subscription_id": str(subscription_id),
        "sent_at": sent_at.isoformat(),
        "summary": summary(digest),
        **digest.model_dump(mode="json"),
        "items": [
            {
                **item.model_dump(mode="json"),
                "kind_label": DEADLINE_LABELS.get(item.kind, item.kind),
            }
            for item in digest.items
        ],
    }
