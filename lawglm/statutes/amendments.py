"""Amendment history and the status an article is shown with, read from the corpus itself.

laws.db marks a law 已被修改 when a later act changed its stored text (the 刑法 is stored as amended on
2020-12-26; 《刑法修正案（十二）》 of 2023-12-29 rewrote seven of its articles). To a citizen that tag reads
as
"outdated" for every article, so what is shown is per article: 现行有效 when no act later than the stored
text names the article, 已被修改 (with the act) when one does. The history is the corpus' own amending acts
(《X修正案（N）》, 关于修改《X》的决定) with their dates; nothing here is written from memory.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Any

from lawglm.numerals import NUMBER_PATTERN, parse_article_no
from lawglm.records import Article

AMENDED = "已被修改"
IN_FORCE = "现行有效"
_AMENDMENT_NAME = re.compile(r"^(?P<law>.+?)修正案(?:（[^）]*）)?$")
_DECISION_NAME = re.compile(r"关于修改《(?P<law>[^》]+)》的决定$")
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")
_ARTICLE_REF = re.compile(rf"第({NUMBER_PATTERN})条(?:之({NUMBER_PATTERN}))?")


@dataclass(frozen=True)
class Amendment:
    """One amending act of a law, as the corpus holds it."""

    name: str
    date: str  # the act's version date (adopted), YYYY-MM-DD
    effective_date: str
    articles: frozenset[tuple[int, int]]  # (number, sub) of the amended law's articles its own words name

    def to_dict(self, article: Article | None = None) -> dict:
        out = {"name": self.name, "date": self.date, "effective_date": self.effective_date}
        if article is not None:
            out["names_this_article"] = (article.article_no, article.sub_no) in self.articles
        return out


def amended_law(name: str) -> str | None:
    """The law an act amends, by its title (《中华人民共和国刑法修正案（十二）》 -> 中华人民共和国刑法)."""
    m = _AMENDMENT_NAME.match(name) or _DECISION_NAME.search(name)
    return m.group("law") if m else None


def named_articles(texts: list[str]) -> frozenset[tuple[int, int]]:
    """Articles an amending act's own words name (将刑法第三百九十条修改为 …); the quoted new wording is
    skipped."""
    out = set()
    for text in texts:
        for m in _ARTICLE_REF.finditer(_QUOTED.sub("", text)):
            try:
                out.add(parse_article_no(m.group(0)))
            except ValueError:
                continue
    return frozenset(out)


class History:
    """Amending acts per law, built once per corpus."""

    def __init__(self, corpus: Any):
        acts: dict[str, list[Amendment]] = {}
        for law in corpus.laws():
            target = amended_law(law)
            arts = corpus.law_articles(law)
            if not target or target == law or not arts:
                continue
            first = arts[0]
            acts.setdefault(target, []).append(
                Amendment(
                    law,
                    first.version_date or first.effective_date,
                    first.effective_date,
                    named_articles([a.text for a in arts]),
                )
            )
        self.acts = {law: sorted(v, key=lambda a: a.date) for law, v in acts.items()}

    def later_acts(self, article: Article) -> list[Amendment]:
        """Acts adopted after the version of the law this article's text belongs to."""
        return [a for a in self.acts.get(article.law, []) if a.date > (article.version_date or "")]

    def detail(self, article: Article) -> dict:
        """What a card shows about the article's status: label, explanation and the law's amending acts."""
        acts = self.acts.get(article.law, [])
        label, note = _label(article, self.later_acts(article))
        return {"label": label, "note": note, "stored_status": article.status,
                "version_date": article.version_date, "effective_date": article.effective_date,
                "amendments": [a.to_dict(article) for a in acts]}


def _label(article: Article, later: list[Amendment]) -> tuple[str, str]:
    version = (
        f"法规库中本法文本的版本日期为 {article.version_date}" if article.version_date else "法规库中本法文本"
    )
    if article.status != AMENDED:
        if article.status == IN_FORCE:
            return IN_FORCE, version + "，现行有效。"
        return article.status, version + f"，状态为“{article.status}”。"
    touching = [a for a in later if (article.article_no, article.sub_no) in a.articles]
    if touching:
        act = touching[-1]
        return AMENDED, (f"本条已被《{act.name}》（{act.date} 通过，{act.effective_date} 施行）修改；"
                         f"此处为修改前的文本，现行文本以该修正文件为准。")
    if later:
        names = "、".join(f"《{a.name}》（{a.date}）" for a in later)
        return IN_FORCE, (
            f"{version}；此后的{names}未涉及本条，本条现行有效。法规库将本法整体标为“已被修改”，"
            f"指的是本法的其他条文已被修改。"
        )
    return AMENDED, (
        f"法规库将本法标为“已被修改”，但库中没有晚于 {article.version_date or '该版本'} 的修改文件，"
        f"无法确认本条是否仍为现行文本，请核对最新官方文本。"
    )


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def history(corpus: Any) -> History:
    """The History of `corpus` (computed on first use, kept while the corpus lives)."""
    found = _CACHE.get(corpus)
    if found is None:
        found = _CACHE[corpus] = History(corpus)
    return found


def status_detail(article: Article, corpus: Any) -> dict:
    return history(corpus).detail(article)


def shown_status(article: Article, corpus: Any) -> str:
    """The status label an article is shown with (现行有效 for an untouched article of an amended law)."""
    if article.status != AMENDED:
        return article.status
    return _label(article, history(corpus).later_acts(article))[0]
