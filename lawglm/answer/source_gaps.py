"""Missing sources: questions the corpus cannot fully answer because the governing document is absent.

Owns `missing_sources(question, corpus)`: for the topics in `lawglm/data/source_needs.json` (彩礼 ->
婚姻家庭编解释（一） / 涉彩礼纠纷规定, 民间借贷利率 -> 民间借贷规定, 工伤认定 -> 工伤保险条例), a question
naming the topic gets a `Gap` when none of the listed documents resolves in the corpus. `notice`
is the sentence an answer starts with, so it never presents a loosely related article as the
whole of the law; `sections["sources_incomplete"]` carries the same facts for clients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache

from lawglm.settings import PACKAGE_DIR

NEEDS_FILE = PACKAGE_DIR / "data" / "source_needs.json"


@dataclass(frozen=True)
class Gap:
    """A topic the question raises whose governing documents the corpus lacks."""

    topic: str
    level: str
    sources: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"topic": self.topic, "level": self.level, "missing": list(self.sources)}


@lru_cache(maxsize=1)
def _needs() -> tuple[tuple[str, tuple[str, ...], str, tuple[str, ...]], ...]:
    rows = json.loads(NEEDS_FILE.read_text(encoding="utf-8"))["needs"]
    return tuple((r["topic"], tuple(r["keywords"]), r["level"], tuple(r["sources"])) for r in rows)


def missing_sources(question: str, corpus) -> list[Gap]:
    """The gaps for `question` against `corpus` (empty when every source it likely needs is loaded)."""
    text = question or ""
    out = []
    for topic, keywords, level, sources in _needs():
        if any(k in text for k in keywords) and not any(corpus.resolve_law(s) for s in sources):
            out.append(Gap(topic, level, sources))
    return out


def with_notice(answer, gaps: list[Gap]):
    """The Answer with `notice` in front of its text (citation spans shifted) and in its sections."""
    head = notice(gaps) + "\n\n"
    for c in answer.citations:
        c.span = (c.span[0] + len(head), c.span[1] + len(head))
    answer.answer = head + answer.answer
    answer.sections = replace(answer.sections, sources_incomplete=[g.to_dict() for g in gaps])
    return answer


def notice(gaps: list[Gap]) -> str:
    """「【依据不完整】…」: which documents are missing and how to add them."""
    names = "、".join(
        f"《{g.sources[0].replace('《', '〈').replace('》', '〉')}》（{g.level}）" for g in gaps
    )
    topics = "、".join(g.topic for g in gaps)
    return (f"【依据不完整】{topics}问题通常适用{names}，本地法规库未收录，以下条文不是其主要依据，"
            "结论可能不准确；添加该文件（lawglm index update）后再问。")
