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
from lawglm.settings import DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, DEFAULT_TOP_P

NONE = "none"


class RemoteGenerator:
    """Any OpenAI-compatible chat server (vLLM, SGLang, ChatGLM3 openai_api_demo), streamed over SSE."""

    kind = "remote"
    tokenizer = None

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

    def count_tokens(self, prompt: str | list[dict]) -> int:
        """An estimate (no tokenizer here): one token per character is conservative for Chinese."""
        return len(prompt) if isinstance(prompt, str) else sum(len(m["content"]) + 4 for m in prompt)

    def _payload(self, prompt: str | list[dict], max_new_tokens: int, top_p: float, temperature: float,
                 repetition_penalty: float, stop: Sequence[str], adapter: str | None, seed: int | None) -> dict:
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
        return body

    def stream(self, prompt: str | list[dict], *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
               top_p: float = DEFAULT_TOP_P, temperature: float = DEFAULT_TEMPERATURE, repetition_penalty: float = 1.0, stop: Sequence[str] = (),
               adapter: str | None = None, stats: DecodeStats | None = None,
               cancel: threading.Event | None = None, seed: int | None = None) -> Iterator[str]:
        import httpx

        stats = stats if stats is not None else DecodeStats()
        body = self._payload(prompt, max_new_tokens, top_p, temperature, repetition_penalty, stop, adapter, seed)
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
            text = (choice.get("delta") or {}).get("content") or ""
            if text:
                if not usage:
                    stats.completion_tokens += 1
                yield text
