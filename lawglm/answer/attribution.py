"""What an answer attributes to each of its citations.

Owns finding the words tied to one citation: a quotation right after it (“…” / 「…」 / "…", possibly
after （现行有效）/的规定/指出/：) or closing right before a parenthesised citation, the verbatim block
under a heading citation (retrieval-only answers, numbered 法律依据 items), else the claim of its own
clause of the sentence — with the other citations and the connectives (根据…规定) cut out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lawglm.answer.overlap import normalize
from lawglm.records import Citation

MIN_QUOTE_CHARS = 6  # a shorter quotation is a quoted term (“定金”), not a quote of the article
MIN_CLAIM_CHARS = 4  # a clause with fewer content characters carries no claim
QUOTES = {"“": "”", "「": "」", "『": "』", '"': '"', "＂": "＂"}
# what may sit between a citation and its quote: （现行有效） 的 明确 规定 了 ：; the parenthesis may name a
# 项 itself (（现行有效，决定本问题的是第（二）项）)
_LEAD_RE = re.compile(r"[ \t　]*(?:[（(](?:[^（）()\n]|[（(][^（）()\n]{1,4}[）)]){0,30}[）)])?[ \t　]*的?中?"
                      r"(?P<verb>(?:明确|明文|亦|也|还|同时|进一步|专门|已)?(?:规定|指出|载明|写明|写道|表述为|提到|称)了?)?"
                      r"[ \t　]*(?P<colon>[：:，,])?[ \t　]*")
_LINE_MARK_RE = re.compile(
    r"[ \t　]*(?:【\d+】|\[\d+\]|\d{1,2}[.、．)）]?|[（(][一二三四五六七八九十\d]{1,3}[）)]|[-*•·]|#+)?"
    r"[ \t　]*(?:\*\*)?(?:[\u4e00-\u9fff]{2,6}[：:])?[ \t　]*(?:根据|依据)?[ \t　]*"
)
_SECTION_RE = re.compile(
    r"[ \t　]*(?:#+[ \t　]*|\*\*)?(?:【[^】\d]{2,8}】|[\u4e00-\u9fff]{2,8}[：:][ \t　]*$)"
)
_TITLE_RE = re.compile(r"【[^】\d]{1,40}】")  # 【违约金】: a publisher's article title, not its text
SENTENCE_END = "。！？!?；;\n"
# words that tie a claim to a citation but say nothing about the law's content
_CONNECTIVES_RE = re.compile(
    r"您好|我国|另外|此外|因此|所以|那么|也就是说|换言之|总之|综上所述|综上|法律依据|法律规定|参考法条|根据|依据|依照|按照|参照|参见|详见|相关|有关|的规定|规定|明确|指出|条文|法条|以上|上述|之规定"
)


# what is left of 根据《X》第N条的规定， once the citation is cut out (dropped from the claim as shown)
_LEADING_TIE_RE = re.compile(r"^[\s，,：:”」』]*(?:(?:另外|此外|同时|而且|并且|因此|所以)[，,]?)?[\s，,：:]*"
                             r"(?:根据|依据|依照|按照|参照|按)?[\s，,：:]*(?:的|之)?(?:相关|有关)?"
                             r"(?:规定|明确规定|明确指出|指出)?[\s，,：:]*")


@dataclass
class Attribution:
    """The words an answer ties to one citation."""

    kind: str  # quote (in quotation marks) | block (verbatim text under a heading citation) | claim | none
    text: str
    span: tuple[int, int] = (0, 0)

    @property
    def quoted(self) -> bool:
        return self.kind in ("quote", "block")


def claim_text(clause: str) -> str:
    """A clause minus list marks, article titles (【违约金】) and the connectives that tie it to a
    citation."""
    return _CONNECTIVES_RE.sub("", _TITLE_RE.sub("", _LINE_MARK_RE.sub("", clause, count=1)))


def words(att: Attribution) -> str:
    """The attributed words that are compared with the article."""
    return _TITLE_RE.sub("", att.text) if att.quoted else claim_text(att.text)


def law_start(text: str, cite: Citation) -> int:
    """Where the citation's written law name starts (the span covers only 第N条), else span start."""
    start = cite.span[0]
    if not cite.raw.startswith("《"):
        return start
    law_raw = cite.raw[1:cite.raw.find("》")]
    w0 = max(0, start - len(law_raw) - 8)
    head = text[w0:start].rstrip(" \t　的")
    for written in (f"《{law_raw}》", law_raw):
        if law_raw and head.endswith(written):
            return w0 + len(head) - len(written)
    return start


def _quote_at(text: str, pos: int) -> Attribution | None:
    """A quotation starting at `pos` (unclosed: to the end of its paragraph)."""
    if pos >= len(text) or text[pos] not in QUOTES:
        return None
    close = text.find(QUOTES[text[pos]], pos + 1)
    if close < 0:
        para = text.find("\n\n", pos)
        close = len(text) if para < 0 else para
    if len(normalize(text[pos + 1:close])) < MIN_QUOTE_CHARS:
        return None  # “定金”: a quoted term, not a quotation of the article
    return Attribution("quote", text[pos + 1:close], (pos + 1, close))


