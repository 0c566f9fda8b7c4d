"""lawglm's MCP tools beside china-law-mcp's, in one process, on the same calls.

For each tool both servers offer (search_statutes, get_article, verify_citation, check_citations_in_text) it
times the tool functions themselves (what an MCP call runs, without the stdio transport), interleaved, and
reports p50 / p95 per call; quality: search R@5 on a gold file and get_article exactness on generated
look-ups (every 50th current article of the index, asked as 「《short name》第N条」 through get_article).

    python3 bench/mcp_bench.py --index-dir index [--data ../shared/data/retrieval_dev.jsonl] [-n 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--data", default=None, help="gold JSONL {query, gold:[{law, article_no}]}")
    ap.add_argument("-n", type=int, default=200, help="queries / look-ups per tool")
    args = ap.parse_args()

    from china_law_mcp import server as theirs

    from lawglm.search.retrieval import Params, Retriever
    from lawglm.settings import Settings
    from lawglm.tools.legal import LegalTools

    s = Settings(index_dir=Path(args.index_dir))
    ours = LegalTools(Retriever.load(s.index_dir, Params.from_settings(s)), s)
    rows = []
    if args.data:
        rows = [json.loads(x) for x in Path(args.data).read_text(encoding="utf-8").splitlines() if x.strip()]
        rows = rows[: args.n]
    arts = [a for a in ours.corpus.current() if a.sub_no == 0][:: 50][: args.n]

    t_ours: dict[str, list[float]] = {}
    t_theirs: dict[str, list[float]] = {}
    hit_ours = hit_theirs = 0
    look_ours = look_theirs = 0

    def timed(bucket: dict, name: str, fn, *a, **kw):
        t0 = time.perf_counter()
        try:
            out = fn(*a, **kw)
        except Exception as exc:  # noqa: BLE001 - an error is a miss, timed like an answer
            out = exc
        bucket.setdefault(name, []).append(time.perf_counter() - t0)
        return out

    for row in rows:
        gold = {(g["law"], g["article_no"]) for g in row["gold"]}
        mine = timed(
            t_ours, "search_statutes", ours.call, "search_statutes", {"query": row["query"], "top_k": 5}
        )
        them = timed(t_theirs, "search_statutes", theirs.search_statutes, row["query"], top_k=5)
        hit_ours += bool(gold & {(h["law"], h["article_no_arabic"]) for h in mine})
        hit_theirs += bool(not isinstance(them, Exception)
                           and gold & {(h["law"], h["article_no_arabic"]) for h in them})
    for a in arts:
        name = a.law.removeprefix("中华人民共和国")
        mine = timed(
            t_ours, "get_article", ours.call, "get_article", {"law": name, "article_no": str(a.article_no)}
        )
        them = timed(t_theirs, "get_article", theirs.get_article, name, str(a.article_no))
        look_ours += isinstance(mine, dict) and mine.get("text") == a.text
        look_theirs += isinstance(them, dict) and them.get("text") == a.text
        timed(
            t_ours,
            "verify_citation",
            ours.call,
            "verify_citation",
            {"law": name, "article_no": str(a.article_no)},
        )
        timed(t_theirs, "verify_citation", theirs.verify_citation, name, str(a.article_no))
        text = f"依据《{name}》第{a.article_no}条规定：“{a.text[:30]}”。"
        timed(t_ours, "check_citations_in_text", ours.call, "check_citations_in_text", {"text": text})
        timed(t_theirs, "check_citations_in_text", theirs.check_citations_in_text, text)

    print(
        f"in-process tool calls, interleaved; index {args.index_dir} ({len(ours.corpus.laws())} documents); "
        f"{len(rows)} gold queries, {len(arts)} look-ups"
    )
    print("| tool | lawglm p50 / p95 ms | china-law-mcp p50 / p95 ms | ratio of p50 |")
    print("|---|---|---|---|")
    for name, a in t_ours.items():
        b = t_theirs[name]
        print(f"| {name} | {pct(a, .5):.1f} / {pct(a, .95):.1f} | {pct(b, .5):.1f} / {pct(b, .95):.1f} | "
              f"{statistics.median(b) / max(statistics.median(a), 1e-9):.1f}x |")
    if rows:
        print(
            f"search_statutes R@5: lawglm {hit_ours / len(rows):.3f}, china-law-mcp "
            f"{hit_theirs / len(rows):.3f}"
        )
    if arts:
        print(
            f"get_article exact text: lawglm {look_ours / len(arts):.3f}, china-law-mcp "
            f"{look_theirs / len(arts):.3f}"
        )


if __name__ == "__main__":
    main()
