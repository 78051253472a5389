"""Spreadsheet imports over HTTP (api.md, "Spreadsheets"): ``POST /imports/{kind}`` with a
multipart ``file`` (.xlsx or .csv) and ``dry_run``; the rows run through the application's
own commands (``api.spreadsheets.importer.run_import``, ADR 0022).

Status codes:

- **200** the import ran: the ``ImportReport`` (a dry run: what it would record; a real
  import: what it recorded). Row problems do not change the status: ``problems`` lists them
  and the rows without one were recorded (real import) or would be (dry run).
- **422** problem+json when the file itself is refused and no row was read (the rule of its
  first problem: ``unsupported_file``, ``file_too_large``, ``not_a_workbook``,
  ``unknown_encoding``, ``no_header``, ``missing_column``; all of them under ``problems``).
- **413** the upload is over ``KETNAP_MAX_IMPORT_BYTES`` (the body gate, before reading it).
- **404** an unknown kind; **403** a role that may not write (admins and boards may).

With ``problems_format=xlsx`` a 200 answers the problems as a workbook instead
(``api.spreadsheets.problems_file``): the rows that have one, with a last column «Lỗi».

The upload is copied in chunks to a temporary file on disk, never read whole into memory,
and deleted afterwards. The log line ``import.done`` carries counts only, never a value.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal
from uuid import UUID

import structlog
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from api.http.deps import ActorDep
from api.http.figures import problem_responses
from api.http.problems import ApiError, problem
from api.http.security import WRITERS, AdmissionsDep, Principal, PrincipalDep, can_reach, require
from api.spreadsheets.importer import ImportReport, Within, run_import
from api.spreadsheets.kinds import RUNNERS
from api.spreadsheets.layouts import KINDS
from api.spreadsheets.problems_file import XLSX_MEDIA_TYPE, problems_workbook
from domain.errors import DomainError
from workflows.application import Admissions
from workflows.context import Actor

router = APIRouter(tags=["imports"])
log = structlog.get_logger("ketnap.imports")
CHUNK = 1024 * 1024

# The rule codes a problem of an import may carry (by row, or of the file as a whole).
PROBLEM_RULES = (
    "missing_column",
    "unsupported_file",
    "file_too_large",
    "not_a_workbook",
    "unknown_encoding",
    "no_header",
    "too_many_rows",
    "unknown_unit",
    "ambiguous_unit",
    "unknown_parent",
    "missing",
    "invalid_date",
    "invalid_choice",
    "invalid_number",
    "invalid_national_id",
    "invalid_period",
    "formula_not_allowed",
    "duplicate_row",
    "changed_since_import",
    "forbidden_scope",
    "invalid_input",
)
REFUSED_FILE = {"unsupported_file", "file_too_large", "not_a_workbook", "unknown_encoding"}
REFUSED_FILE |= {"no_header", "missing_column", "too_many_rows"}
KindPath = Annotated[
    str,
    PathParam(
        description="What the file holds: `tree`, `roster`, `quotas` or `candidacies`.",
        examples=["roster"],
        max_length=40,
    ),
]
_RULE_LIST = ", ".join(f"`{r}`" for r in PROBLEM_RULES)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The import ran (see `problems`); with `problems_format=xlsx`, the "
        "workbook of the rows that have a problem. A problem's `rule` is one of "
        f"{_RULE_LIST}, or the code of a rule of the regulations that refused the row.",
        "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    },
    **problem_responses(400, 401, 403, 404, 413, 422),
}
_RESPONSES[413] = {**_RESPONSES[413], "description": "Over `KETNAP_MAX_IMPORT_BYTES`"}
_RESPONSES[422] = {
    **_RESPONSES[422],
    "description": "The file is refused, no row read (`rule`: `unsupported_file`, "
    "`file_too_large`, `not_a_workbook`, `unknown_encoding`, `no_header`, `missing_column`, "
    "`too_many_rows`; every problem under `problems`), or the form is invalid "
    "(`invalid_input`)",
}


def within_for(admissions: Admissions, principal: Principal) -> Within:
    """Whether ``principal`` may write under a unit: its subtree today; a root unit (None)
    only for a principal tied to no unit (an admin)."""

    def within(unit: UUID | None) -> bool:
        if unit is None:
            return principal.organisation_id is None
        try:
            return can_reach(admissions, principal, unit)
        except DomainError:  # a unit not recorded (yet): not known to be in the subtree
            return False

    return within


def importable(kind: str) -> None:
    """404 for a kind api.md does not name."""
    if kind not in KINDS or kind not in RUNNERS:
        raise ApiError(404, "Not found", f"no import kind '{kind}'", "unknown_import_kind")


def save_upload(source: BinaryIO, name: str, directory: Path | None = None) -> Path:
    """Copy an upload in chunks to a new temporary file with the suffix of its ``name``
    (openpyxl reads a workbook by its suffix); the caller deletes it."""
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix in (".xlsx", ".xlsm", ".csv", ".txt") else ""
    handle, path = tempfile.mkstemp(prefix="ketnap-import-", suffix=suffix, dir=directory)
    with open(handle, "wb") as out:
        shutil.copyfileobj(source, out, CHUNK)
    return Path(path)


def safe_name(name: str | None) -> str:
    """The upload's own name without any folder (it names the sheet in problems)."""
    base = Path((name or "upload").replace("\\", "/")).name
    return base[:200] or "upload"


