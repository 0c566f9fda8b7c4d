"""OpenAI-compatible routes: /v1/models and /v1/chat/completions (JSON and streamed chunks).

Answers are grounded the same way as /v1/legal/ask: the last user message is the question,
earlier messages are history; checked citations ride along in an extra `citations` field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from lawglm.answer.options import AskOptions

from ..models.tool_calls import ToolTurn
from ..records import Answer
from . import core, tool_turns
from .errors import ApiError, field_error
from .schemas import ChatCompletionRequest, ChatCompletionResponse, ModelList

router = APIRouter(tags=["openai"])
DEFAULT_MODEL_ID = "lawglm"
STARTED = int(time.time())


def _model_ids(assistant: core.AnswerService) -> list[dict]:
    out = []
    for m in assistant.models():
        mid = m.get("id") or m.get("name")
        if mid and mid != DEFAULT_MODEL_ID:
            out.append({**m, "id": mid})
    return out


@router.get("/v1/models", response_model=ModelList,
            summary="Models: `lawglm` (configured default), the backbone and each adapter")
async def models(assistant: core.Service) -> dict:
    data = [{"id": DEFAULT_MODEL_ID, "object": "model", "created": STARTED, "owned_by": "lawglm",
             "description": "the configured default backbone + adapter"}]
    for m in _model_ids(assistant):
        data.append({**m, "object": "model", "created": STARTED, "owned_by": "lawglm"})
    return {"object": "list", "data": data}


def resolve_model(assistant: core.AnswerService, name: str) -> str | None:
    """The adapter a model name selects: None = default, 'none' = bare backbone, else an adapter."""
    if name in ("", DEFAULT_MODEL_ID):
        return None
    if name in assistant.adapters:
        return name
    ids = [m["id"] for m in _model_ids(assistant)]
    if name in ids:
        return "none" if assistant.uses_model else None
    raise ApiError(404, f"model {name!r} not found; available: {', '.join([DEFAULT_MODEL_ID, *ids])}",
                   kind="model_not_found", extra={"param": "model"})


OPENAI_NAMES = {"question": "messages", "history": "messages", "max_new_tokens": "max_tokens"}


def options_of(body: ChatCompletionRequest, assistant: core.AnswerService) -> AskOptions:
    msgs = [m for m in body.messages if m.role != "system"]  # our own system prompt grounds the answer
    if not msgs or msgs[-1].role != "user":
        raise field_error("messages", "the last message must be a user message (the question)")
    cut = len(msgs)
    while cut > 0 and msgs[cut - 1].role == "user":  # consecutive trailing user messages form the question
        cut -= 1
    question = "\n".join(m.content for m in msgs[cut:])
    history = [{"role": m.role, "content": m.content} for m in msgs[:cut]]
    return AskOptions(question, history=history or None, top_k=body.top_k, law=body.law,
                      adapter=resolve_model(assistant, body.model),
                      max_new_tokens=body.max_tokens, top_p=body.top_p, temperature=body.temperature,
                      answer_shape=body.answer_shape)


def _usage(ans: Answer) -> dict:
    u = ans.usage
    return {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
            "total_tokens": u.total_tokens}


def _openai_finish(ans: Answer) -> str:
    """OpenAI's finish_reason: length when the token limit cut the answer short, else stop."""
    return "length" if ans.finish_reason == "length" else "stop"


def _extras(ans: Answer) -> dict:
    d = ans.to_dict()
    return {"citations": d["citations"], "retrieved": d["retrieved"]}


@router.post("/v1/chat/completions", response_model=ChatCompletionResponse,
             summary="OpenAI chat completions, grounded in retrieved statutes",
             responses={200: {"content": {"text/event-stream": {}}}})
async def chat_completions(body: ChatCompletionRequest, request: Request, st: core.State,
                           assistant: core.Service) -> Any:
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if uses_tools(body):
        return await _tool_completion(body, request, st, assistant, cid, created)
    p = core.checked(st, assistant, options_of(body, assistant), OPENAI_NAMES)
    if not body.stream:
        ans = await core.answer(request, st, assistant, p)
        return {"id": cid, "object": "chat.completion", "created": created, "model": body.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ans.answer},
                             "finish_reason": _openai_finish(ans)}],
                "usage": _usage(ans), **_extras(ans)}
    first, rest = await core.first_and_rest(core.stream(request, st, assistant, p, queued=True))
    chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": body.model}
    return StreamingResponse(_chunks(request, chunk, first, rest), media_type="text/event-stream",
                             headers=core.SSE_HEADERS)


def sse_data(obj: Any) -> str:
    """One data-only Server-Sent Event (OpenAI's stream framing); JSON on a single line."""
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


async def _sse(request: Request, first: Any, rest: AsyncIterator[Any],
               render: Callable[[Any], Iterator[str]], head: tuple[str, ...] = ()) -> AsyncIterator[str]:
    """`head`, the SSE lines `render` makes of each item, then [DONE]. Headers are gone by then, so an error
    is reported in-band as OpenAI servers do; the answer's stream is always closed."""
    for line in head:
        yield line
    item = first
    try:
        while item is not None:
            for line in render(item):
                yield line
            item = await anext(rest, None)
        yield "data: [DONE]\n\n"
    except Exception as exc:  # noqa: BLE001 - any error after the headers goes to the client in-band
        yield sse_data(core.stream_error(request, exc))
    finally:
        await rest.aclose()


