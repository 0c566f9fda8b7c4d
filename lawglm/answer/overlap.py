"""Text overlap between what an answer says and an article: char n-gram containment and alignment.

Owns the comparison `support` decides with: `normalize` keeps the characters that carry content,
`containment` is the share of a text's char n-grams found in the article (robust to punctuation,
word order inside a clause and small omissions), and `differing` aligns the two texts character by
character to catch what n-grams cannot see — one changed number, negation or modal.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise

MAX_EDIT_GAP = 6  # an article gap this short between aligned blocks is an edit, longer a skipped part
# characters that change what a sentence says: numbers, negations, modals
CRITICAL = frozenset("零〇一二三四五六七八九十百千万亿两半倍不未无非否禁免勿应可须必")
_ELLIPSIS_RE = re.compile(r"[…⋯]+|\.{3,}|。{3,}")
_KEEP_RE = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
_WIDE = str.maketrans("０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
                      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalize(text: str) -> str:
    """Only the characters that carry content: CJK, Latin letters, digits (full-width folded)."""
    return _KEEP_RE.sub("", text.translate(_WIDE)).upper()


@lru_cache(maxsize=8192)
def ngrams(text: str, n: int) -> frozenset[str]:
    """Char n-grams of the content characters; an ellipsis (…… / ...) splits the text: no n-gram spans it."""
    parts = [normalize(p) for p in _ELLIPSIS_RE.split(text)]
    grams = {p[i:i + n] for p in parts for i in range(len(p) - n + 1)}
    if not grams and any(parts):
        grams = {p for p in parts if p}
    return frozenset(grams)


def containment(part: str, whole: str, n: int) -> float:
    """Share of `part`'s char n-grams that occur in `whole` (1.0 = every n-gram found)."""
    grams = ngrams(part, n)
    if not grams:
        return 0.0
    return len(grams & ngrams(whole, n)) / len(grams)


@lru_cache(maxsize=4096)
def differing(part: str, whole: str) -> str:
    """Numbers, negations and modals where `part` and the article differ, by character alignment.

    n-gram containment cannot see one changed character (处五年 for 处三年, 可以 for 应当, a dropped 不):
    align the two texts (difflib; blocks of 3+ characters) and return the critical characters of `part`
    outside every aligned block, plus those the article has in a short gap that `part` skips or replaces.
    """
    a, b = normalize(part), normalize(whole)
    if a in b:
        return ""  # verbatim
    blocks = [m for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size >= 3]
    covered = [False] * len(a)
    for m in blocks:
        covered[m.a:m.a + m.size] = [True] * m.size
    out = [ch for ch, c in zip(a, covered) if not c and _critical(ch)]
    if not blocks:
        return "".join(out)
    first, last = blocks[0], blocks[-1]
    gaps = [(a[m1.a + m1.size:m2.a], b[m1.b + m1.size:m2.b]) for m1, m2 in pairwise(blocks)]
    head, tail = a[:first.a], a[last.a + last.size:]
    if 0 < len(head) <= MAX_EDIT_GAP:  # 有效的… for 无效的…: the edit sits before the first aligned block
        gaps.append((head, b[max(0, first.b - len(head) - 2):first.b]))
    if 0 < len(tail) <= MAX_EDIT_GAP:  # …下落明 for …下落不明
        end = last.b + last.size
        gaps.append((tail, b[end:end + len(tail) + 2]))
    for gap_a, gap_b in gaps:
        if len(gap_b) <= MAX_EDIT_GAP + 2:
            out += [ch for ch in gap_b if _critical(ch) and ch not in gap_a]
    return "".join(out)


def _critical(ch: str) -> bool:
    return ch in CRITICAL or ch.isdigit()
