"""Retrieval evaluation: gold files, the held-back split, generated look-ups, recall / MRR, per-law and
per-department breakdowns, and several retrievers side by side in one run.

Gold file format (the one reader of it: `read_retrieval_data`, also for the encoder's training and dev
files), one JSON object per line:
    {"query": "...", "gold": [{"law": "...", "article_no": 1254, "sub_no": 0}], "id": "...",
     "department": "...", "law_named": false, "area": "tenancy", "level": "司法解释"}
    (id, department, law_named, area, level, sub_no optional; area / level: the everyday set's legal area and
    the level of the document that governs the question, for `--by area` / `--by level`)
"question" is accepted for "query" (fine-tuning files).
A query is a hit at k when ANY of its gold articles is among the first k results.

The held-back split: a row with an id is held back when `sha1(id) % 3 == 0`; rows without an id (the
shared dev files) are never held back. `--split dev` evaluates the rows not held back, `--split heldout`
only the held-back ones (for the final measurement).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lawglm.errors import DataError
from lawglm.records import iter_jsonl

RETRIEVAL_KS = (1, 5, 10)
SPLITS = ("all", "dev", "heldout")
GROUPINGS = ("law", "department", "area", "level")


@dataclass(frozen=True)
class RetrievalExample:
    query: str
    gold: tuple[tuple[str, int, int], ...]  # (law as written in the file, article number, sub number)
    id: str = ""
    department: str = ""
    law_named: bool | None = None
    area: str = ""
    level: str = ""


def _gold_entry(g: object, where: str) -> tuple[str, int, int]:
    if not isinstance(g, dict) or not isinstance(g.get("law"), str) or not g.get("law"):
        raise DataError(f"{where}: every gold entry needs a 'law' name")
    no, sub = g.get("article_no"), g.get("sub_no", 0)
    if isinstance(no, bool) or not isinstance(no, int) or no <= 0:
        raise DataError(f"{where}: gold 'article_no' must be a positive integer, got {no!r}")
    if isinstance(sub, bool) or not isinstance(sub, int) or sub < 0:
        raise DataError(f"{where}: gold 'sub_no' must be a non-negative integer, got {sub!r}")
    return g["law"], no, sub


def _retrieval_example(rec: object, where: str, allow_no_gold: bool = False) -> RetrievalExample | None:
    if not isinstance(rec, dict):
        raise DataError(f"{where}: expected a JSON object")
    query = rec.get("query", rec.get("question"))
    if not isinstance(query, str) or not query.strip():
        raise DataError(f"{where}: 'query' (or 'question') must be a non-empty string")
    gold = rec.get("gold")
    if allow_no_gold and gold == []:
        return None
    if not isinstance(gold, list) or not gold:
        raise DataError(f"{where}: 'gold' must be a non-empty list of {{law, article_no}}")
    named = rec.get("law_named")
    return RetrievalExample(
        query.strip(),
        tuple(_gold_entry(g, where) for g in gold),
        str(rec.get("id") or ""),
        str(rec.get("department") or ""),
        named if isinstance(named, bool) else None,
        str(rec.get("area") or ""),
        str(rec.get("level") or ""),
    )


def read_retrieval_data(
    path: str | Path, split: str = "all", *, allow_no_gold: bool = False
) -> list[RetrievalExample]:
    """Parse a retrieval gold file (one split of it); DataError naming file:line on a malformed line.
    A glob pattern (bench/data/scenarios/scen-*.jsonl) reads every matching file, in name order.
    `allow_no_gold`: skip rows whose gold list is empty (fine-tuning rows citing only regulations)."""
    import glob

    files = sorted(glob.glob(str(path))) if any(c in str(path) for c in "*?[") else [path]
    if not files:
        raise DataError(f"{path}: no file matches")
    rows = (
        _retrieval_example(rec, f"{f}:{i}", allow_no_gold)
        for f in files
        for i, rec in iter_jsonl(f, DataError)
    )
    out = [ex for ex in rows if ex is not None]
    if not out:
        raise DataError(f"{path}: no examples")
    out = select_split(out, split)
    if not out:
        raise DataError(f"{path}: no examples in split {split!r}")
    return out


def is_held_out(example_id: str) -> bool:
    """The held-back third: sha1 of the row id (as a number) divisible by 3."""
    return int(hashlib.sha1(example_id.encode("utf-8")).hexdigest(), 16) % 3 == 0


def select_split(examples: list[RetrievalExample], split: str) -> list[RetrievalExample]:
    """all | dev (rows not held back) | heldout (the held-back third, for the final measurement only)."""
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r} (one of: {', '.join(SPLITS)})")
    if split == "all":
        return list(examples)
    want = split == "heldout"
    return [ex for ex in examples if bool(ex.id and is_held_out(ex.id)) == want]


# --- generated look-ups ---------------------------------------------------------------------
LOOKUP_TEMPLATES = (
    "{dept}{short}{label}的内容是什么？",
    "《{short}》第{no}条",
    "{short}{label}规定了什么？",
    "{full}{label}",
    "请问{short}{label}怎么规定的",
)


def lookup_examples(corpus, n: int = 300, seed: int = 0) -> list[RetrievalExample]:
    """`n` look-up questions naming one current article (民法商法民法典第十条的内容是什么？ …), seeded."""
    from lawglm.numerals import article_label
    from lawglm.search.text import short_law_name

    arts = sorted(corpus.current(), key=lambda a: a.key)
    if not arts:
        raise DataError("the corpus has no current articles to ask about")
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = rng.choice(arts)
        template = LOOKUP_TEMPLATES[i % len(LOOKUP_TEMPLATES)]
        if a.sub_no and "{no}" in template:
            template = LOOKUP_TEMPLATES[0]
        q = template.format(
            dept=a.department,
            short=short_law_name(a.law),
            full=a.law,
            no=a.article_no,
            label=article_label(a.article_no, a.sub_no),
        )
        out.append(RetrievalExample(q, ((a.law, a.article_no, a.sub_no),), f"lookup-{i}", a.department, True))
    return out


# --- metrics ----------------------------------------------------------------------------------
def gold_keys(corpus, ex: RetrievalExample) -> set[tuple[str, int, int]]:
    """The example's gold articles with law names resolved like user input (刑法 -> full name)."""
    return {(corpus.resolve_law(law) or law, no, sub) for law, no, sub in ex.gold}


