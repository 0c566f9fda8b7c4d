"""Shared server state, the typed interface to the assistant, and the answer path every API goes through.

Routes get the state and the loaded assistant through FastAPI dependencies (`State`, `Service`). Every
check that needs no model — the options (lawglm/answer/options.py) including the tokenizer-based prompt-fits
check — runs in `checked`, on the request, before any work is queued. Model-backed answers go through the
bounded generation worker; retrieval-only answers run on the thread pool and never wait for the model.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from lawglm.answer.options import AskOptions, InvalidRequest, Limits

from ..records import Answer
from ..settings import Settings
from .errors import ApiError, error_body, field_error, to_api_error
from .middleware import Metrics
from .worker import GenerationWorker, Job, Queued, Started  # noqa: F401  (Queued, Started: streamed)

if TYPE_CHECKING:
    from lawglm.models.generation import Generator
    from lawglm.search.retrieval import SearchService

DISCONNECT_POLL_S = 0.5
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
CLIENT_CLOSED = 499  # nginx's "client closed request": counted apart from server errors in /metrics
_NOTHING = object()
log = logging.getLogger("lawglm.server")


class AnswerService(Protocol):
    """What the server asks of the assistant (lawglm.answer.assistant.Assistant is the implementation)."""

    retriever: SearchService | None  # None while the index is being built
    generator: Generator | None  # None: retrieval-only
    settings: Settings

    @property
    def ready(self) -> bool: ...
    @property
    def adapters(self) -> list[str]: ...
    @property
    def context_length(self) -> int: ...
    @property
    def uses_model(self) -> bool: ...
    def models(self) -> list[dict]: ...
    def limits(self) -> Limits: ...
    def prepare(self, opts: AskOptions, caps: Settings | None = None) -> AskOptions: ...
    def stream(self, question: str | AskOptions, history: Any = None, *,
               cancel: threading.Event | None = None, **fields: Any) -> Iterator[str | Answer]: ...
    def swap_retriever(self, retriever: SearchService) -> None: ...


@dataclass
class ServerState:
    """Everything the routes share; lives on app.state.lawglm."""

    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    worker: GenerationWorker | None = None
    assistant: AnswerService | None = None
    load_error: str | None = None
    preparing: dict = field(default_factory=dict)  # what start-up is doing now (stage, label, done, total)
    jobs: dict[str, dict] = field(default_factory=dict)
    admin_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.worker is None:
            s = self.settings
            self.worker = GenerationWorker(s.queue_size, max_wait_s=s.max_queue_wait_s,
                                           prior_s=s.answer_seconds_prior)


def get_state(request: Request) -> ServerState:
    return request.app.state.lawglm


def get_assistant(st: Annotated[ServerState, Depends(get_state)]) -> AnswerService:
    """The loaded assistant, or 503 while loading / after a failed load."""
    if st.assistant is None:
        why = st.load_error or "the index and model are still loading; retry shortly"
        raise ApiError(503, why, kind="not_ready", headers={"Retry-After": "5"})
    return st.assistant


State = Annotated[ServerState, Depends(get_state)]
Service = Annotated[AnswerService, Depends(get_assistant)]


def log_unexpected(request: Request, exc: BaseException) -> None:
    log.error("unhandled error (request %s)", getattr(request.state, "request_id", None), exc_info=exc)


def checked(st: ServerState, assistant: AnswerService, opts: AskOptions,
            names: dict[str, str] | None = None) -> AskOptions:
    """The options as `assistant.prepare` validates them (request-size caps from the server's settings),
    or 422 naming the field in the API's own terms (names: ours -> theirs)."""
    try:
        return assistant.prepare(opts, caps=st.settings)
    except InvalidRequest as exc:
        raise field_error((names or {}).get(exc.field, exc.field), exc.reason) from None


def _record(st: ServerState, answer: Answer) -> Answer:
    st.metrics.add_tokens(answer.usage.completion_tokens)
    return answer


async def answer(request: Request, st: ServerState, assistant: AnswerService, p: AskOptions) -> Answer:
    """The full answer (model: via the worker queue, cancelled if the client leaves)."""
    if not assistant.uses_model:
        return _record(st, await run_in_threadpool(_whole, assistant, p))
    final = None
    async for item in stream(request, st, assistant, p):
        if isinstance(item, Answer):
            final = item
    if final is None:  # the stream stops early only when the client left: a cancellation, not a 5xx
        raise ApiError(CLIENT_CLOSED, "the client closed the connection before the answer was ready",
                       kind="cancelled")
    return final


async def stream(request: Request, st: ServerState, assistant: AnswerService, p: AskOptions | None,
                 run: Callable[[threading.Event], Iterator[Any]] | None = None, *,
                 queued: bool = False) -> AsyncIterator[Any]:
    """Text chunks then one Answer (or what `run(cancel)` yields: a tool-calling turn). Stops (and cancels
    generation) when the client disconnects. With `queued`, a job that has to wait yields `Queued` at once and
    again whenever its place changes. Past settings.answer_deadline_s (queue included) the job is stopped and
    ApiError 503 (kind deadline_exceeded) says so."""
    began = time.monotonic()
    limit = st.settings.answer_deadline_s if assistant.uses_model else 0
    job = _start(st, assistant, p, run)
    checked, place = time.monotonic(), None
    try:
        while True:
            if queued and assistant.uses_model and not job.started.is_set():
                now = st.worker.position(job)
                if now is not None and now.ahead > 0 and now != place:
                    place = now
                    yield now
            elif place is not None:  # it was announced as queued: say when its generation starts
                place = None
                yield Started(round(time.monotonic() - began, 1))
            try:
                item = await asyncio.wait_for(job.next(), DISCONNECT_POLL_S)
            except asyncio.TimeoutError:
                item = _NOTHING
            except StopAsyncIteration:
                return
            if limit and time.monotonic() - began > limit:
                job.cancel()
                raise ApiError(
                    503,
                    f"the answer was stopped: it did not finish within {limit:g} s, waiting in "
                    "the queue included (LAWGLM_ANSWER_DEADLINE_S); the server is busy, retry "
                    "later or ask for a shorter answer (max_length)",
                    kind="deadline_exceeded",
                    headers={"Retry-After": str(max(1, round(st.worker.estimate())))},
                )
            if time.monotonic() - checked >= DISCONNECT_POLL_S:
                checked = time.monotonic()
                if await request.is_disconnected():
                    return
            if item is not _NOTHING:
                yield _record(st, item) if isinstance(item, Answer) else item
    finally:
        job.cancel()


def _whole(assistant: AnswerService, p: AskOptions) -> Answer:
    items = list(assistant.stream(p))
    return items[-1]


def _start(st: ServerState, assistant: AnswerService, p: AskOptions | None,
           run: Callable[[threading.Event], Iterator[Any]] | None = None) -> Job:
    def answer(cancel: threading.Event):
        return assistant.stream(p, cancel=cancel)

    run = run or answer

    if assistant.uses_model:
        return st.worker.submit(run)
    job = Job(run, asyncio.get_running_loop())
    asyncio.get_running_loop().run_in_executor(None, job.execute)
    return job


async def first_and_rest(gen: AsyncIterator[Any]) -> tuple[Any, AsyncIterator[Any]]:
    """Pull the first item now (so errors before any output become proper HTTP errors)."""
    try:
        first = await gen.__anext__()
    except StopAsyncIteration:
        first = None
    return first, gen


def stream_error(request: Request, exc: Exception) -> dict:
    """The error body of an exception raised after a stream's headers were sent (no traceback)."""
    err = to_api_error(exc)
    if err is None:
        log_unexpected(request, exc)
        rid = getattr(request.state, "request_id", None)
        return error_body(request, 500, f"internal server error (request id {rid})", "internal_error")
    return error_body(request, err.status, err.message, err.kind, err.extra)
