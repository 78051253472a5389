"""Importing a spreadsheet in the web app: choose the kind and the file, see the dry run
(what would be recorded, each problem by row and column, in Vietnamese, and the rows to
fix as a workbook), then confirm the real import and see its counts.

Between the preview and the confirmation the upload is kept on the server, never in the
cookie: a file named by its SHA-256 in a folder of the principal's own (a hash of its
name) under the temporary directory; the confirmation form carries the hash. It is deleted
after the import, and any left over is deleted an hour after it was uploaded. Both steps
run the API's own use case (``routers.imports.import_file``), as ``POST /imports/{kind}``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask

from api.http.problems import ApiError
from api.http.routers.imports import CHUNK, import_file, importable, refused, safe_name
from api.http.security import WRITERS, Principal, require
from api.http.web.base import Board, admissions_of, check_csrf, page, request_id_of
from api.spreadsheets.importer import ImportReport
from api.spreadsheets.kinds import RUNNERS
from api.spreadsheets.problems_file import XLSX_MEDIA_TYPE, problems_workbook
from api.spreadsheets.template import write_template
from domain.errors import NotFound

router = APIRouter(prefix="/ui", include_in_schema=False)
KEEP_SECONDS = 3600
_SHA = re.compile(r"^[0-9a-f]{64}$")
KINDS = tuple(RUNNERS)


def staging_root(request: Request) -> Path:
    root: Path | None = getattr(request.app.state, "web_import_dir", None)
    if root is None:
        root = request.app.state.web_import_dir = Path(tempfile.gettempdir()) / "ketnap-imports"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def folder_of(request: Request, principal: Principal) -> Path:
    """The principal's own folder of uploads (its name hashed), old uploads swept."""
    root = staging_root(request)
    sweep(root)
    folder = root / hashlib.sha256(principal.name.encode()).hexdigest()[:32]
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def sweep(root: Path, now: float | None = None) -> None:
    """Delete the uploads kept longer than ``KEEP_SECONDS``."""
    limit = (now or time.time()) - KEEP_SECONDS
    for path in root.glob("*/*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def stage(source: BinaryIO, folder: Path, name: str) -> str:
    """Copy an upload in chunks into ``folder``, named by its SHA-256 (with its suffix, and
    its own name beside it); the hash."""
    digest = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=folder)
    with open(handle, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    sha = digest.hexdigest()
    for old in folder.glob(f"{sha}.*"):
        old.unlink(missing_ok=True)
    Path(temporary).replace(folder / f"{sha}{suffix_of(name)}")
    (folder / f"{sha}.name").write_text(name, encoding="utf-8")
    return sha


def suffix_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix in (".xlsx", ".xlsm", ".csv", ".txt") else ".upload"


def staged(folder: Path, sha: str) -> tuple[Path, str]:
    """The kept upload of hash ``sha`` and its name; NotFound when gone."""
    name_file = folder / f"{sha}.name"
    if not _SHA.match(sha) or not name_file.exists():
        raise NotFound("the uploaded file is no longer kept")
    name = name_file.read_text(encoding="utf-8")
    path = folder / f"{sha}{suffix_of(name)}"
    if not path.exists():
        raise NotFound("the uploaded file is no longer kept")
    return path, name


def discard(folder: Path, sha: str) -> None:
    for path in folder.glob(f"{sha}.*"):
        path.unlink(missing_ok=True)


def run(
    request: Request, principal: Principal, kind: str, path: Path, name: str, dry_run: bool
) -> ImportReport:
    return import_file(
        admissions_of(request),
        principal,
        principal.actor(request_id_of(request)),
        kind,
        path,
        name,
        dry_run=dry_run,
        max_bytes=request.app.state.settings.max_import_bytes,
        via="web",
    )


def checked_kind(kind: str) -> str:
    if kind not in KINDS:
        importable(kind)  # 404 or 422 as the API answers
        raise ApiError(404, "Not found", f"no import kind '{kind}'", "unknown_import_kind")
    return kind


@router.get("/imports/templates/{kind}.xlsx")
def template(request: Request, principal: Board, kind: str) -> Response:
    """The empty template of a kind (``ketnap import template KIND``)."""
    require(principal, *WRITERS)
    layout, _ = RUNNERS[checked_kind(kind)]  # type: ignore[index]
    buffer = io.BytesIO()
    write_template(layout, buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="mau-{kind}.xlsx"'},
    )


@router.get("/imports", response_class=HTMLResponse)
def imports(request: Request, principal: Board) -> Response:
    require(principal, *WRITERS)
    return page(request, "imports.html", kinds=KINDS, kind="roster", report=None)


@router.post("/imports", response_class=HTMLResponse)
def preview(
    request: Request,
    principal: Board,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=40)] = "roster",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    require(principal, *WRITERS)
    kind = checked_kind(kind)
    folder = folder_of(request, principal)
    name = safe_name(file.filename)
    sha = stage(file.file, folder, name)
    path, _ = staged(folder, sha)
    report = run(request, principal, kind, path, name, dry_run=True)
    if refused(report) or not (report.recorded or report.problems):
        discard(folder, sha)  # nothing to confirm, nothing to fix
        sha = ""
    status = 422 if refused(report) else 200
    return page(request, "imports.html", status, kinds=KINDS, kind=kind, report=report, sha=sha)


@router.post("/imports/{sha}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    sha: str,
    principal: Board,
    kind: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    require(principal, *WRITERS)
    kind = checked_kind(kind)
    folder = folder_of(request, principal)
    try:
        path, name = staged(folder, sha)
    except NotFound:
        return page(request, "imports.html", 404, kinds=KINDS, kind=kind, report=None, gone=True)
    try:
        report = run(request, principal, kind, path, name, dry_run=False)
    finally:
        discard(folder, sha)
    return page(request, "imports.html", kinds=KINDS, kind=kind, report=report, sha="")


@router.get("/imports/{sha}/problems.xlsx")
def problems(request: Request, sha: str, principal: Board, kind: str = "roster") -> Response:
    """The rows of the kept upload that have a problem, as a workbook (a dry run again)."""
    require(principal, *WRITERS)
    kind = checked_kind(kind)
    path, name = staged(folder_of(request, principal), sha)
    report = run(request, principal, kind, path, name, dry_run=True)
    handle, out = tempfile.mkstemp(prefix="ketnap-problems-", suffix=".xlsx")
    os.close(handle)
    limit = request.app.state.settings.max_import_bytes
    problems_workbook(path, name, report, Path(out), limit=limit)
    return FileResponse(
        out,
        media_type=XLSX_MEDIA_TYPE,
        filename=f"{Path(name).stem}-loi.xlsx",
        background=BackgroundTask(Path(out).unlink, missing_ok=True),
    )