def first_gold_rank(hits: list, gold: set[tuple]) -> int | None:
    """0-based rank of the first hit whose (law, article_no[, sub_no]) is gold, or None."""
    for rank, h in enumerate(hits):
        a = h.article
        if (a.law, a.article_no, a.sub_no) in gold or (a.law, a.article_no) in gold:
            return rank
    return None


def rank_examples(
    retriever, examples: list[RetrievalExample], depth: int = 10, progress: bool = False, **search_kwargs
) -> tuple[list[int | None], float]:
    """(first gold rank per example, seconds spent in `retriever.search`)."""
    from tqdm.auto import tqdm

    ranks: list[int | None] = []
    elapsed = 0.0
    for ex in tqdm(examples, desc="evaluating", disable=not progress, unit="q"):
        gold = gold_keys(retriever.corpus, ex)
        t0 = time.perf_counter()
        hits = retriever.search(ex.query, depth, **search_kwargs)
        elapsed += time.perf_counter() - t0
        ranks.append(first_gold_rank(hits, gold))
    return ranks, elapsed


def evaluate_retrieval(
    retriever, examples: list[RetrievalExample], *, k: int = 10, progress: bool = False, **search_kwargs
) -> dict:
    """recall@1/5/10 (+@k), mrr@10 and mean ms per query of `retriever.search` over `examples`."""
    ranks, elapsed = rank_examples(retriever, examples, max(k, *RETRIEVAL_KS), progress, **search_kwargs)
    return metrics_from_ranks(ranks, elapsed, k)


