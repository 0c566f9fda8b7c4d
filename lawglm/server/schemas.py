"""Request/response models of the HTTP API (every field described, so /docs documents it)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TopP = Field(None, gt=0, le=1, description="nucleus sampling: keep the smallest token set with this "
                                             "cumulative probability; in (0, 1]")
Temperature = Field(None, ge=0, le=2, description="sampling temperature in [0, 2]; 0 = greedy")
MaxLength = Field(None, ge=1, description="token budget of the answer (prompt + output must fit the "
                                          "model's context length)")
AnswerShape = Literal["grounded", "free"] | None
ShapeField = Field(None, description="grounded: 结论 (1–3 model sentences, checked) + 法律依据 (the articles, "
                                     "verbatim) + 下一步; free: the model's own answer; omitted = the server "
                                     "default (grounded for the embedded backbone)")


class Message(BaseModel):
    """One chat message in OpenAI form."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant"] = Field(..., description="who wrote the message")
    content: str = Field(..., description="the message text")


def _check_pairs(history: list) -> list:
    for i, turn in enumerate(history):
        if isinstance(turn, list) and len(turn) != 2:
            raise ValueError(f"turn {i} must be a [question, answer] pair, got {len(turn)} items")
    return history


class AskRequest(BaseModel):
    """A legal question answered from retrieved statutes."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., min_length=1, description="the question, in Chinese; not empty, at most "
                                                          "settings.max_question_chars characters",
                          examples=["邻居家阳台上的花盆掉下来砸伤了我，谁承担责任？"])
    history: list[list[str]] | list[Message] | None = Field(
        None, description="earlier turns: ChatGLM pairs [[question, answer], ...] or OpenAI messages "
                          "[{role, content}, ...]")
    top_k: int | None = Field(None, ge=1, le=50, description="how many statute articles to retrieve")
    law: str | None = Field(None, description="restrict retrieval to this law (short names like 民法典 work)")
    max_length: int | None = MaxLength
    top_p: float | None = TopP
    temperature: float | None = Temperature
    adapter: str | None = Field(None, description="adapter name (see GET /v1/models); 'none' = bare "
                                                  "backbone; omitted = the configured default")
    draft_first: bool = Field(False, description="draft an answer first and retrieve with it too (helps "
                                                 "questions that name no legal terms; slower)")
    answer_shape: AnswerShape = ShapeField
    stream: bool = Field(False, description="answer as Server-Sent Events: `token` events with text "
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
    model: str = Field("lawglm", description="`lawglm` = configured default; an adapter name selects "
                                             "that adapter (GET /v1/models)")
    messages: list[Message] = Field(..., min_length=1, description="conversation; the last message "
                                                                    "must come from the user")
    max_tokens: int | None = Field(None, ge=1, description="maximum tokens to generate")
    temperature: float | None = Temperature
    top_p: float | None = TopP
    stream: bool = Field(False, description="stream chat.completion.chunk objects, ending with "
                                            "`data: [DONE]`")
    top_k: int | None = Field(None, ge=1, le=50, description="(lawglm) statute articles to retrieve")
    law: str | None = Field(None, description="(lawglm) restrict retrieval to this law")
    answer_shape: AnswerShape = ShapeField


class ChatGLMRequest(BaseModel):
    """ChatGLM api.py request shape."""

    model_config = ConfigDict(extra="ignore")
    prompt: str = Field(..., min_length=1, description="the question")
    history: list[list[str]] | None = Field(None, description="[[question, answer], ...]")
    max_length: int | None = MaxLength
    top_p: float | None = TopP
    temperature: float | None = Temperature

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("prompt is empty")
        return v

    @field_validator("history")
    @classmethod
    def _pairs(cls, v: list | None) -> list | None:
        return _check_pairs(v) if v else v


class ChatGLMResponse(BaseModel):
    response: str = Field(..., description="the answer text")
    history: list[list[str]] = Field(..., description="history including this turn")
    status: int = Field(200, description="always 200 on success (ChatGLM compatibility)")
    time: str = Field(..., description="server time, YYYY-MM-DD HH:MM:SS")
    citations: list[dict[str, Any]] = Field(default_factory=list, description="(lawglm) checked citations")
    finish_reason: str = Field("stop", description="(lawglm) stop, or length when the token limit cut the "
                                                   "answer short")


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    raw: str = Field(..., description="the citation as written in the text")
    law: str | None = Field(None, description="full law name, or null if it resolves to no law")
    article_no: int = Field(..., description="article number")
    label: str = Field(..., description="article label, e.g. 第一千二百五十四条")
    verified: bool = Field(..., description="true only when the article exists and is in force")
    reason: str = Field(..., description="valid | repealed | historical | law_not_found | article_not_found")
    status: str | None = Field(None, description="status of the cited article in the corpus")
    text: str | None = Field(None, description="full text of the cited article (from the corpus)")
    supported: bool | None = Field(None, description="true when the article was among the sources and says "
                                                     "what the text attributes to it; null when not checked")
    support: dict[str, Any] | None = Field(None, description="why: {reason: supported | quote_mismatch | "
                                                             "not_in_sources | unrelated | <existence reason>, "
                                                             "kind, attributed, score, actual, corrected_from}")


class AnswerOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    answer: str = Field(..., description="the answer text")
    finish_reason: str = Field("stop", description="stop, or length when the token limit cut the answer short "
                                                   "(the text then ends with （回答已达长度上限）)")
    citations: list[CitationOut] = Field(..., description="every citation in the answer, checked")
    retrieved: list[dict[str, Any]] = Field(..., description="retrieved articles with scores")
    usage: dict[str, Any] = Field(..., description="token counts and timing")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, description="text whose citations should be checked (at most "
                                                     "settings.max_verify_chars characters and "
                                                     "max_verify_citations citations)")
    law: str | None = Field(None, description="the law that 本法 refers to in the text")
    sources: list[str] | None = Field(None, max_length=100,
                                      description="the articles the text was written from, e.g. "
                                                  "[\"民法典1079\", \"《中华人民共和国劳动合同法》第八十五条\"]: "
                                                  "also checks each citation is among them and says what the text "
                                                  "attributes to it (support)")


class VerifyResponse(BaseModel):
    citations: list[CitationOut] = Field(..., description="each citation with its verdict")
    all_verified: bool = Field(..., description="true when every citation is valid (and none is unreadable)")
    unreadable: list[dict[str, Any]] = Field(default_factory=list,
                                             description="第…条 references whose number cannot be read "
                                                         "(第三十七一条): [{raw, span, error}]")
    all_supported: bool | None = Field(None, description="with sources: true when every citation is supported")
    text: str | None = Field(None, description="with sources: the text, misnumbered quotes corrected")


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str | None = Field(None, description="template name (GET /v1/contracts)")
    fields: dict[str, Any] | None = Field(None, description="field values by name")
    request: str | None = Field(None, max_length=8000,
                                description="plain-language request; template and fields are taken "
                                            "from it when not given")


class RebuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(..., min_length=1, description="server-side file or directory of statutes "
                                                     "(.jsonl/.txt/.md/.db)")


class JobOut(BaseModel):
    id: str = Field(..., description="job id")
    state: str = Field(..., description="queued | running | done | failed")
    stage: str = Field("", description="current stage reported by the update")
    done: int = Field(0, description="units done in this stage")
    total: int = Field(0, description="units in this stage")
    version: str | None = Field(None, description="index version produced (when done)")
    error: str | None = Field(None, description="why it failed")
    report: dict[str, Any] | None = Field(None, description="parser report of the uploaded statutes")
