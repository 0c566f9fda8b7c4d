"""Tool calling with a model: one turn of a conversation that offers tools, in the model's own format.

Messages and tools are carried in OpenAI's shapes (`tools: [{type: function, function: {name, description,
parameters}}]`, assistant `tool_calls`, `role: tool` observations with `tool_call_id`) and rendered per
backend:
- ChatGLM3 (converted checkpoints): the tools ride on a system turn, as `build_chat_input` writes it — the
  content, "\\n", then `json.dumps(tools, indent=4, ensure_ascii=False)` of the tools in ChatGLM3's own
  {name, description, parameters} form; a call is the assistant turn `<|assistant|>{name}\\n` + a ```python
  block with `tool_call(k=v, ...)`; results are `<|observation|>` turns.
- GLM-4: the system turn its chat template writes for `tools` (# 可用工具, ## name, the function as JSON);
  a call is `<|assistant|>{name}\\n{JSON arguments}`; results are `<|observation|>` turns.
- remote (OpenAI-compatible) backends: tools, tool_choice and the messages pass through as they are.
The model's reply is parsed into `ToolCall`s; a reply that starts a call it does not finish, names a tool
that was not offered or whose arguments do not parse is reported (`ToolTurn.error`), never guessed.
"""

from __future__ import annotations

import ast
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lawglm.models.decoding import DecodeStats
from lawglm.settings import DEFAULT_REPETITION_PENALTY

if TYPE_CHECKING:
    from lawglm.models.generation import Generator

CHATGLM3_TOOLS_PROMPT = (
    "Answer the following questions as best as you can. You have access to the following tools:"
)
FORMATS = ("chatglm3", "glm4", "remote")
REQUIRED_UNMET = "tool_choice required: the model answered without calling a tool"


@dataclass
class ToolCall:
    """One function call as OpenAI reports it: id, name, arguments (a JSON object as text)."""

    name: str
    arguments: str
    id: str = field(default_factory=lambda: new_call_id())

    def args(self) -> dict:
        return json.loads(self.arguments or "{}")

    def to_openai(self) -> dict:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass
class ToolTurn:
    """What one model turn produced: text, or tool calls, or an error saying why a call could not be read."""

    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"  # stop | length | tool_calls | tool_call_error
    error: str | None = None
    raw: str = ""  # the model's own text (ChatGLM3 / GLM-4: metadata line + content)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def message(self) -> dict:
        """The assistant message in OpenAI's shape (what the caller appends to continue the conversation)."""
        if self.tool_calls:
            return {"role": "assistant", "content": self.content or None,
                    "tool_calls": [c.to_openai() for c in self.tool_calls]}
        return {"role": "assistant", "content": self.content}


class ToolFormatError(ValueError):
    """Messages or tools that cannot be rendered (the message names what is wrong)."""


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


# --- which format a generator speaks -------------------------------------------------------------------
def tool_format(generator: Generator | None) -> str | None:
    """chatglm3 | glm4 | remote for a generator that can call tools; None for one without a tool format."""
    from lawglm.models.chatglm_tokenizer import CHATGLM3_TEMPLATE, SEGMENT

    if generator is None:
        return None
    if generator.kind == "remote":
        return "remote"
    template = getattr(generator.tokenizer, "chat_template", None) or ""  # a tokenizer may have none
    if not isinstance(template, str) or "<|observation|>" not in template or "tools" not in template:
        return None  # no tool turn in the template (a ChatGLM conversion made before lawglm rendered tools)
    return "chatglm3" if template == CHATGLM3_TEMPLATE or SEGMENT in template else "glm4"


