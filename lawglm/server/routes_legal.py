"""Legal routes: /v1/legal/ask (JSON or SSE), /chatglm (ChatGLM api.py shape), statutes, citation checks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from lawglm.answer.options import AskOptions
from lawglm.answer.smalltalk import small_talk_reply
from lawglm.settings import MAX_TOP_K
from lawglm.statutes.amendments import status_detail

from ..records import Answer
from . import core, tool_turns
from .errors import ApiError, field_error
from .schemas import (
    CHATGLM_DOC,
    AnswerOut,
    ArticleOut,
    AskRequest,
    ChatGLM3Turn,
    ChatGLMRequest,
    ChatGLMResponse,
    SearchResponse,
    VerifyRequest,
    VerifyResponse,
    unsafe_char,
)

router = APIRouter()


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; data is JSON on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def options_of(body: AskRequest) -> AskOptions:
    """The request's AskOptions: every field the two share by name (a new option needs no change here)."""
    history = [m.model_dump() if hasattr(m, "model_dump") else m for m in body.history or []]
    given = {name: getattr(body, name) for name in AskOptions.names() if name in AskRequest.model_fields}
    return AskOptions(given.pop("question"), **{**given, "history": history or None})


@router.post("/v1/legal/ask", response_model=AnswerOut, tags=["legal"],
             summary="Answer a legal question from retrieved statutes (JSON, or SSE with stream=true)",
             responses={200: {"content": {"text/event-stream": {}}}})
async def ask(body: AskRequest, request: Request, st: core.State, assistant: core.Service) -> Any:
    p = core.checked(st, assistant, options_of(body))
    if not body.stream:
        return (await core.answer(request, st, assistant, p)).to_dict()
    first, rest = await core.first_and_rest(core.stream(request, st, assistant, p, queued=True))
    return StreamingResponse(_ask_events(request, first, rest), media_type="text/event-stream",
                             headers=core.SSE_HEADERS)


