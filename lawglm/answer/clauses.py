"""The deciding clause: an article split into its 款 and 项, the one that matches the question's facts, the
one plain conclusion sentence built from it, and the echo check.

- `split(article)`: every 款 (paragraph) and 项 (item （一）…) of an article, verbatim, with its label
  (第二款, 第（二）项, 第三款第（四）项 — the 款 is named only when the article has more than one).
- `decide(question, articles)`: the clause of the top governing articles whose words best match the
  question (content bigrams, everyday words mapped to the statutes' terms by search/retrieval.expand_query);
  an item carries the words of its lead-in (有下列情形之一的…) too. None when no clause shares enough
  with the question: the answer then says so honestly (`NO_CLAUSE`).
- `conclusion(clause)`: one sentence: which clause decides, then the clause's own words (a 项 with its
  lead-in: 除法律另有规定或者权利人明确同意外，任何组织或者个人不得实施下列行为：“进入、拍摄…”). No model
  text.
- `supported_by_clause(sentence, clause)`: a model's sentence may stand beside the clause only when its
  content (the question's own facts aside) is found in the clause's words — claim support at 款/项 grain.
- `is_echo(sentence, question)`: a "conclusion" that mostly copies the question back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from lawglm.answer.overlap import ngrams, normalize
from lawglm.numerals import int_to_cn
from lawglm.records import Article
from lawglm.settings import PACKAGE_DIR

TERMS_FILE = PACKAGE_DIR / "data" / "clause_terms.json"
ITEM_RE = re.compile(r"^[（(](?P<n>[一二三四五六七八九十]+)[)）]")
HEADING_RE = re.compile(r"^第[一二三四五六七八九十百零]+[编分章节]")  # a heading glued to an article's end
MIN_SHARED = 3  # content bigrams a clause must share with the question to be shown as the closest one
TOP_ARTICLES = 3  # governing articles whose clauses are compared
RANK_PENALTY = 0.15  # a tie goes to the better-ranked article
ECHO_SHARE = 0.7  # share of a sentence's content bigrams taken from the question that makes it an echo
CLAUSE_CLAIM_MIN = 0.9  # share of a sentence's own content trigrams the clause must hold (support.CLAIM_MIN)
NO_CLAUSE = ("检索到的条文中没有一款能直接判断您的问题；请对照下列条文，"
             "重点核对您的情况是否符合条文列出的条件（时间、金额、有无书面约定或证据等），必要时咨询执业律师。")


@dataclass(frozen=True)
class Clause:
    """One 款 (item == 0) or 项 of an article, verbatim."""

    article: Article
    paragraph: int  # 1-based 款
    item: int  # 1-based 项; 0 for the 款 itself
    text: str
    lead: str = ""  # for an item: its 款's lead-in (有下列情形之一的，…：)
    many_paragraphs: bool = False

    @property
    def label(self) -> str:
        out = self.article.label
        if self.many_paragraphs:
            out += f"第{int_to_cn(self.paragraph)}款"
        if self.item:
            out += f"第（{int_to_cn(self.item)}）项"
        return out

    @property
    def citation(self) -> str:
        return f"《{self.article.law}》{self.label}"

    @property
    def words(self) -> str:
        """The clause's words as read on their own: an item with its lead-in."""
        return (self.lead + self.text) if self.item else self.text

    def to_dict(self) -> dict:
        return {"law": self.article.law, "article_no": self.article.article_no, "sub_no": self.article.sub_no,
                "paragraph": self.paragraph, "item": self.item, "label": self.label,
                "citation": self.citation, "text": self.text, "lead": self.lead}


def split(article: Article) -> list[Clause]:
    """Every 款 and 项 of the article, in order (a chapter heading glued to its end is not a clause)."""
    lines = [x.strip() for x in article.text.split("\n") if x.strip() and not HEADING_RE.match(x.strip())]
    paragraphs: list[tuple[str, list[str]]] = []
    for line in lines:
        if ITEM_RE.match(line) and paragraphs:
            paragraphs[-1][1].append(line)
        else:
            paragraphs.append((line, []))
    many = len(paragraphs) > 1
    out = []
    for p, (text, items) in enumerate(paragraphs, 1):
        out.append(Clause(article, p, 0, text, many_paragraphs=many))
        for i, item in enumerate(items, 1):
            out.append(Clause(article, p, i, item, lead=text, many_paragraphs=many))
    return out


def _grams(text: str) -> set[str]:
    from lawglm.search.text import _function_bigram, bigrams

    return {b for b in bigrams(text) if not _function_bigram(b)}


@lru_cache(maxsize=1)
def _terms() -> list[tuple[re.Pattern, str]]:
    data = json.loads(TERMS_FILE.read_text(encoding="utf-8"))
    return [(re.compile(k), v) for k, v in data.items() if not k.startswith("_")]


def expand(question: str) -> str:
    """The question plus the statutes' words for the everyday words it uses (retrieval's and the clause
    vocabulary's)."""
    from lawglm.search.retrieval import expand_query

    extra = [terms for pattern, terms in _terms() if pattern.search(question)]
    return expand_query(question) + (" " + " ".join(extra) if extra else "")


def _question_grams(question: str) -> set[str]:
    return _grams(expand(question))


