"""The law ↔ interpretation cross-reference graph: which article applies which, read from the texts.

Owns `build_links(corpus) -> Links`. A judicial interpretation, regulation or rule article that cites another
document's article — 根据《民法典》第一千零四十二条…, 依照民法典第…条, 《最高人民法院关于…的解释（一）
》第五条,
该法第…条 after a named law — *applies* that article; the cited article is *applied by* it. Citations are
read with the one citation grammar (`lawglm.statutes.citations.extract`, the citing document as the context
of 本解释 / 本规定 / 本条例) and every target is checked against the corpus (`citations.check`): only a
target that exists and is in force becomes a link, never a repealed or historical version, never an
article the corpus lacks. Only current versions link; references inside one document (本解释第三条) and
citations written in a law's own text (a 法律 citing another 法律) are not part of the graph.

Building the graph reads every citing document (~1 s on the default corpus); `update_links` recomputes only
the documents a change can touch (an index update: the changed laws and the documents naming them) and
`links_touching` only those that can link one law's articles (a `lookup` without an index); both give the
very links `build_links` gives (tests/test_links.py compares them).

`Links.of(article) -> (applied_by, applies)` gives an article's links as `LinkRef`s (law, number, label,
citation, level), laws' articles listing the interpretations that apply them first. `to_json` /
`from_json` store the graph beside an index version (`links.json`, written with the rest of the version,
so it is as atomic and versioned as the index itself); it holds each linked article's law, number and
level, so reading it needs no corpus.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from lawglm.numerals import article_label
from lawglm.records import Article
from lawglm.statutes.citations import check, extract
from lawglm.statutes.corpus import Corpus, normalize_law_name

FORMAT = 1
# documents whose own citations are not links: a law citing another law is a reference between statutes of
# one level, not an interpretation or regulation applying one
LAW_LEVELS = ("法律", "宪法")
# the order of levels in a list of links: an interpretation first (what a law article's reader most needs)
LEVEL_ORDER = {"司法解释": 0, "行政法规": 1, "部门规章": 2, "法律": 3, "宪法": 4}
_MARKER = "条"  # a text without it cites no article (cheap skip before the citation grammar)


@dataclass(frozen=True)
class LinkRef:
    """One end of a link: an article in force, named as the corpus names it."""

    key: str  # Article.key of the current version
    law: str
    article_no: int
    sub_no: int = 0
    level: str = ""

    @property
    def label(self) -> str:
        return article_label(self.article_no, self.sub_no)

    @property
    def citation(self) -> str:
        return f"《{self.law}》{self.label}"

    @property
    def short(self) -> str:
        """The name a reader knows the document by: 婚姻家庭编解释一, 民间借贷规定, 民法典."""
        from lawglm.statutes.corpus import NATION_PREFIX
        from lawglm.statutes.levels import short_names

        names = short_names(self.law)
        return names[0] if names else self.law.removeprefix(NATION_PREFIX)

    def to_dict(self) -> dict:
        return {"law": self.law, "short": self.short, "article_no": self.article_no, "sub_no": self.sub_no,
                "label": self.label, "citation": self.citation, "level": self.level, "key": self.key}

    @classmethod
    def of(cls, a: Article) -> LinkRef:
        return cls(a.key, a.law, a.article_no, a.sub_no, a.level)


def _order(ref: LinkRef) -> tuple:
    return (LEVEL_ORDER.get(ref.level, 5), ref.law, ref.article_no, ref.sub_no, ref.key)


class Links:
    """The graph: for each article key, the articles it applies and the articles that apply it."""

    def __init__(self, edges: Iterable[tuple[LinkRef, LinkRef]] = ()):
        self._applies: dict[str, list[LinkRef]] = defaultdict(list)
        self._applied_by: dict[str, list[LinkRef]] = defaultdict(list)
        self._refs: dict[str, LinkRef] = {}
        seen: set[tuple[str, str]] = set()
        for src, dst in edges:
            if (src.key, dst.key) in seen or src.key == dst.key:
                continue
            seen.add((src.key, dst.key))
            self._refs[src.key], self._refs[dst.key] = src, dst
            self._applies[src.key].append(dst)
            self._applied_by[dst.key].append(src)
        for table in (self._applies, self._applied_by):
            for refs in table.values():
                refs.sort(key=_order)
        self.edges = len(seen)

    def __len__(self) -> int:
        return self.edges

    def pairs(self) -> list[tuple[LinkRef, LinkRef]]:
        """Every link as (citing article, cited article)."""
        return [(self._refs[src], dst) for src, targets in self._applies.items() for dst in targets]

    def of(self, article: Article | str) -> tuple[list[LinkRef], list[LinkRef]]:
        """(applied_by, applies) of an article (or an Article.key): interpretations first, then regulations,
        rules, laws; each list in law and article order. Empty for an article without links (a
        historical version has none: only current versions link)."""
        key = article if isinstance(article, str) else article.key
        return list(self._applied_by.get(key, ())), list(self._applies.get(key, ()))

    def to_dict(self, article: Article | str, limit: int | None = None) -> dict:
        """{applied_by: [...], applies: [...], applied_by_total, applies_total}: what the API and `lookup
        --json` show (each list cut to `limit`, the totals say how many there are)."""
        by, to = self.of(article)
        return {"applied_by": [r.to_dict() for r in by[:limit]], "applies": [r.to_dict() for r in to[:limit]],
                "applied_by_total": len(by), "applies_total": len(to)}

    # --- storage ------------------------------------------------------------------------
    def to_json(self) -> str:
        pairs = [[src, dst.key] for src, targets in sorted(self._applies.items()) for dst in targets]
        table = {k: [r.law, r.article_no, r.sub_no, r.level] for k, r in sorted(self._refs.items())}
        return json.dumps({"format": FORMAT, "articles": table, "edges": pairs}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Links:
        """The graph `to_json` wrote; ValueError when the text is not one."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a links file of format 1")
        refs = {
            k: LinkRef(k, str(v[0]), int(v[1]), int(v[2]), str(v[3])) for k, v in data["articles"].items()
        }
        return cls((refs[s], refs[d]) for s, d in data["edges"])


