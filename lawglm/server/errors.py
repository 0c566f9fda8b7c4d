"""Errors to HTTP: LawGLMError subclasses -> status codes, one JSON error shape, no tracebacks to clients.

Every error body is {"detail": ..., "error": {"message", "type", "code"}, "request_id"}: `detail`
is FastAPI's usual field, `error` is what OpenAI clients read.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..contracts.errors import FieldErrors, NoTemplateMatch, UnknownTemplate
from ..errors import (
    AdapterError,
    ArticleNotFound,
    CorpusError,
    DataError,
    IndexCorrupt,
    IndexMissing,
    LawGLMError,
    ModelError,
    UnknownLaw,
)
from .worker import QueueFull

log = logging.getLogger("lawglm.server")

STATUS = [  # first match wins
    ((UnknownLaw, ArticleNotFound), 404),
    ((IndexMissing, IndexCorrupt, ModelError, CorpusError), 503),
    ((AdapterError, DataError, ValueError), 422),
]
MAX_ERRORS = 20  # validation errors reported per response
MAX_ERROR_CHARS = 300  # characters of one error message
MAX_LOC_PARTS = 8


_PATH = re.compile(r"(?<![\w.~-])/([^\s'\"<>:,;()\[\]/]+)(?:/[^\s'\"<>:,;()\[\]]*)?")


def _kept_prefixes() -> tuple[str, ...]:
    """Where code lives (tracebacks name its files): the Python installation and lawglm's own package."""
    import sys
    import sysconfig

    from ..settings import PACKAGE_DIR

    dirs = {sys.prefix, sys.base_prefix, str(PACKAGE_DIR), *sysconfig.get_paths().values()}
    return tuple(sorted(str(d).rstrip("/") + "/" for d in dirs if d))


@functools.lru_cache(maxsize=256)
def _is_root_dir(first: str) -> bool:
    return os.path.isdir("/" + first)


def redact_paths(text: str) -> str:
    """`text` with server file paths replaced by <path> (absolute paths under a directory that exists at the
    file-system root, e.g. /home, /tmp, /srv), except the code's own files; routes like /v1/... stay."""
    kept = _kept_prefixes()

    def sub(m: re.Match) -> str:
        path = m.group(0)
        if not _is_root_dir(m.group(1)) or path.startswith(kept):
            return path
        return "<path>"
    return _PATH.sub(sub, text)


class RedactPaths(logging.Filter):
    """Logs that are shipped name no server paths (the admin's own response may): message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            record.exc_text = redact_paths(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_paths(record.exc_text)
        record.msg, record.args = redact_paths(record.getMessage()), None
        return True


def redact_logs(names: tuple[str, ...] = ("lawglm", "lawglm.server", "uvicorn.error")) -> None:
    """Install RedactPaths on the server's loggers (once)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPaths) for f in logger.filters):
            logger.addFilter(RedactPaths())


class ApiError(Exception):
    """An error with an HTTP status, a message and optional extra body fields."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error",
                 extra: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind
        self.extra, self.headers = extra or {}, headers or {}


def field_error(field: str, message: str, loc: str = "body") -> ApiError:
    """422 naming a field, in FastAPI's validation-error shape."""
    return ApiError(422, f"{field}: {message}", extra={"detail": [
        {"loc": [loc, field], "msg": message, "type": "value_error"}]})


def status_for(exc: LawGLMError) -> int:
    for classes, status in STATUS:
        if isinstance(exc, classes):
            return status
    return 400


