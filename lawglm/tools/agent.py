"""Agent mode (`--agent`, setting `agent`, off by default): the model is offered lawglm's legal tools
(tools/legal.py TOOLS as an OpenAI tool list), lawglm runs the calls it makes — at most
`agent_max_steps` tool turns and no new step after `agent_timeout_s` — and the final answer goes through the
usual citation and support checks against the articles the tools returned. Meant for capable remote models
(and ChatGLM3 / GLM-4, which have a tool format); the embedded 270M model has none and is not an agent.

`AgentAssistant(assistant)` answers like the Assistant it wraps (same interface for the server and CLI).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from lawglm.answer.options import AskOptions
from lawglm.answer.support import check_answer
from lawglm.errors import ModelError
from lawglm.models.tool_calls import ToolTurn, stream_turn, tool_format
from lawglm.records import Answer, Hit, Usage
from lawglm.tools.legal import TOOLS, LegalTools, ToolError

AGENT_TOOLS = ("search_statutes", "get_article", "list_laws", "verify_citation", "check_citations_in_text")
AGENT_PROMPT = (
    "你是中国法律助手。回答前先用工具检索并核对相关法条（search_statutes、get_article），只引用工具返回的条文，"
    "引用格式为《法律名》第N条，引号内须是条文原文。依据不足时如实说明。"
)
FINISH_PROMPT = "请不要再调用工具，直接根据已获得的法条回答上面的问题。"


class AgentAssistant:
    """An Assistant whose questions are answered by the model calling lawglm's legal tools."""

    def __init__(self, assistant: Any):
        if tool_format(assistant.generator) is None:
            name = getattr(assistant.generator, "name", "retrieval-only")
            raise ModelError(f"agent: the model {name!r} cannot call tools (use --llm-url with a capable "
                             "OpenAI-compatible model, or a ChatGLM3 / GLM-4 checkpoint)")
        self.inner = assistant
        self.legal = LegalTools(assistant.retriever, assistant.settings)
        self.tools = [t.openai() for t in TOOLS if t.name in AGENT_TOOLS]

    def __getattr__(self, name: str) -> Any:  # everything but answering is the wrapped Assistant's
        return getattr(self.inner, name)

    def ask(self, question: str | AskOptions, history: Any = None, **fields) -> Answer:
        return [x for x in self.stream(question, history, **fields) if isinstance(x, Answer)][-1]

    def stream(
        self,
        question: str | AskOptions,
        history: Any = None,
        *,
        cancel: threading.Event | None = None,
        **fields,
    ) -> Iterator[str | Answer]:
        if not isinstance(question, AskOptions):
            question = AskOptions(question, history=history, **fields)
        opts = question
        opts = self.inner.prepare(opts)
        from lawglm.answer.smalltalk import small_talk_kind

        if small_talk_kind(opts.question) is not None:  # greetings need no tools
            yield from self.inner.stream(opts, cancel=cancel)
            return
        yield from self.run(opts, cancel)

    # --- the loop ----------------------------------------------------------------------------------
    def _turn(self, messages: list[dict], choice: str, opts: AskOptions, cancel) -> ToolTurn:
        s = self.inner.settings
        items = list(stream_turn(self.inner.generator, messages, self.tools, choice,
                                 max_new_tokens=opts.max_new_tokens or s.max_new_tokens, top_p=opts.top_p,
                                 temperature=opts.temperature, repetition_penalty=s.repetition_penalty,
                                 adapter=opts.adapter, cancel=cancel))
        return items[-1]

    def _call(self, name: str, arguments: str, found: dict) -> tuple[str, bool]:
        """The tool's result as the model reads it (an error is a result too: {"error": why})."""
        try:
            result = self.legal.call(name, json.loads(arguments or "{}"))
        except (ToolError, json.JSONDecodeError) as exc:
            return json.dumps({"error": str(exc)}, ensure_ascii=False), False
        for d in result if isinstance(result, list) else [result]:
            if isinstance(d, dict) and "law" in d and "text" in d:
                a = self._article(d)
                if a is not None:
                    found.setdefault(
                        (a.law, a.article_no, a.sub_no), Hit(a, float(d.get("score", 0.0)), ("agent",))
                    )
        text = json.dumps(result, ensure_ascii=False)
        limit = self.inner.settings.agent_result_chars
        return (text if len(text) <= limit else text[:limit] + "…（已截断）"), True

    def _article(self, d: dict) -> Any:
        from lawglm.errors import LawGLMError

        try:
            return self.legal.corpus.lookup(d["law"], d["article_no"])
        except (LawGLMError, ValueError):  # a result that names no article adds no source
            return None

    def run(self, opts: AskOptions, cancel: threading.Event | None = None) -> Iterator[str | Answer]:
        s, t0 = self.inner.settings, time.monotonic()
        messages = [{"role": "system", "content": AGENT_PROMPT}]
        for q, a in opts.history:
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        messages.append({"role": "user", "content": opts.question})
        found: dict = {}
        steps: list[dict] = []
        final, stopped, usage = None, None, [0, 0]
        for _ in range(s.agent_max_steps):
            if time.monotonic() - t0 > s.agent_timeout_s:
                stopped = "timeout"
                break
            turn = self._turn(messages, "auto", opts, cancel)
            usage[0] += turn.prompt_tokens
            usage[1] += turn.completion_tokens
            if not turn.tool_calls:
                if turn.error:  # a call it could not write: say so to it once more, as a tool result would
                    steps.append({"tool": None, "ok": False, "error": turn.error})
                    messages += [{"role": "assistant", "content": turn.content},
                                 {"role": "user", "content": f"（工具调用格式错误：{turn.error}）"}]
                    continue
                final = turn.content
                break
            messages.append(turn.message())
            for call in turn.tool_calls:
                result, ok = self._call(call.name, call.arguments, found)
                steps.append({"tool": call.name, "arguments": call.arguments, "ok": ok})
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        else:
            stopped = "max_steps"
        if final is None:  # bounded: one last turn without tools
            turn = self._turn([*messages, {"role": "user", "content": FINISH_PROMPT}], "none", opts, cancel)
            usage[0] += turn.prompt_tokens
            usage[1] += turn.completion_tokens
            final = turn.content
        hits = list(found.values())
        text, cites = check_answer(final.strip(), [h.article for h in hits], self.inner.retriever.corpus,
                                   context_law=opts.law)
        yield text
        yield Answer(text, cites, hits, Usage(
            prompt_tokens=usage[0], completion_tokens=usage[1], total_tokens=sum(usage),
            seconds=round(time.monotonic() - t0, 3), mode="agent", finish_reason="stop",
            agent_steps=steps, agent_stopped=stopped))
