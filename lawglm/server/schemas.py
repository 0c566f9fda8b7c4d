"""Request/response models of the HTTP API (every field described, so /docs documents it)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from lawglm.settings import MAX_TEMPERATURE, MAX_TOP_K

MAX_LIST_ITEMS = 10_000  # structural bound on any list in a body: checked before its items are validated
# text no legal document contains and JSON/XML cannot carry: lone surrogates, C0 controls but \t \n \r,
# DEL and the C1 controls (U+007F-U+009F, NEL U+0085 among them), and the non-characters U+FFFE / U+FFFF
# (python-docx refuses them; UTF-8 cannot encode a lone surrogate)
_UNSAFE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def unsafe_char(text: str) -> str | None:
    """Why `text` cannot be accepted (the first unsafe character and where), or None."""
    m = _UNSAFE.search(text)
    if m is None:
        return None
    kind = "a lone surrogate" if "\ud800" <= m.group() <= "\udfff" else "a control character"
    return f"contains {kind} (U+{ord(m.group()):04X}) at position {m.start()}"


def _safe(text: str) -> str:
    why = unsafe_char(text)
    if why:
        raise ValueError(why)
    return text


def _safe_values(value: Any, where: str = "") -> Any:
    """Every string inside a JSON value (keys too) checked with `unsafe_char`; the message names the key."""
    if isinstance(value, str):
        why = unsafe_char(value)
        if why:
            raise ValueError(f"{where}: {why}" if where else why)
    elif isinstance(value, dict):
        for k, v in value.items():
            _safe_values(str(k), f"{where}.{k!r}" if where else repr(k))
            _safe_values(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _safe_values(v, f"{where}[{i}]")
    return value


SafeStr = Annotated[str, AfterValidator(_safe)]
LIST_BOUND = Field(max_length=MAX_LIST_ITEMS)  # on each union member: the length is checked before the items
SafeJson = AfterValidator(_safe_values)

TopP = Field(None, gt=0, le=1, description="nucleus sampling: keep the smallest token set with this "
                                             "cumulative probability; in (0, 1]")
Temperature = Field(None, ge=0, le=MAX_TEMPERATURE, description="sampling temperature in [0, 2]; 0 = greedy")
MaxLength = Field(None, ge=1, description="token budget of the answer (prompt + output must fit the "
                                          "model's context length)")
AnswerShape = Literal["grounded", "free"] | None
ShapeField = Field(
    None,
    description="grounded: 结论 (1–3 model sentences, checked) + 法律依据 (the articles, "
    "verbatim) + 下一步; free: the model's own answer; omitted = the server "
    "default (grounded for the embedded backbone)",
)


class Message(BaseModel):
    """One chat message in OpenAI form."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant"] = Field(..., description="who wrote the message")
    content: SafeStr = Field(..., description="the message text")


TOOL_NAME = r"^[a-zA-Z0-9_-]{1,64}$"  # OpenAI's rule for function names
MAX_TOOLS = 128  # OpenAI's limit on `tools`


class FunctionDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., pattern=TOOL_NAME, description="a-z, A-Z, 0-9, _ and -, at most 64 characters")
    description: SafeStr | None = Field(None, max_length=8000, description="what the function does")
    parameters: Annotated[dict[str, Any], SafeJson] | None = Field(
        None, description="JSON Schema of the arguments (an object schema)")
    strict: StrictBool | None = Field(
        None, description="accepted for compatibility; arguments are not constrained"
    )

    @field_validator("parameters")
    @classmethod
    def _object_schema(cls, v: dict | None) -> dict | None:
        if v is not None and v.get("type", "object") != "object":
            raise ValueError("must be a JSON Schema of type object")
        return v


class ToolDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["function"] = Field(..., description="always `function`")
    function: FunctionDef


class FunctionName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., pattern=TOOL_NAME)


class NamedToolChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["function"] = Field(..., description="always `function`")
    function: FunctionName


