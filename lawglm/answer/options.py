"""One request's options: the typed object the CLI, the three HTTP APIs and the Assistant share, and its
checks.

An API maps its own field names onto `AskOptions` (ChatGLM's `max_length` is `max_new_tokens`, OpenAI's
`max_tokens` too; `prompt` and `messages` are `question`); `validate` checks every field against what the
loaded assistant offers (`Limits`: settings, context length, adapters, law names, tokenizer) and fills in
the defaults from settings. Nothing here needs the model itself, so the server runs it before a request
waits in the generation queue. Errors are `InvalidRequest` whose message starts with the field name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, fields, replace
from typing import Any

from lawglm.errors import LawGLMError
from lawglm.settings import MAX_TEMPERATURE, MAX_TOP_K, Settings

__all__ = [
    "MAX_TEMPERATURE",
    "MAX_TOP_K",
    "MIN_MAX_LENGTH",
    "SHAPES",
    "AskOptions",
    "Checked",
    "InvalidRequest",
    "Limits",
    "validate",
]
MIN_MAX_LENGTH = 16
SHAPES = ("grounded", "free")
RETRIEVAL_FILTERS = ("law", "level", "department")  # the options Retriever.search takes as keywords


class InvalidRequest(LawGLMError, ValueError):
    """A question or generation option is unusable; the message starts with the field name."""

    def __init__(self, field_name: str, reason: str):
        super().__init__(f"{field_name}: {reason}")
        self.field, self.reason = field_name, reason


@dataclass(frozen=True)
class Limits:
    """What a request is checked against: the serving assistant's settings and capabilities."""

    settings: Settings
    context_length: int = 0  # 0: no model (retrieval-only)
    adapters: tuple[str, ...] = ()
    has_model: bool = False
    require_law: Callable[[str], str] | None = None  # full law name, or UnknownLaw
    tokenizer: Any = None  # for the prompt-fits check; None: not checked here
    caps: Settings | None = None  # request-size limits (the server's settings); None: `settings`
    levels: tuple[str, ...] | None = None  # levels the index holds (法律, 司法解释 …); None: any level