def _quote_before(text: str, start: int) -> Attribution | None:
    """“…”（《X》第N条）: a quotation closing right before a parenthesised citation."""
    i = start - 1
    while i >= 0 and text[i] in " \t　（(":
        i -= 1
    if i < 0 or text[i] not in QUOTES.values() or "（" not in text[i:start] and "(" not in text[i:start]:
        return None
    opener = next(o for o, c in QUOTES.items() if c == text[i])
    open_at = text.rfind(opener, 0, i)
    if open_at < 0 or len(normalize(text[open_at + 1:i])) < MIN_QUOTE_CHARS:
        return None
    return Attribution("quote", text[open_at + 1:i], (open_at + 1, i))


def _block_after(text: str, pos: int) -> Attribution:
    """The lines under a heading citation, up to a blank line, the next heading or a section title."""
    end = pos
    while end < len(text):
        nl = text.find("\n", end)
        line_end = len(text) if nl < 0 else nl
        if end > pos and (not text[end:line_end].strip() or _SECTION_RE.match(text, end)
                          or _is_heading_line(text[end:line_end])):
            break
        end = line_end + 1
    end = min(end, len(text))
    return Attribution("block", text[pos:end].rstrip(), (pos, end))


def _is_heading_line(line: str) -> bool:
    m = _LINE_MARK_RE.match(line)
    rest = line[m.end():] if m else line
    return bool(re.match(r"《[^》\n]{1,60}》\s*第|[\u4e00-\u9fff]{2,30}法\s*第", rest))


def _lead(text: str, cite: Citation, law_start: int) -> Attribution | None:
    """A quote or verbatim block that follows the citation."""
    m = _LEAD_RE.match(text, cite.span[1])
    quote = _quote_at(text, m.end())
    if quote:
        return quote
    line_start = max(text.rfind(ch, 0, law_start) for ch in SENTENCE_END) + 1
    mark = _LINE_MARK_RE.match(text, line_start)
    if mark.end() < law_start:
        return None  # words before the citation in its sentence: it is part of that sentence
    if m.end() >= len(text) or text[m.end()] == "\n":  # heading alone on its line: the text is below
        return _block_after(text, m.end() + 1) if m.end() < len(text) else None
    if m.group("colon") in ("：", ":") and not m.group("verb"):  # 《X》第N条（现行有效）：text
        return _block_after(text, m.end())
    return None


def _bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end)."""
    lo = max(text.rfind(ch, 0, start) for ch in SENTENCE_END) + 1
    while (
        lo < start and text[lo] in '”」』" \t　'
    ):  # 。” : the quotation's close belongs to the sentence before
        lo += 1
    his = [i for i in (text.find(ch, end) for ch in SENTENCE_END) if i >= 0]
    return lo, min(his) if his else len(text)


def _claim(text: str, cite: Citation, spans: list[tuple[int, int]], law_start: int) -> Attribution:
    """The clause of the sentence that belongs to this citation (its other citations cut out)."""
    lo, hi = _bounds(text, law_start, cite.span[1])
    if not normalize(claim_text(text[lo:hi].replace(text[law_start:cite.span[1]], ""))) and hi < len(text):
        hi = _bounds(text, hi + 1, hi + 1)[1]  # 根据…第N条规定：⏎ the claim is on the next line
    inside = sorted(s for s in spans if lo <= s[0] and s[1] <= hi)
    mine = next(
        (i for i, s in enumerate(inside) if s[0] <= cite.span[0] < s[1] or s == (law_start, cite.span[1])),
        None,
    )
    if mine is None or len(inside) == 1:
        pieces = [(lo, hi)]
    elif (
        text[max(lo, law_start - 1) : law_start] in "（("
        and text[inside[mine][1] : inside[mine][1] + 1] in "）)"
    ):
        pieces = [(inside[mine - 1][1] if mine else lo, law_start)]  # …（《X》第N条）: the claim precedes it
    else:  # 《A》第1条规定X，《B》第2条规定Y: from this citation to the next that has words between
        pieces = _segment_after(text, inside, mine, lo, hi)
    claim = "".join(_cut(text, a, b, inside) for a, b in pieces)
    if len(normalize(claim_text(claim))) < MIN_CLAIM_CHARS:
        return Attribution("none", "", (lo, hi))
    return Attribution(
        "claim", _LEADING_TIE_RE.sub("", claim).rstrip(" ，,：:"), (pieces[0][0], pieces[-1][1])
    )


def _segment_after(text: str, inside: list, mine: int, lo: int, hi: int) -> list[tuple[int, int]]:
    seg_end = hi
    for j in range(mine + 1, len(inside)):
        gap = text[inside[j - 1][1]:inside[j][0]]
        if len(normalize(claim_text(gap))) >= MIN_CLAIM_CHARS:
            seg_end = inside[j][0]
            break
    before = (lo, inside[0][0]) if mine == 0 else (inside[mine][0], inside[mine][0])
    return [before, (inside[mine][1], seg_end)]


def _cut(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> str:
    out, pos = [], a
    for s, e in spans:
        if s >= pos and e <= b:
            out.append(text[pos:s])
            pos = e
    out.append(text[pos:b])
    return "".join(out)


def attributed(text: str, cite: Citation, citations: Sequence[Citation]) -> Attribution:
    """What `text` attributes to `cite`: a quote, a verbatim block, the claim of its clause, or none."""
    begin = law_start(text, cite)
    found = _lead(text, cite, begin) or _quote_before(text, begin)
    if found and normalize(found.text):
        return found
    spans = sorted({(law_start(text, c), c.span[1]) for c in citations})
    return _claim(text, cite, spans, begin)