def metrics_from_ranks(ranks: list[int | None], seconds: float, k: int = 10) -> dict:
    n = len(ranks)
    out: dict = {"n": n}
    for cut in sorted({*RETRIEVAL_KS, k}):
        out[f"recall@{cut}"] = round(sum(r is not None and r < cut for r in ranks) / n, 4) if n else 0.0
    out["mrr@10"] = round(sum(1.0 / (r + 1) for r in ranks if r is not None and r < 10) / n, 4) if n else 0.0
    out["ms_per_query"] = round(1000 * seconds / n, 3) if n else 0.0
    return out


def group_of(corpus, ex: RetrievalExample, by: str) -> str:
    """The example's law (short name of its first gold law), department (its own, else the law's), legal area
    (its `area` field) or level (its `level` field, else the level of its first gold article's document)."""
    from lawglm.search.text import short_law_name

    law = corpus.resolve_law(ex.gold[0][0]) or ex.gold[0][0]
    if by == "law":
        return short_law_name(law)
    if by == "department":
        if ex.department:
            return ex.department
        arts = corpus.law_articles(law)
        return arts[0].department if arts and arts[0].department else "(unknown)"
    if by == "area":
        return ex.area or "(none)"
    if by == "level":
        if ex.level:
            return ex.level
        arts = corpus.law_articles(law)
        return arts[0].level if arts and arts[0].level else "(unknown)"
    raise DataError(f"unknown grouping {by!r} (one of: {', '.join(GROUPINGS)})")


def by_group(
    corpus, examples: list[RetrievalExample], ranks: list[int | None], by: str, k: int = 10
) -> dict[str, dict]:
    """{group: metrics} over the examples of each group, largest groups first."""
    groups: dict[str, list[int | None]] = defaultdict(list)
    for ex, r in zip(examples, ranks):
        groups[group_of(corpus, ex, by)].append(r)
    order = sorted(groups, key=lambda g: (-len(groups[g]), g))
    return {
        g: {name: v for name, v in metrics_from_ranks(groups[g], 0.0, k).items() if name != "ms_per_query"}
        for g in order
    }


# --- the plain bm25s baseline ---------------------------------------------------------------------
class PlainBM25:
    """The comparison anchor: bm25s with its defaults over char unigrams + bigrams of law name + chapter +
    section + text of the current articles; no law detection, no look-up, no dense part."""

    def __init__(self, corpus):
        import bm25s

        from lawglm.search.text import article_document, char_tokens

        self.corpus = corpus
        self._articles = corpus.current()
        self._bm25 = bm25s.BM25()
        self._bm25.index([char_tokens(article_document(a)) for a in self._articles], show_progress=False)
        self._vocab = self._bm25.vocab_dict

    def search(self, query: str, k: int = 10, **_ignored) -> list:
        import numpy as np

        from lawglm.records import Hit
        from lawglm.search.text import char_tokens

        ids = [self._vocab[t] for t in char_tokens(query) if t in self._vocab]
        if not ids:
            return []
        scores = self._bm25.get_scores(ids)
        top = np.argsort(-scores, kind="stable")[:k]
        return [Hit(self._articles[i], float(scores[i]), ("plain-bm25s",)) for i in top if scores[i] > 0]


def compare_systems(retriever, *, reranker: bool = False) -> list[tuple[str, object]]:
    """The rows of `--compare`: plain bm25s, lawglm's BM25 half, dense half, v1 fixed fusion, the default."""
    from dataclasses import replace

    from lawglm.search.retrieval import Retriever

    base = retriever.params
    rows: list[tuple[str, object]] = [
        ("plain bm25s (char 1+2-grams)", PlainBM25(retriever.corpus)),
        (
            "lawglm bm25 half",
            Retriever(retriever.index, retriever.index_dir, replace(base, mode="bm25", reranker="")),
        ),
    ]
    if retriever.index.dense:
        rows.append(
            (
                "lawglm dense half",
                Retriever(retriever.index, retriever.index_dir, replace(base, mode="dense", reranker="")),
            )
        )
        rows.append(
            (
                "lawglm v1 fusion (0.4/0.6)",
                Retriever(retriever.index, retriever.index_dir, replace(base, mode="combsum", reranker="")),
            )
        )
    if reranker and base.reranker:
        rows.append(
            ("lawglm fused", Retriever(retriever.index, retriever.index_dir, replace(base, reranker="")))
        )
        rows.append(("lawglm fused + reranker", retriever))
    else:
        rows.append(("lawglm fused (default)", retriever))
    return rows


