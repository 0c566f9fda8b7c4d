"""Citation extraction and verification: the ONE citation grammar lawglm uses.

`extract` finds every article reference in free text — 《X法》第N条, X法第N条, 《X》N条,
第N条之一, 第N条第M款第（K）项, 第十条至第十二条, 第十至十二条, 第十条、第十一条, 本法第N条
(also after connectives: 以及本法, 并依照该法, 和同法), names with inner 《》 (《最高人民法院关于适用
《中华人民共和国民法典》…的解释（一）》) — with numbers written in Arabic, full-width, Chinese or
mixed (第1千零八十九条) digits, and `verify` checks each against the corpus with a reason code:
valid / repealed / historical / law_not_found / article_not_found. `unreadable` lists the
第…条 references whose number cannot be read (第三十七一条, a 5,000-digit number), so callers can
say so instead of "no citations"; `extract(limit=…)` stops with TooManyCitations past a cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lawglm.numerals import NUMBER_PATTERN, NumeralError, cn_to_int
from lawglm.records import HISTORICAL, REPEALED, Citation
from lawglm.statutes.corpus import Corpus, normalize_law_name

N = rf"(?:{NUMBER_PATTERN})"
# one article reference: 第N条(之M)?(第M款)?(第M项)? — also 第(N)项 with full-width parens, and 《X》N条
ARTICLE = (rf"(?:第|(?<=》))\s*(?P<no>{N})\s*条(?:之(?P<sub>{N}))?(?:\s*第\s*(?P<para>{N})\s*款)?"
           rf"(?:\s*第\s*[（(]?{N}[）)]?\s*项)?")
# what may follow an article reference and continue the list: 、第N条 / 至第N条 / 、N条 / 和第N条
CONTINUATION = (rf"\s*(?P<sep>[、，,和及与或至到~\-—－]|以及)\s*(?:第\s*)?(?P<no>{N})\s*条(?:之(?P<sub>{N}))"
    rf"?(?:\s*第\s*(?P<para>{N})\s*款)?")
# a law name in 《》, which may itself hold one inner 《…》 or 〈…〉 (judicial interpretations)
BRACKET_LAW = r"《(?P<blaw>(?:[^《》\n]|《[^《》\n]{1,40}》){1,80})》"
BARE_LAW = (r"(?P<law>[\u4e00-\u9fff]{1,40}?(?:法典|法|条例|规定|办法|解释|决定)"
            r"(?:[（(][一二三四五六七八九十]{1,3}[）)]|(?<=解释)[一二三四五六七八九十])?)")
SELF_LAW = (
    r"(?P<self>本法|该法|同法|此法|本条例|该条例|本规定|该规定|本解释|该解释|本办法|该办法|本实施细则|本细则"
    r"|该细则|本规则|该规则|本决定|本意见|本批复)"
)
# words that may stand right before 本法 / 该法 / 同法 (以及本法第3条 is 本法, not a law named 以及本法)
CONNECTIVES = ("以及", "或者", "并且", "依照", "根据", "按照", "参照", "依据", "参见", "适用", "违反", "结合",
               "同时", "对照", "比照", "援引", "和", "及", "与", "或", "并", "且", "依", "据", "按", "照",
               "见", "即", "如", "还", "也", "另", "又", "是", "在", "由", "对", "的")
_CONNECTIVE = "|".join(CONNECTIVES)
# "第十、十一条" / "第十至十二条": a list (or range) of numbers sharing one 条
SHARED_TAIL = rf"第\s*(?P<nos>{N}(?:\s*[、，,和及至到~\-—－]\s*{N})+)\s*条"

_ARTICLE_RE = re.compile(ARTICLE)
_SHARED_RE = re.compile(SHARED_TAIL)
_CONT_RE = re.compile(CONTINUATION)
# between a law's name and 第N条: 的 / 中 / 中的 / 里的, and a version note such as （2012年修正）
_BETWEEN = r"\s*(?:[（(][^（）()\n]{1,20}[）)])?\s*(?:中的|里的|中|的)?\s*$"
_LAW_BEFORE_RE = re.compile(rf"(?:{BRACKET_LAW}|{SELF_LAW}|{BARE_LAW}){_BETWEEN}")
_SELF_BEFORE_RE = re.compile(rf"(?:^|[^\u4e00-\u9fff]|{_CONNECTIVE}){SELF_LAW}{_BETWEEN}")
_SELF_RE = re.compile(SELF_LAW)
_LEADING_VERBS = re.compile(rf"^(?:{_CONNECTIVE}|、)+")
_WINDOW = 120  # how far back a law name may stand before its article reference
MAX_RANGE = 50  # 第一条至第九百条 is a range nobody means to cite one by one


@dataclass
class _Mention:
    law_raw: str | None  # as written, None when the reference names no law
    law: str | None  # resolved full name
    start: int


def _resolve_bare(candidate: str, corpus: Corpus) -> tuple[str, str | None]:
    """A bare law name match may have swallowed preceding words: try its suffixes, longest first."""
    for i in range(len(candidate)):
        law = corpus.resolve_law(candidate[i:])
        if law:
            return candidate[i:], law
    return _LEADING_VERBS.sub("", candidate) or candidate, None


def _self_mention(word: str, start: int, context_law: str | None, last_law: _Mention | None) -> _Mention:
    """本法 / 本解释: the context law, else the law named last; 该法 / 同法 / 此法: the law named last, else
    the
    context law (依照《民法典》第一千零四十二条……该法第一千零四十三条 in an interpretation is 民法典's)."""
    if word[0] in "该同此" and last_law and last_law.law:
        return _Mention(last_law.law_raw, last_law.law, start)
    law = context_law or (last_law.law if last_law else None)
    raw = last_law.law_raw if (last_law and not context_law) else context_law
    return _Mention(raw or word, law, start)


def _law_before(text: str, pos: int, corpus: Corpus, context_law: str | None,
                last_law: _Mention | None, floor: int = 0) -> _Mention:
    window = text[max(floor, pos - _WINDOW):pos]  # never reach back into the previous citation
    base = pos - len(window)
    m = _LAW_BEFORE_RE.search(window)
    if m and m.group("law"):
        raw, law = _resolve_bare(m.group("law"), corpus)
        if law is None and (s := _SELF_BEFORE_RE.search(window)):  # 以及本法 / 并依照该法 / 和同法
            return _self_mention(s.group("self"), base + s.start("self"), context_law, last_law)
        return _Mention(raw, law, base + m.start())
    if m and m.group("blaw"):
        raw = normalize_law_name(m.group("blaw"))
        return _Mention(raw, corpus.resolve_law(raw), base + m.start())
    if m:
        return _self_mention(m.group("self"), base + m.start(), context_law, last_law)
    # a bare 第N条 continues the law named last (the context of the passage)
    if last_law:
        return _Mention(last_law.law_raw, last_law.law, last_law.start)
    if context_law:
        return _Mention(context_law, context_law, pos)
    return _Mention(None, None, pos)


def _int(s: str) -> int | None:
    """The number a numeral means, None for a malformed one (三十七一: odd text is no citation)."""
    try:
        return cn_to_int(s)
    except ValueError:
        return None


def _num(s: str | None) -> int | None:
    return _int(s) if s else None


_RANGE_SEPS = "至到~-—－"


def _shared_numbers(nos: str) -> list[int] | None:
    """'十、十一' -> [10, 11]; '十至十二' -> [10, 11, 12]; None when a number is unreadable."""
    parts = re.split(r"\s*([、，,和及至到~\-—－])\s*", nos)
    nums = [_int(p) for p in parts[::2]]
    if None in nums:
        return None
    out = [nums[0]]
    for sep, n in zip(parts[1::2], nums[1:]):
        if sep in _RANGE_SEPS and out[-1] < n <= out[-1] + MAX_RANGE:
            out.extend(range(out[-1] + 1, n + 1))
        else:
            out.append(n)
    return out


class TooManyCitations(ValueError):
    """`extract(limit=n)` found more than n citations (work per request stays bounded)."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} citations in one text")
        self.limit = limit


def extract(text: str, corpus: Corpus, context_law: str | None = None,
            limit: int | None = None) -> list[Citation]:
    """Every article reference in `text`, in order, not yet verified (reason='unverified').

    With `limit`, raises TooManyCitations as soon as more than `limit` are found (ranges count
    each article)."""
    out: list[Citation] = []
    last_law: _Mention | None = None
    pos = 0
    context = corpus.resolve_law(context_law) if context_law else None
    while True:
        if limit is not None and len(out) > limit:
            raise TooManyCitations(limit)
        m_art = _ARTICLE_RE.search(text, pos)
        m_shared = _SHARED_RE.search(text, pos)
        if m_shared and (not m_art or m_shared.start() <= m_art.start()):
            nums = _shared_numbers(m_shared.group("nos"))
            if nums is None:
                pos = m_shared.end()
                continue
            mention = _law_before(text, m_shared.start(), corpus, context, last_law, pos)
            for num in nums:
                out.append(_citation(mention, m_shared.group(0), num, 0, None,
                                     (m_shared.start(), m_shared.end())))
            last_law = mention if mention.law_raw else last_law
            pos = m_shared.end()
            continue
        if not m_art:
            break
        mention = _law_before(text, m_art.start(), corpus, context, last_law, pos)
        if mention.law_raw:
            last_law = mention
        prev_no = _int(m_art.group("no"))
        if prev_no is None:
            pos = m_art.end()
            continue
        out.append(_citation(mention, m_art.group(0), prev_no, _num(m_art.group("sub")) or 0,
                             _num(m_art.group("para")), (m_art.start(), m_art.end())))
        pos = m_art.end()
        while (c := _CONT_RE.match(text, pos)) and (no := _int(c.group("no"))) is not None:
            if limit is not None and len(out) > limit:
                raise TooManyCitations(limit)
            span = (c.start(), c.end())
            if c.group("sep") in _RANGE_SEPS and prev_no < no <= prev_no + MAX_RANGE:
                for n in range(prev_no + 1, no + 1):
                    out.append(_citation(mention, text[m_art.start():c.end()], n, 0, None, span))
            else:
                out.append(_citation(mention, c.group(0).lstrip("、，,和及与或以 "), no,
                                     _num(c.group("sub")) or 0, _num(c.group("para")), span))
            prev_no, pos = no, c.end()
    return out


def _citation(mention: _Mention, raw: str, no: int, sub: int, para: int | None,
              span: tuple[int, int]) -> Citation:
    named = mention.law_raw and not raw.startswith("《") and not _SELF_RE.match(mention.law_raw)
    prefix = f"《{mention.law_raw}》" if named else ""
    return Citation(raw=prefix + raw.strip(), law=mention.law or mention.law_raw, article_no=no,
                    sub_no=sub, paragraph=para, reason="unverified", span=span)


def check(citation: Citation, corpus: Corpus) -> Citation:
    """Fill in reason/article for one extracted citation."""
    law = corpus.resolve_law(citation.law) if citation.law else None
    if law is None:
        citation.reason = "law_not_found"
        return citation
    citation.law = law
    article = corpus.get(law, citation.article_no, citation.sub_no)
    if article is None:
        citation.reason = "article_not_found"
    elif article.status == REPEALED:
        citation.reason, citation.article = "repealed", article
    elif article.status == HISTORICAL:
        citation.reason, citation.article = "historical", article
    else:
        citation.reason, citation.article = "valid", article
    return citation


def verify(text: str, corpus: Corpus, context_law: str | None = None,
           limit: int | None = None) -> list[Citation]:
    """Extract and verify every citation in `text` (what the answer pipeline calls)."""
    return [check(c, corpus) for c in extract(text, corpus, context_law, limit)]


@dataclass
class Unreadable:
    """A 第…条 reference whose number cannot be read (no citation is made of it)."""

    raw: str
    span: tuple[int, int]
    error: str

    def to_dict(self) -> dict:
        return {"raw": self.raw if len(self.raw) <= 60 else self.raw[:57] + "…", "span": list(self.span),
                "error": self.error}


def unreadable(text: str) -> list[Unreadable]:
    """Article references that look like citations but whose number is malformed (第三十七一条) or too
    long (a 5,000-digit number): what `verify` would otherwise pass over in silence."""
    out = []
    for m in _ARTICLE_RE.finditer(text):
        for group in ("no", "sub", "para"):
            if not m.group(group):
                continue
            try:
                cn_to_int(m.group(group))
            except NumeralError as exc:
                out.append(Unreadable(m.group(0), (m.start(), m.end()), str(exc)))
                break
    return out


def verify_one(corpus: Corpus, law: str, article: str | int) -> Citation:
    """Verify a structured reference (law name as written, article number or label)."""
    from lawglm.numerals import parse_article_no

    no, sub = parse_article_no(article)
    c = Citation(raw=f"《{law}》第{article}条" if isinstance(article, int) else f"《{law}》{article}",
                 law=normalize_law_name(law), article_no=no, sub_no=sub)
    return check(c, corpus)


def law_at(text: str, pos: int, corpus: Corpus, context_law: str | None = None) -> tuple[str | None, bool]:
    """(law, named_here) for an article reference that would start at `pos`: the law written right
    before it (named_here=True), else the law named last in the text or `context_law` — the same
    reading `extract` gives a citation there."""
    last: _Mention | None = None
    for c in extract(text[:pos], corpus, context_law):
        if c.law:
            last = _Mention(c.law, corpus.resolve_law(c.law), 0)
    context = corpus.resolve_law(context_law) if context_law else None
    window = text[max(0, pos - _WINDOW):pos]
    if _LAW_BEFORE_RE.search(window):
        mention = _law_before(text, pos, corpus, context, last)
        return mention.law, True
    mention = _law_before(text, pos, corpus, context, last)
    return mention.law, False
