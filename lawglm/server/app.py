"""The app factory: routes, error handlers, middleware, health/metrics, the web page, and the lifespan.

`create_app()` is cheap (no torch, no index): the assistant loads in the lifespan on a thread,
so the process answers /healthz at once and /readyz turns 200 when the index and model are in.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from ..settings import PACKAGE_DIR, Settings, get_settings
from . import core, errors, routes_admin, routes_contracts, routes_legal, routes_openai
from .middleware import ObserveMiddleware
from .schemas import Health, Readiness

WEB_DIR = PACKAGE_DIR / "web"
UPLOAD_PATHS = ("/v1/index/rebuild",)
log = logging.getLogger("lawglm.server")


def ensure_index(settings: Settings, echo: Callable[[str], None] = print, progress_callback=None) -> bool:
    """Build the index (with progress) when none exists at settings.index_dir; True if it built one.
    `progress_callback(done, total, stage)` hears the build's stages."""
    from lawglm.search.index import build_index, current_version

    if current_version(settings.index_dir) is not None:
        return False
    from lawglm.statutes.ingest import load_corpus

    echo(f"no index at {settings.index_dir}; building it first (one-off, about a minute)")
    corpus = load_corpus(settings.corpus_source())
    build_index(
        corpus, settings.index_dir, settings.encoder, progress=True, progress_callback=progress_callback
    )
    return True


INDEX_STAGES = {"snapshot": "写入法条", "bm25": "建立关键词索引", "dense": "计算语义向量", "manifest": "校验",
                "done": "完成"}


def prepare(st: core.ServerState, build_index: bool) -> core.AnswerService:
    """What `lawglm serve` does after binding: build the index if there is none, then load index and model,
    saying in `st.preparing` what it is doing (GET /readyz shows it; the page shows it as progress)."""
    from lawglm.models.backbone import needs_conversion

    started = time.time()

    def stage(name: str, label: str, done: int = 0, total: int = 0) -> None:
        st.preparing = {"stage": name, "label": label, "done": done, "total": total, "started": started}

    stage("start", "启动中")
    if build_index:
        def index_progress(done: int, total: int, name: str) -> None:
            stage("index", f"首次建立法条索引：{INDEX_STAGES.get(name, name)}", done, total)
        ensure_index(st.settings, echo=_say, progress_callback=index_progress)
    if needs_conversion(st.settings):
        stage("model", "首次准备模型：将内置模型转换为本地缓存（只需一次）")
    else:
        stage("model", "加载索引和模型" if st.settings.llm_mode() == "local" else "加载索引")
    return load_assistant(st.settings)


def load_assistant(settings: Settings) -> core.AnswerService:
    """Load index + model per settings (the heavy part; runs in the lifespan's thread)."""
    from lawglm.answer.assistant import Assistant

    assistant = Assistant.from_settings(settings)
    if settings.agent:  # the model calls lawglm's legal tools itself (tools/agent.py)
        from lawglm.tools.agent import AgentAssistant

        return AgentAssistant(assistant)
    return assistant


def _say(line: str) -> None:
    print(f"lawglm: {line}", file=sys.stderr, flush=True)


async def _load_in_background(st: core.ServerState, build_index: bool) -> None:
    t0 = time.perf_counter()
    try:
        st.assistant = await asyncio.to_thread(prepare, st, build_index)
        st.preparing = {}
        _say(f"ready after {time.perf_counter() - t0:.1f}s")
    except Exception as exc:  # keep serving /healthz and say why /readyz fails
        st.load_error = f"failed to load the assistant: {type(exc).__name__}: {exc}"
        log.exception("loading the assistant failed")


def _lifespan(st: core.ServerState, build_index: bool):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        routes_admin.clean_stale_uploads(st.settings)
        routes_admin.clean_stale_builds(st)
        st.worker.start()
        task = asyncio.create_task(_load_in_background(st, build_index)) if st.assistant is None else None
        try:
            yield
        finally:
            if task is not None and not task.done():
                task.cancel()
            await asyncio.to_thread(st.worker.stop)
    return lifespan