class CalledFunction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(..., pattern=TOOL_NAME)
    arguments: SafeStr = Field(..., max_length=100_000, description="the arguments as a JSON object, in text")

    @field_validator("arguments")
    @classmethod
    def _json_object(cls, v: str) -> str:
        import json

        try:
            parsed = json.loads(v or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from None
        if not isinstance(parsed, dict):
            raise ValueError("must be a JSON object")  # noqa: TRY004 - pydantic reports ValueError as 422
        return v


class ToolCallIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: SafeStr = Field(..., min_length=1, max_length=200)
    type: Literal["function"] = "function"
    function: CalledFunction


class ChatMessage(BaseModel):
    """One message of /v1/chat/completions: system, user, assistant (text and/or tool_calls) or tool (a
    tool's result, answering the assistant's call with that tool_call_id)."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant", "tool"] = Field(..., description="who wrote the message")
    content: SafeStr | None = Field(None, description="the message text (null on an assistant message that "
                                                      "only calls tools)")
    name: SafeStr | None = Field(None, max_length=200, description="optional author name")
    tool_calls: list[ToolCallIn] | None = Field(None, max_length=MAX_TOOLS,
                                                description="(assistant) the calls the model made")
    tool_call_id: SafeStr | None = Field(None, max_length=200, description="(tool) the call this answers")

    @model_validator(mode="after")
    def _shape(self) -> ChatMessage:
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs tool_call_id")
        if self.role != "tool" and self.tool_call_id is not None:
            raise ValueError("tool_call_id belongs on tool messages")
        if self.tool_calls and self.role != "assistant":
            raise ValueError("tool_calls belong on assistant messages")
        if self.content is None and not (self.role == "assistant" and self.tool_calls):
            raise ValueError("content is required (it may be null only on an assistant message with "
                             "tool_calls)")
        return self


def _check_pairs(history: list) -> list:
    for i, turn in enumerate(history):
        if isinstance(turn, list) and len(turn) != 2:
            raise ValueError(f"turn {i} must be a [question, answer] pair, got {len(turn)} items")
    return history


class AskRequest(BaseModel):
    """A legal question answered from retrieved statutes."""

    model_config = ConfigDict(extra="forbid")
    question: SafeStr = Field(..., min_length=1, description="the question, in Chinese; not empty, at most "
                                                          "settings.max_question_chars characters",
                          examples=["邻居家阳台上的花盆掉下来砸伤了我，谁承担责任？"])
    history: Annotated[list[list[SafeStr]], LIST_BOUND] | Annotated[list[Message], LIST_BOUND] | None = Field(
        None, description="earlier turns: ChatGLM pairs [[question, answer], ...] or "
                                                     "OpenAI messages [{role, content}, ...]; at most "
                                                     "settings.max_history_turns entries")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="how many statute articles to retrieve")
    law: SafeStr | None = Field(
        None, description="restrict retrieval to this law (short names like 民法典 work)"
    )
    level: SafeStr | None = Field(
        None,
        max_length=100,
        description="restrict retrieval to these levels: 法律 | 行政法规 | 司法解释 (comma-separated)",
    )
    department: SafeStr | None = Field(
        None, max_length=100, description="restrict retrieval to one 部门 of the corpus: 民法商法, 社会法, …"
    )
    max_length: int | None = MaxLength
    max_new_tokens: int | None = Field(
        None,
        ge=1,
        description="the most tokens of the reply alone (never more "
        "than the server's max_new_tokens: a larger "
        "value is reduced)",
    )
    top_p: float | None = TopP
    temperature: float | None = Temperature
    adapter: SafeStr | None = Field(None, description="adapter name (see GET /v1/models); 'none' = bare "
                                                  "backbone; omitted = the configured default")
    draft_first: StrictBool = Field(
        False,
        description="draft an answer first and retrieve with it too (helps "
        "questions that name no legal terms; slower)",
    )
    answer_shape: AnswerShape = ShapeField
    stream: StrictBool = Field(False, description="answer as Server-Sent Events: `token` events with text "
                                            "chunks, then one `final` event with the full answer")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("question is empty")
        return v

    @field_validator("history")
    @classmethod
    def _pairs(cls, v: list | None) -> list | None:
        return _check_pairs(v) if v else v


class ChatCompletionRequest(BaseModel):
    """OpenAI chat-completions request; the last user message is the question."""

    model_config = ConfigDict(extra="ignore")
    model: SafeStr = Field("lawglm", description="`lawglm` = configured default; an adapter name selects "
                                             "that adapter (GET /v1/models)")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=MAX_LIST_ITEMS,
                                        description="conversation; the last message comes from the user, or "
                                                    "is a tool result when tools are in use")
    tools: list[ToolDef] | None = Field(
        None,
        max_length=MAX_TOOLS,
        description="functions the model may call (OpenAI's shape); with tools "
        "the reply may be `tool_calls` (finish_reason "
        "`tool_calls`) instead of a grounded answer",
    )
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = Field(
        None, description="none | auto (default with tools) | required | {type: function, function: {name}}")
    parallel_tool_calls: StrictBool | None = Field(
        None, description="accepted; at most one call per turn is made by ChatGLM3 / GLM-4"
    )
    max_tokens: int | None = Field(None, ge=1, description="maximum tokens to generate")
    temperature: float | None = Temperature
    top_p: float | None = TopP
    stream: StrictBool = Field(False, description="stream chat.completion.chunk objects, ending with "
                                            "`data: [DONE]`")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="(lawglm) statute articles to retrieve")
    law: SafeStr | None = Field(None, description="(lawglm) restrict retrieval to this law")
    answer_shape: AnswerShape = ShapeField

    @model_validator(mode="after")
    def _tools(self) -> ChatCompletionRequest:
        names = [t.function.name for t in self.tools or []]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise ValueError(f"tools: the function name {dup!r} is used twice")
        if self.tool_choice is not None and not self.tools:
            raise ValueError("tool_choice: is only allowed when tools are given")
        if isinstance(self.tool_choice, NamedToolChoice) and self.tool_choice.function.name not in names:
            raise ValueError(
                f"tool_choice: function {self.tool_choice.function.name!r} is not among the tools"
            )
        calls: set[str] = set()
        for i, m in enumerate(self.messages):
            calls |= {c.id for c in m.tool_calls or []}
            if m.role == "tool" and m.tool_call_id not in calls:
                raise ValueError(f"messages[{i}].tool_call_id: {m.tool_call_id!r} answers no earlier "
                                 "assistant tool call")
        return self


CHATGLM_DOC = """ChatGLM `api.py` request shape, as the deployment guide's `request.py` sends it:
`{"prompt": "", "history": [], "max_length": "", "top_p": "", "temperature": ""}`.

- `max_length`, `top_p`, `temperature`: missing, `null` or `""` mean lawglm's default (settings
  `max_new_tokens`, `top_p`, `temperature`); numeric strings (`"2048"`, `"0.7"`) are read as numbers;
  anything else is a 422 naming the field.
