"""Pure-ASGI middleware and Prometheus metrics: request ids, body-size limits, request counts/latency.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses and client disconnects pass through
untouched.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

_SAFE_ID = re.compile(rb"[A-Za-z0-9._-]+")
log = logging.getLogger("lawglm.server")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _labels(**kv: str) -> str:
    inner = ",".join(f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                     for k, v in kv.items())
    return "{" + inner + "}"


class Metrics:
    """Counters and a latency histogram kept in memory, rendered as Prometheus text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.hist: dict[str, list[int]] = {}
        self.hist_sum: dict[str, float] = defaultdict(float)
        self.tokens_generated = 0

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, method, str(status))] += 1
            counts = self.hist.setdefault(route, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            self.hist_sum[route] += seconds

    def add_tokens(self, n: int) -> None:
        with self._lock:
            self.tokens_generated += max(0, int(n or 0))

    def render(self, gauges: dict[str, tuple[str, str, float]]) -> str:
        """Prometheus text format; gauges maps name -> (type, help, value)."""
        out = ["# HELP lawglm_requests_total HTTP requests by route, method and status.",
               "# TYPE lawglm_requests_total counter"]
        with self._lock:
            for (route, method, status), n in sorted(self.requests.items()):
                out.append(f"lawglm_requests_total{_labels(route=route, method=method, status=status)} {n}")
            out += ["# HELP lawglm_request_duration_seconds Request latency (until the response ends).",
                    "# TYPE lawglm_request_duration_seconds histogram"]
            for route, counts in sorted(self.hist.items()):
                cum = 0
                for bound, n in zip([*map(str, BUCKETS), "+Inf"], counts):
                    cum += n
                    out.append(
                        f"lawglm_request_duration_seconds_bucket{_labels(route=route, le=bound)} {cum}"
                    )
                out.append(
                    f"lawglm_request_duration_seconds_sum{_labels(route=route)} {self.hist_sum[route]:.6f}"
                )
                out.append(f"lawglm_request_duration_seconds_count{_labels(route=route)} {cum}")
            out += ["# HELP lawglm_tokens_generated_total Completion tokens generated.",
                    "# TYPE lawglm_tokens_generated_total counter",
                    f"lawglm_tokens_generated_total {self.tokens_generated}"]
        for name, (kind, help_, value) in gauges.items():
            out += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", f"{name} {value}"]
        return "\n".join(out) + "\n"


async def _send_json(send: Callable, status: int, body: dict, headers: list | None = None) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": raw})


class ObserveMiddleware:
    """Adds X-Request-ID, enforces body limits (413), records metrics per matched route."""

    def __init__(self, app: Callable, metrics: Metrics, body_limit: Callable[[str], int]):
        self.app, self.metrics, self.body_limit = app, metrics, body_limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        start, status = time.perf_counter(), [500]
        limit, setting = self.body_limit(scope["path"])
        state = {"started": False, "too_big": False, "seen": 0}

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                if state["too_big"]:
                    return
                state["started"] = True
                status[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", rid.encode())]}
            elif state["too_big"]:
                return
            await send(message)

        async def receive_wrapper() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > limit:
                    state["too_big"] = True
                    return {"type": "http.disconnect"}
            return message

        first = await _not_utf8_json(scope, receive)
        if isinstance(first, dict) and first.get("type") == "refused":
            status[0] = 422
            await _send_json(send, 422, _not_utf8(rid), [(b"x-request-id", rid.encode())])
            self.metrics.observe("unmatched", scope["method"], 422, time.perf_counter() - start)
            return
        if first is not None:
            receive = _replay(first, receive)
        try:
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                status[0] = 413
                await _send_json(send, 413, _too_big(limit, setting, rid), [(b"x-request-id", rid.encode())])
                return
            try:
                await self.app(scope, receive_wrapper, send_wrapper)
            except Exception as exc:
                if state["too_big"]:
                    pass
                elif state["started"]:
                    raise
                else:  # a bug: the generic 500, still with its request id (Starlette's own has none)
                    log.error("unhandled error (request %s)", rid, exc_info=exc)
                    status[0] = 500
                    await _send_json(send, 500, _internal(rid), [(b"x-request-id", rid.encode())])
                    return
            if state["too_big"] and not state["started"]:
                status[0] = 413
                await _send_json(send, 413, _too_big(limit, setting, rid), [(b"x-request-id", rid.encode())])
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(route, scope["method"], status[0], time.perf_counter() - start)


def _too_big(limit: int, setting: str, rid: str) -> dict:
    msg = f"request body too large: limit is {limit} bytes ({setting})"
    return {"detail": msg, "error": {"message": msg, "type": "request_too_large", "code": 413},
            "request_id": rid}


_UTF16_32 = (b"\xff\xfe", b"\xfe\xff")


async def _not_utf8_json(scope: dict, receive: Callable) -> dict | None:
    """The first body message of a JSON request, read ahead: {"type": "refused"} when the body is UTF-16/32
    (a NUL in its first bytes or a UTF-16/32 byte-order mark), which json.loads would silently decode. JSON
    bodies are UTF-8 only (RFC 8259); GB18030 and other non-UTF-8 bodies fail parsing and get the same 422."""
    ctype = next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"")
    if b"json" not in ctype.lower() or scope.get("method") in ("GET", "HEAD"):
        return None
    message = await receive()
    body = message.get("body", b"") if message.get("type") == "http.request" else b""
    if b"\x00" in body[:4] or body.startswith(_UTF16_32):
        return {"type": "refused"}
    return message


def _replay(first: dict, receive: Callable) -> Callable:
    sent = [False]

    async def replay() -> dict:
        if not sent[0]:
            sent[0] = True
            return first
        return await receive()
    return replay


def _not_utf8(rid: str) -> dict:
    msg = "body: could not be parsed: JSON bodies must be UTF-8 (this one is UTF-16 or UTF-32)"
    return {"detail": [{"loc": ["body"], "msg": msg.removeprefix("body: "), "type": "body_invalid"}],
            "error": {"message": msg, "type": "invalid_request_error", "code": 422}, "request_id": rid}


def _internal(rid: str) -> dict:
    msg = f"internal server error (request id {rid})"
    return {
        "detail": msg,
        "error": {"message": msg, "type": "internal_error", "code": 500},
        "request_id": rid,
    }


def _request_id(scope: dict) -> str:
    for k, v in scope.get("headers", []):
        if k == b"x-request-id" and 0 < len(v) <= 64 and _SAFE_ID.fullmatch(v):
            return v.decode("ascii")
    return uuid.uuid4().hex[:16]


def _content_length(scope: dict) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None
