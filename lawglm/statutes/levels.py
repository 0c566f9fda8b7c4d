"""Kinds of legal documents besides laws: judicial interpretations and administrative regulations.

Owns what a title says about a document — its level (`level_of`: 法律 / 行政法规 / 司法解释), the
document number written near it (`doc_number`: 法释〔2020〕22号, 国务院令第586号) — and the short
names people cite such documents by (`short_names`):

  最高人民法院关于审理民间借贷案件适用法律若干问题的规定          -> 民间借贷规定
  最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一） -> 婚姻家庭编解释一, 婚姻家庭编解释（一）
  ,
                                                                     民法典婚姻家庭编解释一 …
  中华人民共和国道路交通安全法实施条例                               -> 道路交通安全法实施条例

`lawglm.statutes.parser` records the level and number while reading a file; `lawglm.statutes.corpus` adds the
short names (those that name exactly one document) to its aliases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

LAW, REGULATION, INTERPRETATION = "法律", "行政法规", "司法解释"
LEVELS = (LAW, REGULATION, INTERPRETATION, "宪法", "部门规章", "地方性法规")
_COURTS = r"(?:最高人民法院|最高人民检察院)(?:[、和与](?:最高人民法院|最高人民检察院))?"
_INTERPRETATION_RE = re.compile(rf"^{_COURTS}.*(?:解释|规定|批复|决定)(?:（[一二三四五六七八九十]+）)?$")
_REGULATION_RE = re.compile(r"(?:条例|实施细则|实施办法)(?:（[^）]*）)?$")
_LAW_RE = re.compile(r"(?:法|法典)$")
# 法释〔2020〕22号, 法发〔2019〕11号, 高检发释字〔2019〕1号, 国务院令第586号, 中华人民共和国国务院令 第586号
DOC_NO_RE = re.compile(
    r"(?:(?:法释|法发|高检发释字|高检发|国发|国办发)\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*第?\s*\d+\s*号"
    r"|(?:中华人民共和国)?国务院令\s*第\s*\d+\s*号)"
)
_ORDINAL = "一二三四五六七八九十"
LEVEL_ALIASES = {
    "law": LAW,
    "laws": LAW,
    "regulation": REGULATION,
    "regulations": REGULATION,
    "interpretation": INTERPRETATION,
    "interpretations": INTERPRETATION,
    "judicial": INTERPRETATION,
}


def split_levels(level: str) -> list[str]:
    """'司法解释，regulation' -> ['司法解释', '行政法规'] (English names accepted, duplicates dropped)."""
    words = re.split(r"[,，、]", level or "")
    return list(dict.fromkeys(LEVEL_ALIASES.get(w.strip().lower(), w.strip()) for w in words if w.strip()))


class UnknownLevel(ValueError):
    """A level filter that names no level, or one the index does not hold; the message says which."""


def check_levels(level: object, held: Sequence[str] | None = None) -> list[str]:
    """The levels a `level` filter names (split_levels), each checked: against the levels an index holds
    (`held`), or, with no index at hand, against every level there is (LEVELS). The one check behind the
    request options, the search filter and the CLI's early check; UnknownLevel names the first bad one."""
    if not isinstance(level, str) or not split_levels(level):
        raise UnknownLevel(f"must name one or more levels (法律 / 行政法规 / 司法解释), got {level!r}")
    wanted = split_levels(level)
    choices = LEVELS if held is None else held
    bad = [w for w in wanted if w not in choices]
    if bad and held is None:
        raise UnknownLevel(f"unknown level {bad[0]!r} (one of: {', '.join(LEVELS)}, "
                           "or law / regulation / interpretation)")
    if bad:
        raise UnknownLevel(f"unknown level {bad[0]!r} (this index holds: {', '.join(held) or 'none'})")
    return wanted




def level_of(title: str) -> str:
    """The level a title implies: 司法解释 (最高人民法院关于…的解释/规定), 行政法规 (…条例 / 实施细则), 法律
    (…法); "" when the title does not say. A `效力级别` header in the file always wins."""
    name = re.sub(r"[《》〈〉\s]", "", title or "").replace("(", "（").replace(")", "）")
    if _INTERPRETATION_RE.match(name):
        return INTERPRETATION
    if _REGULATION_RE.search(name):
        return REGULATION
    if _LAW_RE.search(name):
        return LAW
    return ""


def doc_number(text: str) -> str:
    """The first document number in `text`, spaces removed and brackets as published (〔〕); "" if none."""
    m = DOC_NO_RE.search(text or "")
    if not m:
        return ""
    no = re.sub(r"\s+", "", m.group(0)).removeprefix("中华人民共和国")
    return re.sub(r"[\[［(（](\d{4})[\]］)）]", r"〔\1〕", no)


def short_names(title: str) -> list[str]:
    """Short names a judicial interpretation or regulation is cited by (empty for a plain law)."""
    name = re.sub(r"\s", "", title or "").translate(str.maketrans("〈〉()", "《》（）"))
    m = re.match(rf"^{_COURTS}关于(.+?)的(解释|规定|批复|决定)(?:（([{_ORDINAL}]+)）)?$", name)
    if m:
        return _interpretation_names(m.group(1), m.group(2), m.group(3) or "")
    if _REGULATION_RE.search(name) and name.startswith("中华人民共和国") and len(name) > 9:
        return [name[len("中华人民共和国"):]]
    return []


def _interpretation_names(subject: str, kind: str, ordinal: str) -> list[str]:
    """关于审理民间借贷案件适用法律若干问题的规定 -> 民间借贷规定; 关于适用《民法典》婚姻家庭编的解释（一）
    -> 婚姻家庭编解释一 (and the forms with （一）, with the law's short name in front, with 司法解释)."""
    law = ""
    inner = re.search(r"《([^《》]+)》", subject)
    if inner:
        law = inner.group(1).removeprefix("中华人民共和国")
    core = re.sub(r"《[^《》]+》", "", subject)
    core = re.sub(r"^(?:审理|适用|办理|处理)", "", core)
    core = re.sub(r"(?:案件)?(?:适用法律|具体应用法律)?(?:若干|有关)?(?:问题)?$", "", core)
    core = re.sub(r"^(?:审理|适用|办理|处理)", "", core)
    if len(core) < 2:
        core = law  # 关于适用《中华人民共和国民法典》的解释 -> 民法典解释
        law = ""
    if len(core) < 2:
        return []
    # 涉彩礼纠纷 -> also 彩礼; 盗窃刑事 -> also 盗窃
    cores = [core, re.sub(r"(?:纠纷|刑事|民事|行政)$", "", re.sub(r"^涉", "", core))]
    tails = [f"{kind}{ordinal}", f"{kind}（{ordinal}）"] if ordinal else [kind]
    if kind == "解释":
        tails += [f"司法解释{ordinal}", f"司法解释（{ordinal}）"] if ordinal else ["司法解释"]
    names = [c + t for c in cores if len(c) >= 2 for t in tails]
    return list(dict.fromkeys(names + ([law + n for n in names] if law else [])))
