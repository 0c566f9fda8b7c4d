"""The LawRefBook layout (github.com/LawRefBook/Laws), read as it is published.

Owns recognising a LawRefBook checkout (`find_root`: a folder holding `db.sqlite3` with a `law` table, or
`法律法规模版.md`), its catalogue (`Catalogue`: level, publication date, `expired`, in-force date per
(name, version)) and turning one of its files into a `TextLaw` the statute parser understands
(`parse_file`). A file is

    # 中华人民共和国公司法                  title
    # 合同编                                optional subtitle (a part of a split law: 民法典's 编)
    1993年12月29日 …会议通过                 dated events: 通过 / 修正 / 修订 / 公布 / 发布, and 施行
    2024年7月1日 施行
    <!-- INFO END -->
    ## 第一章 总则 … 第一条 …                the body: #-headings for 编/章/节, paragraphs starting 第N条

and a file name's `(YYYY-MM-DD)` suffix is the version date, so several versions sit side by side.

The level comes from the folder (司法解释/, 行政法规/, 部门规章/…, a law department's folder -> 法律, 宪法/ ->
宪法) and the catalogue, never from the title. The catalogue's `expired` makes that version 已废止; every
version but the newest of a document becomes 历史版本 (`ingest.resolve_versions`). Cases (案例/) are not
statutes and are never read; `_index.md` files and the root's own Markdown are not documents.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lawglm.numerals import DATE_RE, date_iso
from lawglm.records import REPEALED
from lawglm.statutes import parser as statute_parser
from lawglm.statutes.levels import INTERPRETATION, LAW, REGULATION, doc_number

INFO_END = "<!-- INFO END -->"
CATALOGUE = "db.sqlite3"
TEMPLATE = "法律法规模版.md"
CASES = "案例"
RULES = "部门规章"
CONSTITUTION = "宪法"
# top folder -> (level, department)
_FOLDERS = {"司法解释": (INTERPRETATION, ""), "行政法规": (REGULATION, ""), RULES: (RULES, ""),
            CONSTITUTION: (CONSTITUTION, CONSTITUTION), "宪法相关法": (LAW, "宪法相关法"),
            "民法典": (LAW, "民法商法"), "民法商法": (LAW, "民法商法"), "社会法": (LAW, "社会法"),
            "经济法": (LAW, "经济法"), "行政法": (LAW, "行政法"), "刑法": (LAW, "刑法"),
            "诉讼与非诉讼程序法": (LAW, "诉讼与非诉讼程序法"), "其他": ("", "")}
_VERSION_RE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)$")
_IN_FORCE_WORDS = ("施行", "生效", "执行")


def find_root(path: str | Path) -> Path | None:
    """The LawRefBook checkout `path` is (or lies inside), or None."""
    p = Path(path).resolve()
    for d in [p] + list(p.parents):
        if d.is_dir() and ((d / TEMPLATE).is_file() or _has_catalogue(d)):
            return d
    return None


def _read_only(db: Path, sql: str) -> list | None:
    """The rows of `sql` on the SQLite file `db`, opened read-only; None when it is missing or unreadable."""
    if not db.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None


def _has_catalogue(d: Path) -> bool:
    return bool(_read_only(d / CATALOGUE, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='law'"))


def is_document(path: Path, root: Path) -> bool:
    """A file of the checkout that holds a statute: not a case, not an `_index.md`, not the root's own
    docs."""
    rel = path.resolve().relative_to(root)
    if path.suffix.lower() != ".md" or path.name.startswith("_") or len(rel.parts) < 2:
        return False
    return rel.parts[0] != CASES


@dataclass(frozen=True)
class Entry:
    """One catalogue row: a document version."""

    level: str
    expired: bool
    publish: str
    valid_from: str


@dataclass
class Catalogue:
    """db.sqlite3's `law` table: (name, publication date) -> Entry; an empty one when the file is missing."""

    rows: dict[tuple[str, str], Entry] = field(default_factory=dict)

    def entry(self, name: str, version: str) -> Entry | None:
        """The row of `name` at `version` (the file's date suffix); the only row of `name` when undated."""
        found = self.rows.get((name, version))
        if found or version:
            return found
        same = [e for (n, _), e in self.rows.items() if n == name]
        return same[0] if len(same) == 1 else self.rows.get((name, ""))


