"""Refusals in the reader's language (issue 12): one catalogue by ``rule`` code; the API's
``detail`` is Vietnamese when the request prefers it (``Accept-Language: vi``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.audit.dossier_text import RULE_LABELS
from api.audit.refusals import MESSAGES, preferred_language, refusal_detail
from api.http.app import create_app
from api.settings import Settings
from domain.errors import DomainError, RuleViolation, WrongStage
from domain.rules import CheckResult
from tests.scenario import build_tree, make_app, nominate

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("vi", "vi"),
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("en-US,en;q=0.9,vi;q=0.8", "en"),
        ("fr, vi;q=0.5", "vi"),
        ("vi;q=abc, en;q=0.1", "en"),
    ],
)
def test_the_preferred_language(header: str | None, language: str) -> None:
    assert preferred_language(header) == language


def test_a_step_out_of_stage_reads_in_vietnamese() -> None:
    refused = WrongStage("CeremonyHeld cannot ...", step="CeremonyHeld", stage="branch_approved")
    assert refusal_detail(refused, "vi") == (
        "Không thể ghi «Lễ kết nạp đảng viên» khi hồ sơ đang ở giai đoạn «Chi bộ đề nghị kết nạp»"
    )
    assert refusal_detail(refused, "en") == "CeremonyHeld cannot ..."


def test_a_failed_check_reads_with_its_parameters() -> None:
    check = CheckResult(
        rule="certificate_expired",
        passed=False,
        rule_set="QD294-2025",
        detail="certificate 61 months old",
        params={"age_months": 61, "limit_months": 60, "expires_on": "2024-01-01"},
    )
    vi = refusal_detail(RuleViolation(check), "vi")
    assert vi.startswith("Hiệu lực giấy chứng nhận bồi dưỡng nhận thức về Đảng: ")
    assert vi.endswith("giấy chứng nhận 61 tháng, giới hạn 60 tháng (hiệu lực đến 01/01/2024)")


def test_every_rule_code_raised_has_vietnamese_words() -> None:
    raised: set[str] = set()
    for folder in ("domain", "workflows"):
        for source in (ROOT / folder).rglob("*.py"):
            text = source.read_text()
            raised |= set(re.findall(r'rule="([a-z_0-9]+)"', text))
            raised |= set(re.findall(r'^\s+rule = "([a-z_0-9]+)"', text, re.MULTILINE))
            raised |= set(re.findall(r'check_result\(\s*"([a-z_0-9]+)"', text))
            raised |= set(re.findall(r'^\s+code = "([a-z_0-9]+)"', text, re.MULTILINE))
    raised.discard("domain_error")
    assert len(raised) > 30
    missing = sorted(r for r in raised if r not in MESSAGES and r not in RULE_LABELS)
    assert not missing, missing


def test_the_api_answers_in_vietnamese_when_asked() -> None:
    app = make_app()
    tree = build_tree(app)
    cid = nominate(app, tree)
    api = create_app(Settings(admin_token="t"), admissions=app)
    with TestClient(api, headers={"Authorization": "Bearer t"}) as client:
        body = {"held_on": "2023-03-01"}
        english = client.post(f"/candidacies/{cid}/ceremony", json=body)
        vietnamese = client.post(
            f"/candidacies/{cid}/ceremony", json=body, headers={"Accept-Language": "vi-VN"}
        )
    assert english.json()["rule"] == vietnamese.json()["rule"] == "wrong_stage"
    assert "cannot be recorded" in english.json()["detail"]
    assert vietnamese.json()["detail"].startswith("Không thể ghi «Lễ kết nạp đảng viên»")
    assert vietnamese.json()["title"] == "Quy định không cho phép"
    assert vietnamese.headers["content-language"] == "vi"
    assert english.headers["content-language"] == "en"


def test_an_uncatalogued_code_falls_back_to_the_english_detail() -> None:
    assert refusal_detail(DomainError("odd", rule="never_seen"), "vi") == "odd"
