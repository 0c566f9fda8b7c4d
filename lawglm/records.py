"""Plain records that flow through the pipeline (Article, Hit, Citation, Answer with its Usage and
Sections), the one JSONL reader and the one content hash of articles."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .numerals import article_label

CURRENT_STATUSES = ("现行有效", "已被修改")
REPEALED = "已废止"
HISTORICAL = "历史版本"


@dataclass(frozen=True)
class Article:
    """One statute article as stored in the corpus (all metadata kept)."""

    law: str  # full law name, e.g. 中华人民共和国民法典
    article_no: int  # Arabic article number
    text: str
    sub_no: int = 0  # 第一百二十条之一 -> article_no=120, sub_no=1
    law_id: str = ""  # id of the law *version* this article belongs to
    status: str = "现行有效"
    department: str = ""
    level: str = ""
    chapter: str = ""
    section: str = ""
    effective_date: str = ""
    version_date: str = ""
    source: str = ""
    doc_no: str = ""  # document number of a judicial interpretation / regulation: 法释〔2020〕22号

    @property
    def label(self) -> str:
        return article_label(self.article_no, self.sub_no)

    @property
    def key(self) -> str:
        """Stable id of this article version: law_id + number."""
        return f"{self.law_id}:{self.article_no}" + (f"-{self.sub_no}" if self.sub_no else "")

    @property
    def is_current(self) -> bool:
        return self.status in CURRENT_STATUSES

    @property
    def citation(self) -> str:
        return f"《{self.law}》{self.label}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["source"] = source_name(self.source)  # shown to clients: a file name, never a server path
        d["label"] = self.label
        d["citation"] = self.citation
        d["key"] = self.key
        return d


def source_name(source: str) -> str:
    """The file name of a source path (laws.db, 劳动法.txt); a source that is no path stays as it is."""
    return source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] if source else source


@dataclass
class Hit:
    """A retrieved article with its fused score and where it came from."""

    article: Article
    score: float
    sources: tuple[str, ...] = ()  # e.g. ("direct",), ("bm25", "dense")
    status_detail: dict | None = None  # amendments.status_detail, set by the answer pipeline
    links: dict | None = None  # statutes.links: {applied_by, applies, *_total}, set by whoever shows the hit

    def to_dict(self) -> dict:
        out = {**self.article.to_dict(), "score": round(float(self.score), 6), "sources": list(self.sources)}
        if self.status_detail:
            out["status"], out["status_detail"] = self.status_detail["label"], self.status_detail
        if self.links is not None:
            out["links"] = self.links
        return out


@dataclass
class Citation:
    """A citation found in text, checked against the corpus.

    reason is one of: valid, repealed, historical, law_not_found, article_not_found.
    Only `valid` citations have verified=True. `support` (set by `support.check_support`; None until
    checked) says whether the article was among the answer's sources and says what the answer
    attributes to it: {"reason": supported | quote_mismatch | not_in_sources | unrelated | <reason>, ...}.
    """

    raw: str
    law: str | None
    article_no: int
    sub_no: int = 0
    paragraph: int | None = None
    reason: str = "article_not_found"
    article: Article | None = None
    span: tuple[int, int] = (0, 0)
    support: dict | None = None
    status_detail: dict | None = None  # amendments.status_detail of the article, set by the answer pipeline
    # what a reader should take the cited article as (set by the answer pipeline; None: the verdict says it):
    # claim = it bears out what the answer states; related = shown as found by the search; off_question =
    # shown as found, but it hardly touches the question
    role: str | None = None
    links: dict | None = (
        None  # statutes.links of the cited article (applied_by / applies), set by the pipeline
    )

    @property
    def verified(self) -> bool:
        return self.reason == "valid"

    @property
    def supported(self) -> bool:
        return bool(self.support) and self.support.get("reason") == "supported"

    def to_dict(self) -> dict:
        a = self.article
        return {
            "raw": self.raw, "law": self.law, "article_no": self.article_no,
            "sub_no": self.sub_no, "paragraph": self.paragraph,
            "label": article_label(self.article_no, self.sub_no),
            "verified": self.verified, "reason": self.reason,
            "status": (self.status_detail or {}).get("label") or (a.status if a else None),
            "status_detail": self.status_detail, "text": a.text if a else None,
            "span": list(self.span),
            "supported": self.supported if self.support is not None else None, "support": self.support,
            "role": self.role, "links": self.links,
        }


@dataclass
class Usage:
    """What an answer cost and how it was made (Answer.usage). The JSON holds the fields that apply to the
    way the answer was made (None: left out), in this order."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    seconds: float = 0.0
    first_token_s: float | None = None  # model answers: time to the first token
    tokens_per_s: float | None = None
    truncated: bool | None = None  # whether the prompt budget dropped history or articles
    truncation: dict | None = None  # model answers: what it dropped (prompts.Prompt.truncated)
    mode: str | None = None  # answers without the model's shapes: retrieval-only, small-talk, agent, ...
    finish_reason: str = "stop"  # stop | length (the token limit cut the reply) | cancelled
    agent_steps: list[dict] | None = None  # the tool agent: each tool call ({tool, arguments, ok})
    agent_stopped: str | None = None  # the tool agent: timeout | max_steps, null when the model finished
    draft_tokens: int | None = None  # model answers: tokens of the draft written before retrieval
    shape: str | None = None  # model answers: grounded | free
    gate: str | None = None  # grounded: what the sentence gate did with the model's reply
    unattributed: int | None = None  # grounded: the model's sentences that cited nothing
    dropped: list[dict] | None = None  # grounded: [{sentence, reason}] the gate or the clause check dropped

    def to_dict(self) -> dict:
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None
                or (f.name == "agent_stopped" and self.agent_steps is not None)}