def build_links(corpus: Corpus, sources: set[str] | None = None) -> Links:
    """The graph of `corpus`: every citation in a current non-law article's text that resolves to an article
    of another document which exists and is in force, and which is the article the citing text meant (see
    `_Evidence`). `sources`: only the links whose citing document (law name) is one of these."""
    return Links(_edges(corpus, sources))


def _edges(corpus: Corpus, sources: set[str] | None,
           focus: set[str] | None = None) -> list[tuple[LinkRef, LinkRef]]:
    """The links of `sources` (all citing documents when None); `focus`: only those from or to these
    article keys (a group of doubtful citations is weighed only when one of them is in it)."""
    evidence = _Evidence(corpus)
    edges, doubtful = [], defaultdict(list)
    for a in corpus.articles:  # corpus order: a group's evidence is summed in the same order every time
        if not _citing(a) or (sources is not None and a.law not in sources):
            continue
        cites = extract(a.text, corpus, context_law=a.law)
        for c in cites:
            if not c.law or c.law == a.law:
                continue
            c = check(c, corpus)
            target = c.article
            if not c.verified or target is None or target.law == a.law:
                continue
            if evidence.current_when_written(a, target):
                if focus is None or a.key in focus or target.key in focus:
                    edges.append((LinkRef.of(a), LinkRef.of(target)))
            else:
                doubtful[(a.law, target.law)].append((a, cites, target))
    for group in doubtful.values():
        if focus is not None and not any(a.key in focus or t.key in focus for a, _, t in group):
            continue
        edges.extend((LinkRef.of(a), LinkRef.of(target)) for a, _, target in evidence.meant(group)
                     if focus is None or a.key in focus or target.key in focus)
    return edges


def _citing(a: Article) -> bool:
    """Whether an article's text may cite another document's article as a link (current, not a law's,
    holds 条)."""
    return a.is_current and a.level not in LAW_LEVELS and _MARKER in a.text


def naming(corpus: Corpus, names: set[str]) -> set[str]:
    """Documents with a citing article whose text holds one of `names` (law names as `resolve_law` looks
    them up). A citation can only resolve to a law through one of its names written in the text (a 本法 /
    该法 goes to the document itself or to a law named before it), so no other document cites that law."""
    keys = {k for k in (normalize_law_name(n) for n in names) if k}
    out: set[str] = set()
    for a in corpus.articles:
        if a.law not in out and _citing(a):
            text = normalize_law_name(a.text)
            if any(k in text for k in keys):
                out.add(a.law)
    return out


def names_of(corpus: Corpus, laws: set[str]) -> set[str]:
    """Every name `corpus.resolve_law` resolves to one of `laws`."""
    return {k for k, v in corpus.aliases().items() if v in laws}