def create_app(assistant: core.AnswerService | None = None, settings: Settings | None = None, *,
               build_index: bool = False) -> FastAPI:
    """The lawglm HTTP app. Pass an assistant to serve it as is (tests); else it loads in the lifespan,
    after building the index first when `build_index` and there is none (`lawglm serve`): the port
    answers meanwhile, and /readyz says what is being prepared."""
    settings = settings or get_settings()
    st = core.ServerState(settings=settings, assistant=assistant)
    app = FastAPI(title="lawglm", version=_version(), lifespan=_lifespan(st, build_index),
                  default_response_class=errors.SafeJSONResponse,
                  description="Chinese legal assistant that cites real law: statute-grounded answers "
                              "(native, OpenAI- and ChatGLM-compatible), statute search and citation "
                              "checks, contract drafting, index administration.")
    app.state.lawglm = st
    errors.install(app)
    errors.redact_logs()
    for router in (routes_legal.router, routes_openai.router, routes_contracts.router, routes_admin.router):
        app.include_router(router)
    _ops_routes(app, st)
    _web(app)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"])
    app.add_middleware(ObserveMiddleware, metrics=st.metrics, body_limit=_body_limit(settings))
    return app


def _body_limit(settings: Settings):
    """path -> (the body limit in bytes, the setting's env var, named in the 413)."""
    def limit(path: str) -> tuple[int, str]:
        if path in UPLOAD_PATHS:
            return settings.max_upload_bytes, "LAWGLM_MAX_UPLOAD_BYTES"
        return settings.max_body_bytes, "LAWGLM_MAX_BODY_BYTES"
    return limit


def _ops_routes(app: FastAPI, st: core.ServerState) -> None:
    @app.get("/healthz", response_model=Health, tags=["ops"], summary="The process is up")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        response_model=Readiness,
        tags=["ops"],
        summary="Index and model loaded (503 otherwise)",
        responses={503: {"model": Readiness}},
    )
    async def readyz() -> JSONResponse:
        a = st.assistant
        ready = a is not None and a.ready
        llm = (st.settings.llm_mode() if a.uses_model else "none") if a is not None else None
        body = {"ready": ready, "llm": llm, "queue_depth": st.worker.depth,
                "index_version": a.retriever.version if ready else None,
                "context_length": a.context_length if a is not None else None,
                "sampling": _sampling(a.settings if a is not None else st.settings),
                "limits": _limits(a.settings if a is not None else st.settings,
                                  a.context_length if a is not None else None, st.settings)}
        if not ready:
            body["reason"] = st.load_error or "the index and model are still loading"
            if st.preparing and not st.load_error:
                body["preparing"] = {**{k: v for k, v in st.preparing.items() if k != "started"},
                                     "elapsed_s": round(time.time() - st.preparing["started"], 1)}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        w = st.worker
        gauges = {
            "lawglm_queue_depth": ("gauge", "Generation jobs waiting or running.", w.depth),
            "lawglm_queue_capacity": ("gauge", "Generation queue size.", w.queue_size),
            "lawglm_queue_rejected_total": ("counter", "Requests refused: queue full.", w.rejected_total),
            "lawglm_answer_seconds_estimate": (
                "gauge",
                "Answer time the queue's admission assumes.",
                round(w.estimate(), 3),
            ),
            "lawglm_generations_cancelled_total": (
                "counter",
                "Generations stopped: client left.",
                w.cancelled_total,
            ),
            "lawglm_ready": ("gauge", "1 when index and model are loaded.", int(st.assistant is not None)),
        }
        return PlainTextResponse(st.metrics.render(gauges), media_type="text/plain; version=0.0.4")


def _sampling(settings: Settings) -> dict:
    """The decoding defaults a request gets when it sets none (the web page's sliders start there)."""
    return {"temperature": settings.temperature, "top_p": settings.top_p,
            "max_new_tokens": settings.max_new_tokens}


def _limits(settings: Settings, context_length: int | None, caps: Settings) -> dict:
    """The bounds a request's knobs are checked against (lawglm/answer/options.py): the page's 高级设置
    offers exactly these. max_new_tokens: the longest reply the server gives (a larger request is reduced);
    question: the longest question in characters (the server's `caps`, as requests are checked)."""
    from lawglm.answer.options import MAX_TEMPERATURE, MAX_TOP_K, MIN_MAX_LENGTH

    reply = (
        settings.max_new_tokens if not context_length else min(settings.max_new_tokens, context_length // 2)
    )
    return {"max_new_tokens": {"min": MIN_MAX_LENGTH, "max": reply}, "top_p": {"min": 0.01, "max": 1.0},
            "temperature": {"min": 0.0, "max": MAX_TEMPERATURE}, "top_k": {"min": 1, "max": MAX_TOP_K},
            "question": {"min": 1, "max": caps.max_question_chars}}


def _web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")


def _version() -> str:
    from .. import __version__

    return __version__
