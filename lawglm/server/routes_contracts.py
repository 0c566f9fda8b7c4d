"""Contract routes: thin wrappers over lawglm.contracts (list, schema, draft as JSON or DOCX)."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .errors import ApiError
from .schemas import DraftRequest

router = APIRouter(tags=["contracts"])
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _contract_error(exc: Exception) -> ApiError | None:
    """Structured errors of the contracts package -> 404 / 422 with their details."""
    kind = type(exc).__name__
    if kind == "UnknownTemplate":
        return ApiError(404, str(exc), kind=kind, extra={"available": list(getattr(exc, "available", []))})
    if kind == "FieldErrors":
        errors = list(getattr(exc, "errors", []))
        detail = [{"loc": ["body", "fields", e.get("field")], "msg": e.get("message"), "type": "value_error"}
                  for e in errors]
        return ApiError(422, str(exc), kind=kind, extra={"errors": errors, "detail": detail})
    if kind == "NoTemplateMatch":
        return ApiError(422, str(exc), kind=kind, extra={"choices": list(getattr(exc, "choices", []))})
    return None


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except Exception as exc:
        err = _contract_error(exc)
        if err is None:
            raise
        raise err from None


@router.get("/v1/contracts", summary="Available contract templates")
async def list_contracts() -> dict:
    from ..contracts import list_templates

    return {"templates": await _call(list_templates)}


@router.get("/v1/contracts/{name}", summary="One template's field schema")
async def contract_schema(name: str = Path(..., description="template name")) -> dict:
    from ..contracts import get_schema

    return await _call(get_schema, name)


@router.post("/v1/contracts/draft", summary="Draft a contract from {template, fields} or a plain-language "
                                            "{request}; ?format=docx returns a Word file",
             responses={200: {"content": {DOCX_TYPE: {}}}})
async def draft_contract(body: DraftRequest,
                         format: Literal["json", "docx"] = Query("json", description="json | docx")) -> Any:
    from ..contracts import draft, to_docx

    if not body.template and not (body.request or "").strip():
        raise ApiError(422, "template: give a template name or a plain-language request", extra={"detail": [
            {"loc": ["body", "template"], "msg": "template or request is required", "type": "missing"}]})
    result = await _call(draft, template=body.template, fields=body.fields, request=body.request)
    if format == "json":
        return result.to_dict()
    data = await _call(to_docx, result)
    name = f"{result.to_dict().get('template') or 'contract'}.docx"
    return Response(data, media_type=DOCX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=contract.docx; filename*=UTF-8''{quote(name)}"})