# --- rendering -----------------------------------------------------------------------------------------
def _py_args(args: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def chatglm3_call_text(name: str, args: dict) -> str:
    """The content of a ChatGLM3 tool-call turn (its metadata line is the name)."""
    return f"```python\ntool_call({_py_args(args)})\n```"


def _function(tool: dict) -> dict:
    return tool["function"] if tool.get("type") == "function" and "function" in tool else tool


def native_messages(messages: Sequence[dict], tools: Sequence[dict] | None, fmt: str,
                    system: str | None = None) -> list[dict]:
    """OpenAI-shaped messages (+ tools) as the model's chat template takes them (role, metadata, content,
    tools). A system message keeps its place; the tools ride on the first one (ChatGLM3: its content, or
    ChatGLM3's own tools prompt when there is none; GLM-4: its own tools turn before it)."""
    out: list[dict] = []
    tools = list(tools or [])
    calls: dict[str, str] = {}
    for m in messages:
        role, content = m["role"], m.get("content") or ""
        if role == "assistant" and m.get("tool_calls"):
            if m.get("raw"):  # the model's own words of this turn (ChatGLM history): keep them exactly
                meta, _, body = m["raw"].partition("\n")
                out.append({"role": "assistant", "metadata": meta, "content": body.strip()})
                continue
            if content:
                out.append({"role": "assistant", "metadata": "", "content": content})
            for c in m["tool_calls"]:
                fn = c["function"]
                calls[c.get("id", "")] = fn["name"]
                args = json.loads(fn.get("arguments") or "{}")
                body = chatglm3_call_text(fn["name"], args) if fmt == "chatglm3" else \
                    json.dumps(args, ensure_ascii=False)
                out.append({"role": "assistant", "metadata": fn["name"], "content": body})
        elif role in ("tool", "observation", "function"):
            out.append({"role": "observation", "metadata": "", "content": content})
        else:
            out.append({"role": role, "metadata": "", "content": content})
    if tools:
        if fmt == "chatglm3":
            native = [_function(t) for t in tools]
            if out and out[0]["role"] == "system":
                out[0] = {**out[0], "tools": native}
            else:
                out.insert(0, {"role": "system", "metadata": "", "content": system or CHATGLM3_TOOLS_PROMPT,
                               "tools": native})
        else:
            wrapped = [t if t.get("type") else {"type": "function", "function": t} for t in tools]
            out.insert(0, {"role": "system", "metadata": "", "content": "", "tools": wrapped})
    return out


# --- parsing the model's reply -------------------------------------------------------------------------
class MalformedCall(ValueError):
    pass


def _chatglm3_args(body: str) -> dict:
    """`tool_call(k=v, ...)` (inside a ```python block) as a dict of literal values — parsed, never run."""
    lines = body.strip().split("\n")
    if lines and lines[0].strip().startswith("```"):
        if len(lines) < 3 or lines[-1].strip() != "```":
            raise MalformedCall("the ```python block of the call is not closed")
        lines = lines[1:-1]
    code = "\n".join(lines).strip()
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError as exc:
        raise MalformedCall(f"the call is not valid Python ({exc.msg}): {code[:80]!r}") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "tool_call"):
        raise MalformedCall(f"expected tool_call(name=value, ...), got {code[:80]!r}")
    if call.args or any(k.arg is None for k in call.keywords):
        raise MalformedCall("tool_call takes keyword arguments only")
    try:
        return {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except ValueError:
        raise MalformedCall(f"an argument is not a literal value: {code[:80]!r}") from None


def _json_args(body: str) -> dict:
    try:
        args = json.loads(body.strip())
    except json.JSONDecodeError as exc:
        raise MalformedCall(f"the arguments are not JSON ({exc.msg}): {body.strip()[:80]!r}") from None
    if not isinstance(args, dict):
        raise MalformedCall("the arguments must be a JSON object")
    return args


def parse_reply(text: str, fmt: str, names: Sequence[str], forced: str | None = None) -> ToolTurn:
    """A ChatGLM3 / GLM-4 reply (the text after <|assistant|>) as text or a tool call.
    The first line is the turn's metadata: empty for a plain answer, else the name of the tool called."""
    raw = (forced + "\n" + text) if forced else text
    meta, sep, body = raw.partition("\n")
    name = meta.strip()
    if not name:
        return ToolTurn(body.strip() if sep else raw.strip(), raw=raw)
    try:
        if not sep and not forced:  # one line, no break after it
            if name not in names:
                return ToolTurn(raw.strip(), raw=raw)  # a plain answer that did not start with a newline
            raise MalformedCall(f"the model named {name!r} but wrote no arguments")
        if name not in names:
            raise MalformedCall(f"the model called {name[:60]!r}, which is not among the tools offered "
                                f"({', '.join(names) or 'none'})")
        args = _chatglm3_args(body) if fmt == "chatglm3" else _json_args(body)
    except MalformedCall as exc:
        return ToolTurn(
            raw.strip(), finish_reason="tool_call_error", error=f"malformed tool call: {exc}", raw=raw
        )
    return ToolTurn("", [ToolCall(name, json.dumps(args, ensure_ascii=False))], "tool_calls", raw=raw)


def tool_names(tools: Sequence[dict] | None) -> list[str]:
    return [_function(t).get("name", "") for t in tools or []]


# --- one turn --------------------------------------------------------------------------------------------
def stream_turn(generator: Generator, messages: Sequence[dict], tools: Sequence[dict] | None = None,
                tool_choice: Any = "auto", *, max_new_tokens: int, top_p: float, temperature: float,
                repetition_penalty: float = DEFAULT_REPETITION_PENALTY, adapter: str | None = None,
                cancel: threading.Event | None = None) -> Iterator[str | ToolTurn]:
    """Text chunks of a plain answer as they come (none while a tool call is being written), then one
    ToolTurn. tool_choice: none (tools not offered), auto, required, or {type: function, function: {name}}
    (the call is started with that name: ChatGLM3 / GLM-4 write only its arguments)."""
    fmt = tool_format(generator)
    if fmt is None:
        raise ToolFormatError(
            f"tools: the model {generator.name!r} has no tool-calling format "
            "(tools work with ChatGLM3 / GLM-4 checkpoints and remote backends)"
        )
    offered = [] if tool_choice == "none" else list(tools or [])
    if isinstance(tool_choice, dict):
        wanted = tool_choice["function"]["name"]
        offered = [t for t in offered if _function(t).get("name") == wanted]
    stats = DecodeStats()
    kw = {"max_new_tokens": max_new_tokens, "top_p": top_p, "temperature": temperature,
          "repetition_penalty": repetition_penalty, "adapter": adapter, "stats": stats, "cancel": cancel}
    if fmt == "remote":
        yield from _remote_turn(generator, messages, tools, tool_choice, stats, kw)
        return
    forced = tool_choice["function"]["name"] if isinstance(tool_choice, dict) else None
    native = native_messages(messages, offered, fmt)
    prompt: Any = native
    if forced:
        from lawglm.models.chat_format import render
        from lawglm.models.chatglm_tokenizer import SEGMENT

        prompt = render(generator.tokenizer, native) + forced + "\n" + (SEGMENT if fmt == "chatglm3" else "")
    parts: list[str] = []
    streaming = False
    for chunk in generator.stream(prompt, **kw):
        parts.append(chunk)
        if streaming:
            yield chunk
        elif not forced:
            text = "".join(parts)
            meta, sep, rest = text.partition("\n")
            if sep and not meta.strip():  # an empty metadata line: a plain answer, stream it
                streaming = True
                if rest.strip():
                    yield rest.lstrip()
    turn = parse_reply("".join(parts), fmt, tool_names(offered), forced)
    if stats.finish_reason == "length" and not turn.tool_calls:
        turn.finish_reason = "length" if turn.error is None else turn.finish_reason
    if tool_choice == "required" and not turn.tool_calls and turn.error is None:
        turn.finish_reason, turn.error = "tool_call_error", REQUIRED_UNMET
    turn.prompt_tokens, turn.completion_tokens = stats.prompt_tokens, stats.completion_tokens
    yield turn


def _remote_turn(generator: Generator, messages: Sequence[dict], tools: Any, tool_choice: Any,
                 stats: DecodeStats, kw: dict) -> Iterator[str | ToolTurn]:
    clean = [{k: v for k, v in m.items() if k != "raw"} for m in messages]
    parts = []
    for chunk in generator.stream(clean, tools=list(tools or []) or None,
                                  tool_choice=tool_choice if tools else None, **kw):
        parts.append(chunk)
        yield chunk
    calls = [ToolCall(c["name"], c["arguments"] or "{}", c["id"] or new_call_id())
             for c in stats.extra.get("tool_calls", [])]
    names = tool_names(tools)
    turn = ToolTurn("".join(parts), calls, "tool_calls" if calls else (stats.finish_reason or "stop"),
                    raw="".join(parts))
    if turn.finish_reason not in ("stop", "length", "tool_calls"):
        turn.finish_reason = "stop"
    for c in calls:
        why = None
        if c.name not in names:
            why = f"the model called {c.name[:60]!r}, which is not among the tools offered"
        else:
            try:
                if not isinstance(json.loads(c.arguments), dict):
                    why = f"the arguments of {c.name} are not a JSON object"
            except json.JSONDecodeError as exc:
                why = f"the arguments of {c.name} are not JSON ({exc.msg})"
        if why:
            turn.finish_reason, turn.error = "tool_call_error", f"malformed tool call: {why}"
            turn.content = turn.content or f"{c.name}\n{c.arguments}"
            turn.tool_calls = []
            break
    if tool_choice == "required" and not turn.tool_calls and turn.error is None:
        turn.finish_reason, turn.error = "tool_call_error", REQUIRED_UNMET
    turn.prompt_tokens, turn.completion_tokens = stats.prompt_tokens, stats.completion_tokens
    yield turn