def to_api_error(exc: BaseException) -> ApiError | None:
    """The ApiError a domain/queue exception becomes; None for unexpected exceptions."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, QueueFull):
        return ApiError(503, str(exc), kind="server_busy", headers={"Retry-After": str(exc.retry_after)})
    contract = _contract_error(exc)
    if contract is not None:
        return contract
    if isinstance(exc, LawGLMError):
        extra = {k: getattr(exc, k) for k in ("available", "errors", "report") if hasattr(exc, k)}
        extra = {k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in extra.items()}
        return ApiError(status_for(exc), str(exc), kind=type(exc).__name__, extra=extra)
    return None


def _contract_error(exc: BaseException) -> ApiError | None:
    """Contract-drafting errors with their details: unknown template 404, bad fields / no match 422."""
    kind = type(exc).__name__
    if isinstance(exc, UnknownTemplate):
        return ApiError(404, str(exc), kind=kind, extra={"available": exc.available})
    if isinstance(exc, FieldErrors):
        detail = [{"loc": ["body", "fields", e.get("field")], "msg": e.get("message"), "type": "value_error"}
                  for e in exc.errors]
        return ApiError(422, str(exc), kind=kind, extra={"errors": exc.errors, "detail": detail})
    if isinstance(exc, NoTemplateMatch):
        return ApiError(422, f"request: {exc}", kind=kind, extra={"choices": exc.choices, "detail": [
            {"loc": ["body", "request"], "msg": str(exc), "type": "value_error"}]})
    return None


def error_body(request: Request, status: int, message: str, kind: str, extra: dict | None = None) -> dict:
    body = {"detail": message, "error": {"message": message, "type": kind, "code": status},
            "request_id": getattr(request.state, "request_id", None)}
    body.update(extra or {})
    return body


class SafeJSONResponse(JSONResponse):
    """JSON that always renders: a lone surrogate that slipped into a value is written as its \\u escape
    instead of failing to encode (an unknown-field 422 naming a key "\\ud800" stays a 422, never a 500)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def printable(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`text` cut to `limit` characters with anything UTF-8 cannot encode (lone surrogates) escaped."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _loc(loc: Any) -> list:
    """A short loc without pydantic's union-member tags (list[list[str]], function-after[...])."""
    parts = [x for x in loc if isinstance(x, int) or "[" not in str(x)]
    return [x if isinstance(x, int) else printable(str(x), 80) for x in parts[:MAX_LOC_PARTS]]


def validation_body(request: Request, raw: Sequence[dict]) -> dict:
    """The 422 body for pydantic errors: at most MAX_ERRORS of them, each short and encodable (pydantic lists
    every item of an invalid array, echoing the input each time: a 1 MB array would give an 80 MB body)."""
    errors: list[dict] = []
    for e in itertools.islice(raw, MAX_ERRORS * 2):  # union members can report the same error twice
        err = {"loc": _loc(e.get("loc", ())), "type": printable(str(e.get("type", "")), 80),
               "msg": printable(str(e.get("msg", "")).removeprefix("Value error, "))}
        if err not in errors and len(errors) < MAX_ERRORS:
            errors.append(err)
    message = "; ".join(f"{'.'.join(map(str, e['loc'][1:] or e['loc']))}: {e['msg']}" for e in errors)
    if len(raw) > MAX_ERRORS:
        message += f"; and {len(raw) - MAX_ERRORS} more errors (the first {MAX_ERRORS} are listed)"
    body = error_body(request, 422, message, "invalid_request_error")
    body["detail"] = errors
    return body


def _respond(request: Request, err: ApiError) -> JSONResponse:
    return SafeJSONResponse(
        error_body(request, err.status, printable(err.message, 4000), err.kind, err.extra),
        status_code=err.status,
        headers=err.headers,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return _respond(request, exc)

    @app.exception_handler(LawGLMError)
    async def _domain(request: Request, exc: LawGLMError) -> JSONResponse:
        return _respond(request, to_api_error(exc))

    @app.exception_handler(QueueFull)
    async def _busy(request: Request, exc: QueueFull) -> JSONResponse:
        return _respond(request, to_api_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = validation_body(request, exc.errors())
        return SafeJSONResponse(body, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:  # an unreadable body (not UTF-8, nested too deeply, broken multipart)
            return SafeJSONResponse(
                validation_body(
                    request,
                    [
                        {
                            "loc": ["body"],
                            "type": "body_invalid",
                            "msg": (
                                "could not be parsed: send UTF-8 JSON nested at most a few hundred levels "
                                "deep"
                            ),
                        }
                    ],
                ),
                status_code=422,
            )
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return SafeJSONResponse(error_body(request, exc.status_code, printable(message), "http_error"),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        rid = getattr(request.state, "request_id", None)
        log.error("unhandled error (request %s)", rid, exc_info=exc)
        return SafeJSONResponse(error_body(request, 500, f"internal server error (request id {rid})",
                                       "internal_error"), status_code=500)
