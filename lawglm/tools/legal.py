"""lawglm's legal functions for agents, one definition each: search_statutes, get_article, list_laws,
verify_citation, check_citations_in_text, draft_contract, and the answer pipeline's calculators and 下一步
(calculate_amounts, next_steps).

Names, arguments and result fields follow china-law-mcp's tools (so an agent configured for it works
unchanged), answered from lawglm's own index: the same retrieval, look-up (short names, 文号) and citation
check as `lawglm search` / `lookup` / `verify`, plus the support check and the law <-> interpretation links.
`LegalTools(retriever, settings)` holds what they read; `TOOLS` lists each tool's name, description and
JSON-schema parameters (what MCP and OpenAI-style tool lists publish) and `LegalTools.call` runs one by name.
A bad argument or an unknown article is a `ToolError` with a message for the caller, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from lawglm.errors import LawGLMError
from lawglm.records import Article, Citation
from lawglm.settings import Settings

if TYPE_CHECKING:
    from lawglm.search.retrieval import SearchService

MAX_TOP_K = 20
MAX_LIST = 200


class ToolError(LawGLMError, ValueError):
    """A tool call that cannot be answered: the message says why, in words an agent can act on."""


@dataclass(frozen=True)
class ToolSpec:
    """One tool as agents see it: name, what it does, its JSON-schema parameters."""

    name: str
    description: str
    parameters: dict = field(default_factory=dict)

    def openai(self) -> dict:
        """The OpenAI `tools` entry for this tool."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


def _schema(required: list[str], **props: dict) -> dict:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


_STR = {"type": "string"}
TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "search_statutes",
        "按自然语言问题检索中国法律条文（法律、行政法规、司法解释）。支持口语提问，也支持「《民法典》第1254条」这类精确引用。"
        "返回条文原文、效力状态与出处。",
        _schema(
            ["query"],
            query={**_STR, "description": "自然语言问题或关键词"},
            top_k={
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_TOP_K,
                "default": 6,
                "description": "返回条数",
            },
            law={**_STR, "description": "可选：限定在某部法律内检索，支持简称如「民法典」"},
        ),
    ),
    ToolSpec(
        "get_article",
        "按法律名与条号取条文原文（含效力状态、所属章节，以及法律与司法解释之间的相互引用）。",
        _schema(
            ["law", "article_no"],
            law={**_STR, "description": "法律名，支持简称、文号，如「民法典」「民间借贷规定」"},
            article_no={**_STR, "description": "条号，中文或阿拉伯数字，如「1254」「第一千二百五十四条」"},
        ),
    ),
    ToolSpec(
        "list_laws",
        "浏览库内法律法规目录（可按名称关键词或部门法筛选）。",
        _schema(
            [],
            keyword={**_STR, "description": "名称包含的关键词，如「劳动」"},
            department={**_STR, "description": "部门法，如「民法商法」「行政法」"},
            limit={"type": "integer", "minimum": 1, "maximum": MAX_LIST, "default": 30},
        ),
    ),
    ToolSpec(
        "verify_citation",
        "核验一条法律引用是否真实存在、是否现行有效（防止编造条文）。",
        _schema(
            ["law", "article_no"],
            law={**_STR, "description": "法律名，支持简称"},
            article_no={**_STR, "description": "条号，如「1254」或「第一千二百五十四条」"},
        ),
    ),
    ToolSpec(
        "check_citations_in_text",
        "抽取一段文本中的全部法条引用并逐条核验：条文是否存在、引号中的原文是否确为该条所写。",
        _schema(["text"], text={**_STR, "description": "待检查的文本（例如模型写的一段法律分析）"}),
    ),
    ToolSpec(
        "draft_contract",
        "按一句话需求从审定的合同模板起草合同（Markdown），并列出未能识别的信息与法律提示。",
        _schema(
            ["request"],
            request={**_STR, "description": "合同需求，如「帮我起草一份房屋租赁合同，月租3000元……」"},
            template={**_STR, "description": "可选：模板名（见 lawglm contract list）"},
        ),
    ),
    ToolSpec(
        "calculate_amounts",
        "按提问中的事实计算法定金额（经济补偿、违法解除赔偿金、加班费、二倍工资、试用期工资、定金、退一赔三、工伤与人身损害赔偿等），"
        "每一步注明所依据的条款原文；事实不足或依据不在库中时不计算，并说明还需要什么。",
        _schema(
            ["question"],
            question={**_STR, "description": "包含事实的提问，如「干了三年半，月薪八千，被违法辞退」"},
            area={**_STR, "description": "可选：法律领域（labor_dismissal、wages、consumer 等）；"
                                         "缺省时自动判断"},
        ),
    ),
    ToolSpec(
        "next_steps",
        "按问题所属法律领域给出维权途径与顺序（如劳动争议先仲裁、行政处罚先复议或诉讼）、法定期限（引用条文原文），"
        "提问给出日期时算出最后一日；领域不确定时按较短的期限提示。",
        _schema(
            ["question"],
            question={**_STR, "description": "提问，如「11月20日市场监管局罚了我两万，我不服」"},
            today={**_STR, "description": "可选：今天的日期 YYYY-MM-DD（用于计算剩余天数）"},
        ),
    ),
)
SPECS = {t.name: t for t in TOOLS}


