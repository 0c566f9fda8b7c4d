"""Shared server state and the answer path every API (legal, OpenAI, ChatGLM) goes through.

Validation that needs the loaded assistant (question length, context length, adapters, history)
happens here, before any work is queued. Model-backed answers go through the bounded
generation worker; retrieval-only answers run on the thread pool and never wait for the model.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..records import Answer
from ..settings import Settings
from .errors import ApiError, field_error
from .middleware import Metrics
from .worker import GenerationWorker, Job

DISCONNECT_POLL_S = 0.5
_NOTHING = object()
log = logging.getLogger("lawglm.server")


@dataclass
class ServerState:
    """Everything the routes share; lives on app.state.lawglm."""

    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    worker: GenerationWorker | None = None
    assistant: Any = None
    load_error: str | None = None
    jobs: dict[str, dict] = field(default_factory=dict)
    admin_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.worker is None:
            self.worker = GenerationWorker(self.settings.queue_size)


@dataclass
class AskParams:
    """One question with its generation options (None = the assistant's default)."""

    question: str
    history: list | None = None
    top_k: int | None = None
    law: str | None = None
    adapter: str | None = None
    max_length: int | None = None
    top_p: float | None = None
    temperature: float | None = None
    draft_first: bool = False
    max_new_tokens: int | None = None  # OpenAI max_tokens: a cap on the reply alone
    answer_shape: str | None = None

    def kwargs(self) -> dict:
        opts = {"top_k": self.top_k, "law": self.law, "adapter": self.adapter, "max_length": self.max_length,
                "top_p": self.top_p, "temperature": self.temperature, "max_new_tokens": self.max_new_tokens,
                "answer_shape": self.answer_shape}
        out = {k: v for k, v in opts.items() if v is not None}
        if self.draft_first:
            out["draft_first"] = True
        return out


def state_of(request: Request) -> ServerState:
    return request.app.state.lawglm


def assistant_of(request: Request) -> Any:
    """The loaded assistant, or 503 while loading / after a failed load."""
    st = state_of(request)
    if st.assistant is None:
        why = st.load_error or "the index and model are still loading; retry shortly"
        raise ApiError(503, why, kind="not_ready", headers={"Retry-After": "5"})
    return st.assistant


def log_unexpected(request: Request, exc: BaseException) -> None:
    log.error("unhandled error (request %s)", getattr(request.state, "request_id", None), exc_info=exc)


def uses_model(assistant: Any) -> bool:
    """True when answers need the language model (not retrieval-only mode)."""
    return getattr(assistant, "generator", None) is not None


def validate(st: ServerState, assistant: Any, p: AskParams, names: dict[str, str] | None = None) -> None:
    """Check what needs the assistant; 422 naming the field (names maps our names to the API's)."""
    names = names or {}
    limit = st.settings.max_question_chars
    if not p.question.strip():
        raise field_error(names.get("question", "question"), "must not be empty")
    if len(p.question) > limit:
        raise field_error(names.get("question", "question"),
                          f"too long: {len(p.question)} characters, the limit is {limit}")
    context = int(getattr(assistant, "context_length", 0) or 0)
    if p.max_length is not None and context and p.max_length > context:
        raise field_error("max_length", f"{p.max_length} exceeds the model's context length ({context} tokens)")
    if p.max_new_tokens is not None and context and p.max_new_tokens > context // 2:
        raise field_error(names.get("max_new_tokens", "max_new_tokens"),
                          f"{p.max_new_tokens} exceeds half the model's context length ({context} tokens); "
                          "the rest is kept for the question and the statutes")
    if p.adapter is not None and p.adapter != "none":
        available = list(getattr(assistant, "adapters", []) or [])
        if p.adapter not in available:
            raise field_error("adapter", f"unknown adapter {p.adapter!r}; available: "
                                         f"{', '.join(['none', *available])}")
    if p.history:
        from ..prompts import normalize_history

        try:
            normalize_history(p.history)
        except ValueError as exc:
            raise field_error(names.get("history", "history"), str(exc).removeprefix("history: ")) from None


def _record(st: ServerState, answer: Answer) -> Answer:
    st.metrics.add_tokens((answer.usage or {}).get("completion_tokens", 0))
    return answer


async def answer(request: Request, st: ServerState, assistant: Any, p: AskParams) -> Answer:
    """The full answer (model: via the worker queue, cancelled if the client leaves)."""
    if not uses_model(assistant):
        return _record(st, await run_in_threadpool(assistant.ask, p.question, p.history,
                                                   **p.kwargs()))
    final = None
    async for item in stream(request, st, assistant, p):
        if isinstance(item, Answer):
            final = item
    if final is None:
        raise ApiError(500, "generation ended without an answer", kind="internal_error")
    return final


async def stream(request: Request, st: ServerState, assistant: Any, p: AskParams) -> AsyncIterator[Any]:
    """Text chunks then one Answer. Stops (and cancels generation) when the client disconnects."""
    job = _start(st, assistant, p)
    checked = time.monotonic()
    try:
        while True:
            try:
                item = await asyncio.wait_for(job.next(), DISCONNECT_POLL_S)
            except asyncio.TimeoutError:
                item = _NOTHING
            except StopAsyncIteration:
                return
            if time.monotonic() - checked >= DISCONNECT_POLL_S:
                checked = time.monotonic()
                if await request.is_disconnected():
                    return
            if item is not _NOTHING:
                yield _record(st, item) if isinstance(item, Answer) else item
    finally:
        job.cancel()


def _start(st: ServerState, assistant: Any, p: AskParams) -> Job:
    def run(cancel: threading.Event):
        return assistant.stream(p.question, p.history, cancel=cancel, **p.kwargs())

    if uses_model(assistant):
        return st.worker.submit(run)
    job = Job(run, asyncio.get_running_loop())
    asyncio.get_running_loop().run_in_executor(None, job.execute)
    return job
