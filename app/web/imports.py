"""The /import page and the /api/imports endpoints: archive upload, paste, connect by X username.

Uploads are read from the request stream into memory with a size limit (the archive is
never written to disk), then parsed in a worker thread. A refused import is rolled back
and recorded as a failed import so the history shows what went wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from python_multipart import create_form_parser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import File
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.config import Settings
from app.demo import SAMPLE_ARCHIVE
from app.deps import ApiUser, CurrentUser, OptionalRowIdQuery, SessionDep, SettingsDep
from app.models import ImportJob, User
from app.services.imports import (
    engagement_counts,
    import_archive,
    import_failure_record,
    import_job_get,
    import_paste,
    import_x_api,
    imports_list,
)
from app.sources.paste import MAX_PASTE_CHARS
from app.sources.tweet_records import ImportInputError
from app.sources.x_api import XApiClient
from app.web.templating import is_htmx, render

router = APIRouter(tags=["pages"], include_in_schema=False)
api_router = APIRouter(prefix="/api/imports", tags=["imports"])

MIB = 1024 * 1024
ARCHIVE_FIELD = "archive"
WEB_MAX_RATE_LIMIT_WAIT_S = 20.0
KIND_LABELS = {
    "tweet": "posts",
    "retweet": "reposts",
    "quote": "quotes",
    "reply": "replies",
    "like": "likes",
    "note": "notes",
}


class UploadRefused(Exception):
    """An upload that cannot be read; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --- shared by pages and API -----------------------------------------------------------------


async def read_upload(request: Request, *, limit_bytes: int) -> tuple[BytesIO, str | None]:
    """The uploaded archive of a multipart request, kept in memory and refused beyond `limit_bytes`."""
    too_large = UploadRefused(
        413, f"The file is larger than the {limit_bytes / MIB:,.0f} MiB allowed (OPENREC_MAX_UPLOAD_MB)."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit_bytes + MIB:  # a little room for the multipart framing
        raise too_large
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise UploadRefused(415, f"Send the archive as multipart/form-data in a field named {ARCHIVE_FIELD!r}.")
    files: dict[str, File] = {}

    def on_file(file: File) -> None:
        name = (file.field_name or b"").decode("latin-1")
        files.setdefault(name, file)

    try:
        parser = create_form_parser(
            {"Content-Type": content_type.encode("latin-1")},
            None,
            on_file,
            config={"MAX_MEMORY_FILE_SIZE": limit_bytes + MIB},
        )
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit_bytes + MIB:
                raise too_large
            parser.write(chunk)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise UploadRefused(400, "The upload could not be read as a form; try again.") from exc
    upload = files.get(ARCHIVE_FIELD)
    if upload is None or (upload.size == 0 and not upload.file_name):
        raise UploadRefused(400, "Choose your X archive (a .zip file) to upload.")
    if upload.size > limit_bytes:
        raise too_large
    data = upload.file_object
    if not isinstance(data, BytesIO):  # the in-memory limit above keeps every upload in memory
        raise UploadRefused(413, "The upload is too large to be kept in memory.")
    data.seek(0)
    filename = (upload.file_name or b"").decode("utf-8", "replace") or None
    return data, filename


def _import_or_record_failure(
    session: Session, *, user: User, source: str, filename: str | None, run: Callable[[], ImportJob]
) -> ImportJob:
    """Run one import; on refusal roll back, record the failure, and re-raise for the caller to show."""
    try:
        job = run()
    except ImportInputError as exc:
        session.rollback()
        import_failure_record(session, user=user, source=source, error=str(exc), filename=filename)
        session.commit()
        raise
    session.commit()
    return job


def _archive_import(session: Session, user: User, data: BytesIO, filename: str | None) -> ImportJob:
    def run() -> ImportJob:
        if not data.getbuffer().nbytes:  # a file was chosen, but it holds nothing (a download cut short)
            raise ImportInputError(
                f"“{filename}” is empty (0 bytes). Download your archive from X again, then upload the .zip file."
            )
        return import_archive(session, user=user, data=data, filename=filename)

    return _import_or_record_failure(session, user=user, source="archive", filename=filename, run=run)


def _paste_import(session: Session, user: User, text: str) -> ImportJob:
    return _import_or_record_failure(
        session, user=user, source="paste", filename=None, run=lambda: import_paste(session, user=user, text=text)
    )


def _x_import(session: Session, user: User, settings: Settings, username: str) -> tuple[ImportJob, list[str]]:
    """Fetch from X (outside any write), then store; returns the job and where fetching stopped early."""
    if not settings.x_bearer_token:
        raise UploadRefused(400, "Connecting by X username needs an X API bearer token (X_BEARER_TOKEN).")
    notes: list[str] = []

    def run() -> ImportJob:
        with XApiClient.from_settings(settings, max_wait_s=WEB_MAX_RATE_LIMIT_WAIT_S) as client:
            fetched = client.fetch_account(username)
        notes.extend(fetched.notes)
        return import_x_api(session, user=user, fetched=fetched)

    job = _import_or_record_failure(session, user=user, source="x_api", filename=None, run=run)
    return job, notes


# --- pages -----------------------------------------------------------------------------------


def _page(
    request: Request,
    session: Session,
    user: User,
    settings: Settings,
    *,
    job: ImportJob | None = None,
    error: str | None = None,
    status_code: int = 200,
    paste_text: str = "",
    notes: list[str] | None = None,
) -> Response:
    context = {
        "job": job,
        "notes": notes or [],
        "error": error,
        "kind_labels": KIND_LABELS,
        "stored": engagement_counts(session, user=user),
        "history": imports_list(session, user=user),
        "x_api_enabled": bool(settings.x_bearer_token),
        "max_upload_mb": settings.openrec_max_upload_mb,
        "max_paste_chars": MAX_PASTE_CHARS,
        "paste_text": paste_text,
    }
    if is_htmx(request):
        return render(request, "_import_result.html", context, status_code=status_code)
    return render(request, "import.html", context, status_code=status_code)


def _status_of(exc: Exception) -> int:
    """Refused uploads carry their status; refused content is a 400."""
    return exc.status if isinstance(exc, UploadRefused) else 400


def _done(request: Request, job: ImportJob) -> Response:
    """After a successful import, show it on a fresh GET so a reload does not import again."""
    target = f"/import?job={job.id}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/import")
