"""Contract routes: thin wrappers over lawglm.contracts (list, schema, draft as JSON or DOCX).

With LAWGLM_CONTRACT_EXTRACTOR=llm the draft route lets the loaded assistant's generator help extract
fields (values kept only if they validate and appear in the request; rules fill in the rest); while no
generator is loaded it drafts with the rules and says so in `notes`. A 422 only ever names a field the
caller passed (template, fields…, request); what the extractor misread becomes a blank and a note.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from . import core
from .errors import ApiError, to_api_error
from .schemas import DraftOut, DraftRequest, TemplateList

router = APIRouter(tags=["contracts"])
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a contracts function on the thread pool; its errors become HTTP errors (errors.to_api_error)."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except Exception as exc:
        err = to_api_error(exc)
        if err is None:
            raise
        raise err from None


def _extractor(st: core.ServerState) -> tuple[Any, str | None]:
    """(generator, note): the assistant's generator when the LLM extractor is configured and loaded."""
    if st.settings.contract_extractor != "llm":
        return None, None
    generator = st.assistant.generator if st.assistant is not None else None
    if generator is None:
        return None, "LLM extraction is configured but no model is loaded; fields were extracted by rules"
    return generator, None


@router.get("/v1/contracts", response_model=TemplateList, summary="Available contract templates")
async def list_contracts(st: core.State) -> dict:
    from ..contracts import list_templates

    return {"templates": await _call(list_templates, st.settings)}


@router.get("/v1/contracts/{name}", response_model=dict[str, Any], summary="One template's field schema")
async def contract_schema(st: core.State, name: str = Path(..., description="template name")) -> dict:
    from ..contracts import get_schema

    return await _call(get_schema, name, st.settings)


@router.post("/v1/contracts/draft", response_model=DraftOut,
             summary="Draft a contract from {template, fields} or a plain-language {request}; ?format=docx "
                     "returns a Word file",
             responses={200: {"content": {DOCX_TYPE: {}}}})
async def draft_contract(body: DraftRequest, st: core.State,
                         format: Literal["json", "docx"] = Query("json", description="json | docx")) -> Any:
    from ..contracts import draft, to_docx

    if not body.template and body.request is not None and not body.request.strip():
        raise ApiError(422, "request: must be a non-empty text", extra={"detail": [
            {"loc": ["body", "request"], "msg": "must be a non-empty text", "type": "value_error"}]})
    if not body.template and not (body.request or "").strip():
        raise ApiError(422, "template: give a template name or a plain-language request", extra={"detail": [
            {"loc": ["body", "template"], "msg": "template or request is required", "type": "missing"}]})
    generator, note = _extractor(st) if body.request else (None, None)
    result = await _call(draft, template=body.template, fields=body.fields, request=body.request,
                         generator=generator, extractor=st.settings.contract_extractor, settings=st.settings)
    if note:
        result.notes.insert(0, note)
    if format == "json":
        return result.to_dict()
    data = await _call(to_docx, result)
    name = f"{result.to_dict().get('template') or 'contract'}.docx"
    return Response(data, media_type=DOCX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=contract.docx; filename*=UTF-8''{quote(name)}"})
