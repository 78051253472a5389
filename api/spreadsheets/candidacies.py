"""Past candidacies, step by step (``ketnap import candidacies``): each row one step of one
candidacy, named by the candidacy's reference (``Mã hồ sơ``, stable within the board's
records); the first step of a reference is its nomination, with the person. A candidacy's
rows are run in the order of their days (rows of one day in the file's order), each
through the application's own command, so every rule of the step's day checks it.

A vote counted against a roster that was not loaded for that day (an old vote) is refused
as the rules refuse it; the row's ``Không đối chiếu danh sách (lý do)`` records the audited
roster override of issue 9 with the row's document. ADR 0022 lists the columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from typing import Any, Literal, get_args, get_origin
from uuid import UUID

from pydantic import ValidationError

from api.audit.dossier_text import STEP_LABELS
from api.audit.words import ENUM_WORDS
from api.spreadsheets import cells
from api.spreadsheets.importer import Context, ParsedRow, command_fields, row_id
from api.spreadsheets.layouts import (
    EDUCATION,
    ETHNIC_ALIASES,
    ETHNICITIES,
    SECTORS,
    SEX,
    Column,
    Layout,
)
from api.spreadsheets.reading import Formula, Value
from domain.errors import DomainError
from domain.text import folded
from domain.values import NominatedBy
from workflows import commands as c
from workflows.member_refs import member_refs
from workflows.steps import STEP_EVENTS

NOMINATE = "nominate"
# The steps a file may hold (corrections are made in ketnap, with their reason).
STEP_COMMANDS = {s: k for s, k in c.CANDIDACY_COMMANDS.items() if k is not c.CorrectRecord}
STEPS = {NOMINATE: STEP_LABELS["CandidateNominated"][0]} | {
    segment: STEP_LABELS[STEP_EVENTS[command].__name__][0]
    for segment, command in STEP_COMMANDS.items()
}
# The command's own day: what ``Ngày`` fills.
DAY_FIELD = {
    c.EnrolInClass: "enrolled_on",
    c.RecordCertificate: "issued_on",
    c.SubmitApplication: "submitted_on",
    c.SubmitBiography: "submitted_on",
    c.RecordIntroducers: "introduced_on",
    c.RecordVerification: "requested_on",
    c.CertifyBiography: "certified_on",
    c.RecordBranchVote: "held_on",
    c.RecordSubunitAppraisal: "appraised_on",
    c.RecordGrassrootsVote: "held_on",
    c.ExtendDeadline: "granted_on",
    c.DecideAdmission: "decided_on",
    c.HoldCeremony: "held_on",
    c.AssignHelper: "assigned_on",
    c.CompleteNewMemberClass: "completed_on",
    c.RecordDiscipline: "decided_on",
    c.RecordRecognitionVote: "held_on",
    c.DecideRecognition: "decided_on",
    c.TransferCandidacy: "effective_on",
    c.Withdraw: "effective_on",
}
NOMINATED_BY = {n.value: ENUM_WORDS.get(n.value, (n.value, ""))[0] for n in NominatedBy}
YES_NO = {"yes": "Có", "no": "Không"}


def _words(value: Value | Formula) -> str:
    """An outcome (admit, refuse, cleared, reprimand, …) by its code or Vietnamese name."""
    written = cells.text(value)
    key = folded(written)
    for code, (vi, en) in ENUM_WORDS.items():
        if key in (folded(code), folded(vi), folded(en)):
            return code
    return written


def _json(value: Value | Formula) -> dict[str, Any]:
    try:
        found = json.loads(cells.text(value))
    except ValueError:
        raise cells.CellProblem("invalid_json", 'Chi tiết phải là JSON: {"tên": giá trị}') from None
    if not isinstance(found, dict):
        raise cells.CellProblem("invalid_json", "Chi tiết phải là một đối tượng JSON {…}")
    return found


def _list(value: Value | Formula) -> list[str]:
    return [part.strip() for part in cells.text(value).split(";") if part.strip()]


def _days(value: Value | Formula) -> list[date]:
    return [cells.day(part) for part in _list(value)]


CANDIDACIES = Layout(
    "candidacies",
    "Hồ sơ kết nạp",
    (
        Column("Mã hồ sơ", "ref", cells.text, "Mã của hồ sơ, như nhau ở mọi dòng của một người"),
        Column("Bước", "step", cells.Choices(STEPS), "Bước của quy trình", choices=STEPS),
        Column("Ngày", "day", cells.day, "Ngày của bước (ngày họp, ngày quyết định, …)"),
        Column(
            "Mã chi bộ",
            "branch",
            cells.text,
            "Chi bộ (giới thiệu nguồn; chuyển: chi bộ mới)",
            False,
        ),
        Column(
            "Họ và tên", "full_name", cells.text, "Giới thiệu nguồn: người được giới thiệu", False
        ),
        Column("Giới tính", "sex", cells.Choices(SEX), "Nam hoặc Nữ", False, SEX),
        Column("Ngày sinh", "date_of_birth", cells.day, "dd/mm/yyyy", False),
        Column(
            "Dân tộc",
            "ethnicity",
            cells.Choices(ETHNICITIES, ETHNIC_ALIASES),
            "Một trong 54 dân tộc",
            False,
            ETHNICITIES,
        ),
        Column(
            "Tôn giáo", "religion", cells.optional_text, "Để trống nếu không theo tôn giáo", False
        ),
        Column(
            "Trình độ", "education", cells.Choices(EDUCATION), "Trình độ học vấn", False, EDUCATION
        ),
        Column("Nghề nghiệp", "occupation", cells.text, "Nghề nghiệp", False),
        Column("Lĩnh vực", "sector", cells.Choices(SECTORS), "Khu vực công tác", False, SECTORS),
        Column("Đoàn viên", "youth_union", cells.Choices(YES_NO), "Có / Không", False, YES_NO),
        Column(
            "Số CCCD",
            "national_id",
            lambda v: cells.digits(v, lengths=(12, 9), what="Số CCCD"),
            "12 chữ số",
            False,
        ),
        Column(
            "Nguồn giới thiệu",
            "nominated_by",
            cells.Choices(NOMINATED_BY),
            "Tổ chức giới thiệu",
            False,
            NOMINATED_BY,
        ),
        Column("Loại văn bản", "document_form", cells.text, "Mẫu văn bản (vd 6-KNĐ, QĐ)", False),
        Column("Số văn bản", "document_number", cells.text, "Số của văn bản", False),
        Column("Ngày văn bản", "document_dated", cells.day, "Ngày ký văn bản", False),
        Column(
            "Số biểu quyết",
            "voters",
            cells.whole,
            "Số đảng viên chính thức (chi bộ) hoặc ủy viên (đảng ủy)",
            False,
        ),
        Column("Số tán thành", "in_favour", cells.whole, "Số tán thành", False),
        Column("Kết quả", "outcome", _words, "Kết nạp / Không kết nạp, Đạt / Có vấn đề, …", False),
        Column(
            "Cấp quyết định", "deciding_body", cells.text, "Mã đơn vị của cấp ủy quyết định", False
        ),
        Column(
            "Số giấy chứng nhận",
            "certificate_number",
            cells.text,
            "Giấy chứng nhận (lớp học)",
            False,
        ),
        Column("Nơi cấp", "issuer", cells.text, "Nơi cấp giấy chứng nhận", False),
        Column(
            "Đảng viên",
            "members",
            _list,
            "Người giới thiệu / giúp đỡ: Số CCCD hoặc số thẻ, cách nhau bằng ;",
            False,
        ),
        Column(
            "Cùng công tác từ ngày",
            "known_since",
            _days,
            "Với người giới thiệu, cùng thứ tự, cách nhau bằng ;",
            False,
        ),
        Column("Lý do", "reason", cells.text, "Lý do (rút khỏi danh sách)", False),
        Column(
            "Không đối chiếu danh sách (lý do)",
            "override",
            cells.text,
            "Biểu quyết cũ khi chưa nhập danh sách đảng viên ngày đó",
            False,
        ),
        Column("Ghi chú", "note", cells.text, "Ghi chú", False),
        Column(
            "Chi tiết (JSON)", "details", _json, "Trường khác của bước, theo tên trong API", False
        ),
    ),
    "Mỗi dòng một bước của một hồ sơ; dòng đầu của mỗi «Mã hồ sơ» là bước giới thiệu nguồn "
    "(có thông tin người). Các bước của một hồ sơ được ghi theo thứ tự ngày.",
)

FIELDS = command_fields(
    CANDIDACIES,
    {
        "branch_id": "branch",
        "nominated_on": "day",
        "person": "full_name",
        "in_favour": "in_favour",
        "eligible_official_members": "voters",
        "committee_members": "voters",
        "decision": "outcome",
        "result": "outcome",
        "kind": "outcome",
        "deciding_body_id": "deciding_body",
        "number": "certificate_number",
        "certificate_number": "certificate_number",
        "issuer": "issuer",
        "introducers": "members",
        "member_id": "members",
        "reason": "reason",
        "roster_override": "override",
        "to_branch_id": "branch",
        "document": "document_number",
    }
    | {day: "day" for day in DAY_FIELD.values()},
)


def run_candidacies(
    context: Context, rows: Iterator[ParsedRow], checkpoint: Callable[[], None]
) -> int:
    by_ref: dict[str, list[ParsedRow]] = {}
    count = 0
    for row in rows:
        count += 1
        if row.values:
            by_ref.setdefault(str(row.values["ref"]).strip(), []).append(row)
    refs = member_refs(context.app.recorder, context.app.mapper) if by_ref else {}
    for ref, its in by_ref.items():
        ordered = sorted(its, key=lambda r: (r.values["day"], r.number))
        _candidacy(context, ref, ordered, refs)
        checkpoint()
    return count


def _candidacy(context: Context, ref: str, rows: list[ParsedRow], refs: dict[str, UUID]) -> None:
    """Run a candidacy's rows in order; a file may hold only later steps of a candidacy
    recorded before (by an earlier file or in ketnap). A step refused stops the rest, each
    of which is named as not run."""
    candidacy_id = row_id(f"cand:{ref}")
    first = rows[0]
    if first.values["step"] != NOMINATE and not _recorded(context, candidacy_id):
        context.problem(
            first,
            "Bước",
            "nomination_first",
            f"Hồ sơ {ref} chưa có trong ketnap: dòng đầu (theo ngày) phải là bước giới thiệu "
            "nguồn, với thông tin của người được giới thiệu",
        )
        _not_run(context, rows[1:], first)
        return
    seen: dict[tuple[str, date], int] = {}
    for index, row in enumerate(rows):
        step, day = row.values["step"], row.values["day"]
        seen[(step, day)] = seen.get((step, day), 0) + 1
        key = f"cand:{ref}:{step}:{day.isoformat()}:{seen[(step, day)]}"
        if not _step(context, row, candidacy_id, key, refs):
            _not_run(context, rows[index + 1 :], row)  # they depend on this one
            return


def _recorded(context: Context, candidacy_id: UUID) -> bool:
    try:
        context.app.candidacy(candidacy_id)
    except DomainError:
        return False
    return True


def _not_run(context: Context, rows: list[ParsedRow], failed: ParsedRow) -> None:
    for row in rows:
        context.problem(
            row,
            None,
            "earlier_step_refused",
            f"Chưa ghi: bước trước của hồ sơ này (dòng {failed.number}) có lỗi; sửa dòng đó "
            "rồi nhập lại",
        )


def _step(
    context: Context, row: ParsedRow, candidacy_id: UUID, key: str, refs: dict[str, UUID]
) -> bool:
    """Run one step; False when it was refused (a problem is recorded)."""
    try:
        run = _command(context, row, candidacy_id, key, refs)
    except (ValidationError, DomainError) as exc:
        context.refused(row, exc, FIELDS)
        return False
    except cells.CellProblem as exc:
        context.problem(row, None, exc.rule, exc.message)
        return False
    return context.run_row(row, key, FIELDS, run, changed="Bước này đã được nhập với nội dung khác")


def _command(
    context: Context, row: ParsedRow, candidacy_id: UUID, key: str, refs: dict[str, UUID]
) -> Callable[[], object]:
    v = row.values
    app, actor = context.app, context.actor
    document = None
    if v.get("document_number"):
        document = {
            "form": v.get("document_form") or "—",
            "number": v["document_number"],
            "dated": v.get("document_dated"),
        }
    common: dict[str, Any] = {"document": document, "note": v.get("note")}
    if v["step"] == NOMINATE:
        branch = context.unit(row, "branch") if v.get("branch") else None
        if branch is None:
            raise cells.CellProblem("missing", "Giới thiệu nguồn cần «Mã chi bộ» của chi bộ có")
        if not context.within(branch):
            raise cells.CellProblem("forbidden_scope", "Chi bộ ngoài phạm vi của bạn")
        person = {
            name: v.get(name)
            for name in (
                "full_name",
                "sex",
                "date_of_birth",
                "ethnicity",
                "religion",
                "education",
                "occupation",
                "sector",
                "national_id",
            )
        }
        person["youth_union_member"] = v.get("youth_union") == "yes"
        nominate = c.Nominate(
            id=candidacy_id,
            person=person,
            branch_id=branch,
            nominated_on=v["day"],
            nominated_by=v.get("nominated_by") or NominatedBy.BRANCH.value,
            **common,
            **v.get("details", {}),
        )
        return partial(app.nominate, nominate, actor, idempotency_key=key)
    command_class = STEP_COMMANDS[v["step"]]
    fields = command_class.model_fields
    day_field = DAY_FIELD[command_class]
    if command_class is c.RecordVerification and "outcome" in v:
        day_field = "recorded_on"  # the row records the result, on its day
    data: dict[str, Any] = {**common, day_field: v["day"]}
    if "voters" in v:
        data[
            "committee_members" if "committee_members" in fields else "eligible_official_members"
        ] = v["voters"]
    if "in_favour" in v:
        data["in_favour"] = v["in_favour"]
    if "outcome" in v:
        for name in ("decision", "result", "kind", "proposal"):
            if name in fields and v["outcome"] in _literals(fields[name].annotation):
                data[name] = v["outcome"]
    if "deciding_body_id" in fields:
        data["deciding_body_id"] = (
            context.unit(row, "deciding_body") if v.get("deciding_body") else None
        )
    if "to_branch_id" in fields:
        data["to_branch_id"] = context.unit(row, "branch") if v.get("branch") else None
    if "certificate_number" in v:
        data["number" if "number" in fields else "certificate_number"] = v["certificate_number"]
    if "issuer" in v:
        data["issuer"] = v["issuer"]
    if "reason" in v and "reason" in fields:
        data["reason"] = v["reason"]
    members = [_member(refs, m) for m in v.get("members", [])]
    if "introducers" in fields and members:
        since = v.get("known_since", [])
        data["introducers"] = [
            {"member_id": m, "known_since": since[i] if i < len(since) else None}
            for i, m in enumerate(members)
        ]
    if "member_id" in fields and members:
        data["member_id"] = members[0]
    if v.get("override") and "roster_override" in fields:
        data["roster_override"] = {"reason": v["override"], "document": document}
    data.update(v.get("details", {}))
    command = command_class(
        **{k: val for k, val in data.items() if k in fields or k in v.get("details", {})}
    )
    return partial(app.execute, candidacy_id, command, actor, idempotency_key=key)


def _literals(annotation: Any) -> tuple[Any, ...]:
    """The values of a ``Literal`` annotation (inside an optional one too)."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return tuple(value for arg in get_args(annotation) for value in _literals(arg))


def _member(refs: dict[str, UUID], written: str) -> UUID:
    digits = written.replace(" ", "")
    found = refs.get(f"cccd:{digits}") or refs.get(f"card:{written.strip().upper()}")
    if found is None:
        raise cells.CellProblem(
            "unknown_member", f"Không có đảng viên CCCD/số thẻ '{written}' trong danh sách"
        )
    return found
