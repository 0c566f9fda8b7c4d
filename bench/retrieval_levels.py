"""Do interpretations and regulations crowd law articles out? Recall with and without a level filter.

    python3 bench/retrieval_levels.py --index-dir IDX [--data /work/shared/data/retrieval_dev.jsonl]
                                      [--split all|dev]

Every question is searched twice through `Retriever.search` (k=20): over the whole index and with
`level=法律` (laws only). Prints R@1/5/10 of both, the levels of the articles ranked above the first gold
article, and the questions the level filter helps (gold first only with the filter, or top 5 only with it)
with the three articles that came first without it. On a law-only gold file the gap between the two rows is
what the other levels cost.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lawglm.eval.retrieval import first_gold_rank, gold_keys, read_retrieval_data
from lawglm.search.retrieval import Retriever


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index-dir", default=os.environ.get("LAWGLM_INDEX_DIR", "index"))
    ap.add_argument("--data", default="/work/shared/data/retrieval_dev.jsonl")
    ap.add_argument("--split", default="all", choices=["all", "dev"])
    args = ap.parse_args()
    r = Retriever.load(args.index_dir)
    rows = read_retrieval_data(args.data, split=args.split)
    print(f"{args.data} ({args.split}, n={len(rows)}), index {args.index_dir}, "
          f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')}")
    ranks: dict[str, list] = {"all levels": [], "level=法律": []}
    above, first = collections.Counter(), collections.Counter()
    helped = []
    for ex in rows:
        gold = gold_keys(r.corpus, ex)
        hits = r.search(ex.query, k=20)
        rank = first_gold_rank(hits, gold)
        law_rank = first_gold_rank(r.search(ex.query, k=20, level="法律"), gold)
        ranks["all levels"].append(rank)
        ranks["level=法律"].append(law_rank)
        for h in hits[: rank if rank is not None else 0]:
            above[h.article.level or "?"] += 1
        if rank:
            first[hits[0].article.level or "?"] += 1
        better1 = law_rank == 0 and rank != 0
        better5 = law_rank is not None and law_rank < 5 and (rank is None or rank >= 5)
        if better1 or better5:
            helped.append((ex.query[:40], rank, law_rank,
                           [(h.article.level, h.article.law[:16], h.article.article_no) for h in hits[:3]]))
    for name, rs in ranks.items():
        rec = [round(sum(x is not None and x < k for x in rs) / max(1, len(rs)), 3) for k in (1, 5, 10)]
        print(f"{name:12s} R@1 / R@5 / R@10 {rec[0]:.3f} / {rec[1]:.3f} / {rec[2]:.3f}")
    print("levels of the articles above the first gold one:", dict(above))
    print("level of the first article when it is not gold:", dict(first))
    print(f"questions the law-only filter helps: {len(helped)} (query, rank, rank with the filter, top 3)")
    for h in helped:
        print(" ", h)


if __name__ == "__main__":
    main()
