"""Tool calling over the HTTP APIs: a conversation that offers tools (or carries tool results) is one model
turn in the model's own tool format (models/tool_calls.py) instead of a grounded legal answer; its text is
still citation-checked. Shared by /v1/chat/completions and /chatglm."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import Request

from lawglm.models.tool_calls import ToolTurn, stream_turn, tool_format

from . import core
from .errors import field_error


def check_backend(assistant: core.AnswerService, field: str = "tools") -> str:
    """The backend's tool format, or 422 naming `field` when it has none."""
    gen = assistant.generator
    if gen is None:
        raise field_error(field, "tool calling needs a language model; this server answers retrieval-only "
                                 "(--llm none)")
    fmt = tool_format(gen)
    if fmt is None:
        raise field_error(
            field,
            f"the served model ({gen.name}) has no tool-calling chat format; tools work "
            "with ChatGLM3 / GLM-4 checkpoints (lawglm convert chatglm) and remote backends "
            "(--llm-url)",
        )
    return fmt


def runner(
    st: core.ServerState,
    assistant: core.AnswerService,
    messages: list[dict],
    tools: list[dict] | None,
    tool_choice: Any,
    *,
    max_tokens: int | None,
    top_p: float | None,
    temperature: float | None,
    adapter: str | None,
):
    """run(cancel) for the generation worker: one tool-calling turn with the server's decoding defaults."""
    s = st.settings

    def run(cancel: threading.Event):
        return stream_turn(assistant.generator, messages, tools, tool_choice or "auto",
                           max_new_tokens=min(max_tokens or s.max_new_tokens, s.max_new_tokens),
                           top_p=s.top_p if top_p is None else top_p,
                           temperature=s.temperature if temperature is None else temperature,
                           repetition_penalty=s.repetition_penalty, adapter=adapter, cancel=cancel)
    return run


async def whole_turn(request: Request, st: core.ServerState, assistant: core.AnswerService, run) -> ToolTurn:
    turn = None
    async for item in core.stream(request, st, assistant, None, run):
        if isinstance(item, ToolTurn):
            turn = item
    if turn is None:
        raise core.ApiError(
            core.CLIENT_CLOSED,
            "the client closed the connection before the answer was ready",
            kind="cancelled",
        )
    st.metrics.add_tokens(turn.completion_tokens)
    return turn


def citations(assistant: core.AnswerService, text: str) -> list[dict]:
    """Every citation the text makes, checked against the corpus (exists, in force)."""
    from lawglm.statutes.citations import verify

    if not text or assistant.retriever is None:
        return []
    return [c.to_dict() for c in verify(text, assistant.retriever.corpus)]
