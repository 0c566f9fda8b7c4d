"""Building the shipped default-corpus data from a LawRefBook checkout, and comparing its laws with laws.db.

Owns `build_shipped` (`lawglm corpus build-default CHECKOUT`: every 司法解释, 行政法规 and 部门规章 of the
checkout, all versions, status from the catalogue; for the laws, LawRefBook's text only where it is the newer
one or laws.db lacks the law) and `diff_laws` (`lawglm corpus diff CHECKOUT`). Maintainers run it; the package
only reads the result (`lawglm.statutes.shipped`).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from lawglm.errors import CorpusError
from lawglm.records import Article
from lawglm.statutes.shipped import (
    _FIELDS,
    DATA_FILE,
    DOC_LEVELS,
    LAW_FOLDERS,
    MANIFEST_FILE,
    SHIPPED_DIR,
    laws_db,
)


def _newest(articles: list[Article]) -> dict[str, str]:
    out: dict[str, str] = {}
    for a in articles:
        out[a.law] = max(out.get(a.law, ""), a.version_date or a.effective_date or "")
    return out


def _norm(text: str) -> str:
    return re.sub(r"[\s\u3000]+", "", text)


def diff_laws(lrb: list[Article], db: list[Article]) -> list[dict]:
    """Per law in LawRefBook's law folders: its newest version date there and in laws.db, how many of the
    articles of the two current texts differ, and which text the default corpus uses and why."""
    new_l, new_d = _newest(lrb), _newest(db)
    cur_l = {(a.law, a.article_no, a.sub_no): a.text for a in lrb if a.is_current}
    cur_d = {(a.law, a.article_no, a.sub_no): a.text for a in db if a.is_current}
    rows = []
    for law in sorted(new_l):
        keys_l = {k for k in cur_l if k[0] == law}
        keys_d = {k for k in cur_d if k[0] == law}
        differ = sum(_norm(cur_l[k]) != _norm(cur_d[k]) for k in keys_l & keys_d)
        if law not in new_d:
            choice, why = "lawrefbook", "not in laws.db"
        elif new_l[law] > new_d[law]:
            choice, why = "lawrefbook", f"newer version ({new_l[law]} > {new_d[law]})"
        elif new_l[law] < new_d[law]:
            choice, why = "laws.db", f"newer version ({new_d[law]} > {new_l[law]})"
        else:
            choice, why = (
                "laws.db",
                "same version date: laws.db kept (its status per article is read by amendments)",
            )
        rows.append({"law": law, "lawrefbook": new_l[law], "laws_db": new_d.get(law, ""),
                     "articles_lawrefbook": len(keys_l), "articles_laws_db": len(keys_d),
                     "articles_differing": differ, "only_lawrefbook": len(keys_l - keys_d),
                     "only_laws_db": len(keys_d - keys_l), "choice": choice, "why": why})
    return rows


_CITED_NO_RE = re.compile(
    r"(最高人民法院|最高人民检察院)?《([^《》]{4,80}?)》[（(]((?:法释|法发|高检发释字)〔\d{4}〕\d+号)"
)


def _cited_doc_numbers(articles: list[Article], texts: list[Article]) -> list[Article]:
    """A document whose own text gives no 文号 gets the newest one other texts cite it by
    (《最高人民法院关于审理民间借贷案件适用法律若干问题的规定》（法释〔2015〕18号）); a number cited for two
    documents is used for neither."""
    from lawglm.statutes.corpus import normalize_law_name

    titles = {normalize_law_name(a.law): a.law for a in articles}
    cited: dict[str, set[str]] = defaultdict(set)
    for a in texts:
        for m in _CITED_NO_RE.finditer(a.text):
            name = normalize_law_name((m.group(1) or "") + m.group(2))
            law = titles.get(name) or titles.get(normalize_law_name(m.group(2)))
            if law:
                cited[m.group(3)].add(law)
    best: dict[str, str] = {}
    for no, laws in cited.items():
        if len(laws) == 1:
            law = next(iter(laws))
            if no > best.get(law, ""):  # same prefix: the later year sorts last
                best[law] = no
    own = {a.law for a in articles if a.doc_no}
    return [replace(a, doc_no=best[a.law]) if a.law in best and a.law not in own else a for a in articles]


def _portable(a: Article, root: Path) -> Article:
    """Sources as `lawrefbook:<path inside the checkout>` (never a path of the machine that built it)."""
    try:
        rel = Path(a.source).resolve().relative_to(root).as_posix()
    except ValueError:
        rel = Path(a.source).name
    return replace(a, source=f"lawrefbook:{rel}")


def build_shipped(
    checkout: str | Path,
    out: str | Path = SHIPPED_DIR,
    db_articles: list[Article] | None = None,
    levels: tuple[str, ...] = DOC_LEVELS,
) -> dict:
    """Write `out`/lawrefbook.jsonl.gz and manifest.json from a LawRefBook checkout; returns the manifest."""
    from lawglm.statutes import lawrefbook
    from lawglm.statutes.corpus import read_sqlite
    from lawglm.statutes.ingest import ingest_paths

    root = lawrefbook.find_root(checkout)
    if root is None:
        raise CorpusError(f"{checkout}: not a LawRefBook checkout (no db.sqlite3 / 法律法规模版.md)")
    docs = ingest_paths([root / f for f in levels if (root / f).is_dir()], strict=True)
    laws = ingest_paths([root / f for f in LAW_FOLDERS if (root / f).is_dir()], strict=True)
    db = db_articles if db_articles is not None else read_sqlite(laws_db())
    diff = diff_laws(laws.articles, db)
    chosen = {r["law"] for r in diff if r["choice"] == "lawrefbook"}
    articles = docs.articles + [a for a in laws.articles if a.law in chosen]
    articles = _cited_doc_numbers(articles, docs.articles + laws.articles + db)
    articles = [_portable(a, root) for a in articles]
    articles.sort(key=lambda a: (a.level, a.law, a.version_date, a.article_no, a.sub_no))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:  # same input, same bytes
        for a in articles:
            row = {k: getattr(a, k) for k in _FIELDS if getattr(a, k) not in ("", 0) or k == "article_no"}
            gz.write((json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
    tmp = out / (DATA_FILE + ".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out / DATA_FILE)
    by_level: dict[str, dict[str, int]] = defaultdict(lambda: {"documents": 0, "articles": 0, "current": 0})
    seen = set()
    for a in articles:
        lv = by_level[a.level or "?"]
        lv["articles"] += 1
        lv["current"] += a.is_current
        if a.law not in seen:
            seen.add(a.law)
            lv["documents"] += 1
    nos: dict[str, set[str]] = defaultdict(set)
    for a in articles:
        if a.doc_no:
            nos[a.law].add(a.doc_no)
    info = {
        "source": "LawRefBook/Laws (github.com/LawRefBook/Laws): text of the 国家法律法规数据库; public "
                  "(《著作权法》第五条)",
        "checkout": _checkout_note(root),
        "levels": sorted(levels),
        "by_level": dict(sorted(by_level.items())),
        "laws": sorted(seen),
        "doc_nos": {law: sorted(v) for law, v in sorted(nos.items())},
        "law_choices": [r for r in diff if r["choice"] == "lawrefbook"],
        "skipped": len(docs.report.skipped) + len(laws.report.skipped),
        "bytes": (out / DATA_FILE).stat().st_size,
    }
    (out / MANIFEST_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return info


def _checkout_note(root: Path) -> str:
    src = root / "SOURCE.md"
    if src.is_file():
        m = re.search(r"commit\s+([0-9a-f]{40})[^)\n]*", src.read_text(encoding="utf-8"))
        if m:
            return m.group(0).strip()
    return "a LawRefBook checkout"
