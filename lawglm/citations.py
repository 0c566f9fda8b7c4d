"""Citation extraction and verification: the ONE citation grammar lawglm uses.

`extract` finds every article reference in free text — 《X法》第N条, X法第N条,
第N条第M款, 第十条至第十二条, 第十条、第十一条, 本法第N条 — and `verify`
checks each against the corpus with a reason code:
valid / repealed / historical / law_not_found / article_not_found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .corpus import Corpus, normalize_law_name
from .numerals import NUMBER_PATTERN, cn_to_int
from .records import HISTORICAL, REPEALED, Citation

N = rf"(?:{NUMBER_PATTERN})"
# one article reference: 第N条(之M)?(第M款)?(第M项)?  — also 第(N)项 with full-width parens
ARTICLE = rf"第\s*(?P<no>{N})\s*条(?:之(?P<sub>{N}))?(?:\s*第\s*(?P<para>{N})\s*款)?(?:\s*第\s*[（(]?{N}[）)]?\s*项)?"
# what may follow an article reference and continue the list: 、第N条 / 至第N条 / 、N条 / 和第N条
CONTINUATION = rf"\s*(?P<sep>[、，,和及与或至到~\-—－]|以及)\s*(?:第\s*)?(?P<no>{N})\s*条(?:之(?P<sub>{N}))?(?:\s*第\s*(?P<para>{N})\s*款)?"
BRACKET_LAW = r"《(?P<blaw>[^》\n]{1,60})》"
BARE_LAW = r"(?P<law>[\u4e00-\u9fff]{1,40}?(?:法典|法|条例|规定|办法|解释|决定))"
SELF_LAW = r"(?P<self>本法|该法|同法|此法|本条例|该条例)"
# "第十、十一条": a list of numbers sharing one 条
SHARED_TAIL = rf"第\s*(?P<nos>{N}(?:\s*[、，,和及]\s*{N})+)\s*条"

_ARTICLE_RE = re.compile(ARTICLE)
_SHARED_RE = re.compile(SHARED_TAIL)
_CONT_RE = re.compile(CONTINUATION)
_LAW_BEFORE_RE = re.compile(rf"(?:{BRACKET_LAW}|{SELF_LAW}|{BARE_LAW})\s*(?:的)?\s*$")
_SELF_RE = re.compile(SELF_LAW)
_LEADING_VERBS = re.compile(r"^(?:根据|依据|依照|按照|参照|参见|适用|违反|依|据|按|照|见|即|如|和|及|与|或|、)+")
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


def _law_before(text: str, pos: int, corpus: Corpus, context_law: str | None,
                last_law: _Mention | None, floor: int = 0) -> _Mention:
    window = text[max(floor, pos - 64):pos]  # never reach back into the previous citation
    m = _LAW_BEFORE_RE.search(window)
    if m:
        start = pos - len(window) + m.start()
        if m.group("blaw"):
            raw = normalize_law_name(m.group("blaw"))
            return _Mention(raw, corpus.resolve_law(raw), start)
        if m.group("self"):
            law = context_law or (last_law.law if last_law else None)
            raw = last_law.law_raw if (last_law and not context_law) else context_law
            return _Mention(raw or m.group("self"), law, start)
        raw, law = _resolve_bare(m.group("law"), corpus)
        return _Mention(raw, law, start)
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


def extract(text: str, corpus: Corpus, context_law: str | None = None) -> list[Citation]:
    """Every article reference in `text`, in order, not yet verified (reason='unverified')."""
    out: list[Citation] = []
    last_law: _Mention | None = None
    pos = 0
    context = corpus.resolve_law(context_law) if context_law else None
    while True:
        m_art = _ARTICLE_RE.search(text, pos)
        m_shared = _SHARED_RE.search(text, pos)
        if m_shared and (not m_art or m_shared.start() <= m_art.start()):
            nums = [_int(n) for n in re.split(r"\s*[、，,和及]\s*", m_shared.group("nos"))]
            if None in nums:
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
            span = (c.start(), c.end())
            if c.group("sep") in "至到~-—－" and prev_no < no <= prev_no + MAX_RANGE:
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


def verify(text: str, corpus: Corpus, context_law: str | None = None) -> list[Citation]:
    """Extract and verify every citation in `text` (what the answer pipeline calls)."""
    return [check(c, corpus) for c in extract(text, corpus, context_law)]


def verify_one(corpus: Corpus, law: str, article: str | int) -> Citation:
    """Verify a structured reference (law name as written, article number or label)."""
    from .numerals import parse_article_no

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
    window = text[max(0, pos - 64):pos]
    if _LAW_BEFORE_RE.search(window):
        mention = _law_before(text, pos, corpus, context, last)
        return mention.law, True
    mention = _law_before(text, pos, corpus, context, last)
    return mention.law, False
