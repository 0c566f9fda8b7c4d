"""Contract routes: thin wrappers over lawglm.contracts (list, schema, draft as JSON or DOCX).

With LAWGLM_CONTRACT_EXTRACTOR=llm the draft route lets the loaded assistant's generator help extract
fields (values kept only if they validate and appear in the request; rules fill in the rest); while no
generator is loaded it drafts with the rules and says so in `notes`. A 422 only ever names a field the
caller passed (template, fields…, request); what the extractor misread becomes a blank and a note.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
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
        return ApiError(422, f"request: {exc}", kind=kind, extra={"choices": list(getattr(exc, "choices", [])), "detail": [
            {"loc": ["body", "request"], "msg": str(exc), "type": "value_error"}]})
    return None


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except Exception as exc:
        err = _contract_error(exc)
        if err is None:
            raise
        raise err from None


def _extractor(request: Request) -> tuple[Any, str | None]:
    """(generator, note): the assistant's generator when the LLM extractor is configured and loaded."""
    st = getattr(request.app.state, "lawglm", None)
    if st is None or st.settings.contract_extractor != "llm":
        return None, None
    generator = getattr(st.assistant, "generator", None)
    if generator is None:
        return None, "LLM extraction is configured but no model is loaded; fields were extracted by rules"
    return generator, None


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
async def draft_contract(body: DraftRequest, request: Request,
                         format: Literal["json", "docx"] = Query("json", description="json | docx")) -> Any:
    from ..contracts import draft, to_docx

    if not body.template and body.request is not None and not body.request.strip():
        raise ApiError(422, "request: must be a non-empty text", extra={"detail": [
            {"loc": ["body", "request"], "msg": "must be a non-empty text", "type": "value_error"}]})
    if not body.template and not (body.request or "").strip():
        raise ApiError(422, "template: give a template name or a plain-language request", extra={"detail": [
            {"loc": ["body", "template"], "msg": "template or request is required", "type": "missing"}]})
    generator, note = _extractor(request) if body.request else (None, None)
    st = getattr(request.app.state, "lawglm", None)
    result = await _call(draft, template=body.template, fields=body.fields, request=body.request,
                         generator=generator, extractor=st.settings.contract_extractor if st else None)
    if note:
        result.notes.insert(0, note)
    if format == "json":
        return result.to_dict()
    data = await _call(to_docx, result)
    name = f"{result.to_dict().get('template') or 'contract'}.docx"
    return Response(data, media_type=DOCX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=contract.docx; filename*=UTF-8''{quote(name)}"})