@dataclass(frozen=True)
class AskOptions:
    """A question with its options (keywords after the question). None means the default (from
    settings); `validate` checks every field and fills the defaults in, returning `Checked` options.

    max_length bounds prompt + reply (the model's context when None); max_new_tokens bounds the reply
    alone (settings.max_new_tokens when None, and never more); the reply keeps at most half of max_length.
    A new request option is a field here (checked in `validate`), a field of the API's request schema
    with the same name and, for the CLI, a flag in cli/common.py: the API routes, the Assistant and
    retrieval read the fields generically (`names`, `filters`).
    """

    question: str
    _: KW_ONLY
    history: Sequence | None = None
    top_k: int | None = None
    law: str | None = None
    adapter: str | None = None
    max_length: int | None = None
    max_new_tokens: int | None = None
    top_p: float | None = None
    temperature: float | None = None
    draft_first: bool = False
    answer_shape: str | None = None
    level: str | None = (
        None  # retrieval restricted to these levels: 法律 / 行政法规 / 司法解释, comma-separated
    )
    department: str | None = None  # retrieval restricted to one 部门 of the corpus (民法商法, 社会法, …)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option fields (what an API request or CLI flag may set), the question first."""
        return tuple(f.name for f in fields(cls) if f.name != "_")

    def filters(self) -> dict[str, str]:
        """The retrieval filters set (keyword arguments of Retriever.search)."""
        return {k: v for k in RETRIEVAL_FILTERS if (v := getattr(self, k)) is not None}

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The history as (question, answer) pairs (validated options hold it normalised)."""
        from lawglm.answer.prompts import normalize_history

        return normalize_history(self.history)

    def budget(self) -> tuple[int, int]:
        """(prompt token budget, reply tokens) of validated options: the reply keeps at most half."""
        new = min(self.max_new_tokens, self.max_length // 2)
        return self.max_length - new, new


@dataclass(frozen=True)
class Checked(AskOptions):
    """AskOptions as `validate` returns them: every field checked, the defaults filled in."""


def validate(opts: AskOptions, limits: Limits) -> Checked:
    """The options checked and completed with defaults; InvalidRequest / UnknownLaw name the bad field.
    Options `validate` already returned are returned as they are."""
    if isinstance(opts, Checked):
        return opts
    s, caps = limits.settings, limits.caps or limits.settings
    _check_question(opts.question, caps)
    pairs = _check_history(opts.history, limits.caps)
    top_k = s.top_k if opts.top_k is None else opts.top_k
    if not _is_int(top_k) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidRequest("top_k", f"must be an integer from 1 to {MAX_TOP_K}, got {top_k!r}")
    law = opts.law
    if law is not None and limits.require_law is not None:
        law = limits.require_law(law)
    _check_adapter(opts.adapter, limits)
    level = _check_level(opts.level, limits.levels)
    _check_department(opts.department)
    max_length = _max_length(opts.max_length, limits.context_length)
    cap = _reply_cap(opts.max_new_tokens, limits.context_length, s.max_new_tokens)
    top_p = _number("top_p", s.top_p if opts.top_p is None else opts.top_p)
    if not 0 < top_p <= 1:
        raise InvalidRequest("top_p", f"must be in (0, 1], got {top_p}")
    temperature = _number("temperature", s.temperature if opts.temperature is None else opts.temperature)
    if not 0 <= temperature <= MAX_TEMPERATURE:
        raise InvalidRequest("temperature", f"must be in [0, {MAX_TEMPERATURE:g}], got {temperature}")
    shape = opts.answer_shape or s.shape()
    if shape not in SHAPES:
        raise InvalidRequest("answer_shape", f"must be one of {', '.join(SHAPES)}, got {opts.answer_shape!r}")
    given = {name: getattr(opts, name) for name in AskOptions.names()}
    out = replace(Checked(given.pop("question"), **given), history=pairs, top_k=top_k, law=law,
                  max_length=max_length, max_new_tokens=cap, top_p=top_p, temperature=temperature,
                  draft_first=bool(opts.draft_first), answer_shape=shape, level=level)
    if limits.has_model and limits.tokenizer is not None:
        _check_fits(out, limits.tokenizer)
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InvalidRequest(name, f"must be a number, got {v!r}")
    return float(v)


def _check_question(question: Any, s: Settings) -> None:
    if not isinstance(question, str) or not question.strip():
        raise InvalidRequest("question", "must not be empty")
    if len(question) > s.max_question_chars:
        raise InvalidRequest("question", f"too long: {len(question)} characters, the limit is "
                                         f"{s.max_question_chars}")


def _check_history(history: Any, caps: Settings | None) -> list[tuple[str, str]]:
    """The history as pairs; a request (caps given) may carry at most caps.max_history_turns entries,
    checked before any entry is read (normalising thousands of pairs would hold the generation thread for
    minutes)."""
    from lawglm.answer.prompts import normalize_history

    if caps is not None and history and hasattr(history, "__len__") and len(history) > caps.max_history_turns:
        raise InvalidRequest("history", f"too long: {len(history)} entries, the limit is "
                                        f"{caps.max_history_turns} (LAWGLM_MAX_HISTORY_TURNS)")
    try:
        return normalize_history(history)
    except ValueError as exc:
        raise InvalidRequest("history", str(exc).removeprefix("history: ")) from None


def _check_adapter(adapter: str | None, limits: Limits) -> None:
    if adapter in (None, "none") or adapter in limits.adapters:
        return
    loaded = ", ".join(["none", *limits.adapters]) if limits.has_model else "none (retrieval-only mode)"
    raise InvalidRequest("adapter", f"unknown adapter {adapter!r}; available: {loaded}")


def _check_level(level: Any, known: tuple[str, ...] | None) -> str | None:
    """The level filter written canonically (司法解释,行政法规); InvalidRequest unless the index holds
    each."""
    if level is None:
        return None
    from lawglm.statutes.levels import UnknownLevel, check_levels

    try:
        return ",".join(check_levels(level, known))
    except UnknownLevel as exc:
        raise InvalidRequest("level", str(exc)) from None


def _check_department(department: Any) -> None:
    from lawglm.statutes.corpus import DEPARTMENTS

    if department is not None and department not in DEPARTMENTS:
        raise InvalidRequest("department", f"must be one of {', '.join(DEPARTMENTS)}, got {department!r}")


def _max_length(max_length: Any, context: int) -> int:
    if max_length is None:
        return context
    if not _is_int(max_length) or max_length < MIN_MAX_LENGTH or (context and max_length > context):
        top = f"the model's context length ({context} tokens)" if context else "any size"
        raise InvalidRequest("max_length", f"must be an integer from {MIN_MAX_LENGTH} to {top}, "
                                           f"got {max_length!r}")
    return max_length


def _reply_cap(max_new_tokens: Any, context: int, server_cap: int) -> int:
    """The reply's token cap: the request's, never above the server's; more than half the context is
    refused (the rest is kept for the question and the statutes)."""
    if max_new_tokens is None:
        return server_cap
    if not _is_int(max_new_tokens) or max_new_tokens < 1:
        raise InvalidRequest("max_new_tokens", f"must be a positive integer, got {max_new_tokens!r}")
    if context and max_new_tokens > context // 2:
        raise InvalidRequest("max_new_tokens", f"{max_new_tokens} exceeds half the model's context length "
                                               f"({context} tokens); the rest is kept for the question and "
                                               "the statutes")
    return min(server_cap, max_new_tokens)


def _check_fits(opts: AskOptions, tokenizer: Any) -> None:
    """The question alone (no articles, no history, the shortest system text) must fit the prompt budget."""
    from lawglm.answer.prompts import minimal_prompt_tokens

    budget = opts.budget()[0]
    n = minimal_prompt_tokens(opts.question, tokenizer)
    if n > budget:
        raise InvalidRequest(
            "question",
            f"too long for the model's context ({n} prompt tokens with no articles "
            f"or history; budget {budget}); shorten the question",
        )