def run_eval(
    retriever,
    sets: dict[str, list[RetrievalExample]],
    *,
    compare: bool = False,
    by: str | None = None,
    k: int = 10,
    progress: bool = False,
    **search_kwargs,
) -> tuple[str, dict]:
    """Every set x every retriever (just the default one unless `compare`), optionally by law / department.

    Returns (text report, JSON-able result). The result is the plain metrics dict for one set and one
    retriever without `by` (the original contract), else {"sets": {set: {retriever: metrics}}, "by": ...}."""
    systems = compare_systems(retriever) if compare else [("lawglm", retriever)]
    result: dict = {"sets": {}, "by": {}}
    lines = []
    for set_name, examples in sets.items():
        result["sets"][set_name], result["by"][set_name] = {}, {}
        for sys_name, system in systems:
            ranks, secs = rank_examples(system, examples, max(k, *RETRIEVAL_KS), progress, **search_kwargs)
            result["sets"][set_name][sys_name] = metrics_from_ranks(ranks, secs, k)
            if by:
                result["by"][set_name][sys_name] = by_group(retriever.corpus, examples, ranks, by, k)
        lines.append(format_rows(result["sets"][set_name], f"{set_name} (n={len(examples)})"))
        if by:
            lines.append(_format_by(result["by"][set_name], by, k))
        lines.append("")
    if len(sets) == 1 and len(systems) == 1 and not by:
        metrics = next(iter(next(iter(result["sets"].values())).values()))
        return format_table(metrics, f"retrieval on {next(iter(sets))} (index {retriever.version})"), metrics
    if not by:
        del result["by"]
    return "\n".join(lines).rstrip(), result


def _format_by(per_system: dict[str, dict[str, dict]], by: str, k: int) -> str:
    """Per group: n and recall@k of every retriever (one column each), or R@1/5/10 of a single one."""
    names = list(per_system)
    groups = list(next(iter(per_system.values())))
    if len(names) == 1:
        rows = {
            g: {c: per_system[names[0]][g][c] for c in ("n", "recall@1", "recall@5", "recall@10", "mrr@10")}
            for g in groups
        }
        return format_rows(rows, by)
    key = f"recall@{k}" if f"recall@{k}" in per_system[names[0]][groups[0]] else "recall@10"
    rows = {
        g: {"n": per_system[names[0]][g]["n"], **{_short(n): per_system[n][g][key] for n in names}}
        for g in groups
    }
    return f"{key} by {by}:\n" + format_rows(rows, by)


def _short(name: str) -> str:
    return name.replace("lawglm ", "").replace(" (char 1+2-grams)", "").replace(" (default)", "")[:12]


def format_table(metrics: dict, title: str = "") -> str:
    """A two-column plain-text table of the metrics."""
    rows = [(name, str(value)) for name, value in metrics.items()]
    width = max(len(r[0]) for r in rows)
    lines = [title] if title else []
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def format_rows(rows: dict[str, dict], first: str = "retriever") -> str:
    """{name: metrics} as an aligned text table, one row per name."""
    cols = [c for c in next(iter(rows.values()))]
    width = max(len(first), *(len(n) for n in rows))
    head = f"{first:<{width}}  " + "  ".join(f"{c:>12s}" for c in cols)
    body = [
        f"{name:<{width}}  " + "  ".join(f"{m.get(c, '')!s:>12s}" for c in cols) for name, m in rows.items()
    ]
    return "\n".join([head] + body)
