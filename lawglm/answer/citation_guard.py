"""Constrained citations for lawglm's own decode loop: the local model cannot cite an article it was not
given.

`CitationGuard(sources, corpus)` answers three questions the decode loop asks (decoding.decode):
- `check(text, piece)`: may the reply `text` continue with `piece`? No when the piece completes a
  citation (parsed by the one citation grammar, citations.extract) of an article outside the sources,
  or leaves a citation in progress that can no longer become an allowed one (《劳动…》 must be heading
  for a source's law; 第一千零八… must be heading for one of that law's source articles);
- `fallback(text)`: the rest of an allowed citation to force when no sampled token passes;
- `forced(text)`: when the reply opens a quotation right after citing a source (…第N条规定：“), the
  article's own words to insert verbatim (its paragraphs that matter for the question), closing mark
  included — the model never paraphrases inside quotation marks.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from lawglm.answer.prompts import excerpt
from lawglm.numerals import int_to_cn
from lawglm.records import Article
from lawglm.search.text import short_law_name
from lawglm.statutes.citations import extract, law_at

SENSITIVE = re.compile(r"[《》第条之“「\"零〇一二三四五六七八九十百千两0-9]")
PARTIAL = re.compile(
    r"第\s*(?P<no>[零〇一二三四五六七八九十百千两0-9]*)(?:条之(?P<sub>[零〇一二三四五六七八九十]*))?$"
)
QUOTE_OPEN = {"“": "”", "「": "」", "\"": "\""}
QUOTE_AFTER = re.compile(r"(?:的)?(?:规定|明确规定|指出|写明|载明)?\s*[：:，,]?\s*$")
ENUMERATION = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
QUOTE_CHARS = 300


def number_forms(article_no: int, sub_no: int = 0) -> list[str]:
    """How an article number is written between 第 and 条: 一千零七十九 / 1079 (and 之一 forms)."""
    forms = [int_to_cn(article_no), str(article_no)]
    if sub_no:
        forms = [f"{f}条之{int_to_cn(sub_no)}" for f in forms]
    return forms


class CitationGuard:
    """Which continuations keep a reply's citations inside `sources` (see the module doc)."""

    def __init__(self, sources: Sequence[Article], corpus, query: str = "", quote_chars: int = QUOTE_CHARS):
        self.corpus, self.query, self.quote_chars = corpus, query, quote_chars
        self.sources = {(a.law, a.article_no, a.sub_no): a for a in sources}
        self.numbers: dict[str, list[str]] = {}
        for a in sources:
            self.numbers.setdefault(a.law, []).extend(number_forms(a.article_no, a.sub_no))
        aliases = corpus.aliases()
        self.allowed_names = sorted(n for n, law in aliases.items() if law in self.numbers)
        self.all_names = sorted(aliases)
        # what a fallback completes a law name to: the full and the short name before other aliases
        self.completions = [
            n for law in self.numbers for n in (law, short_law_name(law))
        ] + self.allowed_names

    # --- the three questions ------------------------------------------------------------------
    def check(self, text: str, piece: str) -> bool:
        if "\ufffd" in piece or (not SENSITIVE.search(piece) and not self._in_brackets(text)):
            return True
        new = text + piece
        for c in extract(new, self.corpus):
            if c.span[1] > len(text) and not self._allowed(c.law, c.article_no, c.sub_no):
                return False
        if self._in_brackets(new) and not self._name_ok(new[new.rfind("《") + 1:]):
            return False
        m = PARTIAL.search(new)
        if m and not self._number_ok(new, m):
            return False
        return self._quote_ok(text, piece)

    def fallback(self, text: str) -> str | None:
        """The rest of the first allowed citation the text's unfinished one can still become."""
        if self._in_brackets(text):
            name = text[text.rfind("《") + 1:]
            for full in self.completions:
                if full.startswith(name):
                    law = self.corpus.resolve_law(full)
                    return full[len(name):] + "》第" + self.numbers[law][0] + "条"
            return None
        m = PARTIAL.search(text)
        if not m or m.group("sub") is not None:
            return None
        law, _ = law_at(text, m.start(), self.corpus)
        for form in self.numbers.get(law, []) if law else [n for ns in self.numbers.values() for n in ns]:
            if form.startswith(m.group("no")):
                rest = form[len(m.group("no")):]
                return rest if "条" in rest else rest + "条"
        return None

    def forced(self, text: str) -> str | None:
        """The verbatim quotation to insert when `text` has just opened one after citing a source."""
        if not text or text[-1] not in QUOTE_OPEN:
            return None
        article = self._cited_before(text[:-1])
        if article is None:
            return None
        return excerpt(article.text, self.query, self.quote_chars) + QUOTE_OPEN[text[-1]]

    # --- helpers ------------------------------------------------------------------------------
    def _allowed(self, law: str | None, no: int, sub: int) -> bool:
        resolved = self.corpus.resolve_law(law) if law else None
        return (resolved, no, sub) in self.sources

    @staticmethod
    def _in_brackets(text: str) -> bool:
        return text.rfind("《") > text.rfind("》")

    def _name_ok(self, name: str) -> bool:
        """Inside 《…: heading for a source's law, or not a law name at all (《劳动合同》 the document)."""
        return _has_prefix(self.allowed_names, name) or not _has_prefix(self.all_names, name)

    def _number_ok(self, text: str, m: re.Match) -> bool:
        law, named_here = law_at(text, m.start(), self.corpus)
        no, sub = m.group("no"), m.group("sub")
        if law is not None and law not in self.numbers:
            return not named_here and no in ENUMERATION | {""} and sub is None  # 第一、第二 … after a law
        forms = self.numbers.get(law, []) if law else [n for ns in self.numbers.values() for n in ns]
        partial = no if sub is None else f"{no}条之{sub}"
        if any(f.startswith(partial) for f in forms):
            return True
        return not named_here and law is None and no in ENUMERATION | {""}

    def _quote_ok(self, text: str, piece: str) -> bool:
        """A quotation opened right after a citation must end the piece, so it can be filled verbatim."""
        for i, ch in enumerate(piece):
            if ch in QUOTE_OPEN and i < len(piece) - 1 and self._cited_before(text + piece[:i]) is not None:
                return False
        return True

    def _cited_before(self, text: str) -> Article | None:
        """The source article cited at the end of `text` (…第N条, …第N条规定：), if any."""
        tail = QUOTE_AFTER.search(text)
        head = text[:tail.start()] if tail else text
        cites = [c for c in extract(head, self.corpus) if c.span[1] == len(head)]
        if not cites:
            return None
        c = cites[-1]
        law = self.corpus.resolve_law(c.law) if c.law else None
        return self.sources.get((law, c.article_no, c.sub_no))


def _has_prefix(names: list[str], prefix: str) -> bool:
    i = bisect.bisect_left(names, prefix)
    return i < len(names) and names[i].startswith(prefix)
