"""Index and adapter administration: stats, reload, rebuild jobs (upload or server path), adapter reload.

Admin routes need `Authorization: Bearer $LAWGLM_ADMIN_TOKEN` (constant-time compare); with no
token configured they are disabled (403). A rebuild parses and validates the statutes BEFORE
accepting the job (422 with the parser report), then runs `updates.apply_update` on a thread
and swaps the served retriever when it succeeds — requests already running keep the old one.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as FormFile

from ..errors import LawGLMError
from ..settings import Settings
from . import core
from .errors import ApiError, field_error, printable
from .schemas import AdaptersOut, IndexStats, JobAccepted, JobOut, RebuildRequest, ReloadOut

if TYPE_CHECKING:
    from lawglm.search.retrieval import SearchService

router = APIRouter(tags=["admin"])
MAX_JOBS = 50
PATH_FIELDS = ("index_dir", "corpus_source", "encoder")  # public GET /v1/index shows their names only
UPLOAD_PREFIX = "upload-"
JOB_ID = re.compile(r"[0-9a-f]{12}")  # uuid4().hex[:12]; anything else is no job (and never a path)
_SAFE_NAME = re.compile(r"[^\w.\-]+")


def require_admin(request: Request, st: core.State) -> None:
    token = st.settings.admin_token
    if not token:
        raise ApiError(403, "admin endpoints are disabled: set LAWGLM_ADMIN_TOKEN to enable them",
                       kind="forbidden")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "missing or wrong admin token (send Authorization: Bearer <token>)",
                       kind="unauthorized", headers={"WWW-Authenticate": "Bearer"})


def _load_retriever(settings: Settings, index_dir: Path) -> SearchService:
    from lawglm.search.retrieval import Retriever

    return Retriever.from_settings(settings, index_dir)


@router.get("/v1/index", response_model=IndexStats, summary="Statistics of the served index")
async def index_stats(st: core.State) -> dict:
    from lawglm.search.index import stats

    out = await run_in_threadpool(stats, served_index_dir(st))
    out["served_version"] = st.assistant.retriever.version if st.assistant is not None else None
    return {k: (Path(v).name if k in PATH_FIELDS and v else v) for k, v in out.items()}


def served_index_dir(st: core.ServerState) -> Path:
    """The index directory being served (the retriever's own, else the configured one)."""
    retriever = st.assistant.retriever if st.assistant is not None else None
    return Path(retriever.index_dir if retriever is not None else st.settings.index_dir)


def reload_retriever(assistant: core.AnswerService, index_dir: Path,
                     force: bool = False) -> tuple[SearchService, bool]:
    """Serve the index's CURRENT version: the retriever swaps its state atomically (searches already
    running finish on the old data); with no retriever yet, a new one is loaded and swapped in."""
    current = assistant.retriever
    if current is not None:
        return current, bool(current.reload(force=force))
    new = _load_retriever(assistant.settings, index_dir)
    assistant.swap_retriever(new)
    return new, True


@router.post("/v1/index/reload", dependencies=[Depends(require_admin)], response_model=ReloadOut,
             summary="(admin) Load the index's CURRENT version and swap to it without a restart")
async def reload_index(
    st: core.State,
    assistant: core.Service,
    force: bool = Query(False, description="reload even if the version is unchanged"),
) -> dict:
    r, swapped = await run_in_threadpool(reload_retriever, assistant, served_index_dir(st), force)
    return {"swapped": swapped, "version": r.version, "articles": len(r.corpus)}


@router.post("/v1/adapters/reload", dependencies=[Depends(require_admin)], response_model=AdaptersOut,
             summary="(admin) Re-scan adapters_dir, validate every adapter, and swap them in")
async def reload_adapters(st: core.State, assistant: core.Service) -> dict:
    await run_in_threadpool(_reload_generator, st, assistant)
    return {"adapters": list(assistant.adapters)}


def _reload_generator(st: core.ServerState, assistant: core.AnswerService) -> None:
    """Load the backbone + every adapter afresh (all validated first), then swap the generator in;
    a generation already running finishes on the old one. Any adapter error leaves things as they were."""
    gen = assistant.generator
    if gen is None:
        raise ApiError(409, "retrieval-only mode (--llm none): there is no model to attach adapters to",
                       kind="conflict")
    if gen.kind != "local":
        raise ApiError(
            409, "remote backend (--llm-url): adapters are managed by that server", kind="conflict"
        )
    from lawglm.answer.prompts import VOCAB_TEXTS
    from lawglm.models.generation import load_generator

    with st.admin_lock:
        default = gen.default_adapter
        try:
            new = load_generator(assistant.settings, adapter=default, corpus=assistant.retriever.corpus,
                                 progress=False, vocab_texts=VOCAB_TEXTS)
        except (ValueError, KeyError, OSError) as exc:  # unreadable adapter files: the admin's to fix
            if isinstance(exc, LawGLMError):
                raise
            raise ApiError(422, f"adapters could not be loaded from {assistant.settings.adapters_dir}: "
                                f"{type(exc).__name__}: {exc}", kind="AdapterError") from exc
        assistant.generator = new


REBUILD_BODY = {"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": ".jsonl/.txt/.md statutes file"},
        "path": {"type": "string", "description": "server-side statutes file or directory"}}}},
    "application/json": {"schema": RebuildRequest.model_json_schema()}}}}


