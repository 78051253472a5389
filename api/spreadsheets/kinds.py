"""What each kind's rows record: the roster's members, the tree's units and their changes,
quotas. Each row becomes the application's own command (``workflows.commands``), run on
the staged application with the row's key; ``importer.run_import`` does the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from itertools import islice
from typing import Any

from pydantic import ValidationError

from api.spreadsheets.candidacies import CANDIDACIES, run_candidacies
from api.spreadsheets.importer import (
    KEY_OWNER,
    Context,
    ParsedRow,
    RowRunner,
    command_fields,
    row_id,
)
from api.spreadsheets.layouts import QUOTAS, ROSTER, TREE, Kind, Layout
from domain.errors import DomainError
from domain.idempotency import idempotency_id
from domain.quota import SubTargets
from domain.text import folded
from domain.values import Period
from workflows import commands as c
from workflows.member_refs import member_refs, person_refs

ROSTER_FIELDS = command_fields(
    ROSTER,
    {
        "branch_id": "branch",
        "full_name": "full_name",
        "sex": "sex",
        "date_of_birth": "date_of_birth",
        "ethnicity": "ethnicity",
        "religion": "religion",
        "national_id": "national_id",
        "admitted_on": "admitted_on",
        "official_on": "official_on",
        "party_card_number": "party_card_number",
        "hometown": "hometown",
        "birthplace": "birthplace",
        "status": "official_on",
    },
)


# --- roster ------------------------------------------------------------------------------


def roster_key(values: dict[str, Any]) -> str:
    """Who the row is: by national id, else party card number, else branch, name and birth."""
    if values.get("national_id"):
        return f"roster:cccd:{values['national_id']}"
    if values.get("party_card_number"):
        return f"roster:card:{folded(values['party_card_number'])}"
    born: date = values["date_of_birth"]
    return f"roster:{values['branch']}:{folded(values['full_name'])}:{born.isoformat()}"


CHUNK = 500  # rows whose records are looked up together


def batched(rows: Iterator[ParsedRow], size: int) -> Iterator[list[ParsedRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def run_roster(context: Context, rows: Iterator[ParsedRow], checkpoint: Callable[[], None]) -> int:
    context.members = member_refs(context.app.recorder, context.app.mapper)
    count = 0
    for chunk in batched(rows, CHUNK):
        count += len(chunk)
        keys = [roster_key(r.values) for r in chunk if r.values]
        context.app.expect_new(
            [idempotency_id(KEY_OWNER, k) for k in keys] + [row_id(k) for k in keys]
        )
        for row in chunk:
            _roster_row(context, row)
            checkpoint()
    return count


def _roster_row(context: Context, row: ParsedRow) -> None:
    if not row.values:
        return
    v = row.values
    branch = context.unit_within(row, "branch")
    if branch is None:
        return
    key = roster_key(v)
    if _already_on_roster(context, row, key):
        return
    try:
        command = c.RegisterMember(
            id=row_id(key),
            full_name=v["full_name"],
            branch_id=branch,
            status="official" if v.get("official_on") else "probationary",
            admitted_on=v["admitted_on"],
            official_on=v.get("official_on"),
            sex=v["sex"],
            date_of_birth=v["date_of_birth"],
            ethnicity=v["ethnicity"],
            religion=v.get("religion"),
            national_id=v.get("national_id"),
            party_card_number=v.get("party_card_number"),
            hometown=v.get("hometown"),
            birthplace=v.get("birthplace"),
        )
    except ValidationError as exc:
        context.refused(row, exc, ROSTER_FIELDS)
        return
    app, actor = context.app, context.actor
    context.run_row(
        row,
        key,
        ROSTER_FIELDS,
        partial(app.register_member, command, actor, idempotency_key=key),
    )
    if command.id is not None:
        for ref in _refs_of(v):
            context.members.setdefault(ref, command.id)  # a later row of the file finds it


def _refs_of(v: dict[str, Any]) -> list[str]:
    return person_refs(
        v["full_name"], v["date_of_birth"], v.get("national_id"), v.get("party_card_number")
    )


# The fields a row must agree on with the member already on the roster.
COMPARED = {
    "date_of_birth": "Ngày sinh",
    "sex": "Giới tính",
    "admitted_on": "Ngày vào Đảng",
    "official_on": "Ngày chính thức",
}


def _already_on_roster(context: Context, row: ParsedRow, key: str) -> bool:
    """Whether the row's person is on the roster already, recorded otherwise than by this
    row's key (by the API, the web app, an admission, another file): then the row records
    nothing; it is unchanged when it agrees with the roster, a problem when it does not."""
    v = row.values
    found = next((context.members[r] for r in _refs_of(v) if r in context.members), None)
    if found is None or found == row_id(key):
        return False
    member = context.app.member(found)
    differs = [header for name, header in COMPARED.items() if getattr(member, name) != v.get(name)]
    if differs:
        context.problem(
            row,
            differs[0],
            "differs_from_roster",
            f"Đảng viên này đã có trong danh sách với {', '.join(differs)} khác: sửa bằng "
            "đính chính trong ketnap, không nhập lại",
        )
    else:
        context.unchanged += 1
    return True


# --- tree --------------------------------------------------------------------------------

TREE_FIELDS = command_fields(
    TREE,
    {
        "code": "code",
        "name": "name",
        "kind": "kind",
        "parent_id": "parent",
        "new_parent_id": "parent",
        "effective_on": "founded_on",
        "into_id": "into",
    },
)


def run_tree(context: Context, rows: Iterator[ParsedRow], checkpoint: Callable[[], None]) -> int:
    """Foundings first, parents before children (a parent may sit below in the file), then
    the changes in the order of their days."""
    founding: list[ParsedRow] = []
    changes: list[ParsedRow] = []
    count = 0
    for row in rows:
        count += 1
        if not row.values:
            continue
        (changes if row.values.get("change", "found") != "found" else founding).append(row)
    in_file = {str(r.values["code"]).strip() for r in founding}
    pending = list(founding)
    while pending:
        ready = [r for r in pending if _parent_ready(context, r, in_file)]
        if not ready:
            break
        for row in ready:
            pending.remove(row)
            in_file.discard(str(row.values["code"]).strip())
            _found(context, row)
            checkpoint()
    for row in pending:
        context.problem(
            row, "Mã đơn vị cấp trên", "unknown_parent", "Đơn vị cấp trên không có (hoặc vòng lặp)"
        )
    for row in sorted(changes, key=lambda r: r.values.get("changed_on") or date.min):
        _change(context, row)
        checkpoint()
    return count


def _parent_ready(context: Context, row: ParsedRow, in_file: set[str]) -> bool:
    parent = row.values.get("parent")
    if not parent:
        return True
    code = str(parent).strip()
    return code not in in_file or code in context.codes


def _found(context: Context, row: ParsedRow) -> None:
    v = row.values
    code = str(v["code"]).strip()
    parent_id = None
    if v.get("parent"):
        parent_id = context.unit(row, "parent")
        if parent_id is None:
            return
    needed = {"name": "Tên đơn vị", "kind": "Loại", "founded_on": "Ngày thành lập"}
    missing = next((header for name, header in needed.items() if name not in v), None)
    if missing is not None:
        context.problem(row, missing, "missing", f"Thành lập đơn vị cần «{missing}»")
        return
    if not context.within(parent_id):
        context.problem(row, "Mã đơn vị cấp trên", "forbidden_scope", "Ngoài phạm vi của bạn")
        return
    key = f"tree:found:{code}"
    try:
        command = c.FoundOrganisation(
            id=row_id(key),
            code=code,
            name=v["name"],
            kind=v["kind"],
            parent_id=parent_id,
            effective_on=v["founded_on"],
        )
    except ValidationError as exc:
        context.refused(row, exc, TREE_FIELDS)
        return
    app, actor = context.app, context.actor
    before = context.recorded

    def run() -> None:
        app.found_organisation(command, actor, idempotency_key=key)

    context.run_row(
        row,
        key,
        TREE_FIELDS,
        run,
    )
    if context.recorded > before and command.id is not None:
        context.codes.setdefault(code, []).append(command.id)  # its children name it


def _change(context: Context, row: ParsedRow) -> None:
    v = row.values
    change = v["change"]
    if "changed_on" not in v:
        context.problem(row, "Ngày thay đổi", "missing", "Thay đổi cần «Ngày thay đổi»")
        return
    unit = context.unit_within(row, "code")
    if unit is None:
        return
    day: date = v["changed_on"]
    key = f"tree:{change}:{v['code']}:{day.isoformat()}"
    app, actor = context.app, context.actor
    command: c.Command
    try:
        if change == "rename":
            if not v.get("name"):
                context.problem(row, "Tên đơn vị", "missing", "Đổi tên cần «Tên đơn vị» mới")
                return
            command = c.RenameOrganisation(name=v["name"], effective_on=day)
        elif change == "dissolve":
            command = c.DissolveOrganisation(effective_on=day)
        elif change == "move":
            target = context.unit(row, "parent")
            if target is None:
                return
            command = c.MoveOrganisation(new_parent_id=target, effective_on=day)
        else:
            into = context.unit(row, "into") if v.get("into") else None
            if into is None:
                if not v.get("into"):
                    context.problem(row, "Sáp nhập vào", "missing", "Sáp nhập cần «Sáp nhập vào»")
                return
            command = c.MergeOrganisation(into_id=into, effective_on=day)
    except ValidationError as exc:
        context.refused(row, exc, TREE_FIELDS)
        return
    method = {
        "rename": app.rename_organisation,
        "dissolve": app.dissolve_organisation,
        "move": app.move_organisation,
        "merge": app.merge_organisation,
    }[change]
    context.run_row(
        row,
        key,
        TREE_FIELDS,
        lambda: method(unit, command, actor, idempotency_key=key),  # type: ignore[operator]
    )


# --- quotas ------------------------------------------------------------------------------

QUOTA_FIELDS = command_fields(
    QUOTAS,
    {"target": "target", "women": "women", "ethnic_minority": "ethnic_minority"},
)


def run_quotas(context: Context, rows: Iterator[ParsedRow], checkpoint: Callable[[], None]) -> int:
    """A row's figures are recorded once (its key holds them): the same file again, even
    after the target was revised since, records nothing; other figures revise the target;
    figures equal to the target as it stands are unchanged."""
    count = 0
    for row in rows:
        count += 1
        if row.values:
            _quota_row(context, row)
            checkpoint()
    return count


def _quota_row(context: Context, row: ParsedRow) -> None:
    v = row.values
    unit = context.unit_within(row, "code")
    if unit is None:
        return
    first = context.seen.get(f"quota:{v['code']}:{v['period']}")
    if first is not None:
        context.problem(row, "Kỳ", "duplicate_row", f"Trùng với dòng {first} (cùng đơn vị, kỳ)")
        return
    context.seen[f"quota:{v['code']}:{v['period']}"] = row.number
    try:
        period = Period.parse(v["period"])
        subs = SubTargets(
            women=v.get("women"),
            ethnic_minority=v.get("ethnic_minority"),
            youth_union=v.get("youth_union"),
        )
        command = c.SetQuota(target=v["target"], sub_targets=subs)
        current = context.app.quota(unit, period)
    except (DomainError, ValidationError) as exc:
        context.refused(row, exc, QUOTA_FIELDS)
        return
    except ValueError as exc:
        context.problem(row, "Kỳ", "invalid_period", str(exc))
        return
    figures = f"{command.target}:{subs.women}:{subs.ethnic_minority}:{subs.youth_union}"
    key = f"quota:{v['code']}:{period.key}:{figures}"
    if current is not None and (current.target, current.sub_targets) == (command.target, subs):
        context.unchanged += 1  # the target as it stands: nothing to record
        return
    context.run_row(
        row,
        key,
        QUOTA_FIELDS,
        partial(context.app.set_quota, unit, period, command, context.actor, idempotency_key=key),
    )


RUNNERS: dict[Kind, tuple[Layout, RowRunner]] = {
    "tree": (TREE, run_tree),
    "roster": (ROSTER, run_roster),
    "quotas": (QUOTAS, run_quotas),
    "candidacies": (CANDIDACIES, run_candidacies),
}