def score(clause: Clause, q: set[str]) -> float:
    """Content bigrams the clause shares with the question; an item's own words count fully, its
    lead-in's at a third (the lead-in is shared by every item of the list)."""
    own = _grams(clause.text)
    shared = len(own & q)
    if clause.item:
        shared += len((_grams(clause.lead) - own) & q) / 3
    return shared


def decide(question: str, articles: Sequence[Article]) -> Clause | None:
    """The deciding clause of the top governing articles (see module doc), or None."""
    return decide_scored(question, articles)[0]


def decide_scored(question: str, articles: Sequence[Article]) -> tuple[Clause | None, float]:
    """(the best-matching clause or None, its score: content bigrams shared with the question)."""
    found = ranked(question, articles)
    return found[0] if found else (None, 0.0)


def is_lead_in(clause: Clause, clauses: Sequence[Clause]) -> bool:
    """A list's lead-in (有下列情形之一的…：) among its article's `clauses`: it decides nothing on its own,
    one of its items does."""
    return clause.item == 0 and (any(c.item and c.paragraph == clause.paragraph for c in clauses)
                                 or clause.text.rstrip().endswith(("：", ":")))


def ranked(question: str, articles: Sequence[Article]) -> list[tuple[Clause, float]]:
    """Every clause of the top governing articles that shares at least MIN_SHARED content bigrams with the
    question, with its rank-weighted score, best first (a tie goes to the earlier clause)."""
    q = _question_grams(question)
    out: list[tuple[Clause, float]] = []
    for rank, article in enumerate(articles[:TOP_ARTICLES]):
        clauses = split(article)
        for c in clauses:
            raw = score(c, q)
            if is_lead_in(c, clauses):
                continue
            if raw >= MIN_SHARED:
                out.append((c, raw * (1.0 - RANK_PENALTY * rank)))
    order = {id(c): n for n, (c, _) in enumerate(out)}
    return sorted(out, key=lambda x: (-x[1], order[id(x[0])]))


MAX_QUOTE = 120  # characters of a 款 quoted in the conclusion: longer ones give their best sentence


def best_sentence(text: str, question: str) -> str:
    """The sentence of a long 款 that shares most with the question (the whole 款 when short)."""
    from lawglm.answer.grounded import sentences

    if len(text) <= MAX_QUOTE:
        return text
    q = _question_grams(question)
    parts = sentences(text)
    return max(parts, key=lambda s: (len(_grams(s) & q), -parts.index(s))) if parts else text


WEAK_HINT = "它是否适用，要看您的情况是否符合该条的条件，请对照下面的原文。"


def conclusion(clause: Clause, question: str = "", sure: bool = True) -> str:
    """One sentence: the clause that decides the question, in its own words (run into the sentence, not
    set off as a quotation: 法律依据 quotes the clause itself, and no sentence is said twice). `sure`
    False: the clause only matched the question's words weakly, and the sentence says so."""
    lead_in = "就您描述的情形，起决定作用的是" if sure else "检索到的条文中，与您的问题最相关的是"
    out = f"{lead_in}{stated(clause, question)}。"
    return out if sure else out + WEAK_HINT


def stated(clause: Clause, question: str = "") -> str:
    """The clause named and run into a sentence (no end mark): 《X》第N条第一款：its words (a long 款: the
    sentence that matters for the question; a 项: its lead-in——its words)."""
    if clause.item:
        body = ITEM_RE.sub("", clause.text).rstrip("；;，,。")
        lead = clause.lead.rstrip("：:，,")
        return f"{clause.citation}：{lead}——{body}"
    text = re.sub(r"[。；;]", "，", best_sentence(clause.text, question).rstrip("；;，,。：:"))
    return f"{clause.citation}：{text}"


def fragment(text: str, hint: str, min_chars: int = 6) -> str:
    """The comma-delimited part of `text` that shares most content with `hint` (at least `min_chars`
    long; a short part is joined with the next): verbatim words to quote after a citation."""
    parts = [p for p in re.split(r"(?<=[，。；：,;:])", text.replace("\n", "")) if p.strip()]
    joined, buf = [], ""
    for p in parts:
        buf += p
        if len(normalize(buf)) >= min_chars:
            joined.append(buf.rstrip("，。；：,;:"))
            buf = ""
    if buf and joined:
        joined[-1] += buf.rstrip("，。；：,;:")
    elif buf:
        joined.append(buf.rstrip("，。；：,;:"))
    h = _grams(hint)
    return max(joined, key=lambda p: (len(_grams(p) & h), -joined.index(p))) if joined else text


def supported_by_clause(sentence: str, clause: Clause, question: str) -> bool:
    """The sentence says only what the clause says: its content trigrams, less those taken from the
    question (the person's own facts), are found in the clause's words."""
    grams = ngrams(sentence, 3) - ngrams(question, 3)
    if len(grams) < 3:
        return False
    return len(grams & ngrams(clause.words, 3)) / len(grams) >= CLAUSE_CLAIM_MIN


def is_echo(sentence: str, question: str) -> bool:
    """The sentence mostly copies the question back (its content bigrams come from the question and it
    adds almost nothing else)."""
    grams = _grams(sentence)
    if len(grams) < 3:
        return False
    return len(grams & _grams(question)) / len(grams) >= ECHO_SHARE