- `max_length` is the guide's 最大输出长度: the most tokens the **reply** may have. The reply also never gets
  more than `max_new_tokens` (the server's cap) nor more than half the model's context; a larger value is
  reduced, never refused. The prompt (lawglm's instruction, the retrieved articles, the history, the
  question) gets the rest of the context: when it is tight, history is dropped first, then articles are
  trimmed and dropped, then the instruction is shortened; only a question that does not fit on its own is
  refused (422 naming `prompt`).
- `law` (lawglm's addition): restrict retrieval to one law (民法典 works); `""` / null = every law.
- An empty `prompt` gets a short reply saying what lawglm can do, as greetings and other small talk do;
  a question the statutes have nothing relevant to is told so instead of being shown unrelated articles.
- The response is `{response, history: [[q, a], …] including this turn, status: 200, time: "YYYY-MM-DD
  HH:MM:SS"}`, plus lawglm's checked `citations` and `finish_reason`.
"""


def _default_when_blank(v: Any) -> Any:
    """ChatGLM api.py's reading: missing / null / "" = the default; numbers stay numbers, not booleans."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise ValueError("must be a number, got a boolean")  # noqa: TRY004 - pydantic reports ValueError as 422
    return v


class ChatGLM3Turn(BaseModel):
    """One entry of ChatGLM3's history: {role, content, metadata?, tools?} (a system turn may carry tools;
    an assistant turn whose metadata is a tool's name is that tool's call)."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant", "observation"]
    content: SafeStr = ""
    metadata: SafeStr = Field("", max_length=200)
    tools: Annotated[list[dict[str, Any]], SafeJson] | None = Field(None, max_length=MAX_TOOLS)

    @field_validator("tools")
    @classmethod
    def _named(cls, v: list | None) -> list | None:
        for i, t in enumerate(v or []):
            fn = t.get("function", t) if t.get("type") == "function" else t
            if not isinstance(fn.get("name"), str) or not fn["name"].strip():
                raise ValueError(f"tools[{i}] needs a name")
        return v


class ChatGLMRequest(BaseModel):
    """ChatGLM api.py request shape (see the route's description for the exact semantics)."""

    model_config = ConfigDict(extra="ignore")
    prompt: SafeStr | None = Field(..., description="the question; empty = the reply says what lawglm can do")
    history: Annotated[list[list[SafeStr]], LIST_BOUND] | Annotated[list[ChatGLM3Turn], LIST_BOUND] | None = (
        Field(
            None,
            description="[[question, answer], ...], or ChatGLM3's [{role, content, metadata?, tools?}, ...] "
            "(a system turn with tools makes this a tool-calling conversation); null = none",
        )
    )
    role: Literal["user", "observation"] = Field(
        "user", description="(ChatGLM3) observation: `prompt` is the result of the tool the model called"
    )
    max_length: int | None = Field(None, ge=1, description="最大输出长度: the most tokens of the reply; "
                                                           "\"\" / null = settings.max_new_tokens")
    top_p: float | None = Field(None, gt=0, le=1, description="nucleus sampling in (0, 1]; \"\" / null = "
                                                              "settings.top_p")
    temperature: float | None = Field(
        None,
        ge=0,
        le=MAX_TEMPERATURE,
        description='sampling temperature in [0, 2], 0 = greedy; "" / null = settings.temperature',
    )
    law: str | None = Field(
        None,
        description="(lawglm) restrict retrieval to this law (short names like 民法典 "
        'work); "" / null = every law',
    )

    @field_validator("max_length", "top_p", "temperature", "law", mode="before")
    @classmethod
    def _blank(cls, v: Any) -> Any:
        return _default_when_blank(v)

    @field_validator("history")
    @classmethod
    def _pairs(cls, v: list | None) -> list | None:
        return _check_pairs(v) if v else v


class ChatGLMResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    response: str | dict[str, Any] = Field(..., description="the answer text; in a tool-calling conversation "
                                                            "a call is {name, parameters} as ChatGLM3's chat "
                                                            "returns it")
    history: list[list[str]] | list[dict[str, Any]] = Field(..., description="history including this turn")
    status: int = Field(200, description="always 200 on success (ChatGLM compatibility)")
    time: str = Field(..., description="server time, YYYY-MM-DD HH:MM:SS")
    citations: list[dict[str, Any]] = Field(default_factory=list, description="(lawglm) checked citations")
    finish_reason: str = Field("stop", description="(lawglm) stop, or length when the token limit cut the "
                                                   "answer short")


LINKS_DOC = (
    "the article's cross-references read from the texts (lawglm.statutes.links): {applied_by: the "
    "interpretation / regulation articles that cite and apply it, applies: the articles of other "
    "documents it cites; each [{law, short, article_no, sub_no, label, citation, level, key}], "
    "interpretations first, at most settings.links_shown; applied_by_total, applies_total}; null for "
    "an article that does not exist"
)


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    raw: str = Field(..., description="the citation as written in the text")
    law: str | None = Field(None, description="full law name, or null if it resolves to no law")
    article_no: int = Field(..., description="article number")
    label: str = Field(..., description="article label, e.g. 第一千二百五十四条")
    verified: bool = Field(..., description="true only when the article exists and is in force")
    reason: str = Field(..., description="valid | repealed | historical | law_not_found | article_not_found")
    status: str | None = Field(
        None,
        description="status the article is shown with: 现行有效 for an article no "
        "later amending act names, even when laws.db marks its law 已被修改",
    )
    status_detail: dict[str, Any] | None = Field(
        None,
        description="{label, note (why), stored_status, version_date, "
        "effective_date, amendments[{name, date, "
        "effective_date, names_this_article}]}: the "
        "law's amending acts in the corpus",
    )
    text: str | None = Field(None, description="full text of the cited article (from the corpus)")
    supported: bool | None = Field(None, description="true when the article was among the sources and says "
                                                     "what the text attributes to it; null when not checked")
    support: dict[str, Any] | None = Field(
        None,
        description="why: {reason: supported | quote_mismatch | "
        "not_in_sources | unrelated | <existence reason>, "
        "kind, attributed, score, actual, corrected_from}",
    )
    role: str | None = Field(None, description="what a supported article is to the reader: claim (bears out "
                                               "what the answer states) | related (shown as found for the "
                                               "question) | off_question (shown as found, hardly touches the "
                                               "question); null otherwise")
    links: dict[str, Any] | None = Field(None, description=LINKS_DOC)


class AnswerOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    answer: str = Field(..., description="the answer text")
    finish_reason: str = Field(
        "stop",
        description="stop, or length when the token limit cut the answer short "
        "(the text then ends with （回答已达长度上限）)",
    )
    citations: list[CitationOut] = Field(..., description="every citation in the answer, checked")
    retrieved: list[dict[str, Any]] = Field(..., description="retrieved articles with scores")
    usage: dict[str, Any] = Field(..., description="token counts and timing")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: SafeStr = Field(..., min_length=1, description="text whose citations should be checked (at most "
                                                         "settings.max_verify_chars characters and "
                                                         "max_verify_citations citations)")
    law: SafeStr | None = Field(None, description="the law that 本法 refers to in the text")
    sources: list[SafeStr] | None = Field(
        None,
        max_length=100,
        description="the articles the text was written from, e.g. "
        '["民法典1079", "《中华人民共和国劳动合同法》第八十五条"]: '
        "also checks each citation is among them and says what the text "
        "attributes to it (support)",
    )


class VerifyResponse(BaseModel):
    citations: list[CitationOut] = Field(..., description="each citation with its verdict")
    all_verified: bool = Field(..., description="true when every citation is valid (and none is unreadable)")
    unreadable: list[dict[str, Any]] = Field(default_factory=list,
                                             description="第…条 references whose number cannot be read "
                                                         "(第三十七一条): [{raw, span, error}]")
    all_supported: bool | None = Field(
        None, description="with sources: true when every citation is supported"
    )
    text: str | None = Field(None, description="with sources: the text, misnumbered quotes corrected")


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: SafeStr | None = Field(None, description="template name (GET /v1/contracts)")
    fields: Annotated[dict[str, Any], SafeJson] | None = Field(None, max_length=200,
                                                               description="field values by name")
    request: SafeStr | None = Field(None, max_length=8000,
                                description="plain-language request; template and fields are taken "
                                            "from it when not given")


class RebuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: SafeStr = Field(..., min_length=1, max_length=4096,
                          description="server-side file or directory of statutes (.jsonl/.txt/.md/.db) "
                                      "inside one of settings.ingest_roots")


class JobOut(BaseModel):
    id: str = Field(..., description="job id")
    state: str = Field(..., description="queued | running | done | failed | interrupted (the server stopped "
                                        "while it ran)")
    stage: str = Field("", description="current stage reported by the update")
    done: int = Field(0, description="units done in this stage")
    total: int = Field(0, description="units in this stage")
    version: str | None = Field(None, description="index version produced (when done)")
    error: str | None = Field(None, description="why it failed")
    report: dict[str, Any] | None = Field(None, description="parser report of the uploaded statutes")


class Loose(BaseModel):
    """A response whose listed fields are documented; further fields may follow."""

    model_config = ConfigDict(extra="allow")


class ArticleOut(Loose):
    law: str = Field(..., description="full law name")
    article_no: int = Field(..., description="article number")
    label: str = Field(..., description="article label, e.g. 第一千二百五十四条")
    text: str = Field(..., description="the article's full text (from the corpus)")
    status: str = Field(..., description="现行有效 / 已被修改 / 已废止 …")
    status_detail: dict[str, Any] | None = Field(
        None, description="the status as shown (label, note) and the law's amending acts (see CitationOut)"
    )
    versions: list[dict[str, Any]] | None = Field(None, description="with all_versions: every stored version")
    links: dict[str, Any] | None = Field(None, description=LINKS_DOC)


class HitOut(ArticleOut):
    score: float = Field(..., description="retrieval score")
    sources: list[str] = Field(..., description="which lists found it: direct, bm25, dense, …")


class SearchResponse(BaseModel):
    query: str = Field(..., description="the query as given")
    hits: list[HitOut] = Field(..., description="the best articles, best first")


class ModelCard(Loose):
    id: str = Field(..., description="model id: `lawglm`, the backbone, or an adapter name")
    object: str = Field("model", description="always `model`")
    created: int = Field(..., description="server start time (unix seconds)")
    owned_by: str = Field("lawglm", description="always `lawglm`")


class ModelList(BaseModel):
    object: str = Field("list", description="always `list`")
    data: list[ModelCard] = Field(..., description="`lawglm` first, then the backbone and each adapter")


class ChatCompletionResponse(Loose):
    id: str = Field(..., description="chatcmpl-…")
    object: str = Field("chat.completion", description="always `chat.completion`")
    created: int = Field(..., description="unix seconds")
    model: str = Field(..., description="the model asked for")
    choices: list[dict[str, Any]] = Field(..., description="one choice: {index, message, finish_reason}")
    usage: dict[str, int] = Field(..., description="prompt_tokens, completion_tokens, total_tokens")
    citations: list[dict[str, Any]] = Field(default_factory=list, description="(lawglm) checked citations")
    retrieved: list[dict[str, Any]] = Field(default_factory=list, description="(lawglm) retrieved articles")


class TemplateList(BaseModel):
    templates: list[dict[str, Any]] = Field(..., description="each template's name, title and description")


class DraftOut(Loose):
    template: str | None = Field(None, description="the template used")
    markdown: str | None = Field(None, description="the drafted contract")
    notes: list[Any] = Field(default_factory=list, description="what was not understood, legal warnings")


class IndexStats(Loose):
    version: str | None = Field(None, description="the index's CURRENT version")
    served_version: str | None = Field(None, description="the version being served")


class ReloadOut(BaseModel):
    swapped: bool = Field(..., description="true when a new version was loaded")
    version: str | None = Field(None, description="the version now served")
    articles: int = Field(..., description="articles in the served corpus")


class AdaptersOut(BaseModel):
    adapters: list[str] = Field(..., description="adapters now loaded")


class JobAccepted(BaseModel):
    job_id: str = Field(..., description="the rebuild job's id")
    status_url: str = Field(..., description="where to poll its progress")
    report: dict[str, Any] = Field(..., description="parser report of the statutes")


class Health(BaseModel):
    status: str = Field("ok", description="always `ok` while the process is up")


class Readiness(Loose):
    ready: bool = Field(..., description="index and model loaded")
    llm: str | None = Field(None, description="local | remote | none; null while loading")
    queue_depth: int = Field(..., description="generation jobs waiting or running")
    index_version: str | None = Field(None, description="the served index version")
    context_length: int | None = Field(None, description="the model's context length (0: no model)")
    reason: str | None = Field(None, description="why not ready")
    preparing: dict | None = Field(
        None,
        description="while starting: {stage: index | model, label (Chinese), "
        "done, total, elapsed_s} — what is being prepared",
    )
    limits: dict | None = Field(None, description="bounds of the request knobs: {question (characters), "
                                                  "max_new_tokens, top_p, temperature, top_k: {min, max}}")
