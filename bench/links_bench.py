"""Time the law ↔ interpretation cross-reference graph (lawglm.statutes.links) over the default corpus.

    python3 bench/links_bench.py [--runs 3]

Loads the default corpus once (not timed), then builds the graph `--runs` times and times its JSON round
trip (what an index version stores as links.json). Prints the counts, each run's seconds and the load
average, since a shared machine inflates the times.
"""

from __future__ import annotations

import argparse
import os
import time

from lawglm.statutes.ingest import load_corpus
from lawglm.statutes.links import Links, build_links


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    corpus = load_corpus()
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        links = build_links(corpus)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    text = links.to_json()
    written = time.perf_counter() - t
    t = time.perf_counter()
    Links.from_json(text)
    read = time.perf_counter() - t
    print(
        f"default corpus: {len(corpus):,} articles ({sum(a.is_current for a in corpus.articles):,} in force)"
        ", "
        f"{len(links):,} links"
    )
    print(
        f"build_links: {', '.join(f'{x:.2f}' for x in times)} s ({args.runs} runs, one process); links.json "
        f"{len(text.encode()) / 1e3:.0f} kB, written in {written * 1e3:.0f} ms, read in {read * 1e3:.0f} ms"
    )
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