async def _rebuild_form(request: Request) -> tuple[FormFile | None, str | None, Any]:
    """(upload, path, form to close) of the request body. Read here, after require_admin has passed: FastAPI
    reads File/Form parameters before any dependency runs, so declaring them would read and spool an
    unauthenticated upload in full before its 401."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            return None, RebuildRequest.model_validate_json(await request.body()).path, None
        except ValueError as exc:
            raise field_error(
                "path", f'send multipart `file` or JSON {{"path": ...}} ({str(exc)[:200]})'
            ) from None
    if not ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise field_error("file", 'send multipart `file` (a statutes file) or `path`, or JSON {"path": ...}')
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception as exc:  # starlette / python-multipart: malformed or too many parts
        if isinstance(exc, ApiError):
            raise
        raise field_error("file", f"unreadable form body: {printable(str(exc), 200)}") from None
    upload, path = form.get("file"), form.get("path")
    if upload is not None and not isinstance(upload, FormFile):
        raise field_error("file", "must be a file part (multipart/form-data with a filename)")
    if path is not None and not isinstance(path, str):
        raise field_error("path", "must be a text field")
    return upload, path, form


@router.post("/v1/index/rebuild", dependencies=[Depends(require_admin)], status_code=202,
             response_model=JobAccepted,
             summary="(admin) Update the index from statutes: multipart `file` upload, form or JSON `path`",
             openapi_extra=REBUILD_BODY)
async def rebuild(request: Request, st: core.State, assistant: core.Service) -> dict:
    upload, path, form = await _rebuild_form(request)
    workdir = Path(tempfile.mkdtemp(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-", dir=_uploads_dir(st)))
    try:
        paths = await _rebuild_input(upload, path, workdir, st.settings)
        report = await run_in_threadpool(_validate, paths, st.settings, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        if form is not None:
            await form.close()
    job = _new_job(st, report)
    threading.Thread(target=_run_job, args=(st, job, paths, workdir), daemon=True,
                     name=f"lawglm-rebuild-{job['id']}").start()
    return {"job_id": job["id"], "status_url": f"/v1/index/jobs/{job['id']}", "report": report}


@router.get("/v1/index/jobs/{job_id}", response_model=JobOut, dependencies=[Depends(require_admin)],
            summary="(admin) Progress of an index rebuild job")
async def job_status(job_id: str, st: core.State) -> dict:
    job = st.jobs.get(job_id) or (_read_job(st, job_id) if JOB_ID.fullmatch(job_id) else None)
    if job is None:
        raise ApiError(404, f"no job {printable(job_id, 40)!r}", kind="not_found")
    return job


def _jobs_dir(st: core.ServerState) -> Path:
    return Path(st.settings.home) / "jobs"


def _save_job(st: core.ServerState, job: dict) -> None:
    """The job's state on disk (atomic), so a client holding its id gets an answer after a restart too;
    the MAX_JOBS newest are kept."""
    root = _jobs_dir(st)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{job['id']}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({**job, "pid": os.getpid()}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, root / f"{job['id']}.json")
        files = sorted(root.glob("*.json"), key=lambda f: f.stat().st_mtime)
        for old in files[:-MAX_JOBS]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only home: the job still runs and answers from memory
        core.log.warning("could not record index job %s", job["id"])


def _read_job(st: core.ServerState, job_id: str) -> dict | None:
    """A job recorded by an earlier server process; one that was still queued or running when its process
    died reads as `interrupted`."""
    from lawglm.search.index import _pid_alive

    try:
        job = json.loads((_jobs_dir(st) / f"{job_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(job, dict):
        return None
    pid = job.pop("pid", None)
    if job.get("state") in ("queued", "running") and not (pid is not None and _pid_alive(str(pid))):
        job.update(state="interrupted", error="the server stopped before this job finished (a restart); "
                                              "GET /v1/index shows the version served now")
    return job


def _uploads_dir(st: core.ServerState) -> Path:
    path = Path(st.settings.home) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_stale_builds(st: core.ServerState) -> list[str]:
    """Remove index build dirs (versions/.tmp-*) a dead process left behind (start-up calls this)."""
    from lawglm.search.index import remove_stale_builds

    return remove_stale_builds(served_index_dir(st))


def clean_stale_uploads(settings: Settings) -> list[str]:
    """Remove upload dirs left by a crashed server (its pid is gone; start-up calls this)."""
    from lawglm.search.index import _pid_alive

    root, removed = Path(settings.home) / "uploads", []
    for d in root.glob(f"{UPLOAD_PREFIX}*") if root.is_dir() else ():
        pid = d.name[len(UPLOAD_PREFIX):].split("-", 1)[0]
        if d.is_dir() and not (pid.isdigit() and _pid_alive(pid)):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d.name)
    return removed


async def _rebuild_input(upload: FormFile | None, path: str | None, workdir: Path,
                         settings: Settings) -> list[Path]:
    """The statutes to ingest: the uploaded file saved under workdir, or the server-side path."""
    if upload is not None:
        base = (upload.filename or "statutes.txt").replace("\\", "/").rsplit("/", 1)[-1]
        name = _SAFE_NAME.sub("_", base) or "statutes.txt"
        if name.startswith("."):  # "..", ".": a directory, not a file name: refused, never opened
            raise field_error("file", f"filename {printable(upload.filename or '', 80)!r} is not a file name "
                                      "(e.g. statutes.jsonl)")
        target = workdir / name
        await run_in_threadpool(_save, upload.file, target)
        return [target]
    if path is None:
        raise field_error("file", "multipart field `file` (a statutes file) or `path` is required")
    files = await run_in_threadpool(confine, path, settings.ingest_roots)
    total = sum(f.stat().st_size for f in files)
    if total > settings.max_upload_bytes:
        raise field_error("path", f"{len(files)} files of {total} bytes in all; the limit is "
                                  f"{settings.max_upload_bytes} bytes (LAWGLM_MAX_UPLOAD_BYTES)")
    return files


def confine(raw: str, roots: list[Path]) -> list[Path]:
    """The statute files `raw` names, every one inside an ingest root after resolving symlinks (422 otherwise)
    .
    A directory is expanded here, so a link inside a root that points outside it is refused too."""
    from lawglm.statutes.ingest import DIR_SUFFIXES

    from .schemas import unsafe_char

    if unsafe_char(raw):
        raise field_error("path", unsafe_char(raw))
    allowed = [Path(r).expanduser().resolve() for r in roots]
    shown = ", ".join(map(str, roots)) or "(none)"
    path = Path(raw).expanduser()
    if not path.exists():
        raise field_error("path", f"{printable(raw, 200)} does not exist on the server")
    files = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in DIR_SUFFIXES) \
        if path.is_dir() else [path]
    out = []
    for f in files or [path]:
        real = f.resolve()
        if not any(real == root or real.is_relative_to(root) for root in allowed):
            raise field_error("path", f"{printable(str(f), 200)} is outside the ingest roots ({shown}; "
                                      "set LAWGLM_INGEST_ROOTS); nothing was read")
        out.append(real)
    return out


def _save(src: Any, target: Path) -> None:
    with open(target, "wb") as out:
        shutil.copyfileobj(src, out)


def _validate(paths: list[Path], settings: Settings, workdir: Path) -> dict:
    from lawglm.statutes.ingest import ingest_paths

    result = ingest_paths(paths, strict=False, max_article_chars=settings.max_article_chars,
                          max_law_chars=settings.max_law_chars, max_article_no=settings.max_article_no,
                          max_sub_no=settings.max_sub_no)
    report = _without_dir(_report_dict(result.report), workdir)
    if not result.report.ok:
        raise ApiError(422, "statutes failed validation; nothing was changed: "
                       + "; ".join(report.get("errors", [])[:3]), kind="DataError", extra={"report": report})
    if len(result.articles) > settings.max_upload_articles:
        raise field_error("file", f"{len(result.articles)} articles in one upload; the limit is "
                                  f"{settings.max_upload_articles} (LAWGLM_MAX_UPLOAD_ARTICLES); split it")
    return report


def _without_dir(report: Any, workdir: Path) -> Any:
    """The report with the upload temp dir cut from file names (an upload is named as it was sent)."""
    if isinstance(report, str):
        return report.replace(f"{workdir}/", "")
    if isinstance(report, list):
        return [_without_dir(x, workdir) for x in report]
    if isinstance(report, dict):
        return {k: _without_dir(v, workdir) for k, v in report.items()}
    return report


def _report_dict(report: Any) -> dict:
    if hasattr(report, "to_dict"):
        return report.to_dict()
    keys = ("ok", "laws", "articles", "warnings", "errors")
    return {k: getattr(report, k) for k in keys if hasattr(report, k)}


def _new_job(st: core.ServerState, report: dict) -> dict:
    job = {"id": uuid.uuid4().hex[:12], "state": "queued", "stage": "", "done": 0, "total": 0,
           "version": None, "error": None, "report": report}
    st.jobs[job["id"]] = job
    while len(st.jobs) > MAX_JOBS:
        st.jobs.pop(next(iter(st.jobs)))
    _save_job(st, job)
    return job


def _run_job(st: core.ServerState, job: dict, paths: list[Path], workdir: Path) -> None:
    """Thread body: one admin job at a time; apply the update, then swap the retriever."""
    from lawglm.search.updates import apply_update

    def progress(done: int, total: int, stage: str) -> None:
        job.update(done=int(done), total=int(total), stage=str(stage))

    try:
        with st.admin_lock:
            job["state"] = "running"
            _save_job(st, job)
            index_dir = served_index_dir(st)
            manifest = apply_update(index_dir, paths, progress=False, progress_callback=progress)
            job.update(stage="swap")
            new, _ = reload_retriever(st.assistant, index_dir)
        job.update(state="done", stage="done", version=(manifest or {}).get("version") or new.version)
    except Exception as exc:  # noqa: BLE001 - any failure marks the job failed; the served index is untouched
        core.log.exception("index rebuild job %s failed", job["id"])
        job.update(state="failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        _save_job(st, job)
        shutil.rmtree(workdir, ignore_errors=True)