def _article_no(value: Any) -> int | str:
    """An article number as agents send it (1254, "1254", "第一千二百五十四条", "第一百二十条之一"),
    checked."""
    from lawglm.numerals import parse_article_no

    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ToolError("article_no: 应为条号字符串或整数（示例：1254 或 第一千二百五十四条）")
    text = str(value).strip()
    try:
        no, _ = parse_article_no(int(text) if text.isdigit() else text)
    except (ValueError, TypeError, OverflowError):
        no = 0
    if not 1 <= no <= 100_000:
        raise ToolError(f"article_no: 无法解析条号 {text[:20]!r}（示例：1254 或 第一千二百五十四条）")
    return int(text) if text.isdigit() else text


def _text(args: dict, name: str, *, required: bool = True, limit: int = 20_000) -> str | None:
    value = args.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ToolError(f"{name}: 不能为空")
        return None
    if not isinstance(value, str):
        raise ToolError(f"{name}: 应为字符串")
    if len(value) > limit:
        raise ToolError(f"{name}: 过长（{len(value)} 字，上限 {limit}）")
    return value


def _int(args: dict, name: str, default: int, low: int, high: int) -> int:
    value = args.get(name, default)
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | str)
        or not str(value).strip().lstrip("-").isdigit()
    ):
        raise ToolError(f"{name}: 应为 {low} 到 {high} 的整数")
    return max(low, min(int(value), high))