def _chunks(request: Request, base: dict, first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[str]:
    def delta(d: dict, finish: str | None = None) -> str:
        return sse_data({**base, "choices": [{"index": 0, "delta": d, "finish_reason": finish}]})

    def render(item: Any) -> Iterator[str]:
        if isinstance(item, core.Queued):  # an SSE comment: OpenAI clients skip it, a person's tool shows it
            yield f": queued {json.dumps(item.to_dict())}\n\n"
        elif isinstance(item, Answer):
            finish = _openai_finish(item)
            yield sse_data({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
                            "usage": _usage(item), **_extras(item)})
        elif item:
            yield delta({"content": item})

    return _sse(request, first, rest, render, head=(delta({"role": "assistant", "content": ""}),))


# --- tool calling ------------------------------------------------------------------------------------
def uses_tools(body: ChatCompletionRequest) -> bool:
    """Tools offered (tool_choice not none), or a conversation that already carries calls / results."""
    return bool(body.tools and body.tool_choice != "none") or any(
        m.role == "tool" or m.tool_calls for m in body.messages)


async def _tool_completion(body: ChatCompletionRequest, request: Request, st: core.State,
                           assistant: core.AnswerService, cid: str, created: int) -> Any:
    tool_turns.check_backend(assistant)
    if body.messages[-1].role not in ("user", "tool"):
        raise field_error("messages", "the last message must be a user message or a tool result")
    if len(body.messages) > st.settings.max_history_turns + 1:
        raise field_error("messages", f"at most {st.settings.max_history_turns + 1} messages "
                                      "(max_history_turns)")
    messages = [m.model_dump(exclude_none=True) for m in body.messages]
    tools = [t.model_dump(exclude_none=True) for t in body.tools or []]
    choice = body.tool_choice.model_dump() if hasattr(body.tool_choice, "model_dump") else body.tool_choice
    run = tool_turns.runner(
        st,
        assistant,
        messages,
        tools,
        choice,
        max_tokens=body.max_tokens,
        top_p=body.top_p,
        temperature=body.temperature,
        adapter=resolve_model(assistant, body.model),
    )
    base = {"id": cid, "created": created, "model": body.model}
    if not body.stream:
        turn = await tool_turns.whole_turn(request, st, assistant, run)
        out = {**base, "object": "chat.completion",
               "choices": [{"index": 0, "message": turn.message(), "finish_reason": turn.finish_reason,
                            "logprobs": None}],
               "usage": _turn_usage(turn), "citations": tool_turns.citations(assistant, turn.content),
               "retrieved": []}
        return {**out, "tool_call_error": turn.error} if turn.error else out
    first, rest = await core.first_and_rest(core.stream(request, st, assistant, None, run))
    chunk = {**base, "object": "chat.completion.chunk"}
    return StreamingResponse(_tool_chunks(request, st, assistant, chunk, first, rest),
                             media_type="text/event-stream", headers=core.SSE_HEADERS)


def _turn_usage(turn: ToolTurn) -> dict:
    return {"prompt_tokens": turn.prompt_tokens, "completion_tokens": turn.completion_tokens,
            "total_tokens": turn.prompt_tokens + turn.completion_tokens}


def _tool_chunks(request: Request, st: core.ServerState, assistant: core.AnswerService, base: dict,
                       first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[str]:
    """OpenAI's stream: text as content deltas; a call as a delta with its id, type and name (arguments
    ""), then its arguments; the last chunk has an empty delta and the finish reason."""
    def choice(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    started = False

    def render(item: Any) -> Iterator[str]:
        nonlocal started
        if isinstance(item, ToolTurn):
            if item.error and item.content:  # a malformed call: what the model wrote, then the reason
                yield sse_data(choice({"role": "assistant", "content": item.content} if not started
                                      else {"content": item.content}))
                started = True
            for i, call in enumerate(item.tool_calls):
                head = {"index": i, "id": call.id, "type": "function",
                        "function": {"name": call.name, "arguments": ""}}
                yield sse_data(choice({"role": "assistant", "content": None, "tool_calls": [head]}
                                      if not started else {"tool_calls": [head]}))
                started = True
                yield sse_data(
                    choice({"tool_calls": [{"index": i, "function": {"arguments": call.arguments}}]})
                )
            if not started:
                yield sse_data(choice({"role": "assistant", "content": ""}))
            st.metrics.add_tokens(item.completion_tokens)
            last = {**choice({}, item.finish_reason), "usage": _turn_usage(item),
                    "citations": tool_turns.citations(assistant, item.content), "retrieved": []}
            yield sse_data({**last, "tool_call_error": item.error} if item.error else last)
        elif item:
            if not started:
                yield sse_data(choice({"role": "assistant", "content": ""}))
                started = True
            yield sse_data(choice({"content": item}))

    return _sse(request, first, rest, render)