@lru_cache(maxsize=8)
def catalogue(root: str) -> Catalogue:
    cat = Catalogue()
    rows = _read_only(Path(root) / CATALOGUE, "SELECT name, level, publish, expired, valid_from FROM law")
    for name, level, publish, expired, valid_from in rows or ():
        cat.rows[(name or "", publish or "")] = Entry(
            level or "", bool(expired), publish or "", valid_from or ""
        )
    return cat


def folder_level(path: Path, root: Path) -> tuple[str, str]:
    """(level, department) the file's top folder gives; ("", "") for a folder this reader does not know."""
    rel = path.resolve().relative_to(root)
    return _FOLDERS.get(rel.parts[0], ("", "")) if len(rel.parts) > 1 else ("", "")


def _catalogue_names(title: str) -> list[str]:
    """Names the catalogue may file a title under (it drops 中华人民共和国 from laws; inner 《》 or 〈〉)."""
    names = [title, title.removeprefix("中华人民共和国")]
    return list(dict.fromkeys(names + [n.translate(str.maketrans("《》", "〈〉")) for n in names]))


@dataclass
class Header:
    """What a file says above `<!-- INFO END -->`."""

    title: str = ""
    subtitle: str = ""
    events: list[tuple[str, str]] = field(default_factory=list)  # (YYYY-MM-DD, what happened)
    doc_no: str = ""


def read_header(text: str) -> tuple[Header, str]:
    """The header and the body of a LawRefBook file (body: everything after `<!-- INFO END -->`)."""
    head, _, body = text.partition(INFO_END)
    h = Header()
    for raw in head.splitlines():
        line = re.sub(r"<!--.*?-->", "", raw).strip().strip("\u3000")
        if not line or line == "---" or re.fullmatch(r"\w+:\s*\S*", line):
            continue
        if line.startswith("#"):
            words = line.lstrip("#").strip()
            if not h.title:
                h.title = words
            elif not h.subtitle:
                h.subtitle = words
            continue
        m = DATE_RE.match(line)
        if m and date_iso(m):
            h.events.append((date_iso(m), line[m.end():].strip()))
        h.doc_no = h.doc_no or doc_number(line)
    return h, body


def parse_file(text: str, path: Path, root: Path) -> tuple[statute_parser.TextLaw, bool]:
    """One LawRefBook file -> (TextLaw with title, meta and draft articles; whether it is a part of a split
    law such as one 编 of 民法典). Level from folder + catalogue; status 已废止 when the catalogue says
    expired."""
    h, body = read_header(text)
    m = _VERSION_RE.search(path.stem)
    version = m.group(1) if m else ""
    made = [d for d, what in h.events if not what.endswith(_IN_FORCE_WORDS)]
    in_force = [d for d, what in h.events if what.endswith(_IN_FORCE_WORDS)]
    level, department = folder_level(path, root)
    title = statute_parser.title_name(h.title) if h.title else ""
    entry = None
    if title:
        cat = catalogue(str(root))
        for name in _catalogue_names(title):
            entry = cat.entry(name, version)
            if entry:
                break
    if entry and entry.level and entry.level not in ("其他",):
        level = level or entry.level
    version = version or max(made, default="") or (entry.publish if entry else "")
    effective = (max((d for d in in_force if d >= version), default="") or (entry.valid_from if entry else "")
                 or statute_parser.effective_from(body, version) or version)
    meta = [f"title: {h.title}"] if h.title else []
    meta += [f"version_date: {version}"] if version else []
    meta += [f"effective_date: {effective}"] if effective else []
    meta += [f"level: {level}"] if level else []
    meta += [f"department: {department}"] if department else []
    meta += [f"doc_no: {h.doc_no}"] if h.doc_no else []
    meta += [f"status: {REPEALED}"] if entry and entry.expired else []
    front = "---\n" + "\n".join(meta) + "\n---\n"
    pad = text.partition(INFO_END)[0].count("\n") - front.count("\n")  # body lines keep their file numbers
    st = statute_parser.parse(front + "\n" * max(pad, 0) + body, str(path))
    # the body's preamble (制定本解释。, the title set in three lines) is not a header: not worth a warning
    st.warnings = [w for w in st.warnings if "text before the first article ignored" not in w]
    if title:
        st.title = title
    return st, bool(h.subtitle)
