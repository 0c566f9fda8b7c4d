"""Legal routes: /v1/legal/ask (JSON or SSE), /chatglm (ChatGLM api.py shape), statutes, citation checks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..records import Answer
from . import core
from .errors import ApiError, error_body, field_error, to_api_error
from .schemas import AnswerOut, AskRequest, ChatGLMRequest, ChatGLMResponse, VerifyRequest, VerifyResponse

router = APIRouter()
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; data is JSON on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def params_of(body: AskRequest) -> core.AskParams:
    history = [m.model_dump() if hasattr(m, "model_dump") else m for m in body.history or []]
    return core.AskParams(body.question, history or None, body.top_k, body.law, body.adapter,
                          body.max_length, body.top_p, body.temperature, body.draft_first,
                          answer_shape=body.answer_shape)


async def first_and_rest(gen: AsyncIterator[Any]) -> tuple[Any, AsyncIterator[Any]]:
    """Pull the first item now (so errors before any output become proper HTTP errors)."""
    try:
        first = await gen.__anext__()
    except StopAsyncIteration:
        first = None
    return first, gen


@router.post("/v1/legal/ask", response_model=AnswerOut, tags=["legal"],
             summary="Answer a legal question from retrieved statutes (JSON, or SSE with stream=true)",
             responses={200: {"content": {"text/event-stream": {}}}})
async def ask(body: AskRequest, request: Request) -> Any:
    st, assistant = core.state_of(request), core.assistant_of(request)
    p = params_of(body)
    core.validate(st, assistant, p)
    if not body.stream:
        return (await core.answer(request, st, assistant, p)).to_dict()
    gen = core.stream(request, st, assistant, p)
    first, rest = await first_and_rest(gen)
    return StreamingResponse(_ask_events(request, first, rest), media_type="text/event-stream",
                             headers=SSE_HEADERS)


async def _ask_events(request: Request, first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[str]:
    item = first
    try:
        while item is not None:
            if isinstance(item, Answer):
                yield sse("final", item.to_dict())
            elif item:
                yield sse("token", {"text": item})
            item = await anext(rest, None)
    except Exception as exc:  # noqa: BLE001 - headers are gone: report any error in-band, never a traceback
        yield sse("error", _stream_error(request, exc))
    finally:
        await rest.aclose()


def _stream_error(request: Request, exc: Exception) -> dict:
    err = to_api_error(exc)
    if err is None:
        core.log_unexpected(request, exc)
        rid = getattr(request.state, "request_id", None)
        return error_body(request, 500, f"internal server error (request id {rid})", "internal_error")
    return error_body(request, err.status, err.message, err.kind, err.extra)


@router.post("/chatglm", response_model=ChatGLMResponse, tags=["compat"],
             summary="ChatGLM api.py compatible: {prompt, history, max_length, top_p, temperature}")
async def chatglm(body: ChatGLMRequest, request: Request) -> Any:
    st, assistant = core.state_of(request), core.assistant_of(request)
    history = [list(t) for t in body.history or []]
    p = core.AskParams(body.prompt, history or None, max_length=body.max_length, top_p=body.top_p,
                       temperature=body.temperature)
    core.validate(st, assistant, p, names={"question": "prompt"})
    ans = await core.answer(request, st, assistant, p)
    return {"response": ans.answer, "history": [*history, [body.prompt, ans.answer]], "status": 200,
            "time": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "citations": [c.to_dict() for c in ans.citations], "finish_reason": ans.finish_reason}


@router.get("/v1/statutes/search", tags=["statutes"], summary="Hybrid search over statute articles")
async def search_statutes(request: Request,
                          q: str = Query(..., min_length=1, max_length=4000, description="search query"),
                          k: int = Query(5, ge=1, le=50, description="number of articles"),
                          law: str | None = Query(None, description="restrict to this law"),
                          status: str = Query("current", description="current | all | an explicit status")
                          ) -> dict:
    if not q.strip():
        raise field_error("q", "must not be empty", loc="query")
    retriever = core.assistant_of(request).retriever
    hits = await run_in_threadpool(retriever.search, q, k, law=law, status=status)
    return {"query": q, "hits": [h.to_dict() for h in hits]}


@router.get("/v1/statutes/{law}/{article_no}", tags=["statutes"],
            summary="One article by law name and number (民法典/1254 or 民法典/第一千二百五十四条)")
async def get_statute(request: Request,
                      law: str = Path(..., description="law name; short names like 民法典 work"),
                      article_no: str = Path(..., description="article number: 1254, 第1254条, "
                                                              "一千二百五十四, 第一百二十条之一"),
                      all_versions: bool = Query(False, description="include every stored version")
                      ) -> dict:
    from ..numerals import parse_article_no

    try:
        parse_article_no(article_no)
    except ValueError as exc:
        raise field_error("article_no", str(exc), loc="path") from None
    corpus = core.assistant_of(request).retriever.corpus
    found = corpus.lookup(law, article_no)
    out = found.to_dict()
    if all_versions:
        out["versions"] = [a.to_dict() for a in corpus.versions(found.law, found.article_no, found.sub_no)]
    return out


@router.post("/v1/citations/verify", response_model=VerifyResponse, tags=["statutes"],
             summary="Check every citation in a text against the statute corpus")
async def verify(body: VerifyRequest, request: Request) -> dict:
    from ..citations import TooManyCitations, unreadable
    from ..citations import verify as verify_text

    limits = core.state_of(request).settings
    if len(body.text) > limits.max_verify_chars:
        raise field_error("text", f"too long: {len(body.text)} characters, the limit is "
                                  f"{limits.max_verify_chars} (max_verify_chars)")
    corpus = core.assistant_of(request).retriever.corpus
    if body.law is not None and corpus.resolve_law(body.law) is None:
        raise ApiError(404, f"law: unknown law {body.law!r}", kind="UnknownLaw")
    try:
        cites = await run_in_threadpool(verify_text, body.text, corpus, body.law and corpus.resolve_law(body.law),
                                        limits.max_verify_citations)
    except TooManyCitations as exc:
        raise field_error("text", f"{exc}: the limit is {exc.limit} (max_verify_citations)") from None
    bad = [u.to_dict() for u in unreadable(body.text)]
    if body.sources is not None:
        out = await run_in_threadpool(_supported, body.text, cites, body.sources, corpus)
        return {**out, "unreadable": bad, "all_verified": out["all_verified"] and not bad}
    out = [c.to_dict() for c in cites]
    return {"citations": out, "all_verified": all(c["verified"] for c in out) and not bad, "unreadable": bad}


def _supported(text: str, cites: list, sources: list[str], corpus: Any) -> dict:
    """The support check answers get, against the sources the caller names (422 naming a bad one)."""
    from ..grounded import outside_quotes
    from ..support import InvalidSources, check_support, parse_sources

    try:
        articles = parse_sources(sources, corpus)
    except InvalidSources as exc:
        raise field_error("sources", str(exc).removeprefix("sources: ")) from None
    checked, cites = check_support(text, outside_quotes(text, cites), articles, corpus)
    return {"citations": [c.to_dict() for c in cites], "all_verified": all(c.verified for c in cites),
            "all_supported": all(c.supported for c in cites), "text": checked}