@dataclass
class Sections:
    """The parts of a decided answer's text (answer/decided.py), for clients that lay them out
    (Answer.sections): all of conclusion … basis_full, or none of them (a free answer, no articles found);
    sources_incomplete when the documents a question most likely needs are missing (answer/source_gaps.py).
    """

    conclusion: str | None = None
    conclusion_from: str = ""  # clause | none, +model when the model's sentences were kept
    basis: list[str] = field(default_factory=list)  # the citations listed under 法律依据
    next_steps: list[str] = field(default_factory=list)
    disclaimer: str = ""
    area: str | None = None
    deciding: dict | None = None  # the deciding clause (clauses.Clause.to_dict)
    calculations: list[dict] = field(default_factory=list)
    routing: dict | None = None  # where to take the matter (NextSteps.to_dict)
    folded: list[str] = field(default_factory=list)  # articles folded into another one's block
    basis_full: list[dict] = field(default_factory=list)  # each 法律依据 article with whether it bears
    sources_incomplete: list[dict] | None = None

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sources_incomplete"}
        if self.conclusion is None:
            out = {}
        if self.sources_incomplete is not None:
            out["sources_incomplete"] = self.sources_incomplete
        return out


@dataclass
class Answer:
    """What the answer pipeline returns."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Hit] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    sections: Sections = field(default_factory=Sections)  # the parts of `answer` (decided answers)

    @property
    def finish_reason(self) -> str:
        """length when the token limit cut the answer short (it then ends with （回答已达长度上限）), else
        stop."""
        return self.usage.finish_reason or "stop"

    def to_dict(self) -> dict:
        return {
            "answer": self.answer,
            "finish_reason": self.finish_reason,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [h.to_dict() for h in self.retrieved],
            "usage": self.usage.to_dict(),
            "sections": self.sections.to_dict(),
        }


def iter_jsonl(path: str | Path, error: type[Exception]) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) for every non-blank line of a JSONL file.

    Raises `error` with a message naming file (and line) when the file is missing, not UTF-8 or not JSON.
    """
    p = Path(path)
    if not p.is_file():
        raise error(f"{p}: file not found")
    with p.open(encoding="utf-8") as f:
        no = 0
        while True:
            try:
                line = f.readline()
            except UnicodeDecodeError:
                raise error(f"{p}:{no + 1}: not UTF-8 text") from None
            if not line:
                return
            no += 1
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{p}:{no}: invalid JSON ({exc.msg})") from None
            yield no, value


CORPUS_HASH_FIELDS = ("law", "law_id", "article_no", "sub_no", "status", "text")


def content_sha256(articles: Iterable[Article], fields: Sequence[str] = CORPUS_HASH_FIELDS) -> str:
    """sha256 over `fields` of each article in order (fields joined by \\x1f, articles ended by \\x1e)."""
    h = hashlib.sha256()
    for a in articles:
        h.update(("\x1f".join(str(getattr(a, f)) for f in fields) + "\x1e").encode())
    return h.hexdigest()


def law_version_id(law: str, version: str) -> str:
    """The id of one version of a law when its source gives none: 12 hex digits of sha1(law@version)."""
    return hashlib.sha1(f"{law}@{version}".encode()).hexdigest()[:12]
