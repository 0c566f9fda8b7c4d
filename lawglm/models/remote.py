"""The remote generator: any OpenAI-compatible chat server (vLLM, SGLang, ChatGLM3 openai_api_demo)
streamed over SSE with httpx — `lawglm ask --llm-url http://HOST:PORT/v1`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from lawglm.errors import ModelError
from lawglm.models.decoding import DecodeStats
from lawglm.settings import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_P,
)

NONE = "none"


class RemoteGenerator:
    """Any OpenAI-compatible chat server (vLLM, SGLang, ChatGLM3 openai_api_demo), streamed over SSE."""

    kind = "remote"
    tokenizer = None
    default_adapter = None  # the server serves its own adapters: each request names one (or none)

    def __init__(self, base_url: str, *, model: str = "", api_key: str = "", context: int = 8192,
                 timeout: float = 120.0, client: Any = None):
        import httpx

        self.base_url = base_url.rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ModelError(f"llm_url: must start with http:// or https://, got {base_url!r}")
        self.name = model or "remote"
        self.model_id = model
        self.context_length = context
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(timeout=timeout, headers=headers)
        self.adapters: list[str] = []
        self.adapter_infos: list[dict] = []

    def count_tokens(self, prompt: str | list[dict]) -> int:
        """An estimate (no tokenizer here): one token per character is conservative for Chinese."""
        if isinstance(prompt, str):
            return len(prompt)
        return sum(
            len(m.get("content") or "") + len(json.dumps(m.get("tool_calls") or "")) + 4 for m in prompt
        )

    def _payload(self, prompt: str | list[dict], max_new_tokens: int, top_p: float, temperature: float,
                 repetition_penalty: float, stop: Sequence[str], adapter: str | None, seed: int | None,
                 tools: list | None = None, tool_choice: Any = None) -> dict:
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
        body = {"model": adapter if adapter not in (None, NONE) else self.model_id or "default",
                "messages": messages, "max_tokens": max_new_tokens, "top_p": top_p,
                "temperature": temperature, "stream": True, "stream_options": {"include_usage": True}}
        if repetition_penalty != 1.0:
            body["repetition_penalty"] = repetition_penalty
        if stop:
            body["stop"] = list(stop)[:4]
        if seed is not None:  # OpenAI's best-effort reproducible sampling (vLLM honours it per request)
            body["seed"] = seed
        if tools:  # tool calling passes through (models/tool_calls.py reads the calls back)
            body["tools"] = tools
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        return body

    def stream(
        self,
        prompt: str | list[dict],
        *,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        top_p: float = DEFAULT_TOP_P,
        temperature: float = DEFAULT_TEMPERATURE,
        repetition_penalty: float = DEFAULT_REPETITION_PENALTY,
        stop: Sequence[str] = (),
        adapter: str | None = None,
        stats: DecodeStats | None = None,
        cancel: threading.Event | None = None,
        seed: int | None = None,
        guard: Any = None,
        tools: list | None = None,
        tool_choice: Any = None,
    ) -> Iterator[str]:
        """Text deltas; with `tools`, the calls the server streams end up in stats.extra["tool_calls"]
        ([{id, name, arguments}]) and stats.finish_reason is theirs (tool_calls). A remote reply cannot be
        constrained while it is decoded: `guard` is refused (its citations are checked afterwards)."""
        import httpx

        if guard is not None:
            raise ModelError("guard: a remote backend cannot constrain decoding; check the reply instead")

        stats = stats if stats is not None else DecodeStats()
        body = self._payload(
            prompt,
            max_new_tokens,
            top_p,
            temperature,
            repetition_penalty,
            stop,
            adapter,
            seed,
            tools,
            tool_choice,
        )
        t0 = time.perf_counter()
        try:
            with self.client.stream("POST", f"{self.base_url}/chat/completions", json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise ModelError(f"llm_url: {self.base_url} answered HTTP {resp.status_code}: "
                                     f"{resp.text[:200]}")
                for chunk in _sse_chunks(resp.iter_lines(), stats):
                    if cancel is not None and cancel.is_set():
                        stats.finish_reason = "cancelled"
                        return
                    if stats.first_token_s is None:
                        stats.first_token_s = time.perf_counter() - t0
                    yield chunk
        except httpx.HTTPError as exc:
            raise ModelError(f"llm_url: cannot reach {self.base_url}: {exc}") from exc
        if not stats.prompt_tokens:
            stats.prompt_tokens = self.count_tokens(prompt)


def _sse_chunks(lines: Iterator[str], stats: DecodeStats) -> Iterator[str]:
    """Text deltas from an OpenAI chat-completions SSE stream; usage/finish reason go into `stats`."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            event = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ModelError(f"llm_url: the server sent a malformed stream event: {data[:120]!r}") from exc
        usage = event.get("usage") or {}
        stats.prompt_tokens = usage.get("prompt_tokens", stats.prompt_tokens)
        stats.completion_tokens = usage.get("completion_tokens", stats.completion_tokens)
        for choice in event.get("choices") or []:
            stats.finish_reason = choice.get("finish_reason") or stats.finish_reason
            _tool_call_deltas(choice.get("delta") or {}, stats)
            text = (choice.get("delta") or {}).get("content") or ""
            if text:
                if not usage:
                    stats.completion_tokens += 1
                yield text


def _tool_call_deltas(delta: dict, stats: DecodeStats) -> None:
    """OpenAI streams a call in pieces keyed by `index`: id and name first, then argument fragments."""
    for part in delta.get("tool_calls") or []:
        calls = stats.extra.setdefault("tool_calls", [])
        i = part.get("index", len(calls))
        if not isinstance(i, int) or i < 0 or i > len(calls):
            raise ModelError(f"llm_url: the server streamed a tool call with index {i!r} out of order")
        if i == len(calls):
            calls.append({"id": "", "name": "", "arguments": ""})
        fn = part.get("function") or {}
        calls[i]["id"] = part.get("id") or calls[i]["id"]
        calls[i]["name"] += fn.get("name") or ""
        calls[i]["arguments"] += fn.get("arguments") or ""