async def _ask_events(request: Request, first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[str]:
    item = first
    try:
        while item is not None:
            if isinstance(item, Answer):
                yield sse("final", item.to_dict())
            elif isinstance(item, core.Queued):  # waiting for the model: where, and for about how long
                yield sse("queued", item.to_dict())
            elif isinstance(item, core.Started):  # after `queued`: its generation has started
                yield sse("started", item.to_dict())
            elif item:
                yield sse("token", {"text": item})
            item = await anext(rest, None)
    except Exception as exc:  # noqa: BLE001 - headers are gone: report any error in-band, never a traceback
        yield sse("error", core.stream_error(request, exc))
    finally:
        await rest.aclose()


CHATGLM_NAMES = {"question": "prompt", "max_new_tokens": "max_length"}


def chatglm_options(body: ChatGLMRequest, context_length: int) -> AskOptions:
    """ChatGLM's fields on the options: `max_length` (the guide's 最大输出长度) bounds the reply alone.
    The guide's clients send ChatGLM's 2048 to any model, so a cap beyond half the context is reduced to
    it rather than refused."""
    reply = body.max_length
    if reply is not None and context_length:
        reply = min(reply, context_length // 2)
    return AskOptions(body.prompt or "", history=[list(t) for t in body.history or []] or None,
                      max_new_tokens=reply, top_p=body.top_p, temperature=body.temperature, law=body.law)


@router.post("/chatglm", response_model=ChatGLMResponse, tags=["compat"],
             summary="ChatGLM api.py compatible: {prompt, history, max_length, top_p, temperature}",
             description=CHATGLM_DOC)
async def chatglm(body: ChatGLMRequest, request: Request, st: core.State, assistant: core.Service) -> Any:
    if body.role == "observation" or any(isinstance(t, ChatGLM3Turn) for t in body.history or []):
        return await _chatglm_tools(body, request, st, assistant)
    if not (body.prompt or "").strip():  # the guide's template body: say what lawglm can do
        history = [list(t) for t in body.history or []]
        reply = small_talk_reply("empty")
        return {
            "response": reply,
            "history": [*history, [body.prompt or "", reply]],
            "status": 200,
            "time": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "citations": [],
            "finish_reason": "stop",
        }
    p = core.checked(st, assistant, chatglm_options(body, assistant.context_length), CHATGLM_NAMES)
    ans = await core.answer(request, st, assistant, p)
    return {"response": ans.answer, "history": [*p.history, [p.question, ans.answer]], "status": 200,
            "time": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "citations": [c.to_dict() for c in ans.citations], "finish_reason": ans.finish_reason}


@router.get("/v1/statutes/search", response_model=SearchResponse, tags=["statutes"],
            summary="Hybrid search over statute articles")
async def search_statutes(st: core.State, assistant: core.Service,
                          q: str = Query(..., min_length=1, description="search query (at most "
                                                                         "settings.max_question_chars)"),
                          k: int = Query(5, ge=1, le=MAX_TOP_K, description="number of articles"),
                          law: str | None = Query(None, description="restrict to this law"),
                          status: str = Query("current", description="current | all | an explicit status"),
                          level: str | None = Query(None, description="only these levels: 法律 | 行政法规 | "
                                                                      "司法解释 (comma-separated)")
                          ) -> dict:
    for name, value in (("q", q), ("law", law), ("level", level), ("status", status)):
        why = unsafe_char(value) if value else None
        if why:
            raise field_error(name, why, loc="query")
    if not q.strip():
        raise field_error("q", "must not be empty", loc="query")
    if len(q) > st.settings.max_question_chars:
        limit = st.settings.max_question_chars
        raise field_error("q", f"too long: {len(q)} characters, the limit is {limit}", loc="query")
    retriever = assistant.retriever
    hits = await run_in_threadpool(retriever.search, q, k, law=law, status=status, level=level)
    links, shown = retriever.links, assistant.settings.links_shown
    return {"query": q, "hits": [{**h.to_dict(), "links": links.to_dict(h.article, shown)} for h in hits]}


@router.get("/v1/statutes/{law}/{article_no}", response_model=ArticleOut, tags=["statutes"],
            summary="One article by law name and number (民法典/1254 or 民法典/第一千二百五十四条)")
async def get_statute(assistant: core.Service,
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
    corpus = assistant.retriever.corpus
    found = corpus.lookup(law, article_no)
    detail = status_detail(found, corpus)
    out = {**found.to_dict(), "status": detail["label"], "status_detail": detail,
           "links": assistant.retriever.links.to_dict(found, assistant.settings.links_shown)}
    if all_versions:
        out["versions"] = [a.to_dict() for a in corpus.versions(found.law, found.article_no, found.sub_no)]
    return out


@router.post("/v1/citations/verify", response_model=VerifyResponse, tags=["statutes"],
             summary="Check every citation in a text against the statute corpus")
async def verify(body: VerifyRequest, st: core.State, assistant: core.Service) -> dict:
    from lawglm.statutes.citations import TooManyCitations, unreadable
    from lawglm.statutes.citations import verify as verify_text

    limits = st.settings
    if len(body.text) > limits.max_verify_chars:
        raise field_error("text", f"too long: {len(body.text)} characters, the limit is "
                                  f"{limits.max_verify_chars} (max_verify_chars)")
    corpus = assistant.retriever.corpus
    if body.law is not None and corpus.resolve_law(body.law) is None:
        raise ApiError(404, f"law: unknown law {body.law!r}", kind="UnknownLaw")
    try:
        cites = await run_in_threadpool(
            verify_text,
            body.text,
            corpus,
            body.law and corpus.resolve_law(body.law),
            limits.max_verify_citations,
        )
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
    from lawglm.answer.support import InvalidSources, check_support, outside_quotes, parse_sources

    try:
        articles = parse_sources(sources, corpus)
    except InvalidSources as exc:
        raise field_error("sources", str(exc).removeprefix("sources: ")) from None
    checked, cites = check_support(text, outside_quotes(text, cites), articles, corpus)
    return {"citations": [c.to_dict() for c in cites], "all_verified": all(c.verified for c in cites),
            "all_supported": all(c.supported for c in cites), "text": checked}


# --- /chatglm with ChatGLM3's tools ----------------------------------------------------------------------
def chatglm3_conversation(body: ChatGLMRequest) -> tuple[list[dict], list[dict], list[dict]]:
    """(OpenAI-shaped messages, tools, ChatGLM3 history) of a /chatglm request in ChatGLM3's history shape:
    the system turn's tools, calls (assistant turns whose metadata names a tool; their own words are kept
    so ChatGLM3 sees exactly what it wrote) and observations answering the call before them."""
    from lawglm.models.tool_calls import MalformedCall, ToolCall, _chatglm3_args, _json_args

    history: list[dict] = []
    for t in body.history or []:
        if isinstance(t, ChatGLM3Turn):
            history.append(t.model_dump(exclude_none=True))
        else:
            history += [
                {"role": "user", "content": t[0]},
                {"role": "assistant", "metadata": "", "content": t[1]},
            ]
    messages, tools, last_call = [], [], None
    for i, t in enumerate([*history, {"role": body.role, "content": body.prompt or ""}]):
        where = f"history[{i}]" if i < len(history) else "role"
        if t["role"] == "system" and t.get("tools"):
            tools += [
                x if x.get("type") == "function" else {"type": "function", "function": x} for x in t["tools"]
            ]
        if t["role"] == "assistant" and t.get("metadata", "").strip():
            name, body_text = t["metadata"].strip(), t["content"]
            try:
                args = (
                    _json_args(body_text) if body_text.strip().startswith("{") else _chatglm3_args(body_text)
                )
            except MalformedCall as exc:
                raise field_error(where, f"the call of {name!r} cannot be read: {exc}") from None
            last_call = ToolCall(name, json.dumps(args, ensure_ascii=False))
            messages.append({"role": "assistant", "content": None, "tool_calls": [last_call.to_openai()],
                             "raw": f"{name}\n{body_text}"})
        elif t["role"] == "observation":
            if last_call is None:
                raise field_error(where, "an observation must answer a tool call made before it")
            messages.append({"role": "tool", "tool_call_id": last_call.id, "content": t["content"]})
        else:
            messages.append({"role": t["role"], "content": t["content"]})
    return messages, tools, history


async def _chatglm_tools(body: ChatGLMRequest, request: Request, st: core.ServerState,
                         assistant: core.AnswerService) -> dict:
    from lawglm.models.tool_calls import chatglm3_call_text

    fmt = tool_turns.check_backend(assistant, "history")
    messages, tools, history = chatglm3_conversation(body)
    run = tool_turns.runner(
        st,
        assistant,
        messages,
        tools or None,
        "auto" if tools else "none",
        max_tokens=body.max_length,
        top_p=body.top_p,
        temperature=body.temperature,
        adapter=None,
    )
    turn = await tool_turns.whole_turn(request, st, assistant, run)
    history.append({"role": body.role, "content": body.prompt or ""})
    if turn.tool_calls:
        call = turn.tool_calls[0]
        words = (
            turn.raw.partition("\n")[2].strip()
            if fmt == "chatglm3"
            else chatglm3_call_text(call.name, call.args())
        )
        response: Any = {"name": call.name, "parameters": call.args()}
        history.append({"role": "assistant", "metadata": call.name, "content": words})
    else:
        response = turn.content
        history.append({"role": "assistant", "metadata": "", "content": turn.content})
    out = {"response": response, "history": history, "status": 200,
           "time": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
           "citations": tool_turns.citations(assistant, turn.content), "finish_reason": turn.finish_reason}
    return {**out, "tool_call_error": turn.error} if turn.error else out