def links_touching(corpus: Corpus, law: str, articles: list[Article] | None = None) -> Links:
    """Every link into or out of `law`'s articles (only `articles`, of that law, if given), as
    `build_links(corpus)` has them, read from only the documents that can make one: `law` itself and the
    documents naming it (what `lookup` shows without an index; the whole graph reads every citing
    document, and weighs every doubtful citation)."""
    sources = {law} | naming(corpus, names_of(corpus, {law}))
    return Links(_edges(corpus, sources, {a.key for a in articles} if articles is not None else None))


def update_links(old: Links, old_corpus: Corpus, corpus: Corpus, laws: set[str]) -> Links:
    """`build_links(corpus)`, given `old` = `build_links(old_corpus)` and `laws` holding every law whose
    articles differ between the two corpora (an index update's touched laws). Only documents whose links
    can differ are read again: those in `laws`, those naming one of them, and those naming any name whose
    meaning changed (a new law can make a shared short name ambiguous); every other document keeps its
    links."""
    before, after = old_corpus.aliases(), corpus.aliases()
    moved = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    names = {k for k, v in before.items() if v in laws} | {k for k, v in after.items() if v in laws} | moved
    redo = set(laws) | naming(corpus, names)
    redo |= {src.law for src, dst in old.pairs() if dst.law in laws}  # (named them: already in redo)
    kept = [(src, dst) for src, dst in old.pairs() if src.law not in redo]
    return Links(kept + _edges(corpus, redo))


# A law revised after the document citing it may have been renumbered (民事诉讼法 2023: the 第一百一十一条 a
# 2020 interpretation cites is today's 第一百一十四条). Such a citation is kept when the citing article's
# words
# (weighted by their rarity within the law) bear out the cited article at least MIN_SHARE as well as any of
# its SHIFT neighbours on either side, or when the document's citations of that law, taken together, bear
# out the numbers as they stand GROUP_MARGIN times better than any shift of them does (a law renumbered
# by insertions shifts the meant articles; its numbering kept, as 刑法's, the unshifted ones win).
SHIFT = 12
MIN_SHARE = 0.8
GROUP_MARGIN = 1.5


class _Evidence:
    """Whether citations mean the current articles of their numbers."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self._laws: dict[str, tuple[dict[tuple[int, int], frozenset], dict[str, float], list]] = {}

    def current_when_written(self, src: Article, target: Article) -> bool:
        """The law was not revised after `src` was (version dates), or a stored version of it in force when
        `src` was written has the same text for the cited article."""
        written = src.version_date or src.effective_date
        if not written:
            return False
        if target.version_date and target.version_date <= written:
            return True
        return any(v.version_date and v.version_date <= written and v.text == target.text
                   for v in self.corpus.versions(target.law, target.article_no, target.sub_no)[1:])

    def meant(self, group: list[tuple[Article, list, Article]]) -> list[tuple[Article, list, Article]]:
        """Of one document's citations of one law revised after it, those whose numbers hold (see above)."""
        grams, idf, order = self._law(group[0][2].law)
        place = {k: i for i, k in enumerate(order)}
        totals: dict[int, float] = defaultdict(float)
        rows = []
        for src, cites, target in group:
            own = _bigrams(_without_citations(src.text, cites))
            at = place[(target.article_no, target.sub_no)]
            row = {shift: sum(idf[g] for g in own & grams[order[at + shift]])
                   for shift in range(-SHIFT, SHIFT + 1) if 0 <= at + shift < len(order)}
            for shift, score in row.items():
                totals[shift] += score
            rows.append(row)
        others = max((v for k, v in totals.items() if k), default=0.0)
        as_group = totals[0] > 0 and totals[0] >= GROUP_MARGIN * others
        return [item for item, row in zip(group, rows)
                if row[0] > 0 and (as_group or row[0] >= MIN_SHARE * max(row.values()))]

    def _law(self, law: str):
        if law not in self._laws:
            import math

            arts = [a for a in self.corpus.law_articles(law) if a.is_current]
            grams = {(a.article_no, a.sub_no): frozenset(_bigrams(a.text)) for a in arts}
            df: dict[str, int] = defaultdict(int)
            for g in grams.values():
                for x in g:
                    df[x] += 1
            idf = {x: math.log((len(grams) + 1) / (n + 1)) for x, n in df.items()}
            self._laws[law] = (grams, idf, sorted(grams))
        return self._laws[law]


def _without_citations(text: str, cites: list) -> str:
    """`text` with its 第N条 references blanked (their words are no evidence of what they mean)."""
    out = list(text)
    for c in cites:
        for i in range(*c.span):
            out[i] = " "
    return "".join(out)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)
            if "\u4e00" <= text[i] <= "\u9fff" and "\u4e00" <= text[i + 1] <= "\u9fff"}
