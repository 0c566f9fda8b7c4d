"""Published statute text (plain or Markdown) -> title, header metadata and draft articles.

Owns the text conventions `lawglm.statutes.ingest` documents (title line, header lines / front matter,
目录 skipped, 第X编/分编/章/节 headings, 附则, 第X条 articles whose following lines are 款) and date
parsing (2023年12月29日, 二〇二三年十二月二十九日, 2023-12-29); document numbers (法释〔2020〕22号) in the
header or the title's parentheses are kept as meta["doc_no"]. `parse(text, where)` returns a
`TextLaw` with file:line warnings and errors; `lawglm.statutes.ingest` turns it into Articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lawglm.numerals import DATE_PATTERN, DATE_RE, NUMBER_PATTERN, cn_to_int, date_iso
from lawglm.records import HISTORICAL, REPEALED
from lawglm.statutes.corpus import normalize_law_name
from lawglm.statutes.levels import doc_number

STATUSES = {"现行有效": "现行有效", "有效": "现行有效", "已被修改": "已被修改", "已废止": REPEALED,
            "废止": REPEALED, "失效": REPEALED, "历史版本": HISTORICAL,
            "current": "现行有效", "amended": "已被修改", "repealed": REPEALED, "historical": HISTORICAL}
META_KEYS = {"状态": "status", "时效性": "status", "效力": "status", "status": "status",
             "施行日期": "effective_date", "生效日期": "effective_date", "effective_date": "effective_date",
             "公布日期": "version_date", "version_date": "version_date", "部门": "department",
             "法律部门": "department", "department": "department", "效力级别": "level", "level": "level",
             "title": "title", "标题": "title", "文号": "doc_no", "发文字号": "doc_no", "doc_no": "doc_no"}
_NUM = NUMBER_PATTERN
SNIPPET_CHARS = 16  # characters of a problem line a report quotes
_SEP = r"(?:[\s\u3000]+|\*\*|$)"
ARTICLE_RE = re.compile(rf"^第({_NUM})条(?:之({_NUM}))?(?:\*\*)?({_SEP})(.*)$")
BAD_ARTICLE_RE = re.compile(r"^第([^\s条]{1,8})条[\s\u3000]")
HEADING_RE = re.compile(rf"^第({_NUM})(编|分编|章|节)(?:[\s\u3000]+(.*)|$)")
META_RE = re.compile(r"^([^\s:：]{1,16})\s*[:：]\s*(.+)$")
EFFECTIVE_RE = re.compile(rf"自((?:{DATE_PATTERN})|公布之日)起施行")


@dataclass
class _Draft:
    """One 第X条 as read: its number, first line, headings in force, paragraphs (款)."""

    number: int
    sub: int
    line: int
    chapter: str
    section: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class TextLaw:
    """One law file as read: title, header metadata and dates, draft articles, problems found."""

    where: str
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    header_dates: list[str] = field(default_factory=list)
    chapter: str = ""
    section: str = ""
    in_toc: bool = False
    paren: int = 0
    toc_first: str = ""
    drafts: list[_Draft] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def snippet(line: str, limit: int = SNIPPET_CHARS) -> str:
    """A short, escaped excerpt of a line for a report (reports never echo whole lines of a file)."""
    return repr(line[:limit]) + ("…" if len(line) > limit else "")


def parse(text: str, where: str) -> TextLaw:
    """Parse the text of one published law (plain or Markdown); problems land in .warnings/.errors."""
    st = TextLaw(where)
    lines = text.splitlines()
    start = _front_matter(lines, st)
    if st.meta.get("title"):
        st.title = _title(st, st.meta["title"])
    for no, raw in enumerate(lines[start:], start + 1):
        line = _clean(raw)
        if line:
            _feed(st, line, no)
    if not st.title:
        st.errors.append(f"{where}:1: no title line (expected the law's name first)")
    return st


def _clean(raw: str) -> str:
    line = raw.strip().lstrip("#>").strip()
    if re.fullmatch(r"[-*_=]{3,}", line):
        return ""
    return line.replace("**", "").strip() if line.startswith("**") else line


def _front_matter(lines: list[str], st: TextLaw) -> int:
    if not lines or lines[0].strip().lstrip("\ufeff") != "---":
        return 0
    for i, raw in enumerate(lines[1:], 2):
        if raw.strip() == "---":
            return i
        if raw.strip():
            _meta(st, raw.strip(), i)
    st.errors.append(f"{st.where}:1: front matter not closed by '---'")
    return len(lines)


def _meta(st: TextLaw, line: str, no: int) -> bool:
    """Record a `key: value` header line; True when it was one."""
    m = META_RE.match(line)
    if not m:
        return False
    key = META_KEYS.get(m.group(1).strip().lower()) or META_KEYS.get(m.group(1).strip())
    if key is None:
        st.warnings.append(f"{st.where}:{no}: unknown header key {snippet(m.group(1))} ignored")
        return True
    value = m.group(2).strip().strip("\"'")
    if key == "status" and value not in STATUSES:
        st.errors.append(
            f"{st.where}:{no}: unknown status {value!r} (use one of 现行有效/已被修改/已废止/历史版本)"
        )
    elif key in ("effective_date", "version_date"):
        value = first_date(value) or ""
        if not value:
            st.errors.append(f"{st.where}:{no}: cannot read the date in {m.group(2)!r}")
    st.meta[key] = STATUSES.get(value, value) if key == "status" else value
    return True


def _feed(st: TextLaw, line: str, no: int) -> None:
    if not st.title:
        if _meta(st, line, no):
            st.title = _title(st, st.meta.get("title", ""))
            return
        if not (ARTICLE_RE.match(line) or HEADING_RE.match(line)):
            st.title = _title(st, line)
            return
        st.errors.append(f"{st.where}:{no}: no title line before the first heading/article")
        st.title = "?"
    if _toc(st, line) or _heading(st, line) or _article(st, line, no):
        return
    if st.drafts:
        st.drafts[-1].paragraphs.append(line)
    elif not _header_line(st, line, no):
        st.warnings.append(f"{st.where}:{no}: text before the first article ignored: {snippet(line)}")


def _title(st: TextLaw, line: str) -> str:
    """Law name from a title line; a trailing （2023年修订） or （法释〔2020〕22号） is dropped (its dates and
    document number kept); an ordinal such as （一） stays part of the name."""
    m = re.search(r"[（(]([^）)]*(?:[（(〔\[][^）)]*[）)〕\]][^）)]*)?)[）)]$", line)
    if m and not re.fullmatch(r"[一二三四五六七八九十]+", m.group(1).strip()):
        st.header_dates.extend(all_dates(m.group(1)))
        if doc_number(m.group(1)):
            st.meta.setdefault("doc_no", doc_number(m.group(1)))
        line = line[: m.start()]
    return title_name(line)


def title_name(line: str) -> str:
    """The name a title line gives: spaces and one outer 《》 removed; an inner 〈…〉 written 《…》 (as in
    laws.db: 最高人民法院关于适用《中华人民共和国民法典》…的解释), parentheses full-width."""
    name = re.sub(r"[\s\"“”「」]+", "", line).translate(str.maketrans("〈〉()", "《》（）"))
    if name.startswith("《") and name.endswith("》") and name.count("《") == 1:
        name = name[1:-1]
    return name if name.count("《") == name.count("》") else normalize_law_name(name)


def _toc(st: TextLaw, line: str) -> bool:
    """Skip a 目录 block: from 目录 until its first entry repeats (or an article starts)."""
    if re.fullmatch(r"目[\s\u3000]*录", line) and not st.drafts:
        st.in_toc = True
        return True
    if not st.in_toc:
        return False
    if ARTICLE_RE.match(line) or (st.toc_first and _squash(line) == st.toc_first):
        st.in_toc = False
        return False
    st.toc_first = st.toc_first or _squash(line)
    return True


def _squash(s: str) -> str:
    return re.sub(r"[\s\u3000]+", "", s)


def _heading(st: TextLaw, line: str) -> bool:
    m = HEADING_RE.match(line)
    if m and len(line) <= 40 and not re.search(r"[。；，]", line):
        label = f"第{m.group(1)}{m.group(2)} {_squash(m.group(3) or '')}".strip()
        if m.group(2) in ("编", "分编"):
            st.chapter, st.section = "", ""
        elif m.group(2) == "章":
            st.chapter, st.section = label, ""
        else:
            st.section = label
        return True
    if _squash(line) == "附则":
        st.chapter, st.section = "附则", ""
        return True
    return False


def _article(st: TextLaw, line: str, no: int) -> bool:
    m = ARTICLE_RE.match(line)
    if not m:
        bad = BAD_ARTICLE_RE.match(line)
        if bad and not re.search(r"[，。；、]", bad.group(1)):
            st.errors.append(f"{st.where}:{no}: non-numeric article number {bad.group(0).strip()!r}")
            return True
        return False
    try:
        number, sub = cn_to_int(m.group(1)), cn_to_int(m.group(2)) if m.group(2) else 0
    except ValueError:
        st.errors.append(f"{st.where}:{no}: non-numeric article number {line.split()[0]!r}")
        return True
    if not m.group(3) and m.group(4) and not _is_next(st, number, m.group(4)):
        return False  # "第二十条规定的…": a reference inside a paragraph, not a new article
    body = m.group(4).strip()
    st.drafts.append(_Draft(number, sub, no, st.chapter, st.section, [body] if body else []))
    return True


def _is_next(st: TextLaw, number: int, rest: str) -> bool:
    last = st.drafts[-1].number if st.drafts else 0
    return number == last + 1 and not rest[:1] in set("规的、和或至及，。")


def _header_line(st: TextLaw, line: str, no: int) -> bool:
    """Adoption / promulgation lines between the title and the first article (a line that is a
    document number, 法释〔2020〕22号 / 国务院令第586号, records it)."""
    if _meta(st, line, no):
        return True
    if doc_number(line) and len(_squash(line)) <= len(doc_number(line)) + 12:
        st.meta.setdefault("doc_no", doc_number(line))
        return True
    if EFFECTIVE_RE.search(line) and not st.paren and line[:1] not in "（(":
        return True  # 自…起施行: read by _effective_from
    if line[:1] in "（(" or st.paren > 0:
        st.header_dates.extend(all_dates(line))
        if doc_number(line):  # （2098年5月1日中华人民共和国国务院令第999号公布）
            st.meta.setdefault("doc_no", doc_number(line))
        st.paren = max(0, st.paren + line.count("（") + line.count("(") - line.count("）") - line.count(")"))
        return True
    return False


def effective_from(text: str, version: str) -> str:
    m = EFFECTIVE_RE.search(text)
    if not m:
        return ""
    return version if m.group(1) == "公布之日" else first_date(m.group(1))


# --- dates ------------------------------------------------------------------
def all_dates(text: str) -> list[str]:
    """Every date in text as YYYY-MM-DD (2023年12月29日, 二〇二三年十二月二十九日, 2023-12-29)."""
    return [d for d in map(date_iso, DATE_RE.finditer(text)) if d and _plausible(d)]


def first_date(text: str) -> str:
    dates = all_dates(text)
    return dates[0] if dates else ""


def _plausible(iso: str) -> bool:
    y, m, d = (int(x) for x in iso.split("-"))
    return 1 <= m <= 12 and 1 <= d <= 31 and y > 1900