def import_page(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, job: OptionalRowIdQuery = None
) -> Response:
    shown = import_job_get(session, user=user, job_id=job) if job is not None else None
    return _page(request, session, user, settings, job=shown)


@router.post("/import/archive")
async def import_archive_page(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        data, filename = await read_upload(request, limit_bytes=settings.openrec_max_upload_mb * MIB)
        job = await run_in_threadpool(_archive_import, session, user, data, filename)
    except (UploadRefused, ImportInputError) as exc:
        return await run_in_threadpool(
            _page, request, session, user, settings, error=str(exc), status_code=_status_of(exc)
        )
    return _done(request, job)


@router.post("/import/sample")
def import_sample_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Import the bundled sample archive, so a new visitor can try openrec without an X account."""
    job = _archive_import(session, user, BytesIO(SAMPLE_ARCHIVE.read_bytes()), SAMPLE_ARCHIVE.name)
    return _done(request, job)


@router.post("/import/paste")
def import_paste_page(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=MAX_PASTE_CHARS)] = "",
) -> Response:
    try:
        job = _paste_import(session, user, text)
    except ImportInputError as exc:
        return _page(request, session, user, settings, error=str(exc), status_code=400, paste_text=text)
    return _done(request, job)


@router.post("/import/x")
def import_x_page(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        job, notes = _x_import(session, user, settings, username)
    except (UploadRefused, ImportInputError) as exc:
        return _page(request, session, user, settings, error=str(exc), status_code=_status_of(exc))
    if notes:  # not stored with the import, so shown now rather than after a redirect
        return _page(request, session, user, settings, job=job, notes=notes)
    return _done(request, job)


# --- JSON API --------------------------------------------------------------------------------


class ImportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str = Field(description="archive | x_api | paste")
    status: str = Field(description="succeeded | failed")
    filename: str | None
    account_username: str | None
    counts: dict[str, int] = Field(description="New items stored, per kind.")
    skipped: dict[str, int] = Field(description="Items not stored, per reason.")
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class XImportOut(ImportOut):
    notes: list[str] = Field(default_factory=list, description="Where fetching stopped early, and why.")


class PasteIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_PASTE_CHARS, description="One entry per line or per block.")


class XImportIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="An X username, with or without @.")


def _api_error(exc: Exception) -> HTTPException:
    return HTTPException(status_code=_status_of(exc), detail=str(exc))


@api_router.get("")
def imports_api_list(user: ApiUser, session: SessionDep) -> list[ImportOut]:
    """The user's recent imports, newest first, failed ones included."""
    return [ImportOut.model_validate(job) for job in imports_list(session, user=user)]


@api_router.post(
    "/archive",
    status_code=201,
    responses={
        413: {"description": "The upload is larger than OPENREC_MAX_UPLOAD_MB."},
        415: {"description": "The upload is not multipart/form-data."},
    },
)
async def imports_api_archive(request: Request, user: ApiUser, session: SessionDep, settings: SettingsDep) -> ImportOut:
    """Import an X archive ZIP sent as multipart/form-data in the field `archive`."""
    try:
        data, filename = await read_upload(request, limit_bytes=settings.openrec_max_upload_mb * MIB)
        job = await run_in_threadpool(_archive_import, session, user, data, filename)
    except (UploadRefused, ImportInputError) as exc:
        raise _api_error(exc) from exc
    return ImportOut.model_validate(job)


@api_router.post("/paste", status_code=201)
def imports_api_paste(body: PasteIn, user: ApiUser, session: SessionDep) -> ImportOut:
    """Import pasted tweets or notes."""
    try:
        job = _paste_import(session, user, body.text)
    except ImportInputError as exc:
        raise _api_error(exc) from exc
    return ImportOut.model_validate(job)


@api_router.post("/x", status_code=201)
def imports_api_x(body: XImportIn, user: ApiUser, session: SessionDep, settings: SettingsDep) -> XImportOut:
    """Fetch a user's recent posts and likes from the X API (needs X_BEARER_TOKEN on the server)."""
    try:
        job, notes = _x_import(session, user, settings, body.username)
    except (UploadRefused, ImportInputError) as exc:
        raise _api_error(exc) from exc
    return XImportOut(**ImportOut.model_validate(job).model_dump(), notes=notes)