def import_file(
    admissions: Admissions,
    principal: Principal,
    actor: Actor,
    kind: str,
    path: Path,
    name: str,
    *,
    dry_run: bool,
    max_bytes: int,
    via: str = "http",
) -> ImportReport:
    """Import the file at ``path`` as ``kind`` for ``principal``; the web app's import page
    runs this too. Logs counts, never a value of the file."""
    require(principal, *WRITERS)
    importable(kind)
    layout, runner = RUNNERS[kind]  # type: ignore[index]
    report = run_import(
        admissions,
        layout,
        runner,
        path,
        actor=actor,
        name=name,
        dry_run=dry_run,
        within=within_for(admissions, principal),
        max_bytes=max_bytes,
    )
    log.info(
        "import.done",
        kind=kind,
        rows=report.rows,
        recorded=report.recorded,
        unchanged=report.unchanged,
        problems=len(report.problems),
        rules=sorted({p.rule for p in report.problems}),
        dry_run=dry_run,
        actor=principal.name,
        via=via,
    )
    return report


def refused(report: ImportReport) -> bool:
    """Whether the file itself was refused (no row read)."""
    return report.rows == 0 and any(
        p.row is None and p.rule in REFUSED_FILE for p in report.problems
    )


def _discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@router.post(
    "/imports/{kind}",
    response_model=ImportReport,
    summary="Import a spreadsheet (.xlsx, .csv): the tree, the roster or quotas",
    responses=_RESPONSES,
)
def import_spreadsheet(
    request: Request,
    kind: KindPath,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="The .xlsx or .csv file")],
    dry_run: Annotated[bool, Form(description="Check every row and write nothing")] = False,
    problems_format: Annotated[
        Literal["json", "xlsx"],
        Form(description="`xlsx`: answer the rows that have a problem as a workbook"),
    ] = "json",
) -> Response:
    """Run every row of the file through the command it stands for, checked by every rule
    of the regulations, by sheet, row and column. A dry run writes nothing; a real import
    records the rows without a problem, in batches, and leaves out the others. Importing
    the same file again records nothing new (`unchanged`); a row changed since it was
    imported is a problem (`changed_since_import`): correct the record instead. Admins
    and boards; a board only within its subtree (`forbidden_scope` for a row outside it);
    a root unit only by an admin."""
    require(principal, *WRITERS)
    importable(kind)
    limit = request.app.state.settings.max_import_bytes
    name = safe_name(file.filename)
    path = save_upload(file.file, name)
    kept = False  # the workbook's answer deletes the files once it is sent
    try:
        report = import_file(
            admissions, principal, actor, kind, path, name, dry_run=dry_run, max_bytes=limit
        )
        if refused(report):
            first = next(p for p in report.problems if p.row is None)
            return problem(
                422,
                "Unprocessable Content",
                first.message,
                first.rule,
                problems=[p.model_dump(mode="json") for p in report.problems],
            )
        if problems_format == "xlsx":
            out = path.with_suffix(".problems.xlsx")
            problems_workbook(path, name, report, out, limit=limit)
            kept = True
            return FileResponse(
                out,
                media_type=XLSX_MEDIA_TYPE,
                filename=f"{Path(name).stem}-loi.xlsx",
                background=BackgroundTask(_discard, path, out),
            )
        return JSONResponse(report.model_dump(mode="json"))
    finally:
        if not kept:
            _discard(path)