class LegalTools:
    """The legal tools over one index (a Retriever) and the caller's settings."""

    def __init__(self, retriever: SearchService, settings: Settings):
        self.retriever = retriever
        self.settings = settings
        self._run: dict[str, Callable[[dict], Any]] = {
            "search_statutes": self.search_statutes, "get_article": self.get_article,
            "list_laws": self.list_laws, "verify_citation": self.verify_citation,
            "check_citations_in_text": self.check_citations_in_text, "draft_contract": self.draft_contract,
            "calculate_amounts": self.calculate_amounts, "next_steps": self.next_steps,
        }

    @property
    def corpus(self):
        return self.retriever.corpus

    def call(self, name: str, arguments: dict | None) -> Any:
        """Run tool `name` with `arguments`; ToolError for an unknown tool or bad arguments."""
        if name not in self._run:
            raise ToolError(f"unknown tool {name!r}; tools: {', '.join(self._run)}")
        if arguments is not None and not isinstance(arguments, dict):
            raise ToolError("arguments: 应为 JSON 对象")
        args = dict(arguments or {})
        unknown = sorted(set(args) - set(SPECS[name].parameters.get("properties", {})))
        if unknown:
            raise ToolError(f"{unknown[0]}: {name} 没有这个参数")
        try:
            return self._run[name](args)
        except ToolError:
            raise
        except LawGLMError as exc:  # unknown law, article not found, bad request: the caller's to fix
            raise ToolError(str(exc)) from None

    # --- the tools ----------------------------------------------------------------------
    def _article(self, a: Article, score: float | None = None, via: tuple[str, ...] = ()) -> dict:
        from lawglm.numerals import article_label
        from lawglm.statutes.amendments import status_detail

        detail = status_detail(a, self.corpus)
        out = {
            "law": a.law,
            "article_no": article_label(a.article_no, a.sub_no),
            "article_no_arabic": a.article_no,
            "chapter": a.chapter,
            "department": a.department,
            "level": a.level,
            "status": detail["label"],
            "text": a.text,
            "citation": a.citation,
        }
        if a.doc_no:
            out["doc_no"] = a.doc_no
        if score is not None:
            out["score"] = round(float(score), 4)
            out["via"] = ",".join(via)
        return out

    def search_statutes(self, args: dict) -> list[dict]:
        query = _text(args, "query", limit=self.settings.max_question_chars)
        k = _int(args, "top_k", 6, 1, MAX_TOP_K)
        law = _text(args, "law", required=False, limit=200)
        hits = self.retriever.search(query, k=k, law=law)
        return [self._article(h.article, h.score, h.sources) for h in hits]

    def get_article(self, args: dict) -> dict:
        law = _text(args, "law", limit=200)
        a = self.corpus.lookup(law, _article_no(args.get("article_no")))
        out = self._article(a)
        # the interpretations / regulations applying it, the articles it applies
        out["links"] = self.retriever.links.to_dict(a, self.settings.links_shown)
        return out

    def list_laws(self, args: dict) -> list[dict]:
        keyword = _text(args, "keyword", required=False, limit=100)
        department = _text(args, "department", required=False, limit=100)
        limit = _int(args, "limit", 30, 1, MAX_LIST)
        out = []
        for law in self.corpus.laws():
            arts = self.corpus.law_articles(law)
            first = arts[0] if arts else None
            if keyword and keyword not in law:
                continue
            if department and (first is None or first.department != department):
                continue
            out.append({"law": law, "department": first.department if first else "",
                        "level": first.level if first else "", "status": self.corpus.law_status(law),
                        "articles": len({(a.article_no, a.sub_no) for a in arts})})
            if len(out) >= limit:
                break
        return out

    def verify_citation(self, args: dict) -> dict:
        from lawglm.statutes.citations import verify_one

        law = _text(args, "law", limit=200)
        raw_no = args.get("article_no")
        try:
            no = _article_no(raw_no)
        except ToolError:
            return {"verified": False, "reason": "bad_article_no", "law": law, "article_no": raw_no,
                    "message": f"无法解析条号：{raw_no}"}
        c = verify_one(self.corpus, law, no)
        if not c.verified:
            return {"verified": False, "reason": c.reason, "law": c.law or law, "article_no": no,
                    "message": _reason_message(c, law, no)}
        return {**self._article(c.article), "verified": True}

    def check_citations_in_text(self, args: dict) -> dict:
        from lawglm.answer.support import check_support, reason_text
        from lawglm.statutes.citations import verify as verify_text

        text = _text(args, "text", limit=self.settings.max_verify_chars)
        cites = verify_text(text, self.corpus, None, self.settings.max_verify_citations)
        written = [c.raw for c in cites]  # check_support re-points a misnumbered quote: keep what was written
        _, cites = check_support(
            text, cites, [c.article for c in cites if c.article is not None], self.corpus
        )
        details = []
        for raw, c in zip(written, cites, strict=True):
            support = c.support or {}
            moved = support.get("corrected_from") is not None
            reason = "misnumbered" if moved else support.get("reason") or c.reason
            quote_ok = c.verified and not moved and reason != "quote_mismatch"
            row = {"citation": raw, "verified": c.verified and not moved, "quote_ok": quote_ok, "law": c.law,
                   "article_no": c.article_no, "reason": reason, "message": reason_text(c),
                   "status": c.article.status if c.article else None}
            if moved:
                row["actual"] = c.raw  # the article the quoted words come from
            elif support.get("actual"):
                row["actual"] = support["actual"].get("citation")
            details.append(row)
        bad = [d for d in details if not d["verified"] or not d["quote_ok"]]
        return {"total": len(details), "valid": len(details) - len(bad), "invalid": len(bad),
                "invalid_citations": [d["citation"] for d in bad], "details": details}

    def draft_contract(self, args: dict) -> dict:
        from lawglm.contracts import draft
        from lawglm.contracts.errors import ContractError

        request = _text(args, "request", limit=self.settings.max_question_chars)
        template = _text(args, "template", required=False, limit=100)
        try:
            d = draft(template, request=request, corpus=self.corpus, settings=self.settings)
        except ContractError as exc:
            raise ToolError(str(exc)) from None
        return {"template": d.template, "title": d.title, "markdown": d.markdown, "missing": d.missing,
                "notes": d.notes}

    def calculate_amounts(self, args: dict) -> list[dict]:
        from lawglm.answer.calculators import calculate, render
        from lawglm.search.routing import AREAS, route

        question = _text(args, "question", limit=self.settings.max_question_chars)
        area = _text(args, "area", required=False, limit=40) or route(question).area
        if area not in AREAS:
            raise ToolError(f"area: 未知领域 {area!r}；可选：{', '.join(AREAS)}")
        out = []
        for calc in calculate(question, area):
            shown = render(calc, self.corpus)
            if shown is None:  # a rule it applies is not in the corpus: never shown without its source
                continue
            lines, cited = shown
            out.append({**calc.to_dict(), "working": lines, "cited": [a.citation for a in cited]})
        return out

    def next_steps(self, args: dict) -> dict:
        from lawglm.answer.areas import next_steps_for
        from lawglm.search.routing import route

        question = _text(args, "question", limit=self.settings.max_question_chars)
        today = _today(args)
        steps = next_steps_for(question, route(question), self.corpus, today)
        return {**steps.to_dict(), "lines": steps.lines, "cited": [a.citation for a in steps.quoted]}


def _reason_message(c: Citation, law: str, no: int) -> str:
    if c.reason == "law_not_found":
        return f"库内没有这部法律：{law}（可用 list_laws 查看目录）"
    return f"{c.law or law} 没有第 {no} 条"


def _today(args: dict) -> date | None:
    text = _text(args, "today", required=False, limit=10)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolError(f"today: 应为 YYYY-MM-DD 格式的日期，收到 {text!r}") from None
